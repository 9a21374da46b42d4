package history

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestCorrect: a correction replaces the body of the message it names,
// keeps the first body, moves the search index, and applies only to the
// same sender's message (In) or to the last one (LastOnly).
func TestCorrect(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		const peer = "juliet@capulet.example"
		in := mustAdd(t, s, Message{Peer: peer, Dir: In, MsgID: "j1", Sender: peer + "/balcony", Body: "wherefore art thou romo", Time: t0})
		out1 := mustAdd(t, s, Message{Peer: peer, Dir: Out, MsgID: "r1", Body: "first line", Time: t0.Add(time.Second), State: Sent})
		mustAdd(t, s, Message{Peer: peer, Dir: Out, MsgID: "r2", Body: "secnd line", Time: t0.Add(2 * time.Second), State: Sent})

		// Another resource of juliet, or nobody's id: nothing changes.
		for _, c := range []Correction{
			{Peer: peer, MsgID: "j1", Dir: In, Sender: peer + "/garden", Body: "forged"},
			{Peer: peer, MsgID: "j1", Dir: In, Sender: peer, Body: "forged"},
			{Peer: peer, MsgID: "r2", Dir: In, Sender: peer + "/balcony", Body: "forged"}, // ours
			{Peer: peer, MsgID: "nope", Dir: In, Sender: peer + "/balcony", Body: "forged"},
			{Peer: "other@example.org", MsgID: "j1", Dir: In, Sender: peer + "/balcony", Body: "forged"},
		} {
			if _, found, changed, err := s.Correct(ctx, c); err != nil || found || changed {
				t.Fatalf("Correct(%+v) = %v, %v, %v; want not found", c, found, changed, err)
			}
		}
		m, found, changed, err := s.Correct(ctx, Correction{Peer: peer, MsgID: "j1", Dir: In, Sender: peer + "/balcony", Body: "wherefore art thou romeo"})
		if err != nil || !found || !changed || m.ID != in || m.Body != "wherefore art thou romeo" || m.Original != "wherefore art thou romo" {
			t.Fatalf("Correct = %+v, %v, %v, %v", m, found, changed, err)
		}
		// Seen again (the server's archive): found, unchanged.
		if _, found, changed, err := s.Correct(ctx, Correction{Peer: peer, MsgID: "j1", Dir: In, Sender: peer + "/balcony", Body: "wherefore art thou romeo"}); err != nil || !found || changed {
			t.Fatalf("repeated correction: %v, %v, %v", found, changed, err)
		}
		if hits, err := s.Search(ctx, "romo", 10); err != nil || len(hits) != 0 {
			t.Fatalf("old body still found: %+v, %v", hits, err)
		}
		if hits, err := s.Search(ctx, "romeo", 10); err != nil || len(hits) != 1 || hits[0].ID != in || hits[0].Original != "wherefore art thou romo" {
			t.Fatalf("new body not found: %+v, %v", hits, err)
		}
		// The first copy again (the server's archive has it with its first
		// body) is a duplicate.
		if id, added, err := s.Add(ctx, Message{Peer: peer, Dir: In, MsgID: "j1", Body: "wherefore art thou romo", Time: t0}); err != nil || added || id != in {
			t.Fatalf("original again: %d, %v, %v", id, added, err)
		}

		// Ours: only the last one, from any resource.
		if _, found, _, err := s.Correct(ctx, Correction{Peer: peer, MsgID: "r1", Dir: Out, LastOnly: true, Body: "x"}); !errors.Is(err, ErrNotLast) || !found {
			t.Fatalf("correcting an older message: %v, %v", found, err)
		}
		if m, found, changed, err := s.Correct(ctx, Correction{Peer: peer, MsgID: "r1", Dir: Out, Body: "first line!"}); err != nil || !found || !changed || m.ID != out1 {
			t.Fatalf("carbon correcting an older message: %+v %v %v %v", m, found, changed, err)
		}
		m, found, changed, err = s.Correct(ctx, Correction{Peer: peer, MsgID: "r2", Dir: Out, LastOnly: true, Body: "second line"})
		if err != nil || !found || !changed || m.Original != "secnd line" || m.State != Sent {
			t.Fatalf("correcting the last message: %+v %v %v %v", m, found, changed, err)
		}
		// A second correction keeps the first body.
		m, _, _, err = s.Correct(ctx, Correction{Peer: peer, MsgID: "r2", Dir: Out, LastOnly: true, Body: "second line."})
		if err != nil || m.Original != "secnd line" || m.Body != "second line." {
			t.Fatalf("second correction: %+v %v", m, err)
		}
		page, err := s.Page(ctx, peer, Cursor{}, 10)
		if err != nil || len(page) != 3 || page[0].Body != "wherefore art thou romeo" || page[0].Sender != peer+"/balcony" || page[2].Body != "second line." {
			t.Fatalf("page after corrections: %+v, %v", page, err)
		}
	})
}

