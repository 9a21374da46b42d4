package history

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestReact: a sender's set replaces their last one, in the page of the
// message reacted to; taken back, it is gone; an older set, a reaction to
// nothing archived, or to another conversation's message changes nothing.
func TestReact(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		const (
			peer = "bob@example.org"
			me   = "alice@example.org"
		)
		mustAdd(t, s, Message{Peer: peer, Dir: In, MsgID: "b1", Body: "hi", Time: t0})
		mustAdd(t, s, Message{Peer: peer, Dir: Out, MsgID: "a1", Body: "hello", Time: t0.Add(time.Second), State: Sent})
		mustAdd(t, s, Message{Peer: "eve@example.org", Dir: In, MsgID: "e1", Body: "psst", Time: t0})

		react := func(c ReactionChange, wantFound, wantChanged bool) {
			t.Helper()
			found, changed, err := s.React(ctx, c)
			if err != nil || found != wantFound || changed != wantChanged {
				t.Fatalf("React(%+v) = %v, %v, %v; want %v, %v", c, found, changed, err, wantFound, wantChanged)
			}
		}
		at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Minute) }
		react(ReactionChange{Peer: peer, MsgID: "b1", From: me, Emojis: []string{"👍"}, Time: at(1)}, true, true)
		react(ReactionChange{Peer: peer, MsgID: "b1", From: peer, Emojis: []string{"❤️", "😂"}, Time: at(2)}, true, true)
		react(ReactionChange{Peer: peer, MsgID: "a1", From: peer, Emojis: []string{"🎉"}, Time: at(2)}, true, true)
		// The same set again, in another order: unchanged.
		react(ReactionChange{Peer: peer, MsgID: "b1", From: peer, Emojis: []string{"😂", "❤️"}, Time: at(3)}, true, false)
		// To nothing archived, or to a message of another conversation.
		react(ReactionChange{Peer: peer, MsgID: "nope", From: peer, Emojis: []string{"👍"}, Time: at(3)}, false, false)
		react(ReactionChange{Peer: peer, MsgID: "e1", From: peer, Emojis: []string{"👍"}, Time: at(3)}, false, false)
		react(ReactionChange{Peer: "eve@example.org", MsgID: "b1", From: "eve@example.org", Emojis: []string{"💩"}, Time: at(3)}, false, false)

		page, err := s.Page(ctx, peer, Cursor{}, 10)
		if err != nil || len(page) != 2 {
			t.Fatalf("page: %+v, %v", page, err)
		}
		want := []Reaction{{From: me, Emojis: []string{"👍"}}, {From: peer, Emojis: []string{"❤️", "😂"}}}
		if !reflect.DeepEqual(page[0].Reactions, want) {
			t.Fatalf("reactions to b1: %+v, want %+v", page[0].Reactions, want)
		}
		if want := []Reaction{{From: peer, Emojis: []string{"🎉"}}}; !reflect.DeepEqual(page[1].Reactions, want) {
			t.Fatalf("reactions to a1: %+v, want %+v", page[1].Reactions, want)
		}

		// Changed, then an older set (the server's archive replaying it):
		// the newer stays.
		react(ReactionChange{Peer: peer, MsgID: "b1", From: me, Emojis: []string{"👎"}, Time: at(5)}, true, true)
		react(ReactionChange{Peer: peer, MsgID: "b1", From: me, Emojis: []string{"👍"}, Time: at(1)}, true, false)
		// Taken back; taking back again, or an older set, changes nothing.
		react(ReactionChange{Peer: peer, MsgID: "b1", From: peer, Emojis: nil, Time: at(6)}, true, true)
		react(ReactionChange{Peer: peer, MsgID: "b1", From: peer, Emojis: []string{}, Time: at(7)}, true, false)
		react(ReactionChange{Peer: peer, MsgID: "b1", From: peer, Emojis: []string{"❤️"}, Time: at(2)}, true, false)
		// Taking back what was never there records nothing.
		react(ReactionChange{Peer: peer, MsgID: "a1", From: me, Emojis: nil, Time: at(6)}, true, false)

		rs, err := s.Reactions(ctx, peer, "b1")
		if want := []Reaction{{From: me, Emojis: []string{"👎"}}}; err != nil || !reflect.DeepEqual(rs, want) {
			t.Fatalf("reactions to b1 now: %+v, %v; want %+v", rs, err, want)
		}
	})
}

