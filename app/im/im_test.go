package im_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/xmltest"
)

const hash = "da39a3ee5e6b4b0d3255bfef95601890afd80709"

// encode returns the XML text of r.
func encode(t testing.TB, r xml.TokenReader) string { t.Helper(); return xmltest.Encode(t, r) }

func golden(t *testing.T, name, got string) { t.Helper(); xmltest.Golden(t, name, got) }

func TestEncodePresence(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    im.Presence
	}{
		0: {"presence-available", im.Presence{Show: im.Available}},
		1: {"presence-away-status-priority", im.Presence{Show: im.Away, Status: "at lunch <back at 2>", Priority: 5}},
		2: {"presence-dnd", im.Presence{Show: im.DND, Status: "focus"}},
		3: {"presence-unavailable", im.Presence{Presence: stanza.Presence{Type: stanza.UnavailablePresence}, Show: im.Offline, Status: "bye", Priority: 9}},
		4: {"presence-subscribe-nick", im.Presence{Presence: stanza.Presence{To: jid.MustParse("bob@example.org"), Type: stanza.SubscribePresence}, Nick: "Alice"}},
		5: {"presence-photo-hash", im.Presence{Show: im.Away, Photo: im.PhotoSet, PhotoHash: strings.ToUpper(hash)}},
		6: {"presence-photo-none", im.Presence{Show: im.Available, Photo: im.PhotoNone}},
		7: {"presence-photo-not-ready", im.Presence{Show: im.Available, Photo: im.PhotoNotReady}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, encode(t, tc.p.TokenReader()))
		})
	}
}

// TestEncodePresenceSameAs checks presences that must encode exactly as
// another does, by comparing the two encodings: a golden file shared by
// two cases would be rewritten by whichever ran last under -update.
func TestEncodePresenceSameAs(t *testing.T) {
	unavailable := stanza.Presence{Type: stanza.UnavailablePresence}
	for _, tc := range []struct {
		name    string
		p, same im.Presence
	}{
		// A malformed hash is never sent: the picture is announced as not ready.
		0: {"malformed-hash",
			im.Presence{Show: im.Available, Photo: im.PhotoSet, PhotoHash: "../../etc/passwd"},
			im.Presence{Show: im.Available, Photo: im.PhotoNotReady}},
		// Only available presence announces a picture (XEP-0153), and
		// unavailable presence carries no priority.
		1: {"unavailable-no-photo",
			im.Presence{Presence: unavailable, Show: im.Offline, Status: "bye", Photo: im.PhotoSet, PhotoHash: hash},
			im.Presence{Presence: unavailable, Show: im.Offline, Status: "bye", Priority: 9}},
		// A hash without Photo set is not announced.
		2: {"hash-without-photo",
			im.Presence{Show: im.Available, PhotoHash: hash},
			im.Presence{Show: im.Available}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := encode(t, tc.p.TokenReader()), encode(t, tc.same.TokenReader()); got != want {
				t.Errorf("encoded as\n%s\nwant the same as\n%s", got, want)
			}
		})
	}
}

func TestEncodeMessage(t *testing.T) {
	hdr := stanza.Message{ID: "m1", To: jid.MustParse("bob@example.org"), Type: stanza.ChatMessage}
	for _, tc := range []struct {
		name string
		m    im.Message
	}{
		0: {"message-chat", im.Message{Message: hdr, Body: "hi & <bye>\nsecond line", Thread: "t1"}},
		1: {"message-composing", im.Message{Message: hdr, ChatState: chatstate.Composing}},
		2: {"message-body-active", im.Message{Message: hdr, Body: "hello", ChatState: chatstate.Active}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, encode(t, tc.m.TokenReader()))
		})
	}
	// An unknown chat state is not sent, and neither is its hint: the
	// message encodes exactly as without one (compared directly, not
	// through message-chat's golden file, which -update would rewrite).
	plain := im.Message{Message: hdr, Body: "hi & <bye>\nsecond line", Thread: "t1"}
	unknown := plain
	unknown.ChatState = "typing"
	if got, want := encode(t, unknown.TokenReader()), encode(t, plain.TokenReader()); got != want {
		t.Errorf("a message with an unknown chat state encoded as\n%s\nwant the same as without one\n%s", got, want)
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for i, m := range []im.Message{
		0: {Message: stanza.Message{From: jid.MustParse("a@b/r"), Type: stanza.ChatMessage}, ChatState: chatstate.Gone},
		1: {Message: stanza.Message{From: jid.MustParse("a@b/r"), Type: stanza.ChatMessage}, Body: "x", Thread: "t", ChatState: chatstate.Active},
	} {
		got, err := decodeMessage(t, encode(t, m.TokenReader()))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got.ChatState != m.ChatState || got.Body != m.Body || got.Thread != m.Thread {
			t.Errorf("%d: got %+v, want %+v", i, got, m)
		}
	}
}

