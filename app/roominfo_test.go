package app

import (
	"strings"
	"testing"
	"unicode/utf8"
)

const lobbyInfoXML = `<query xmlns="http://jabber.org/protocol/disco#info">
  <identity category="conference" type="text" name="The Lobby"/>
  <feature var="http://jabber.org/protocol/muc"/>
  <feature var="muc_membersonly"/>
  <feature var="muc_passwordprotected"/>
  <feature var="muc_moderated"/>
  <feature var="muc_persistent"/>
  <feature var="muc_public"/>
  <feature var="muc_nonanonymous"/>
  <feature var="urn:xmpp:mam:2"/>
  <x xmlns="jabber:x:data" type="result">
    <field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roominfo</value></field>
    <field var="muc#roominfo_description" label="Description"><value>Where we meet</value></field>
    <field var="muc#roominfo_occupants"><value>3</value></field>
  </x>
</query>`

func TestDecodeRoomInfo(t *testing.T) {
	d, start, _ := firstStart(t, lobbyInfoXML)
	got, err := decodeRoomInfo(d, start)
	if err != nil {
		t.Fatal(err)
	}
	want := RoomInfo{Name: "The Lobby", Description: "Where we meet", MembersOnly: true, PasswordProtected: true,
		Moderated: true, Persistent: true, Public: true, NonAnonymous: true, Archive: true}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	// An open room says the opposites (muc_open, muc_unmoderated, ...):
	// none of them sets anything; a form of another type is not read.
	d, start, _ = firstStart(t, `<query xmlns="http://jabber.org/protocol/disco#info">
		<identity category="directory" type="chatroom" name="other"/>
		<feature var="muc_open"/><feature var="muc_unmoderated"/><feature var="muc_temporary"/>
		<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE"><value>urn:example</value></field>
		<field var="muc#roominfo_description"><value>not this</value></field></x></query>`)
	got, err = decodeRoomInfo(d, start)
	if err != nil {
		t.Fatal(err)
	}
	if got != (RoomInfo{Name: "other"}) {
		t.Errorf("open room: %+v", got)
	}

	// Long names are cut; too many features is an error, not a panic.
	long := strings.Repeat("é", maxRoomName)
	d, start, _ = firstStart(t, `<query xmlns="http://jabber.org/protocol/disco#info"><identity category="conference" type="text" name="`+long+`"/></query>`)
	if got, err = decodeRoomInfo(d, start); err != nil || len(got.Name) > maxRoomName || !utf8.ValidString(got.Name) {
		t.Errorf("long name: %d bytes, %v", len(got.Name), err)
	}
	d, start, _ = firstStart(t, `<query xmlns="http://jabber.org/protocol/disco#info">`+strings.Repeat(`<feature var="x"/>`, 300)+`</query>`)
	if _, err = decodeRoomInfo(d, start); err == nil {
		t.Error("300 features accepted")
	}
}

// TestConfigChangedStatus: a room message's status 104 is spotted as the
// message goes through the handler's decoders.
func TestConfigChangedStatus(t *testing.T) {
	for s, want := range map[string]bool{
		`<message xmlns="jabber:client" type="groupchat" from="r@c"><x xmlns="http://jabber.org/protocol/muc#user"><status code="104"/></x></message>`: true,
		`<message xmlns="jabber:client" type="groupchat" from="r@c"><x xmlns="http://jabber.org/protocol/muc#user"><status code="170"/></x></message>`: false,
		`<message xmlns="jabber:client" type="groupchat" from="r@c"><x xmlns="urn:example"><status code="104"/></x></message>`:                         false,
		`<message xmlns="jabber:client" type="groupchat" from="r@c"><body>104</body></message>`:                                                        false,
	} {
		d, start, _ := firstStart(t, s)
		mu := &mucUserSpotter{r: d}
		if _, _, err := decodeRoomMessage(mu, start); err != nil {
			t.Fatal(err)
		}
		if got := configChanged(&mu.x); got != want {
			t.Errorf("%s: %v", s, got)
		}
	}
}

// FuzzRoomInfo: no disco#info answer makes the decoder panic or keep more
// than its bounds.
func FuzzRoomInfo(f *testing.F) {
	for _, s := range []string{
		lobbyInfoXML,
		`<query xmlns="http://jabber.org/protocol/disco#info"/>`,
		`<query xmlns="http://jabber.org/protocol/disco#info"><x xmlns="jabber:x:data"><field var="FORM_TYPE"/></x></query>`,
		`<query xmlns="http://jabber.org/protocol/disco#info"><x xmlns="jabber:x:data"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#roominfo</value></field><field var="muc#roominfo_description"/></x></query>`,
		`<query xmlns="urn:example"><feature var="muc_public"/></query>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, start, ok := firstStart(t, s)
		if !ok {
			return
		}
		info, err := decodeRoomInfo(d, start)
		if err != nil && info != (RoomInfo{}) {
			t.Fatalf("an error with info %+v", info)
		}
		if len(info.Name) > maxRoomName || len(info.Description) > maxRoomName {
			t.Fatalf("name %d, description %d bytes", len(info.Name), len(info.Description))
		}
		if utf8.ValidString(s) && (!utf8.ValidString(info.Name) || !utf8.ValidString(info.Description)) {
			t.Fatalf("cut inside a character: %q %q", info.Name, info.Description)
		}
	})
}
