package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app/caps"
)

const nsItems = `xmlns="http://jabber.org/protocol/disco#items"`

// TestDecodeDiscoItems: the items of the query only (not deeper, not of
// another namespace), at most the limit, texts clipped.
func TestDecodeDiscoItems(t *testing.T) {
	long := strings.Repeat("x", maxRoomText+10)
	for i, tc := range []struct {
		in        string
		limit     int
		want      string
		truncated bool
	}{
		0: {`<query ` + nsItems + `><item jid="a@c" name="A"/><item jid="b@c"/><item jid="c" node="n"/></query>`, 10,
			"[{a@c A } {b@c  } {c  n}]", false},
		1: {`<query ` + nsItems + `><item jid="a@c"/><item jid="b@c"/><item jid="c@c"/></query>`, 2, "[{a@c  } {b@c  }]", true},
		2: {`<query ` + nsItems + `><x><item jid="deep@c"/></x><item xmlns="urn:other" jid="other@c"/>text</query>`, 10, "[]", false},
		3: {`<query ` + nsItems + `/>`, 10, "[]", false},
		4: {`<query ` + nsItems + `><item jid="` + long + `"/></query>`, 10, "[{" + long[:maxRoomText] + "  }]", false},
	} {
		d, start, ok := firstStart(t, tc.in)
		if !ok {
			t.Fatalf("%d: no start", i)
		}
		items, truncated, err := decodeDiscoItems(d, start, tc.limit)
		if err != nil {
			t.Errorf("%d: %v", i, err)
		}
		if got := fmt.Sprint(items); got != tc.want && !(tc.want == "[]" && len(items) == 0) {
			t.Errorf("%d: %s, want %s", i, got, tc.want)
		}
		if truncated != tc.truncated {
			t.Errorf("%d: truncated %v", i, truncated)
		}
	}
	d, start, _ := firstStart(t, `<query xmlns="http://jabber.org/protocol/disco#info"/>`)
	if _, _, err := decodeDiscoItems(d, start, 10); err == nil {
		t.Errorf("a disco#info answer taken for items")
	}
}

// A room's disco#info as Prosody answers (XEP-0045 §6.4).
const listedRoomInfo = `<query xmlns="http://jabber.org/protocol/disco#info">
<identity category="conference" type="text" name="The Lobby"/>
<feature var="http://jabber.org/protocol/muc"/><feature var="muc_membersonly"/><feature var="muc_passwordprotected"/>
<x xmlns="jabber:x:data" type="result">
<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roominfo</value></field>
<field var="muc#roominfo_description" label="Description"><value>Where we meet</value></field>
<field var="muc#roominfo_occupants" label="Number of occupants"><value>3</value></field>
</x></query>`

// TestRoomItemInfo: name, description, occupants and features from a
// room's disco#info; fields of another form are not taken.
func TestRoomItemInfo(t *testing.T) {
	for i, tc := range []struct {
		in   string
		want RoomItem
	}{
		0: {listedRoomInfo, RoomItem{JID: "r@c", Name: "The Lobby", Description: "Where we meet", Occupants: 3, MembersOnly: true, PasswordProtected: true, Detailed: true}},
		1: {`<query xmlns="http://jabber.org/protocol/disco#info"><identity category="conference" type="text"/>
<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>urn:other</value></field>
<field var="muc#roominfo_occupants"><value>7</value></field></x>
<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roominfo</value></field>
<field var="muc#roominfo_occupants"><value>-2</value></field></x></query>`,
			RoomItem{JID: "r@c", Name: "listed", Occupants: -1, Detailed: true}},
	} {
		d, start, ok := firstStart(t, tc.in)
		if !ok {
			t.Fatalf("%d: no start", i)
		}
		info, err := caps.DecodeInfo(d, start, caps.DefaultLimits)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		it := RoomItem{JID: "r@c", Name: "listed", Occupants: -1}
		roomItemInfo(&it, info)
		if it != tc.want {
			t.Errorf("%d: %+v\nwant %+v", i, it, tc.want)
		}
	}
}

// FuzzRoomList: no disco#items or disco#info answer makes the decoders
// panic or keep more than their bounds.
func FuzzRoomList(f *testing.F) {
	for _, s := range []string{
		`<query ` + nsItems + `><item jid="a@c" name="A"/><item jid="b@c"/><item jid="c" node="n"/></query>`,
		`<query ` + nsItems + `><x><item jid="deep@c"/></x><item jid="x@c"><item jid="y@c"/></item></query>`,
		listedRoomInfo,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, start, ok := firstStart(t, s)
		if !ok {
			return
		}
		if start.Name.Local == "query" && strings.HasSuffix(start.Name.Space, "#info") {
			info, err := caps.DecodeInfo(d, start, caps.DefaultLimits)
			if err != nil {
				return
			}
			it := RoomItem{Occupants: -1}
			roomItemInfo(&it, info)
			if len(it.Name) > maxRoomText || len(it.Description) > maxRoomText || it.Occupants < -1 {
				t.Fatalf("out of bounds: %+v", it)
			}
			_ = isRoomService(info)
			return
		}
		items, _, _ := decodeDiscoItems(d, start, 3)
		if len(items) > 3 {
			t.Fatalf("%d items kept", len(items))
		}
		for _, it := range items {
			if len(it.jid) > maxRoomText || len(it.name) > maxRoomText || len(it.node) > maxRoomText {
				t.Fatalf("a text out of bounds: %d %d %d", len(it.jid), len(it.name), len(it.node))
			}
		}
	})
}
