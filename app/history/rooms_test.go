package history

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestRoomDuplicates: a room's history comes again on every join
// (XEP-0045 §7.2.15); each case adds first, then second, and says whether
// second is the same message. Rooms with stanza-ids compare by them; rooms
// without compare (nick, body, time), the delayed history copy within
// RoomSkew of the live one.
func TestRoomDuplicates(t *testing.T) {
	const room = "room@conference.example.org"
	line := func(nick, body string, at time.Time, delayed bool, stanzaID string) Message {
		return Message{Peer: room, Room: true, Nick: nick, Dir: In, Body: body, Time: at, Delayed: delayed, StanzaID: stanzaID, MsgID: "same-id"}
	}
	for i, tc := range []struct {
		first, second Message
		dup           bool
	}{
		0: {line("ann", "hi", t0, false, "s1"), line("ann", "hi", t0.Add(time.Hour), true, "s1"), true},
		1: {line("ann", "hi", t0, false, "s1"), line("ann", "hi", t0, true, "s2"), false},
		// Without stanza-ids: live, then the history copy stamped by the
		// room's clock a little earlier.
		2: {line("ann", "hi", t0, false, ""), line("ann", "hi", t0.Add(-20*time.Second), true, ""), true},
		3: {line("ann", "hi", t0, false, ""), line("ann", "hi", t0.Add(-RoomSkew-time.Second), true, ""), false},
		// The same history twice: the same stamp.
		4: {line("ann", "hi", t0, true, ""), line("ann", "hi", t0, true, ""), true},
		// Two live lines alike are two messages, even with the same
		// occupant-chosen id.
		5: {line("ann", "hi", t0, false, ""), line("ann", "hi", t0.Add(time.Second), false, ""), false},
		6: {line("ann", "hi", t0, false, ""), line("bob", "hi", t0, true, ""), false},
		7: {line("ann", "hi", t0, false, ""), line("ann", "ho", t0, true, ""), false},
		// Live with a stanza-id, history without one (or the other way).
		8: {line("ann", "hi", t0, false, "s1"), line("ann", "hi", t0.Add(-time.Second), true, ""), true},
		9: {line("ann", "hi", t0, false, ""), line("ann", "hi", t0.Add(-time.Second), true, "s9"), true},
		// A 1:1 message with the room as peer is no room line.
		10: {Message{Peer: room, Dir: In, Body: "hi", Time: t0}, line("ann", "hi", t0, true, ""), false},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s := openMem(t)
			id1, added, err := s.Add(ctx, tc.first)
			if err != nil || !added {
				t.Fatalf("first: added %v, %v", added, err)
			}
			id2, added, err := s.Add(ctx, tc.second)
			if err != nil {
				t.Fatal(err)
			}
			if added == tc.dup || (tc.dup && id2 != id1) {
				t.Fatalf("second: id %d (first %d), added %v; want duplicate %v", id2, id1, added, tc.dup)
			}
			msgs, err := s.Page(ctx, room, Cursor{}, 10)
			if err != nil {
				t.Fatal(err)
			}
			if tc.dup && tc.second.StanzaID != "" && msgs[0].StanzaID == "" {
				t.Errorf("the archived copy did not take the stanza-id: %+v", msgs[0])
			}
			if msgs[len(msgs)-1].Room != (tc.second.Room || tc.first.Room) || msgs[0].Nick != tc.first.Nick {
				t.Errorf("room and nick not kept: %+v", msgs)
			}
		})
	}
}

// TestOwnRoomMessageByID: our own line (Dir Out) comes back from the room,
// and again in its history, with our id: one message.
func TestOwnRoomMessageByID(t *testing.T) {
	s := openMem(t)
	m := Message{Peer: "r@c.example", Room: true, Nick: "me", Dir: Out, MsgID: "ours", Body: "x", Time: t0, State: Sent}
	if _, added, err := s.Add(ctx, m); err != nil || !added {
		t.Fatal(added, err)
	}
	m.Time, m.Delayed, m.StanzaID = t0.Add(-5*time.Minute), true, "sid"
	if _, added, err := s.Add(ctx, m); err != nil || added {
		t.Fatalf("history copy of our line added %v, %v", added, err)
	}
}

// TestRoomsDoNotMoveTheCatchUp: the account archive's catch-up starts
// after the newest 1:1 stanza-id; a room's ids mean nothing there.
func TestRoomsDoNotMoveTheCatchUp(t *testing.T) {
	s := openMem(t)
	if _, _, err := s.Add(ctx, Message{Peer: "bob@x", Dir: In, StanzaID: "own", Time: t0, Body: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Add(ctx, Message{Peer: "r@c.x", Room: true, Nick: "n", Dir: In, StanzaID: "room's", Time: t0.Add(time.Hour), Body: "b"}); err != nil {
		t.Fatal(err)
	}
	if id, _, err := s.LastStanzaID(ctx); err != nil || id != "own" {
		t.Fatalf("LastStanzaID = %q, %v; want own", id, err)
	}
	if at, err := s.LastRoomTime(ctx, "r@c.x"); err != nil || !at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("LastRoomTime = %v, %v", at, err)
	}
	if at, err := s.LastRoomTime(ctx, "bob@x"); err != nil || !at.IsZero() {
		t.Fatalf("LastRoomTime of a 1:1 peer = %v, %v", at, err)
	}
}

// TestMigrateFromV4: an archive of version 4 gains the room columns; its
// messages are 1:1 ones and still found, searched and deduplicated.
func TestMigrateFromV4(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v4.db")
	db := rawDB(t, path)
	if _, err := db.Exec(migration1V1); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[1:4] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`PRAGMA user_version = 4`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO messages (peer, dir, msg_id, stanza_id, time, body, state)
		VALUES ('old@example.org', 0, 'a', 'sa', ?, 'written by version four', 0)`, t0.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	// Version 4 indexes new rows itself (migration3).
	if _, err := db.Exec(`INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	msgs, err := s.Page(ctx, "old@example.org", Cursor{}, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Room || msgs[0].Nick != "" || msgs[0].Body != "written by version four" {
		t.Fatalf("old message after migration: %+v, %v", msgs, err)
	}
	if id, _, err := s.LastStanzaID(ctx); err != nil || id != "sa" {
		t.Fatalf("LastStanzaID after migration = %q, %v", id, err)
	}
	if hits, err := s.Search(ctx, "four", 10); err != nil || len(hits) != 1 || hits[0].Room {
		t.Fatalf("search after migration: %+v, %v", hits, err)
	}
	if _, added, err := s.Add(ctx, Message{Peer: "r@c.example.org", Room: true, Nick: "ann", Dir: In, Body: "room line", Time: t0}); err != nil || !added {
		t.Fatalf("room message after migration: %v, %v", added, err)
	}
	if hits, err := s.Search(ctx, "room line", 10); err != nil || len(hits) != 1 || !hits[0].Room || hits[0].Nick != "ann" {
		t.Fatalf("search finds the room line with its nick: %+v, %v", hits, err)
	}
}
