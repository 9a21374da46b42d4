package views

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	ev "github.com/palaver-im/palaver/views/model/modeltest"
)

func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "from jid action k=v…", or "error: part of the message"
	}{
		{"xmpp:bob@example.org", " bob@example.org "},
		{"XMPP:Bob@Example.org/phone", " bob@example.org "},
		{"xmpp:bob@example.org?message", " bob@example.org message"},
		{"xmpp:bob@example.org?message;body=hi", " bob@example.org message body=hi"},
		{"xmpp:bob@example.org?message;body=hi%20there%0Aand%20%C3%BCber;subject=x;type=chat", " bob@example.org message body=hi there\nand über"},
		{"xmpp:bob@example.org?message;body=a+b/c?d@e", " bob@example.org message body=a+b/c?d@e"},
		{"xmpp:bob@example.org?message;body=", " bob@example.org message body="},
		{"xmpp:b%C3%BCro@example.org?message#frag", " büro@example.org message"},
		{"xmpp:juliet@example.com?roster;name=Juliet%20Capulet;group=Friends", " juliet@example.com roster group=Friends name=Juliet Capulet"},
		{"xmpp:juliet@example.com?subscribe", " juliet@example.com subscribe"},
		{"xmpp:tea@conference.example.org?join;password=s%3Bcret", " tea@conference.example.org join password=s;cret"},
		{"xmpp://me@home.example/bob@example.org?message", "me@home.example bob@example.org message"},
		{"xmpp:bob@example.org?", " bob@example.org "},
		{"xmpp:bob@example.org?roster;x-unknown=1", " bob@example.org roster"},

		{"http://example.org", "error: not an xmpp: link"},
		{"xmpp:", "error: names no address"},
		{"xmpp://me@home.example", "error: names no address"},
		{"xmpp://me@/bob@example.org", "error: account it names"},
		{"xmpp:example.org", "error: no user name"},
		{"xmpp:bob@example.org?remove", "error: does not follow ?remove"},
		{"xmpp:bob@example.org?unsubscribe", "error: does not follow ?unsubscribe"},
		{"xmpp:bob@example.org?message;body", "error: not key=value"},
		{"xmpp:bob@example.org?message;=x", "error: not key=value"},
		{"xmpp:bob@example.org?message;body=a;body=b", "error: body twice"},
		{"xmpp:bob@example.org?message;body=%zz", "error: two hex digits"},
		{"xmpp:bob@example.org?message;body=%4", "error: two hex digits"},
		{"xmpp:bob@example.org?message;body=a b", "error: must encode"},
		{"xmpp:bob@example.org?message;body=%FF", "error: not valid UTF-8"},
		{"xmpp:bob@example.org?message;body=%07", "error: control characters"},
		{"xmpp:bob@example.org?roster;name=a%0Ab", "error: control characters"},
		{"xmpp:bob@example.org?mes%20sage", "error: does not follow"},
		{"xmpp:%20bob@example.org", "error: spaces"},
		{"xmpp:bob@example.org/a%00b", "error: control characters"},
		{"xmpp:bob<@example.org", "error: must encode"},
		{"xmpp:bob@exa mple.org", "error: must encode"},
		{"xmpp:bob@.example.org", "error: empty part"},
		{"xmpp:bob@example.org?message;body=" + strings.Repeat("a", maxURIBytes), "error: too long"},
		{"xmpp:bob@example.org\xff", "error: not valid text"},
	} {
		l, err := parseURI(tc.in)
		var got string
		if err != nil {
			got = "error: " + err.Error()
			if want, ok := strings.CutPrefix(tc.want, "error: "); !ok || !strings.Contains(err.Error(), want) {
				t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
			}
			continue
		}
		got = l.from + " " + l.jid + " " + l.action
		for _, k := range slices.Sorted(maps.Keys(l.params)) {
			got += " " + k + "=" + l.params[k]
		}
		if got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// encodeValue percent-encodes all but unreserved characters.
func encodeValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// FuzzParseURI checks that what parseURI accepts is what it promises: a
// valid bare address, a known action, only the action's keys, no control
// characters but a body's line breaks and tabs; and that the link written
// again from it, fully encoded, parses to the same.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"xmpp:bob@example.org",
		"xmpp:bob@example.org?message;body=hi%20there",
		"xmpp:juliet@example.com?roster;name=Juliet%20Capulet;group=Friends",
		"xmpp:tea@conference.example.org?join;password=x",
		"xmpp://me@home.example/bob@example.org/res?subscribe#f",
		"xmpp:b%C3%BCro@example.org?message;body=%0A%09",
		"xmpp:bob@example.org?message;body=a;body=b",
		"xmpp:%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseURI(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		j, err := account.ParseJID(l.jid)
		if err != nil || j.String() != l.jid {
			t.Fatalf("%q: address %q is not a bare JID (%v)", s, l.jid, err)
		}
		keys, ok := uriKeys[l.action]
		if !ok {
			t.Fatalf("%q: unknown action %q accepted", s, l.action)
		}
		link := "xmpp:"
		if l.from != "" {
			link += "//" + encodeValue(l.from) + "/"
		}
		link += encodeValue(l.jid)
		if l.action != "" {
			link += "?" + l.action
		}
		for k, v := range l.params {
			if !slices.Contains(keys, k) {
				t.Fatalf("%q: key %q kept for %q", s, k, l.action)
			}
			if controlFree(v, k == "body") != nil {
				t.Fatalf("%q: control characters in %s", s, k)
			}
			link += ";" + k + "=" + encodeValue(v)
		}
		if len(link) > maxURIBytes {
			return
		}
		again, err := parseURI(link)
		if err != nil {
			t.Fatalf("%q parsed, but written again as %q: %v", s, link, err)
		}
		if again.from != l.from || again.jid != l.jid || again.action != l.action || !maps.Equal(again.params, l.params) {
			t.Fatalf("%q → %+v, written again as %q → %+v", s, l, link, again)
		}
	})
}

