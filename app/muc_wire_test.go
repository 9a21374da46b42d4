package app

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// firstStart returns a decoder over s positioned after its first start
// element, and that element.
func firstStart(t testing.TB, s string) (*xml.Decoder, *xml.StartElement, bool) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, false
		}
		if st, ok := tok.(xml.StartElement); ok {
			return d, &st, true
		}
	}
}

func TestDecodeRoomPresence(t *testing.T) {
	const x = `xmlns="http://jabber.org/protocol/muc#user"`
	for i, tc := range []struct {
		in    string
		check func(mucUser) bool
	}{
		0: {`<presence xmlns="jabber:client" from="r@c/n"><x ` + x + `><item affiliation="owner" role="moderator" jid="a@b/c"/><status code="110"/><status code="201"/></x></presence>`,
			func(u mucUser) bool {
				return u.present && u.has(110) && u.has(201) && parseAffiliation(u.item.affiliation) == muc.AffiliationOwner &&
					parseRole(u.item.role) == muc.RoleModerator && u.item.jid == "a@b/c"
			}},
		1: {`<presence xmlns="jabber:client" type="unavailable"><x ` + x + `><item role="none"><actor nick="boss"/><reason>too loud</reason></item><status code="307"/></x></presence>`,
			func(u mucUser) bool { return u.has(307) && u.item.actor == "boss" && u.item.reason == "too loud" }},
		2: {`<presence xmlns="jabber:client" type="unavailable"><x ` + x + `><destroy jid="new@c"><reason>moved</reason></destroy></x></presence>`,
			func(u mucUser) bool { return u.destroyed && u.alternate == "new@c" && u.destroyReason == "moved" }},
		// Only the first <x/> and its first <item/> count; an <x/> of
		// another namespace, or nested deeper, is not it.
		3: {`<presence xmlns="jabber:client"><y><x ` + x + `><status code="110"/></x></y><x ` + x + `><item nick="a"/><item nick="b"/></x><x ` + x + `><status code="110"/></x></presence>`,
			func(u mucUser) bool { return u.present && !u.has(110) && u.item.nick == "a" }},
		// Bounds: codes, text, junk codes.
		4: {`<presence xmlns="jabber:client"><x ` + x + `>` + strings.Repeat(`<status code="110"/>`, 100) + `<status code="abc"/><status code="99999"/>` +
			`<item><reason>` + strings.Repeat("r", 3*maxRoomText) + `</reason></item></x></presence>`,
			func(u mucUser) bool { return len(u.codes) == maxStatusCodes && len(u.item.reason) == maxRoomText }},
		// A reason outside the item is no reason.
		5: {`<presence xmlns="jabber:client"><x ` + x + `><reason>loose</reason><item/></x></presence>`,
			func(u mucUser) bool { return u.item.present && u.item.reason == "" }},
	} {
		d, start, ok := firstStart(t, tc.in)
		if !ok {
			t.Fatalf("%d: bad test input", i)
		}
		_, u, err := decodeRoomPresence(d, start)
		if err != nil || !tc.check(u) {
			t.Errorf("%d: %+v, %v", i, u, err)
		}
	}
}

func TestRoomFailureConditions(t *testing.T) {
	for cond, want := range map[stanza.Condition]RoomFailure{
		stanza.Conflict: RoomNickInUse, stanza.NotAuthorized: RoomPasswordRequired,
		stanza.RegistrationRequired: RoomMembersOnly, stanza.Forbidden: RoomBanned,
		stanza.ServiceUnavailable: RoomFull, stanza.ItemNotFound: RoomNotFound,
		stanza.NotAllowed: RoomNotAllowed, stanza.JIDMalformed: RoomNickInvalid,
		stanza.InternalServerError: RoomRefused,
	} {
		if got := roomFailure(&stanza.Error{Condition: cond}); got != want {
			t.Errorf("%s: %v, want %v", cond, got, want)
		}
	}
	if roomFailure(nil) != RoomRefused {
		t.Error("no error: not refused")
	}
}

func TestLeaveReasons(t *testing.T) {
	for i, tc := range []struct {
		codes     []int
		destroyed bool
		want      LeaveReason
	}{
		{nil, false, LeftByChoice}, {[]int{307}, false, LeftKicked}, {[]int{301}, false, LeftBanned},
		{[]int{321}, false, LeftAffiliation}, {[]int{322}, false, LeftMembersOnly}, {[]int{332}, false, LeftShutdown},
		{[]int{307, 333}, false, LeftError}, {[]int{110}, true, LeftDestroyed},
	} {
		if got := leaveReason(&mucUser{codes: tc.codes, destroyed: tc.destroyed}); got != tc.want {
			t.Errorf("%d: %v, want %v", i, got, tc.want)
		}
	}
}

// FuzzRoomPresence: no presence makes the decoder panic or keep more than
// its bounds.
func FuzzRoomPresence(f *testing.F) {
	for _, s := range []string{
		`<presence from="r@c/n"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="owner" role="moderator" jid="a@b/c" nick="z"><actor nick="boss"/><reason>r</reason></item><status code="110"/></x></presence>`,
		`<presence type="unavailable"><x xmlns="http://jabber.org/protocol/muc#user"><destroy jid="n@c"><reason>gone</reason></destroy><status code="332"/></x></presence>`,
		`<presence type="error"><error type="cancel"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`,
		`<presence><x xmlns="http://jabber.org/protocol/muc#user"><x xmlns="http://jabber.org/protocol/muc#user"><item/></x></x></presence>`,
		`<presence><x xmlns="http://jabber.org/protocol/muc#user"><item><reason><b>nested</b>text</reason></item></x></presence>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, start, ok := firstStart(t, s)
		if !ok {
			return
		}
		_, u, _ := decodeRoomPresence(d, start)
		if len(u.codes) > maxStatusCodes || len(u.item.reason) > maxRoomText || len(u.destroyReason) > maxRoomText {
			t.Fatalf("bounds exceeded: %d codes, reasons %d/%d", len(u.codes), len(u.item.reason), len(u.destroyReason))
		}
		_ = leaveReason(&u)
		_ = occupant("n", im.Presence{}, &u)
	})
}

// FuzzRoomMessage: no message makes the decoder panic, and a subject is
// spotted only as a child of the message.
func FuzzRoomMessage(f *testing.F) {
	for _, s := range []string{
		`<message xmlns="jabber:client" type="groupchat" from="r@c/n"><subject/></message>`,
		`<message xmlns="jabber:client" type="groupchat" from="r@c/n"><subject>topic</subject></message>`,
		`<message xmlns="jabber:client" type="groupchat" from="r@c/n"><body>hi</body><stanza-id xmlns="urn:xmpp:sid:0" by="r@c" id="1"/></message>`,
		`<message xmlns="jabber:client"><x xmlns="urn:example"><subject>inner</subject></x></message>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, start, ok := firstStart(t, s)
		if !ok {
			return
		}
		m, found, err := decodeRoomMessage(d, start)
		if err == nil && m.Subject != "" && !found && utf8.ValidString(m.Subject) {
			t.Fatalf("subject %q not spotted", m.Subject)
		}
	})
}
