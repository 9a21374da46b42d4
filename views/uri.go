package views

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
)

// xmpp: links from outside (RFC 5122, actions of XEP-0147): the command
// line, a second start handing its link to the running Palaver (package
// main), or a link in a message (links.go). Nothing a link asks for
// happens without the user: ?message opens the chat and only fills in the
// text, ?roster and ?subscribe open Add contact, ?join the Join dialog
// with the password filled in but not sent.

// maxURIBytes bounds an xmpp: link.
const maxURIBytes = 4096

// xmppURI is an xmpp: link, parsed and checked.
type xmppURI struct {
	// from is the account the link says to act from (the authority of
	// xmpp://from/jid), "" when it names none.
	from string
	// jid is the bare address the link is about.
	jid string
	// action is the query type: "" (none), "message", "roster",
	// "subscribe" or "join".
	action string
	// params are the action's keys and values, decoded: body (message),
	// name and group (roster), password (join). Keys XEP-0147 does not
	// define for the action are dropped, as it says.
	params map[string]string
}

// uriKeys are the keys kept of each action.
var uriKeys = map[string][]string{
	"":          nil,
	"message":   {"body"},
	"roster":    {"name", "group"},
	"subscribe": nil,
	"join":      {"password"},
}

// parseURI parses an xmpp: link strictly: the scheme (any case), an
// optional authority, the address (percent-decoded, a valid JID with a
// user or room name), the query type and its ;key=value pairs
// (percent-decoded, each key once, no control characters but line breaks
// and tabs in a message body). The fragment is ignored. The error says
// what is wrong, in words for the user.
func parseURI(s string) (xmppURI, error) {
	var out xmppURI
	if len(s) > maxURIBytes {
		return out, errors.New(lang.L("the link is too long"))
	}
	if !utf8.ValidString(s) {
		return out, errors.New(lang.L("the link is not valid text"))
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(scheme, "xmpp") {
		return out, errors.New(lang.L("it is not an xmpp: link"))
	}
	rest, _, _ = strings.Cut(rest, "#")
	hier, query, hasQuery := strings.Cut(rest, "?")
	if auth, ok := strings.CutPrefix(hier, "//"); ok {
		auth, path, _ := strings.Cut(auth, "/")
		from, err := uriJID(auth)
		if err != nil {
			return out, errors.New(lang.L("the account it names is wrong: {{.Error}}", map[string]any{"Error": errorText(err)}))
		}
		out.from, hier = from, path
	}
	if hier == "" {
		return out, errors.New(lang.L("it names no address"))
	}
	j, err := uriJID(hier)
	if err != nil {
		return out, err
	}
	out.jid = j
	if !hasQuery {
		return out, nil
	}
	qtype, pairs, _ := strings.Cut(query, ";")
	if out.action, err = pctDecode(qtype, false); err != nil {
		return out, err
	}
	keep, known := uriKeys[out.action]
	if !known {
		return out, errors.New(lang.L("Palaver does not follow ?{{.Action}} links",
			map[string]any{"Action": plainLine(clipRunes(out.action, 20))}))
	}
	seen := make(map[string]bool)
	out.params = make(map[string]string)
	for pair := range strings.SplitSeq(pairs, ";") {
		if pair == "" && pairs == "" {
			break
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return out, errors.New(lang.L("{{.Pair}} is not key=value", map[string]any{"Pair": strconv.Quote(clipRunes(pair, 30))}))
		}
		if k, err = pctDecode(k, false); err != nil {
			return out, err
		}
		if seen[k] {
			return out, errors.New(lang.L("it has {{.Key}} twice", map[string]any{"Key": clipRunes(k, 20)}))
		}
		seen[k] = true
		if v, err = pctDecode(v, true); err != nil {
			return out, err
		}
		if err := controlFree(v, k == "body"); err != nil {
			return out, err
		}
		for _, want := range keep {
			if k == want {
				out.params[k] = v
			}
		}
	}
	return out, nil
}

// uriJID decodes and checks the address part of a link: a JID with a
// user (or room) name; a resource is dropped.
func uriJID(s string) (string, error) {
	addr, err := pctDecode(s, true)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(addr) != addr || controlFree(addr, false) != nil {
		return "", errors.New(lang.L("the address has spaces or control characters around or in it"))
	}
	j, err := account.ParseJID(addr)
	if err != nil {
		return "", err
	}
	return j.String(), nil
}

// pctDecode decodes RFC 3986 percent-encoding strictly: a '%' must be
// followed by two hex digits, and the result must be valid UTF-8. The
// characters that must be encoded are refused when seen as they are
// (controls, space, "<>\"\\^`{|}"); in a value (wide), the URI's other
// delimiters ("/?:@!$&'()*+,") may stand as they are; in a query type or
// key only unreserved characters may. Characters beyond ASCII (IRIs) may
// stand as they are.
func pctDecode(s string, wide bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", errors.New(lang.L("it has a '%' that is not followed by two hex digits"))
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		case c >= 0x80, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~", c) >= 0:
			b.WriteByte(c)
		case wide && strings.IndexByte("/?:@!$&'()*+,", c) >= 0:
			b.WriteByte(c)
		default:
			return "", errors.New(lang.L("it has {{.Char}}, which a link must encode", map[string]any{"Char": strconv.Quote(string(c))}))
		}
	}
	out := b.String()
	if !utf8.ValidString(out) {
		return "", errors.New(lang.L("it decodes to text that is not valid UTF-8"))
	}
	return out, nil
}

