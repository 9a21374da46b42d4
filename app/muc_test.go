package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
)

// Hostile room input on the fake server: what a room (or someone posing
// as one) may send that Prosody never would.

// fakeRoom signs alice in on the fake server and joins room r there: the
// server answers the join with our own presence (110) and an empty
// subject.
func fakeRoom(t *testing.T) (*fakeConn, *probe, string) {
	t.Helper()
	_, conn, alice := signIn(t)
	const room = "room@conference.localhost"
	alice.c.JoinRoom(room, "alice", "")
	join := conn.expect(t, `to="room@conference.localhost/alice"`, `http://jabber.org/protocol/muc`)
	if !strings.Contains(join, `maxstanzas="100"`) || strings.Contains(join, "since=") {
		t.Errorf("a first join asks for at most 100 lines of history and no time: %s", join)
	}
	return conn, alice, room
}

// selfPresence is the room's presence for us (110), which completes a
// join.
const selfPresence = `<presence from="room@conference.localhost/alice"><x xmlns="http://jabber.org/protocol/muc#user">` +
	`<item affiliation="member" role="participant"/><status code="110"/></x></presence>`

func occupantPresence(nick string) string {
	return fmt.Sprintf(`<presence from="room@conference.localhost/%s"><x xmlns="http://jabber.org/protocol/muc#user">`+
		`<item affiliation="none" role="participant"/></x></presence>`, nick)
}

// TestRoomOccupantFloodIsBounded: a room announces 10 000 occupants
// before our own presence; the core keeps MaxOccupants, says it left some
// out, and later joins beyond the cap and their departures cost nothing
// and show nothing.
func TestRoomOccupantFloodIsBounded(t *testing.T) {
	conn, alice, room := fakeRoom(t)
	var b strings.Builder
	for i := range 10000 {
		b.WriteString(occupantPresence(fmt.Sprintf("n%05d", i)))
	}
	conn.raw(t, b.String())
	conn.raw(t, selfPresence)
	j := alice.waitWithin(2*waitTimeout, 0, "joined", func(e app.Event) bool { _, ok := e.(app.RoomJoined); return ok }).(app.RoomJoined)
	if len(j.Occupants) != app.MaxOccupants || !j.Truncated || j.Nick != "alice" || j.Room != room {
		t.Fatalf("joined with %d occupants (truncated %v), nick %q", len(j.Occupants), j.Truncated, j.Nick)
	}
	mark := alice.mark()
	conn.raw(t, occupantPresence("n09999")+`<presence type="unavailable" from="room@conference.localhost/n09999"/>`+
		`<presence type="unavailable" from="room@conference.localhost/n00000"/>`)
	alice.waitFrom(mark, "n00000 left", func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Occupant.Nick == "n00000" && o.Left
	})
	if n := alice.count(func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Occupant.Nick == "n09999"
	}); n != 0 {
		t.Errorf("an occupant beyond the cap showed %d times", n)
	}
}

// TestRoomHostileMessages: a groupchat message from a room we are not in
// is dropped; a stanza-id an occupant wrote (by someone other than the
// room) is ignored; an overlong nick in a nick change is not taken; a
// nick of 10 000 characters is refused before anything is sent.
func TestRoomHostileMessages(t *testing.T) {
	conn, alice, room := fakeRoom(t)
	conn.raw(t, selfPresence)
	alice.wait("joined", func(e app.Event) bool { _, ok := e.(app.RoomJoined); return ok })
	conn.raw(t, `<message type="groupchat" from="other@conference.localhost/mallory" id="x1"><body>not my room</body></message>`)
	conn.raw(t, `<message type="groupchat" from="room@conference.localhost/mallory" id="x2"><body>forged id</body>`+
		`<stanza-id xmlns="urn:xmpp:sid:0" by="mallory@localhost" id="forged"/></message>`)
	m := alice.wait("the room's line", func(e app.Event) bool {
		m, ok := e.(app.RoomMessage)
		return ok && m.Body == "forged id"
	}).(app.RoomMessage)
	if m.StanzaID != "" || m.Room != room || m.Nick != "mallory" || m.Outgoing {
		t.Errorf("line with a forged stanza-id: %+v", m)
	}
	// The same line again, without a stanza-id, live: a new line (people
	// repeat themselves); as history (delayed, same stamp as its first
	// copy in history): the same line.
	stamp := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	hist := `<message type="groupchat" from="room@conference.localhost/mallory"><body>old line</body>` +
		`<delay xmlns="urn:xmpp:delay" stamp="` + stamp + `" from="room@conference.localhost"/></message>`
	conn.raw(t, hist+hist)
	conn.raw(t, `<message type="groupchat" from="room@conference.localhost/mallory"><body>end</body></message>`)
	alice.wait("end", func(e app.Event) bool { m, ok := e.(app.RoomMessage); return ok && m.Body == "end" })
	if n := alice.count(func(e app.Event) bool { m, ok := e.(app.RoomMessage); return ok && m.Body == "old line" }); n != 1 {
		t.Errorf("a history line sent twice showed %d times", n)
	}
	if n := alice.count(func(e app.Event) bool { m, ok := e.(app.RoomMessage); return ok && m.Body == "not my room" }); n != 0 {
		t.Errorf("a line from a room we are not in showed")
	}

	long := strings.Repeat("n", 10000)
	conn.raw(t, `<presence type="unavailable" from="room@conference.localhost/mallory"><x xmlns="http://jabber.org/protocol/muc#user">`+
		`<item nick="`+long+`"/><status code="303"/></x></presence>`)
	mark := alice.mark()
	alice.c.JoinRoom("big@conference.localhost", long, "")
	f := alice.waitFrom(mark, "refused", func(e app.Event) bool { _, ok := e.(app.RoomJoinFailed); return ok }).(app.RoomJoinFailed)
	if f.Condition != app.RoomNickInvalid || len(f.Nick) > app.MaxNick {
		t.Errorf("overlong nick: %v, nick of %d bytes", f.Condition, len(f.Nick))
	}
	alice.c.ChangeNick(room, long)
	alice.waitFrom(mark, "nick change refused", func(e app.Event) bool {
		c, ok := e.(app.CommandFailed)
		return ok && c.Op == app.OpChangeNick
	})
	// A private message from an occupant is a chat with its occupant JID.
	conn.raw(t, `<message type="chat" from="room@conference.localhost/bob" id="p1"><body>psst</body></message>`)
	pm := alice.wait("private message", func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Msg.Body == "psst"
	}).(app.MessageReceived)
	if pm.Peer != room+"/bob" {
		t.Errorf("private message peer %q", pm.Peer)
	}
	id := alice.c.SendRoomMessage(room, "ping")
	conn.expect(t, `type="groupchat"`, "<body>ping</body>", id)
}