// uriHarness is one account signed in, with Bob among its contacts.
func uriHarness(t *testing.T) *harness {
	h := signedIn(t)
	h.apply(resetEv(contact("bob@example.org", "Bob")))
	return h
}

// sentTo returns the calls of core that send or change something for
// peer, or say we are typing to peer.
func sentTo(c *fakeCore, peer string) []string {
	typed := fmt.Sprintf("ChatActivity %s %d", peer, chatstate.Typed)
	var out []string
	for _, call := range c.Calls() {
		verb, _, _ := strings.Cut(call, " ")
		switch {
		case call == typed:
		case slices.Contains([]string{"SendMessage", "AddContact", "JoinRoom", "Approve", "Subscribe"}, verb) && strings.Contains(call, peer):
		default:
			continue
		}
		out = append(out, call)
	}
	return out
}

func TestOpenURIMessageFillsInAndDoesNotSend(t *testing.T) {
	h := uriHarness(t)
	peer := "bob@example.org"
	h.ui.OpenURI("xmpp:bob@example.org?message;body=hi%20there")
	c := h.ui.only().chats[peer]
	if c == nil {
		t.Fatal("the link opened no chat with bob")
	}
	if c.entry.Text != "hi there" {
		t.Errorf("the entry holds %q", c.entry.Text)
	}
	if got := sentTo(h.core, peer); len(got) > 0 {
		t.Errorf("following the link sent %q", got)
	}
	// A second link does not overwrite what the user is writing.
	c.entry.SetText("my draft")
	h.ui.OpenURI("xmpp:bob@example.org?message;body=other")
	if c.entry.Text != "my draft" {
		t.Errorf("the draft became %q", c.entry.Text)
	}
	// No action: the chat, nothing filled in.
	h.ui.OpenURI("xmpp:carol@example.org")
	if c := h.ui.only().chats["carol@example.org"]; c == nil || c.entry.Text != "" {
		t.Errorf("xmpp:carol@example.org opened %v", c)
	}
}

func TestOpenURIRosterOpensAddContact(t *testing.T) {
	for _, link := range []string{
		"xmpp:juliet@example.com?roster;name=Juliet%20Capulet;group=Friends",
		"xmpp:juliet@example.com?subscribe",
	} {
		h := uriHarness(t)
		h.ui.OpenURI(link)
		d := h.overlay()
		if e := entryWithPlaceholder(t, d, "name@example.org"); e.Text != "juliet@example.com" {
			t.Errorf("%s: the address is %q", link, e.Text)
		}
		if strings.Contains(link, "roster") {
			name, _ := find(d, func(e *widget.Entry) bool { return e.Text == "Juliet Capulet" })
			group, _ := find(d, func(e *widget.SelectEntry) bool { return e.Text == "Friends" })
			if name == nil || group == nil {
				t.Errorf("%s: name or group not filled in", link)
			}
		}
		if got := sentTo(h.core, "juliet"); len(got) > 0 {
			t.Errorf("%s: sent %q before the user confirmed", link, got)
		}
		test.Tap(button(t, d, "Add"))
		if got := sentTo(h.core, "juliet"); len(got) != 1 || !strings.HasPrefix(got[0], "AddContact juliet@example.com") {
			t.Errorf("%s: Add sent %q", link, got)
		}
	}
}

func TestOpenURIJoinDoesNotJoin(t *testing.T) {
	h := uriHarness(t)
	h.ui.OpenURI("xmpp:tea@conference.example.org?join;password=se%20cret")
	d := h.overlay()
	if e := entryWithPlaceholder(t, d, "room@conference.example.org"); e.Text != "tea@conference.example.org" {
		t.Errorf("the room is %q", e.Text)
	}
	if e := entryWithPlaceholder(t, d, "only for a protected room"); e.Text != "se cret" {
		t.Errorf("the password is %q", e.Text)
	}
	if got := sentTo(h.core, "tea@"); len(got) > 0 {
		t.Errorf("joined before the user asked: %q", got)
	}
}