func TestPresenceRoundTrip(t *testing.T) {
	for i, p := range []im.Presence{
		0: {Presence: stanza.Presence{From: jid.MustParse("a@b/r")}, Show: im.Away, Photo: im.PhotoSet, PhotoHash: hash},
		1: {Presence: stanza.Presence{From: jid.MustParse("a@b/r")}, Show: im.Available, Photo: im.PhotoNone},
		2: {Presence: stanza.Presence{From: jid.MustParse("a@b/r")}, Show: im.Available, Photo: im.PhotoNotReady},
		3: {Presence: stanza.Presence{From: jid.MustParse("a@b/r")}, Show: im.Available},
	} {
		got, err := decodePresence(t, encode(t, p.TokenReader()))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got.Photo != p.Photo || got.PhotoHash != p.PhotoHash || got.Show != p.Show {
			t.Errorf("%d: got %v %q %v, want %v %q %v", i, got.Photo, got.PhotoHash, got.Show, p.Photo, p.PhotoHash, p.Show)
		}
	}
}

func TestDecodePresencePhoto(t *testing.T) {
	const x = `<x xmlns="vcard-temp:x:update">`
	for i, tc := range []struct {
		in    string
		photo im.PhotoUpdate
		hash  string
	}{
		0: {in: `<presence from="a@b/r"/>`, photo: im.PhotoUnknown},
		1: {in: `<presence from="a@b/r">` + x + `<photo>` + hash + `</photo></x></presence>`, photo: im.PhotoSet, hash: hash},
		2: {in: `<presence from="a@b/r">` + x + `<photo>` + strings.ToUpper(hash) + `</photo></x></presence>`, photo: im.PhotoSet, hash: hash},
		3: {in: `<presence from="a@b/r">` + x + "<photo>\n  " + hash + "\n</photo></x></presence>", photo: im.PhotoSet, hash: hash},
		4: {in: `<presence from="a@b/r">` + x + `<photo/></x></presence>`, photo: im.PhotoNone},
		5: {in: `<presence from="a@b/r">` + x + `<photo> </photo></x></presence>`, photo: im.PhotoNone},
		6: {in: `<presence from="a@b/r">` + x + `</x></presence>`, photo: im.PhotoNotReady},
		7: {in: `<presence from="a@b/r"><x xmlns="vcard-temp:x:update"/></presence>`, photo: im.PhotoNotReady},
		// Malformed hashes say nothing.
		8:  {in: `<presence from="a@b/r">` + x + `<photo>` + hash[:39] + `</photo></x></presence>`, photo: im.PhotoUnknown},
		9:  {in: `<presence from="a@b/r">` + x + `<photo>` + hash + `0</photo></x></presence>`, photo: im.PhotoUnknown},
		10: {in: `<presence from="a@b/r">` + x + `<photo>../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaa</photo></x></presence>`, photo: im.PhotoUnknown},
		11: {in: `<presence from="a@b/r">` + x + `<photo>g` + hash[1:] + `</photo></x></presence>`, photo: im.PhotoUnknown},
		// Another namespace is not XEP-0153.
		12: {in: `<presence from="a@b/r"><x xmlns="http://jabber.org/protocol/muc#user"><photo>` + hash + `</photo></x></presence>`, photo: im.PhotoUnknown},
		13: {in: `<presence from="a@b/r">` + x + `<photo xmlns="urn:other">` + hash + `</photo></x></presence>`, photo: im.PhotoNotReady},
		// The first <x/> and the first <photo/> count.
		14: {in: `<presence from="a@b/r">` + x + `<photo/><photo>` + hash + `</photo></x>` + x + `<photo>` + hash + `</photo></x></presence>`, photo: im.PhotoNone},
		15: {in: `<presence from="a@b/r">` + x + `<other><photo/></other><photo>` + hash + `</photo></x></presence>`, photo: im.PhotoSet, hash: hash},
		16: {in: `<presence from="a@b/r"><x xmlns="urn:x"/>` + x + `<photo>` + hash + `</photo></x></presence>`, photo: im.PhotoSet, hash: hash},
	} {
		p, err := decodePresence(t, tc.in)
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if p.Photo != tc.photo || p.PhotoHash != tc.hash {
			t.Errorf("%d: got %v %q, want %v %q", i, p.Photo, p.PhotoHash, tc.photo, tc.hash)
		}
	}
}

