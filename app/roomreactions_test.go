package app_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app"
)

// TestRoomReactionsWire: in a room, our reactions go to the room's bare
// JID as a groupchat message naming the line by the stanza id the room
// gave it, with a store hint and no body; the room's copy of them is ours
// and changes nothing; an occupant's reactions are from their occupant
// JID; reactions to a line by its own id, or to a line the room gave no
// stanza id, are refused; a room we are not in refuses them.
func TestRoomReactionsWire(t *testing.T) {
	conn, alice, room := fakeRoom(t)
	const me = "alice@localhost"
	conn.raw(t, selfPresence)
	alice.wait("joined", func(e app.Event) bool { _, ok := e.(app.RoomJoined); return ok })
	conn.raw(t, `<message type="groupchat" from="room@conference.localhost/bob" id="b1"><body>lunch?</body>`+
		`<stanza-id xmlns="urn:xmpp:sid:0" by="room@conference.localhost" id="s1"/></message>`)
	conn.raw(t, `<message type="groupchat" from="room@conference.localhost/bob" id="b2"><body>no id</body></message>`)
	alice.wait("bob's line", roomLine(room, "bob", "no id"))

	mark := alice.mark()
	alice.c.React(room, "s1", []string{"👍", "🍕"})
	s := conn.expect(t, `<reactions xmlns="urn:xmpp:reactions:0"`, `id="s1"`)
	sent := decodeSent(t, s)
	if sent.To.String() != room || sent.Type != "groupchat" || sent.Body != "" || sent.ReceiptRequested || sent.ChatState != "" ||
		sent.Reactions == nil || !reflect.DeepEqual(sent.Reactions.Emojis, []string{"👍", "🍕"}) || sent.ID == "" ||
		!strings.Contains(s, `<store xmlns="urn:xmpp:hints"`) {
		t.Fatalf("sent %s", s)
	}
	if r := alice.waitFrom(mark, "our reactions", reacted(room, "s1", me)).(app.ReactionsChanged); !reflect.DeepEqual(r.Emojis, []string{"👍", "🍕"}) {
		t.Fatalf("our reactions: %+v", r)
	}

	// The room reflects ours (the same set: nothing changes); bob reacts.
	mark = alice.mark()
	conn.raw(t, `<message type="groupchat" from="room@conference.localhost/alice" id="`+sent.ID+`"><reactions xmlns="urn:xmpp:reactions:0" id="s1">`+
		`<reaction>👍</reaction><reaction>🍕</reaction></reactions><store xmlns="urn:xmpp:hints"/>`+
		`<stanza-id xmlns="urn:xmpp:sid:0" by="room@conference.localhost" id="s2"/></message>`)
	conn.raw(t, `<message type="groupchat" from="room@conference.localhost/bob" id="r1"><reactions xmlns="urn:xmpp:reactions:0" id="s1">`+
		`<reaction>❤️</reaction></reactions></message>`)
	if r := alice.waitFrom(mark, "bob's reaction", reacted(room, "s1", room+"/bob")).(app.ReactionsChanged); !reflect.DeepEqual(r.Emojis, []string{"❤️"}) {
		t.Fatalf("bob's reaction: %+v", r)
	}
	if n := countFrom(alice, mark, reacted(room, "s1", me)); n != 0 {
		t.Fatalf("the room's copy of ours changed them %d times", n)
	}
	if n := countFrom(alice, mark, func(e app.Event) bool { _, ok := e.(app.RoomMessage); return ok }); n != 0 {
		t.Fatalf("a reaction showed as a line; events:\n%s", alice.dump())
	}

	// By the line's own id, or to the line without a stanza id.
	for _, id := range []string{"b1", ""} {
		mark = alice.mark()
		alice.c.React(room, id, []string{"👎"})
		alice.waitFrom(mark, "refused", isReactFailed)
	}
	ms := page(t, alice, room)
	if len(ms) != 2 || ms[0].StanzaID != "s1" || len(ms[0].Reactions) != 2 || ms[1].Reactions != nil {
		t.Fatalf("archive: %+v", ms)
	}

	// Out of the room: refused, nothing sent.
	alice.c.LeaveRoom(room)
	conn.expect(t, `type="unavailable"`)
	mark = alice.mark()
	alice.c.React(room, "s1", nil)
	alice.waitFrom(mark, "refused out of the room", isReactFailed)
}