// TestReply: a reply keeps the id and author it answers and its quotation
// range, which Text leaves out; a range that is not one of the body is
// not stored; a correction shows the new body whole.
func TestReply(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		const peer = "bob@example.org"
		body := "> Grüße\n> zwei\nja, gern"
		quote := len("> Grüße\n> zwei\n")
		mustAdd(t, s, Message{Peer: peer, Dir: In, MsgID: "r1", Body: body, Time: t0,
			ReplyID: "q1", ReplyTo: "alice@example.org", FallbackStart: 0, FallbackEnd: quote})
		// Inside "ü": not a range of the body.
		mustAdd(t, s, Message{Peer: peer, Dir: In, MsgID: "r2", Body: body, Time: t0.Add(time.Second),
			ReplyID: "q1", FallbackStart: 0, FallbackEnd: 5})
		mustAdd(t, s, Message{Peer: peer, Dir: In, MsgID: "r3", Body: "short", Time: t0.Add(2 * time.Second),
			ReplyID: "q1", FallbackStart: 2, FallbackEnd: 99})
		page, err := s.Page(ctx, peer, Cursor{}, 10)
		if err != nil || len(page) != 3 {
			t.Fatalf("page: %+v, %v", page, err)
		}
		m := page[0]
		if m.ReplyID != "q1" || m.ReplyTo != "alice@example.org" || m.FallbackStart != 0 || m.FallbackEnd != quote || m.Body != body || m.Text() != "ja, gern" {
			t.Fatalf("reply: %+v, text %q", m, m.Text())
		}
		for _, m := range page[1:] {
			if m.ReplyID != "q1" || m.FallbackEnd != 0 || m.Text() != m.Body {
				t.Fatalf("reply with a bad range: %+v, text %q", m, m.Text())
			}
		}
		if hits, err := s.Search(ctx, "gern", 10); err != nil || len(hits) != 2 || hits[1].ReplyID != "q1" || hits[1].Text() != "ja, gern" {
			t.Fatalf("search: %+v, %v", hits, err)
		}
		m, _, changed, err := s.Correct(ctx, Correction{Peer: peer, MsgID: "r1", Dir: In, Body: "nein"})
		if err != nil || !changed || m.Text() != "nein" || m.ReplyID != "q1" {
			t.Fatalf("corrected reply: %+v, %v, %v", m, changed, err)
		}
		page, _ = s.Page(ctx, peer, Cursor{}, 1)
		if len(page) != 1 || page[0].Text() != "short" {
			t.Fatalf("page: %+v", page)
		}
	})
}