// TestMigrateFromV5: an archive of version 5 gains the correction columns,
// empty for its messages, which can then be corrected.
func TestMigrateFromV5(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v5.db")
	db := rawDB(t, path)
	if _, err := db.Exec(migration1V1); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[1:5] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`PRAGMA user_version = 5`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO messages (peer, dir, msg_id, time, body, state)
		VALUES ('old@example.org', 1, 'a', ?, 'written by version five', 2)`, t0.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, found, changed, err := s.Correct(ctx, Correction{Peer: "old@example.org", MsgID: "a", Dir: Out, LastOnly: true, Body: "corrected by version six"})
	if err != nil || !found || !changed || m.Original != "written by version five" || m.Sender != "" {
		t.Fatalf("correcting an old message: %+v %v %v %v", m, found, changed, err)
	}
	if hits, err := s.Search(ctx, "six", 10); err != nil || len(hits) != 1 {
		t.Fatalf("search after correction: %+v, %v", hits, err)
	}
}

// TestCorrectRoomLine: a room line is corrected only through the room
// rules the caller passes: the same nick, or the same occupant id; never
// a line of another room, a 1:1 message with the same id, or (for Dir In)
// with neither named. Our own last line (Dir Out, LastOnly) is corrected
// whatever nick it was sent under. CheckOnly changes nothing and finds
// only a line that already has the body.
func TestCorrectRoomLine(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		const room = "room@conference.example"
		bob := mustAdd(t, s, Message{Peer: room, Room: true, Nick: "bob", Dir: In, MsgID: "b1", Body: "lunh?", Time: t0})
		occ := mustAdd(t, s, Message{Peer: room, Room: true, Nick: "carol", Dir: In, MsgID: "c1", OccupantID: "occ-carol", Body: "helo", Time: t0.Add(time.Second)})
		mine := mustAdd(t, s, Message{Peer: room, Room: true, Nick: "alice", Dir: Out, MsgID: "a1", Body: "yse", Time: t0.Add(2 * time.Second), State: Sent})
		mustAdd(t, s, Message{Peer: "bob@example", Dir: In, MsgID: "b1", Sender: "bob@example/x", Body: "1:1", Time: t0})

		for _, c := range []Correction{
			{Peer: room, Room: true, MsgID: "b1", Dir: In, Body: "forged"},                            // nobody named
			{Peer: room, Room: true, MsgID: "b1", Dir: In, Nick: "mallory", Body: "forged"},           // another nick
			{Peer: room, Room: true, MsgID: "c1", Dir: In, OccupantID: "occ-mallory", Body: "forged"}, // another occupant
			{Peer: room, Room: true, MsgID: "b1", Dir: In, OccupantID: "occ-bob", Body: "forged"},     // bob's line has none
			{Peer: "other@conference.example", Room: true, MsgID: "b1", Dir: In, Nick: "bob", Body: "forged"},
			{Peer: room, Room: true, MsgID: "a1", Dir: In, Nick: "alice", Body: "forged"}, // ours
			{Peer: room, MsgID: "b1", Dir: In, Sender: room + "/bob", Body: "forged"},     // not as a 1:1 message
		} {
			if _, found, changed, err := s.Correct(ctx, c); err != nil || found || changed {
				t.Fatalf("Correct(%+v) = %v, %v, %v; want not found", c, found, changed, err)
			}
		}
		// CheckOnly: bob's line does not have the body yet; nothing changes.
		if _, found, changed, err := s.Correct(ctx, Correction{Peer: room, Room: true, MsgID: "b1", Dir: In, Nick: "bob", CheckOnly: true, Body: "lunch?"}); err != nil || found || changed {
			t.Fatalf("check before: %v, %v, %v", found, changed, err)
		}
		m, found, changed, err := s.Correct(ctx, Correction{Peer: room, Room: true, MsgID: "b1", Dir: In, Nick: "bob", Body: "lunch?"})
		if err != nil || !found || !changed || m.ID != bob || m.Original != "lunh?" || !m.Room || m.Nick != "bob" {
			t.Fatalf("by nick: %+v, %v, %v, %v", m, found, changed, err)
		}
		if _, found, changed, err := s.Correct(ctx, Correction{Peer: room, Room: true, MsgID: "b1", Dir: In, Nick: "bob", CheckOnly: true, Body: "lunch?"}); err != nil || !found || changed {
			t.Fatalf("check after: %v, %v, %v", found, changed, err)
		}
		m, found, changed, err = s.Correct(ctx, Correction{Peer: room, Room: true, MsgID: "c1", Dir: In, OccupantID: "occ-carol", Body: "hello"})
		if err != nil || !found || !changed || m.ID != occ || m.OccupantID != "occ-carol" {
			t.Fatalf("by occupant id: %+v, %v, %v, %v", m, found, changed, err)
		}
		// Ours: only the last of our lines.
		mustAdd(t, s, Message{Peer: room, Room: true, Nick: "alice2", Dir: Out, MsgID: "a2", Body: "more", Time: t0.Add(3 * time.Second), State: Sent})
		if _, found, _, err := s.Correct(ctx, Correction{Peer: room, Room: true, MsgID: "a1", Dir: Out, LastOnly: true, Body: "yes"}); !errors.Is(err, ErrNotLast) || !found {
			t.Fatalf("correcting an older line of ours: %v, %v", found, err)
		}
		mustAdd(t, s, Message{Peer: room, Room: true, Nick: "bob", Dir: In, MsgID: "b2", Body: "after", Time: t0.Add(4 * time.Second)})
		if m, found, changed, err := s.Correct(ctx, Correction{Peer: room, Room: true, MsgID: "a2", Dir: Out, LastOnly: true, Body: "more!"}); err != nil || !found || !changed || m.Nick != "alice2" {
			t.Fatalf("correcting our last line: %+v %v %v %v", m, found, changed, err)
		}
		if m, found, changed, err := s.Correct(ctx, Correction{Peer: room, Room: true, MsgID: "a1", Dir: Out, Body: "yes"}); err != nil || !found || !changed || m.ID != mine {
			t.Fatalf("our line by another client: %+v %v %v %v", m, found, changed, err)
		}
		page, err := s.Page(ctx, "bob@example", Cursor{}, 10)
		if err != nil || len(page) != 1 || page[0].Body != "1:1" {
			t.Fatalf("the 1:1 message: %+v, %v", page, err)
		}
	})
}

// TestMigrateFromV7: an archive of version 7 gains the occupant id column,
// empty for its lines, which can still be corrected by nick.
func TestMigrateFromV7(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v7.db")
	db := rawDB(t, path)
	if _, err := db.Exec(migration1V1); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[1:7] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`PRAGMA user_version = 7`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO messages (peer, dir, msg_id, time, body, state, room, nick)
		VALUES ('room@conference.example', 0, 'b1', ?, 'writen by version seven', 0, 1, 'bob')`, t0.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, found, _, err := s.Correct(ctx, Correction{Peer: "room@conference.example", Room: true, MsgID: "b1", Dir: In, OccupantID: "x", Body: "forged"}); err != nil || found {
		t.Fatalf("an old line matched an occupant id: %v, %v", found, err)
	}
	m, found, changed, err := s.Correct(ctx, Correction{Peer: "room@conference.example", Room: true, MsgID: "b1", Dir: In, Nick: "bob", Body: "written by version seven"})
	if err != nil || !found || !changed || m.OccupantID != "" || m.Original != "writen by version seven" {
		t.Fatalf("correcting an old line: %+v %v %v %v", m, found, changed, err)
	}
	if hits, err := s.Search(ctx, "written", 10); err != nil || len(hits) != 1 {
		t.Fatalf("search after correction: %+v, %v", hits, err)
	}
}
