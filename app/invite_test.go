package app

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/palaver-im/palaver/account"
)

const (
	nsMUCUser = `xmlns="http://jabber.org/protocol/muc#user"`
	nsConf    = `xmlns="jabber:x:conference"`
)

// TestDecodeInvitation: the decoder finds direct and mediated invitations
// and declines as children of the message only, the first of each, and
// clips their texts.
func TestDecodeInvitation(t *testing.T) {
	long := strings.Repeat("é", maxRoomText) // 2 bytes each
	for i, tc := range []struct {
		in   string
		want invitation
	}{
		0: {`<message xmlns="jabber:client" from="a@b/c"><x ` + nsConf + ` jid="r@c" reason="come" password="pw"/></message>`,
			invitation{direct: true, room: "r@c", directReason: "come", directPassword: "pw"}},
		// Prosody's mediated invitation: muc#user with a jabber:x:conference
		// beside it for older clients, and a body.
		1: {`<message xmlns="jabber:client" from="r@c"><body>a invited you</body><x ` + nsMUCUser + `><invite from="a@b/c"><reason>join us</reason></invite><password>pw</password></x><x ` + nsConf + ` jid="r@c">join us</x></message>`,
			invitation{direct: true, room: "r@c", invite: true, from: "a@b/c", reason: "join us", password: "pw"}},
		2: {`<message xmlns="jabber:client" from="r@c"><x ` + nsMUCUser + `><decline from="b@c"><reason>no</reason></decline></x></message>`,
			invitation{declined: true}},
		// Deeper, or another namespace: nothing.
		3: {`<message xmlns="jabber:client"><forwarded xmlns="urn:xmpp:forward:0"><message><x ` + nsConf + ` jid="r@c"/></message></forwarded></message>`, invitation{}},
		4: {`<message xmlns="jabber:client"><x xmlns="urn:example"><x ` + nsConf + ` jid="r@c"/></x><x ` + nsMUCUser + `><item><invite from="a@b"/></item></x></message>`, invitation{}},
		// The first of each counts; a reason outside the invite does not.
		5: {`<message xmlns="jabber:client"><x ` + nsMUCUser + `><reason>stray</reason><invite from="a@b"><reason>one</reason></invite><invite from="e@f"><reason>two</reason></invite></x><x ` + nsMUCUser + `><invite from="g@h"/></x></message>`,
			invitation{invite: true, from: "a@b", reason: "one"}},
		6: {`<message xmlns="jabber:client"><x ` + nsMUCUser + `><invite from="a@b"><reason>` + long + `</reason></invite><password>` + long + `</password></x></message>`,
			invitation{invite: true, from: "a@b", reason: long[:maxRoomText], password: long[:maxRoomText]}},
		7: {`<message xmlns="jabber:client"><x ` + nsConf + ` jid="r@c" reason="` + long + `"/></message>`,
			invitation{direct: true, room: "r@c", directReason: long[:maxRoomText]}},
	} {
		d, start, ok := firstStart(t, tc.in)
		if !ok {
			t.Fatalf("%d: no start", i)
		}
		_, _, got, err := decodeInvitation(d, start)
		if err != nil {
			t.Errorf("%d: %v", i, err)
		}
		if got != tc.want {
			t.Errorf("%d: got %+v\nwant %+v", i, got, tc.want)
		}
	}
}