func TestDecodeMessageChatState(t *testing.T) {
	const ns = `xmlns="http://jabber.org/protocol/chatstates"`
	for i, tc := range []struct {
		in   string
		want chatstate.State
	}{
		0: {`<message from="a@b/r"><body>x</body></message>`, ""},
		1: {`<message from="a@b/r"><composing ` + ns + `/></message>`, chatstate.Composing},
		2: {`<message from="a@b/r"><body>x</body><active ` + ns + `/></message>`, chatstate.Active},
		3: {`<message from="a@b/r"><paused ` + ns + `/><gone ` + ns + `/></message>`, chatstate.Paused},
		4: {`<message from="a@b/r"><typing ` + ns + `/><inactive ` + ns + `/></message>`, chatstate.Inactive},
		5: {`<message from="a@b/r"><composing xmlns="urn:other"/></message>`, ""},
		6: {`<message from="a@b/r"><composing/></message>`, ""},
		7: {`<message from="a@b/r"><gone ` + ns + `><active/></gone></message>`, chatstate.Gone},
		8: {`<message from="a@b/r"><no-store xmlns="urn:xmpp:hints"/><gone ` + ns + `/></message>`, chatstate.Gone},
	} {
		m, err := decodeMessage(t, tc.in)
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if m.ChatState != tc.want {
			t.Errorf("%d: chat state %q, want %q", i, m.ChatState, tc.want)
		}
	}
}

// split reads the first start element of s and returns it with a reader of
// the rest of that element, exactly as mellium's Serve hands a stanza to a
// handler (xmlstream.InnerElement: inner tokens and the end element).
func split(s string) (xml.TokenReader, *xml.StartElement, bool) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, false
		}
		if start, ok := tok.(xml.StartElement); ok {
			return xmlstream.InnerElement(d), &start, true
		}
	}
}

func decodePresence(t *testing.T, s string) (im.Presence, error) {
	t.Helper()
	r, start, ok := split(s)
	if !ok {
		t.Fatal("no element")
	}
	return im.DecodePresence(r, start)
}