// controlFree refuses control characters; lines allows line breaks and
// tabs (a message body).
func controlFree(s string, lines bool) error {
	for _, r := range s {
		if lines && (r == '\n' || r == '\t') {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return errors.New(lang.L("it has control characters"))
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// OpenURI follows an xmpp: link handed to Palaver from outside: the
// command line's, or one a second start of the same profile handed over.
// An empty uri only brings the main window up. A link Palaver cannot
// follow is refused with a notice saying why.
func (u *UI) OpenURI(uri string) {
	if strings.TrimSpace(uri) == "" {
		u.showWindow()
		return
	}
	u.followURI(uri, nil)
}

// OpenURISoon is OpenURI from any goroutine: it runs OpenURI on the UI
// goroutine, or drops the link once the app has stopped. It is safe for
// concurrent use; main calls it for the links other starts hand over.
func (u *UI) OpenURISoon(uri string) {
	u.do(func() { u.OpenURI(uri) })
}

// followURI follows an xmpp: link, from the account of s when it is not
// nil (a link in one of its messages).
func (u *UI) followURI(raw string, s *session) {
	l, err := parseURI(strings.TrimSpace(raw))
	if err != nil {
		u.showWindow()
		u.showNotice(lang.L("Palaver cannot open the xmpp: link {{.Link}}: {{.Error}}.",
			map[string]any{"Link": clipRunes(escapedLine(raw), 70), "Error": errorText(err)}))
		return
	}
	if len(u.sessions) == 0 {
		u.showWindow()
		u.showNotice(lang.L("Set up an account to open the xmpp: link to {{.Address}}.", map[string]any{"Address": l.jid}))
		return
	}
	if s == nil {
		s = u.uriSession(l.from)
	}
	switch l.action {
	case "roster", "subscribe":
		u.showWindow()
		u.addContactWith(s, l.jid, l.params["name"], l.params["group"])
	case "join":
		u.showWindow()
		u.joinRoomWith(joinAsk{s: s, room: l.jid, password: l.params["password"]})
	default: // a chat: "message", or no action
		if s == nil {
			u.waitForAccount(l)
			return
		}
		openChatWith(s, l.jid, l.params["body"])
	}
}

// linkWait is how long a chat link waits for the first account to sign
// in before the user is asked which one to use.
const linkWait = 10 * time.Second

// waitForAccount holds a chat link while accounts are signing in (as at
// start, when Palaver was started with the link): the first that signs in
// follows it. When none is signing in, or none did within linkWait, the
// user is asked.
func (u *UI) waitForAccount(l xmppURI) {
	connecting := false
	for _, s := range u.sessions {
		connecting = connecting || s.State.State == app.Connecting
	}
	if !connecting {
		u.askChatAccount(l)
		return
	}
	w := &l
	u.waitingLink = w
	u.after(linkWait, func() {
		if u.waitingLink == w {
			u.waitingLink = nil
			u.askChatAccount(l)
		}
	})
}

// followWaitingLink follows the chat link waiting for an account, now
// that s signed in.
func (u *UI) followWaitingLink(s *session) {
	if l := u.waitingLink; l != nil {
		u.waitingLink = nil
		openChatWith(s, l.jid, l.params["body"])
	}
}

// uriSession is the account a link from outside acts from: the one the
// link names if it runs, else the first signed in, else the only one;
// nil when the user must choose.
func (u *UI) uriSession(from string) *session {
	if s := u.session(from); s != nil {
		return s
	}
	for _, s := range u.sessions {
		if s.State.State == app.Online {
			return s
		}
	}
	return u.only()
}

// openChatWith opens the chat with peer and, when its entry is empty,
// fills in body (never sent: the user reads it and presses Enter). The
// peer is not told we are typing: we are not, yet.
func openChatWith(s *session, peer, body string) {
	s.openChat(peer)
	if c := s.chats[peer]; c != nil && body != "" && c.entry.Text == "" {
		c.entry.setQuietly(body)
	}
}

// askChatAccount asks which account opens the chat a link is about, when
// several run and none signed in.
func (u *UI) askChatAccount(l xmppURI) {
	var items []*widget.FormItem
	chosen := u.accountChoice(lang.L("Account"), &items)
	if chosen == nil {
		return
	}
	items = append(items, widget.NewFormItem(lang.L("Chat with"), widget.NewLabel(l.jid)))
	u.showWindow()
	u.formDialog(lang.L("Open a chat"), lang.L("Open"), items, func() error {
		openChatWith(chosen(), l.jid, l.params["body"])
		return nil
	})
}
