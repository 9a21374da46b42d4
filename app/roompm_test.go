package app

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// TestPrivateMessageCarriesMUCUser: a private message to an occupant
// carries the muc#user <x/> (XEP-0045 §7.5) as its last child, and the
// rest of it unchanged; the outbox tells private messages by their peer.
func TestPrivateMessageCarriesMUCUser(t *testing.T) {
	to := jid.MustParse("room@conference.example.org/Bob")
	msg := im.Message{Message: stanza.Message{ID: "m1", To: to, Type: stanza.ChatMessage}, Body: "psst", OriginID: "m1"}
	var plain, got bytes.Buffer
	for _, w := range []struct {
		buf *bytes.Buffer
		r   xml.TokenReader
	}{{&plain, msg.TokenReader()}, {&got, withMUCUser(msg.TokenReader())}} {
		e := xml.NewEncoder(w.buf)
		if _, err := xmlstream.Copy(e, w.r); err != nil {
			t.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	x := `<x xmlns="http://jabber.org/protocol/muc#user"></x>`
	if want := strings.TrimSuffix(plain.String(), "</message>") + x + "</message>"; got.String() != want {
		t.Errorf("got  %s\nwant %s", got.String(), want)
	}

	var b roomBook
	b.init()
	b.rooms["room@conference.example.org"] = &roomState{}
	for addr, want := range map[string]string{
		"room@conference.example.org/Bob":  "room@conference.example.org/Bob",
		"room@conference.example.org":      "room@conference.example.org",
		"other@conference.example.org/Bob": "other@conference.example.org",
		"alice@example.org/phone":          "alice@example.org",
	} {
		j := jid.MustParse(addr)
		if p := b.peer(j); p != want {
			t.Errorf("peer(%s) = %s, want %s", addr, p, want)
		}
		if priv := (&outMsg{to: j, peer: b.peer(j)}).private(); priv != (want == addr && j.Resourcepart() != "") {
			t.Errorf("%s: private %v", addr, priv)
		}
	}
	// Once the room is left, its occupants we talked with stay peers of
	// their own; others of the room are the room again.
	delete(b.rooms, "room@conference.example.org")
	if p := b.peer(jid.MustParse("room@conference.example.org/Bob")); p != "room@conference.example.org/Bob" {
		t.Errorf("after leaving: %s", p)
	}
	if p := b.peer(jid.MustParse("room@conference.example.org/Carol")); p != "room@conference.example.org" {
		t.Errorf("a stranger after leaving: %s", p)
	}
}