func TestOpenURIRefusesABadLink(t *testing.T) {
	h := uriHarness(t)
	h.ui.OpenURI("xmpp:example.org?message;body=hi")
	if !h.ui.noticeBar.Visible() || !strings.Contains(h.ui.notice.Text, "no user name") {
		t.Errorf("notice %q (shown: %v)", h.ui.notice.Text, h.ui.noticeBar.Visible())
	}
	if len(h.ui.only().chats) != 0 {
		t.Error("a bad link opened a chat")
	}
	h.ui.OpenURI("xmpp:bob@example.org?remove")
	if !strings.Contains(h.ui.notice.Text, "?remove") {
		t.Errorf("notice %q", h.ui.notice.Text)
	}
	if got := sentTo(h.core, "bob@"); len(got) > 0 {
		t.Errorf("sent %q", got)
	}
}

// showSpy counts how often a window was shown.
type showSpy struct {
	fyne.Window
	shown int
}

func (w *showSpy) Show() { w.shown++; w.Window.Show() }

func TestOpenURIEmptyShowsTheWindow(t *testing.T) {
	h := uriHarness(t)
	spy := &showSpy{Window: h.ui.win}
	h.ui.win = spy
	h.ui.OpenURI("")
	if spy.shown != 1 {
		t.Errorf("the main window was shown %d times", spy.shown)
	}
	if len(h.ui.only().chats) != 0 {
		t.Error("an empty hand-over opened a chat")
	}
}

func TestOpenURIChoosesTheAccount(t *testing.T) {
	h := twoAccounts(t)
	// Both signed in: the first.
	h.ui.OpenURI("xmpp:carol@x?message")
	if h.ui.session(work).chats["carol@x"] == nil {
		t.Error("the chat did not open from the first account")
	}
	// The link names the account.
	h.ui.OpenURI("xmpp://" + home + "/dave@x?message")
	if h.ui.session(home).chats["dave@x"] == nil || h.ui.session(work).chats["dave@x"] != nil {
		t.Error("the chat did not open from the account the link names")
	}
	// Only the second signed in: the second.
	h.in(work, ev.State(work, app.Offline))
	h.ui.OpenURI("xmpp:erin@x")
	if h.ui.session(home).chats["erin@x"] == nil {
		t.Error("the chat did not open from the signed-in account")
	}
	// None signed in: the user chooses.
	h.in(home, ev.State(home, app.Offline))
	h.ui.OpenURI("xmpp:fred@x?message;body=hey")
	d := h.overlay()
	sel, ok := find(d, func(s *widget.Select) bool { return true })
	if !ok {
		t.Fatal("no account choice")
	}
	sel.SetSelected(home)
	test.Tap(button(t, d, "Open"))
	c := h.ui.session(home).chats["fred@x"]
	if c == nil || c.entry.Text != "hey" {
		t.Errorf("the chosen account's chat: %v", c)
	}
}

func TestOpenURIWaitsForTheFirstSignIn(t *testing.T) {
	// At start: two accounts signing in, neither online yet.
	h := newMultiHarness(t, account.Account{JID: work}, account.Account{JID: home})
	h.ui.Show()
	h.ui.OpenURI("xmpp:gina@x?message;body=hi")
	if top := h.ui.win.Canvas().Overlays().Top(); top != nil {
		t.Fatal("asked for an account while both were signing in")
	}
	// The second signs in first: it follows the link.
	h.in(home, ev.State(home, app.Online))
	c := h.ui.session(home).chats["gina@x"]
	if c == nil || c.entry.Text != "hi" || h.ui.session(work).chats["gina@x"] != nil {
		t.Fatalf("the first account signed in did not open the chat: %v", c)
	}
	h.runLater() // the wait is over: nothing more happens
	if top := h.ui.win.Canvas().Overlays().Top(); top != nil {
		t.Error("asked for an account after the link was followed")
	}

	// None signs in in time: the user is asked.
	h.in(home, ev.State(home, app.Offline))
	h.in(work, ev.State(work, app.Connecting))
	h.ui.OpenURI("xmpp:hal@x")
	if top := h.ui.win.Canvas().Overlays().Top(); top != nil {
		t.Fatal("asked at once while an account was signing in")
	}
	h.runLater()
	d := h.overlay()
	test.Tap(button(t, d, "Open"))
	if h.ui.session(work).chats["hal@x"] == nil && h.ui.session(home).chats["hal@x"] == nil {
		t.Error("no chat opened after the user chose")
	}
	// Signing in later does not open it a second time elsewhere.
	h.in(home, ev.State(home, app.Online))
	if h.ui.session(work).chats["hal@x"] != nil && h.ui.session(home).chats["hal@x"] != nil {
		t.Error("the link was followed twice")
	}
}