func TestDecodePresence(t *testing.T) {
	for i, tc := range []struct {
		in       string
		show     im.Show
		status   string
		priority int8
		nick     string
		err      bool
	}{
		0: {in: `<presence from="a@b/r"/>`, show: im.Available},
		1: {in: `<presence from="a@b/r"><show>away</show><status>out</status><priority>3</priority></presence>`, show: im.Away, status: "out", priority: 3},
		2: {in: `<presence from="a@b/r"><show>xa</show></presence>`, show: im.XA},
		3: {in: `<presence from="a@b/r"><show>dnd</show></presence>`, show: im.DND},
		4: {in: `<presence from="a@b/r"><show>chat</show></presence>`, show: im.Chat},
		5: {in: `<presence from="a@b/r"><show>bogus</show></presence>`, show: im.Available},
		6: {in: `<presence from="a@b/r" type="unavailable"><status>gone</status></presence>`, show: im.Offline, status: "gone"},
		7: {in: `<presence from="a@b/r"><priority>9999</priority></presence>`, show: im.Available, priority: 127},
		8: {in: `<presence from="a@b/r"><priority>-9999</priority></presence>`, show: im.Available, priority: -128},
		9: {in: `<presence from="a@b/r"><priority>x</priority></presence>`, show: im.Available},
		10: {in: `<presence from="a@b/r" xml:lang="de"><status>hello</status><status xml:lang="de">hallo</status></presence>`,
			show: im.Available, status: "hallo"},
		11: {in: `<presence from="a@b" type="subscribe"><nick xmlns="http://jabber.org/protocol/nick">Al</nick></presence>`, show: im.Available, nick: "Al"},
		12: {in: `<presence from="a@b/r"><unknown xmlns="urn:x"><deep><deeper/></deep></unknown><show>away</show></presence>`, show: im.Away},
		13: {in: `<presence from="@@@"/>`, err: true},
		14: {in: `<presence from="a@b/r"><show>away</presence>`, err: true},
	} {
		p, err := decodePresence(t, tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%d: err = %v, want error %v", i, err, tc.err)
			continue
		}
		if tc.err {
			continue
		}
		if p.Show != tc.show || p.Status != tc.status || p.Priority != tc.priority || p.Nick != tc.nick {
			t.Errorf("%d: got show=%v status=%q prio=%d nick=%q, want %v %q %d %q", i, p.Show, p.Status, p.Priority, p.Nick, tc.show, tc.status, tc.priority, tc.nick)
		}
	}
}

func TestDecodePresenceClipsStatus(t *testing.T) {
	long := strings.Repeat("é", im.MaxStatus)
	p, err := decodePresence(t, `<presence from="a@b/r"><status>`+long+`</status></presence>`)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Status) > im.MaxStatus || !strings.HasPrefix(long, p.Status) {
		t.Fatalf("status not clipped on a rune boundary: %d bytes", len(p.Status))
	}
}

func decodeMessage(t *testing.T, s string) (im.Message, error) {
	t.Helper()
	r, start, ok := split(s)
	if !ok {
		t.Fatal("no element")
	}
	return im.DecodeMessage(r, start)
}