// FuzzInvitation: no message makes the decoder panic or keep more than
// its bounds, texts stay valid UTF-8 when they came so, and the handler
// takes whatever it decoded.
func FuzzInvitation(f *testing.F) {
	for _, s := range []string{
		`<message xmlns="jabber:client" from="a@b/c"><x ` + nsConf + ` jid="r@c" reason="come" password="pw"/></message>`,
		`<message xmlns="jabber:client" from="r@c"><x ` + nsMUCUser + `><invite from="a@b/c"><reason>join us</reason></invite><password>pw</password></x><x ` + nsConf + ` jid="r@c"/></message>`,
		`<message xmlns="jabber:client" from="r@c"><x ` + nsMUCUser + `><decline from="b@c"><reason>no</reason></decline></x></message>`,
		`<message xmlns="jabber:client" type="error" id="x" from="r@c"><error type="cancel"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
		`<message xmlns="jabber:client" from="r@c"><x ` + nsMUCUser + `><invite><reason><b>nested</b>text</reason></invite></x></message>`,
	} {
		f.Add(s)
	}
	c := New(account.Account{JID: "alice@example.org"}, nil)
	h := &handler{c: c, own: "alice@example.org"}
	f.Fuzz(func(t *testing.T, s string) {
		d, start, ok := firstStart(t, s)
		if !ok {
			return
		}
		m, _, inv, _ := decodeInvitation(d, start)
		for _, v := range []string{inv.room, inv.directReason, inv.directPassword, inv.from, inv.reason, inv.password} {
			if len(v) > maxRoomText {
				t.Fatalf("a text of %d bytes", len(v))
			}
		}
		if utf8.ValidString(s) && !utf8.ValidString(inv.reason) {
			t.Fatalf("reason %q cut inside a character", inv.reason)
		}
		h.invitation(m, inv)
		c.events.Take()
	})
}

// TestInvitationRules: which messages the handler takes for invitations,
// and which of those reach the UI.
func TestInvitationRules(t *testing.T) {
	c := New(account.Account{JID: "alice@example.org"}, nil)
	h := &handler{c: c, own: "alice@example.org"}
	c.rooms.init()
	c.rooms.rooms["in@muc.example"] = &roomState{phase: roomJoined}
	c.rooms.rememberInvite(sentInvite{id: "inv1", room: "r@muc.example", op: OpInvite})
	const mediated = `<x ` + nsMUCUser + `><invite from="bob@example.org/pc"><reason>hi</reason></invite><password>pw</password></x>`
	for i, tc := range []struct {
		in    string
		taken bool
		want  string // the event, as %+v, "" for none
	}{
		0: {`<message xmlns="jabber:client" from="bob@example.org/pc"><x ` + nsConf + ` jid="r@muc.example" reason="come" password="pw"/></message>`,
			true, "{Room:r@muc.example From:bob@example.org Reason:come Password:pw Direct:true}"},
		1: {`<message xmlns="jabber:client" from="r@muc.example" type="normal">` + mediated + `</message>`,
			true, "{Room:r@muc.example From:bob@example.org Reason:hi Password:pw Direct:false}"},
		// Rooms we are in; direct ones from ourselves; no sender.
		2: {`<message xmlns="jabber:client" from="in@muc.example">` + mediated + `</message>`, true, ""},
		3: {`<message xmlns="jabber:client" from="bob@example.org"><x ` + nsConf + ` jid="in@muc.example"/></message>`, true, ""},
		4: {`<message xmlns="jabber:client" from="alice@example.org/other"><x ` + nsConf + ` jid="r@muc.example"/></message>`, true, ""},
		5: {`<message xmlns="jabber:client"><x ` + nsConf + ` jid="r@muc.example"/></message>`, true, ""},
		// Not a room: an ordinary message.
		6:  {`<message xmlns="jabber:client" from="bob@example.org"><body>x</body><x ` + nsConf + ` jid="muc.example"/></message>`, false, ""},
		7:  {`<message xmlns="jabber:client" from="bob@example.org"><x ` + nsConf + ` jid="r@muc.example/nick"/></message>`, false, ""},
		8:  {`<message xmlns="jabber:client" from="r@muc.example/nick">` + mediated + `</message>`, false, ""},
		9:  {`<message xmlns="jabber:client" from="muc.example">` + mediated + `</message>`, false, ""},
		10: {`<message xmlns="jabber:client" from="r@muc.example" type="groupchat">` + mediated + `</message>`, false, ""},
		// A semi-anonymous room names the inviter by occupant JID.
		15: {`<message xmlns="jabber:client" from="r@muc.example"><x ` + nsMUCUser + `><invite from="r@muc.example/bob"/></x></message>`,
			true, "{Room:r@muc.example From:r@muc.example/bob Reason: Password: Direct:false}"},
		// A mediated invitation that names nobody.
		11: {`<message xmlns="jabber:client" from="r@muc.example"><x ` + nsMUCUser + `><invite/></x></message>`,
			true, "{Room:r@muc.example From: Reason: Password: Direct:false}"},
		// A decline of ours, answered: taken, nothing to show.
		12: {`<message xmlns="jabber:client" from="r@muc.example"><x ` + nsMUCUser + `><decline from="bob@example.org"/></x><body>bob declined</body></message>`, true, ""},
		// The bounce of our invitation is a CommandFailed, once.
		13: {`<message xmlns="jabber:client" type="error" id="inv1" from="r@muc.example"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`, true, "CommandFailed invite r@muc.example forbidden"},
		14: {`<message xmlns="jabber:client" type="error" id="inv1" from="r@muc.example"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`, false, ""},
	} {
		d, start, ok := firstStart(t, tc.in)
		if !ok {
			t.Fatalf("%d: no start", i)
		}
		m, _, inv, err := decodeInvitation(d, start)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if taken := h.invitation(m, inv); taken != tc.taken {
			t.Errorf("%d: taken %v", i, taken)
		}
		got := ""
		for _, ev := range c.events.Take() {
			switch ev := ev.(type) {
			case RoomInvitation:
				got = fmtInvitation(ev)
			case CommandFailed:
				got = "CommandFailed " + ev.Op.String() + " " + ev.JID + " " + ev.Err.Error()
			}
		}
		if got != tc.want {
			t.Errorf("%d: got %q, want %q", i, got, tc.want)
		}
	}
}

func fmtInvitation(ev RoomInvitation) string {
	return "{Room:" + ev.Room + " From:" + ev.From + " Reason:" + ev.Reason + " Password:" + ev.Password + " Direct:" + map[bool]string{true: "true", false: "false"}[ev.Direct] + "}"
}
