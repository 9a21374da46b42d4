package app_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
)

// TestRoomReactionsOnProsody: in a room on Prosody (muc_mam stamps the
// stanza ids), alice reacts to bob's line by the stanza id the room gave
// it; alice has them as hers, bob and a third occupant as her occupant
// JID's; she changes and takes them back, and each set arrives. Bob's
// reaction reaches alice. After a restart alice's archive keeps the
// reactions, and one carol sent while alice was away comes with the
// room's history as she joins again.
func TestRoomReactionsOnProsody(t *testing.T) {
	srv := mucServer(t)
	room := "reactions@" + srv.MUCDomain
	srv.Register(t, "alice", "alice-pw")
	aliceDir := t.TempDir()
	alice := startIn(t, srv, "alice", aliceDir)
	alice.waitOnline()
	bob, carol := online(t, srv, "bob", nil), online(t, srv, "carol", nil)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	alice.join(room, "alice", "")
	bob.join(room, "bob", "")
	carol.join(room, "carol", "")

	amark, cmark := alice.mark(), carol.mark()
	bob.c.SendRoomMessage(room, "lunch?")
	line := alice.waitFrom(amark, "bob's line", roomLine(room, "bob", "lunch?")).(app.RoomMessage)
	sid := line.StanzaID
	if sid == "" {
		t.Fatalf("bob's line has no stanza id: %+v", line)
	}
	if c := carol.waitFrom(cmark, "bob's line at carol", roomLine(room, "bob", "lunch?")).(app.RoomMessage); c.StanzaID != sid {
		t.Fatalf("carol's stanza id %q, alice's %q", c.StanzaID, sid)
	}
	bob.wait("bob's own line", roomLine(room, "bob", "lunch?"))

	asAlice := room + "/alice"
	amark, bmark, cmark := alice.mark(), bob.mark(), carol.mark()
	alice.c.React(room, sid, []string{"👍"})
	emojisOf(alice, amark, room, sid, aliceJID, "👍")
	emojisOf(bob, bmark, room, sid, asAlice, "👍")
	emojisOf(carol, cmark, room, sid, asAlice, "👍")

	bmark, cmark = bob.mark(), carol.mark()
	alice.c.React(room, sid, []string{"🍕", "😋"})
	emojisOf(bob, bmark, room, sid, asAlice, "🍕", "😋")
	emojisOf(carol, cmark, room, sid, asAlice, "🍕", "😋")
	bmark, cmark = bob.mark(), carol.mark()
	alice.c.React(room, sid, nil)
	emojisOf(bob, bmark, room, sid, asAlice)
	emojisOf(carol, cmark, room, sid, asAlice)

	amark, bmark = alice.mark(), bob.mark()
	bob.c.React(room, sid, []string{"❤️"})
	emojisOf(bob, bmark, room, sid, bobJID, "❤️")
	emojisOf(alice, amark, room, sid, room+"/bob", "❤️")
	// The room's copy of her own reactions changed nothing at alice.
	if n := countFrom(alice, 0, reacted(room, sid, asAlice)); n != 0 {
		t.Fatalf("alice's own reactions came back as an occupant's %d times; events:\n%s", n, alice.dump())
	}
	if n := countFrom(alice, 0, func(e app.Event) bool { m, ok := e.(app.RoomMessage); return ok && m.Body == "" }); n != 0 {
		t.Fatalf("a reaction showed as a line")
	}

	// Away: carol reacts; alice comes back and joins again.
	alice.stop()
	cmark = carol.mark()
	carol.c.React(room, sid, []string{"🎉"})
	emojisOf(carol, cmark, room, sid, "carol@"+srv.Domain, "🎉")
	alice = startIn(t, srv, "alice", aliceDir)
	alice.waitOnline()
	ms, err := alice.c.History(context.Background(), room, history.Cursor{}, 10)
	want := []history.Reaction{{From: room + "/bob", Emojis: []string{"❤️"}}}
	if err != nil || len(ms) != 1 || ms[0].StanzaID != sid || !reflect.DeepEqual(ms[0].Reactions, want) {
		t.Fatalf("history after a restart: %+v, %v; want reactions %+v", ms, err, want)
	}
	alice.join(room, "alice", "")
	emojisOf(alice, 0, room, sid, room+"/carol", "🎉")
	ms, err = alice.c.History(context.Background(), room, history.Cursor{}, 10)
	// In either order: the archive's stamp of carol's set has whole
	// seconds, and may come before bob's, seen live.
	want = append(want, history.Reaction{From: room + "/carol", Emojis: []string{"🎉"}})
	if err == nil && len(ms) == 1 && len(ms[0].Reactions) == 2 && ms[0].Reactions[0].From != want[0].From {
		ms[0].Reactions[0], ms[0].Reactions[1] = ms[0].Reactions[1], ms[0].Reactions[0]
	}
	if err != nil || len(ms) != 1 || !reflect.DeepEqual(ms[0].Reactions, want) {
		t.Fatalf("history after the join: %+v, %v; want reactions %+v", ms, err, want)
	}
}