func TestDecodeMessage(t *testing.T) {
	stamp := time.Date(2026, 11, 20, 22, 14, 0, 0, time.UTC)
	for i, tc := range []struct {
		in     string
		body   string
		delay  time.Time
		from   string
		errCon stanza.Condition
		err    bool
	}{
		0: {in: `<message from="a@b/r" type="chat"><body>hi</body></message>`, body: "hi"},
		1: {in: `<message from="a@b/r" type="chat"><body>hi</body><delay xmlns="urn:xmpp:delay" from="b" stamp="2026-11-20T22:14:00Z">Offline Storage</delay></message>`,
			body: "hi", delay: stamp, from: "b"},
		2: {in: `<message from="a@b/r"><body>old</body><x xmlns="jabber:x:delay" stamp="20261120T22:14:00"/></message>`, body: "old", delay: stamp},
		3: {in: `<message from="a@b/r"><body>both</body><delay xmlns="urn:xmpp:delay" stamp="2026-11-20T23:14:00+01:00"/><x xmlns="jabber:x:delay" stamp="20000101T00:00:00"/></message>`,
			body: "both", delay: stamp},
		4: {in: `<message from="a@b/r"><body>bad stamp</body><delay xmlns="urn:xmpp:delay" stamp="yesterday"/></message>`, body: "bad stamp"},
		5: {in: `<message from="a@b/r" type="error" id="m1"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
			errCon: stanza.ItemNotFound},
		6: {in: `<message from="a@b/r"><body>x</body></mess>`, err: true},
		7: {in: `<message from="a@b/r"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`},
		8: {in: `<message from="a@b/r" xml:lang="fr"><body>hi</body><body xml:lang="fr">salut</body></message>`, body: "salut"},
	} {
		m, err := decodeMessage(t, tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%d: err = %v, want error %v", i, err, tc.err)
			continue
		}
		if tc.err {
			continue
		}
		if m.Body != tc.body || !m.Delay.Equal(tc.delay) || m.DelayFrom != tc.from {
			t.Errorf("%d: got body=%q delay=%v from=%q", i, m.Body, m.Delay, m.DelayFrom)
		}
		if tc.errCon != "" && (m.Err == nil || m.Err.Condition != tc.errCon) {
			t.Errorf("%d: error condition = %v, want %v", i, m.Err, tc.errCon)
		}
	}
}

func TestDecodeHugeBody(t *testing.T) {
	body := strings.Repeat("a", im.MaxBody+10)
	m, err := decodeMessage(t, `<message from="a@b/r"><body>`+body+`</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Truncated || len(m.Body) != im.MaxBody {
		t.Fatalf("truncated=%v len=%d", m.Truncated, len(m.Body))
	}
	m, err = decodeMessage(t, `<message from="a@b/r"><body>`+body[:1<<20-1]+`</body></message>`)
	if err != nil || m.Truncated || len(m.Body) != 1<<20-1 {
		t.Fatalf("a 1 MB body must be kept whole: err=%v truncated=%v len=%d", err, m.Truncated, len(m.Body))
	}
}

func TestBest(t *testing.T) {
	p := func(res string, show im.Show, prio int8) im.Presence {
		return im.Presence{Presence: stanza.Presence{From: jid.MustParse("a@b/" + res)}, Show: show, Priority: prio}
	}
	for i, tc := range []struct {
		in   []im.Presence
		want string
		ok   bool
	}{
		0: {in: nil},
		1: {in: []im.Presence{p("x", im.Offline, 0)}},
		2: {in: []im.Presence{p("phone", im.Away, 0), p("desk", im.Available, 0)}, want: "desk", ok: true},
		3: {in: []im.Presence{p("phone", im.Away, 10), p("desk", im.Available, 0)}, want: "phone", ok: true},
		4: {in: []im.Presence{p("phone", im.DND, 1), p("desk", im.XA, 1)}, want: "phone", ok: true},
	} {
		m := map[string]im.Presence{}
		for _, x := range tc.in {
			m[x.From.Resourcepart()] = x
		}
		got, ok := im.Best(m)
		if ok != tc.ok || (ok && got.From.Resourcepart() != tc.want) {
			t.Errorf("%d: got %v %v, want %q %v", i, got.From, ok, tc.want, tc.ok)
		}
	}
}

func TestDecodeRosterQuery(t *testing.T) {
	in := `<query xmlns="jabber:iq:roster" ver="v7">
	  <item jid="bob@example.org" name="Bob" subscription="both"><group>Friends</group><group>Work</group><group>Friends</group></item>
	  <item jid="carol@example.org" ask="subscribe"/>
	  <item jid="@@bad"/>
	  <item jid="dave@example.org/res" subscription="remove"/>
	</query>`
	r, start, _ := split(in)
	q, skipped, err := im.DecodeRosterQuery(r, start)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Present || q.Ver != "v7" || skipped != 1 || len(q.Items) != 3 {
		t.Fatalf("got %+v skipped %d", q, skipped)
	}
	bob := q.Items[0]
	if bob.Name != "Bob" || bob.Subscription != "both" || len(bob.Groups) != 2 || bob.Ask {
		t.Errorf("bob = %+v", bob)
	}
	if c := q.Items[1]; !c.Ask || c.Subscription != "none" {
		t.Errorf("carol = %+v", c)
	}
	if d := q.Items[2]; d.JID.String() != "dave@example.org" || d.Subscription != "remove" {
		t.Errorf("dave = %+v", d)
	}
}