// TestMigrateFromV6: an archive of version 6 gains the reply columns,
// empty for its messages, and the reactions table; its messages keep
// their bodies, corrections and search, and can be reacted to.
func TestMigrateFromV6(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v6.db")
	db := rawDB(t, path)
	if _, err := db.Exec(migration1V1); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[1:6] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`PRAGMA user_version = 6`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO messages (peer, dir, msg_id, time, body, state, sender, original)
		VALUES ('old@example.org', 0, 'o1', ?, '> quoted' || char(10) || 'written by version six', 0, 'old@example.org/res', 'writen by version six')`, t0.UnixMicro()); err != nil {
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
	page, err := s.Page(ctx, "old@example.org", Cursor{}, 10)
	if err != nil || len(page) != 1 {
		t.Fatalf("page after migration: %+v, %v", page, err)
	}
	m := page[0]
	if m.Body != "> quoted\nwritten by version six" || m.Text() != m.Body || m.Original != "writen by version six" || m.Sender != "old@example.org/res" ||
		m.ReplyID != "" || m.ReplyTo != "" || m.FallbackEnd != 0 || m.Reactions != nil {
		t.Fatalf("old message after migration: %+v", m)
	}
	if found, changed, err := s.React(ctx, ReactionChange{Peer: "old@example.org", MsgID: "o1", From: "old@example.org", Emojis: []string{"👍"}}); err != nil || !found || !changed {
		t.Fatalf("reacting to an old message: %v, %v, %v", found, changed, err)
	}
	if rs, err := s.Reactions(ctx, "old@example.org", "o1"); err != nil || len(rs) != 1 || rs[0].Emojis[0] != "👍" {
		t.Fatalf("reactions after migration: %+v, %v", rs, err)
	}
	if hits, err := s.Search(ctx, "six", 10); err != nil || len(hits) != 1 {
		t.Fatalf("search after migration: %+v, %v", hits, err)
	}
}

// FuzzText: whatever range a reply names, Text never panics, gives Body
// when the range is not a valid one of it, and else Body without exactly
// that range; Add stores a range only when valid.
func FuzzText(f *testing.F) {
	for _, c := range []struct {
		body       string
		start, end int
	}{{"> a\nb", 0, 4}, {"Grüße", 0, 3}, {"x", -1, 1}, {"xy", 1, 1}, {"\xff\xfe", 0, 1}, {"", 0, 0}} {
		f.Add(c.body, c.start, c.end)
	}
	s, err := Open("")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, body string, start, end int) {
		m := Message{Peer: "bob@example.org", Dir: In, Body: body, ReplyID: "q", FallbackStart: start, FallbackEnd: end}
		text := m.Text()
		fs, fe := m.fallback()
		if fe == 0 {
			if text != body {
				t.Fatalf("no valid range, Text %q of %q", text, body)
			}
		} else if fs != start || fe != end || text != body[:start]+body[end:] || len(text) >= len(body) {
			t.Fatalf("range %d-%d of %q: Text %q", start, end, body, text)
		}
		id, _, err := s.Add(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := s.Page(ctx, m.Peer, Cursor{Time: time.Now().Add(time.Hour), ID: id + 1}, 1)
		if err != nil || len(ms) != 1 || ms[0].ID != id {
			t.Fatalf("page: %+v, %v", ms, err)
		}
		if ms[0].FallbackStart != fs || ms[0].FallbackEnd != fe || ms[0].Text() != text {
			t.Fatalf("stored %d-%d, text %q; want %d-%d, %q", ms[0].FallbackStart, ms[0].FallbackEnd, ms[0].Text(), fs, fe, text)
		}
	})
}

// TestReactRoom: in a room, reactions name a message by the stanza id the
// room gave it (XEP-0444 §4), not by its own id; a room message without
// a stanza id takes none, nor does any take reactions not marked as a
// room's; Page and Reactions find them by stanza id.
func TestReactRoom(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		const (
			room = "lounge@conference.example.org"
			me   = "alice@example.org"
			bob  = room + "/bob"
		)
		mustAdd(t, s, Message{Peer: room, Room: true, Nick: "bob", Dir: In, MsgID: "m1", StanzaID: "s1", Body: "hi", Time: t0})
		mustAdd(t, s, Message{Peer: room, Room: true, Nick: "carol", Dir: In, MsgID: "m2", Body: "no id", Time: t0.Add(time.Second)})
		react := func(c ReactionChange, wantFound, wantChanged bool) {
			t.Helper()
			found, changed, err := s.React(ctx, c)
			if err != nil || found != wantFound || changed != wantChanged {
				t.Fatalf("React(%+v) = %v, %v, %v; want %v, %v", c, found, changed, err, wantFound, wantChanged)
			}
		}
		at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Minute) }
		react(ReactionChange{Peer: room, Room: true, MsgID: "s1", From: me, Emojis: []string{"👍"}, Time: at(1)}, true, true)
		react(ReactionChange{Peer: room, Room: true, MsgID: "s1", From: bob, Emojis: []string{"🎉"}, Time: at(2)}, true, true)
		// By the message's own id, or to the message with no stanza id.
		react(ReactionChange{Peer: room, Room: true, MsgID: "m1", From: bob, Emojis: []string{"👎"}, Time: at(3)}, false, false)
		react(ReactionChange{Peer: room, Room: true, MsgID: "m2", From: bob, Emojis: []string{"👎"}, Time: at(3)}, false, false)
		react(ReactionChange{Peer: room, Room: true, MsgID: "s1", From: me, Emojis: nil, Time: at(4)}, true, true)
		// Not marked as a room's: no room message takes them.
		react(ReactionChange{Peer: room, MsgID: "s1", From: bob, Emojis: []string{"👎"}, Time: at(5)}, false, false)
		react(ReactionChange{Peer: room, MsgID: "m1", From: bob, Emojis: []string{"👎"}, Time: at(5)}, false, false)

		page, err := s.Page(ctx, room, Cursor{}, 10)
		if err != nil || len(page) != 2 {
			t.Fatalf("page: %+v, %v", page, err)
		}
		want := []Reaction{{From: bob, Emojis: []string{"🎉"}}}
		if !reflect.DeepEqual(page[0].Reactions, want) || page[1].Reactions != nil {
			t.Fatalf("reactions: %+v, %+v; want %+v, none", page[0].Reactions, page[1].Reactions, want)
		}
		if rs, err := s.Reactions(ctx, room, "s1"); err != nil || !reflect.DeepEqual(rs, want) {
			t.Fatalf("Reactions(s1) = %+v, %v; want %+v", rs, err, want)
		}
	})
}
