package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// Room info (disco#info) and room history from the room's archive
// (XEP-0313), on Prosody's muc with muc_mam.

// withDir starts user (registered) with the local archive in dir and
// waits until signed in.
func withDir(t *testing.T, srv *prosodytest.Server, user, dir string) *probe {
	t.Helper()
	c := app.New(accountFor(srv, user), func(context.Context) (string, error) { return user + "-pw", nil })
	c.SetDataDir(dir)
	p := run(t, user, c)
	p.waitOnline()
	return p
}

// roomInfoFor matches a RoomInfo of room.
func roomInfoFor(room string) func(app.Event) bool {
	return func(e app.Event) bool {
		i, ok := e.(app.RoomInfo)
		return ok && i.Room == room
	}
}

// infoThenJoined returns the RoomInfo of room that p got after mark, and
// checks that it came before the RoomJoined after mark.
func infoThenJoined(t *testing.T, p *probe, mark int, room string) app.RoomInfo {
	t.Helper()
	info := p.waitFrom(mark, "room info", roomInfoFor(room)).(app.RoomInfo)
	p.waitFrom(mark, "joined", joinedRoom(room))
	p.mu.Lock()
	defer p.mu.Unlock()
	evs := p.events[mark:]
	i, j := slices.IndexFunc(evs, roomInfoFor(room)), slices.IndexFunc(evs, joinedRoom(room))
	if i < 0 || j < 0 || i > j {
		t.Errorf("%s: RoomInfo at %d, RoomJoined at %d", p.name, i, j)
	}
	return info
}

// readArchive joins room as nick and waits until p read the room's
// archive, then until a line that talker sends after reaches p: every
// history line is in by then. It returns the history lines, in order.
func readArchive(t *testing.T, p, talker *probe, room, nick, sync string) []app.RoomMessage {
	t.Helper()
	mark, reads := p.mark(), app.RoomArchiveReads(p.c)
	p.c.JoinRoom(room, nick, "")
	p.waitFrom(mark, "joined", joinedRoom(room))
	deadline := time.Now().Add(waitTimeout)
	for app.RoomArchiveReads(p.c) == reads {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the room's archive was not read; events:\n%s", p.name, p.dump())
		}
		time.Sleep(10 * time.Millisecond) // polling a counter
	}
	talker.c.SendRoomMessage(room, sync)
	p.waitFrom(mark, "the line after the history", roomLine(room, talker.name, sync))
	if n := p.count(func(e app.Event) bool {
		f, ok := e.(app.CommandFailed)
		return ok && f.Op == app.OpRoomHistory
	}); n != 0 {
		t.Errorf("%s: reading the archive failed; events:\n%s", p.name, p.dump())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var got []app.RoomMessage
	for _, e := range p.events[mark:] {
		if m, ok := e.(app.RoomMessage); ok && m.Room == room && m.FromHistory {
			got = append(got, m)
		}
	}
	return got
}

// bodies returns the bodies of ms.
func bodies(ms []app.RoomMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Body
	}
	return out
}

// TestRoomHistoryFromArchive: the room says it keeps an archive
// (RoomInfo.Archive, before RoomJoined); bob's first join reads its last
// lines, a rejoin in the same Run exactly those sent while he was out, a
// new Run on the same local archive those sent while it was stopped, and
// the next one nothing; each line is archived once, and bob's own line
// from the room's archive is Outgoing.
func TestRoomHistoryFromArchive(t *testing.T) {
	srv := mucServer(t)
	room := "archived@" + srv.MUCDomain
	alice := online(t, srv, "alice", nil)
	srv.Register(t, "bob", "bob-pw")
	dir := t.TempDir()
	bob := withDir(t, srv, "bob", dir)
	alice.join(room, "alice", "")
	say := func(lines ...string) {
		for _, l := range lines {
			alice.c.SendRoomMessage(room, l)
		}
		alice.wait("own "+lines[len(lines)-1], roomLine(room, "alice", lines[len(lines)-1]))
	}
	say("early 0", "early 1", "early 2")

	mark := bob.mark()
	got := readArchive(t, bob, alice, room, "bob", "sync 1")
	if info := infoThenJoined(t, bob, mark, room); !info.Archive || info.MembersOnly {
		t.Errorf("room info: %+v", info)
	}
	if want := []string{"early 0", "early 1", "early 2"}; !slices.Equal(bodies(got), want) {
		t.Fatalf("first join: %q, want %q", bodies(got), want)
	}
	for _, m := range got {
		if !m.Delayed || m.StanzaID == "" || m.Outgoing || m.Nick != "alice" || m.ArchiveID == 0 {
			t.Errorf("history line: %+v", m)
		}
	}
	bob.c.SendRoomMessage(room, "bob's own")
	bob.wait("own line", roomLine(room, "bob", "bob's own"))

	// Out and back in, in the same Run.
	bmark := bob.mark()
	bob.c.LeaveRoom(room)
	bob.waitFrom(bmark, "left", func(e app.Event) bool { l, ok := e.(app.RoomLeft); return ok && l.Room == room })
	missed := []string{"missed 0", "missed 1", "missed 2", "missed 3", "missed 4"}
	say(missed...)
	if got := readArchive(t, bob, alice, room, "bob", "sync 2"); !slices.Equal(bodies(got), missed) {
		t.Fatalf("rejoin: %q, want %q", bodies(got), missed)
	}

	// A new Run on the same archive.
	amark := alice.mark()
	bob.stop()
	alice.waitFrom(amark, "bob gone", left(room, "bob"))
	say("offline 0", "offline 1")
	bob = withDir(t, srv, "bob", dir)
	mark = bob.mark()
	if got := readArchive(t, bob, alice, room, "bob", "sync 3"); !slices.Equal(bodies(got), []string{"offline 0", "offline 1"}) {
		t.Fatalf("new Run: %q", bodies(got))
	}
	if info := infoThenJoined(t, bob, mark, room); !info.Archive {
		t.Errorf("room info of the new Run: %+v", info)
	}
	amark = alice.mark()
	bob.stop()
	alice.waitFrom(amark, "bob gone again", left(room, "bob"))
	bob = withDir(t, srv, "bob", dir)
	if got := readArchive(t, bob, alice, room, "bob", "sync 4"); len(got) != 0 {
		t.Fatalf("nothing was missed, got %q", bodies(got))
	}
	msgs, err := bob.c.History(context.Background(), room, history.Cursor{}, 500)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.Body]++
	}
	for _, b := range append([]string{"early 0", "early 2", "bob's own", "missed 4", "offline 1", "sync 1", "sync 3"}, missed...) {
		if seen[b] != 1 {
			t.Errorf("%q is %d times in the archive", b, seen[b])
		}
	}

	// A fresh archive: the room's last lines, bob's own among them.
	amark = alice.mark()
	bob.stop()
	alice.waitFrom(amark, "bob gone once more", left(room, "bob"))
	bob = withDir(t, srv, "bob", t.TempDir())
	got = readArchive(t, bob, alice, room, "bob", "sync 5")
	if len(got) != 15 {
		t.Errorf("fresh archive: %d lines %q", len(got), bodies(got))
	}
	for _, m := range got {
		if m.Outgoing != (m.Body == "bob's own") {
			t.Errorf("fresh archive: %+v", m)
		}
	}
}

// TestRoomInfoAfterConfigChange: a room that does not exist is told as
// an empty RoomInfo before the join creates it, and as it is once
// created; the owner makes the room members-only (a submitted
// configuration form), the room says its configuration changed (104) and
// the core reports the new RoomInfo.
func TestRoomInfoAfterConfigChange(t *testing.T) {
	srv := mucServer(t)
	room := "configured@" + srv.MUCDomain
	alice := online(t, srv, "alice", nil)
	mark := alice.mark()
	alice.join(room, "alice", "")
	if info := infoThenJoined(t, alice, mark, room); info.Name != "" || info.MembersOnly || info.Archive || info.Persistent {
		t.Errorf("info of a room that did not exist: %+v", info)
	}
	// Once created, it is asked again.
	alice.waitFrom(mark, "the new room's info", func(e app.Event) bool {
		i, ok := e.(app.RoomInfo)
		return ok && i.Room == room && i.Archive && !i.MembersOnly
	})
	mark = alice.mark()
	out := srv.Shell(t, fmt.Sprintf(`>local ok, e = pcall(function() local st = require "util.stanza"; local r = prosody.hosts[%s].modules.muc.get_room_from_jid(%s); `+
		`r:process_form({send = function() end}, st.iq({type = "set", id = "cfg", from = %s, to = r.jid})`+
		`:tag("query", {xmlns = "http://jabber.org/protocol/muc#owner"}):tag("x", {xmlns = "jabber:x:data", type = "submit"})`+
		`:tag("field", {var = "FORM_TYPE"}):tag("value"):text("http://jabber.org/protocol/muc#roomconfig"):up():up()`+
		`:tag("field", {var = "muc#roomconfig_membersonly"}):tag("value"):text("1"):reset()) end); print(tostring(ok) .. " " .. tostring(e))`,
		prosodytest.LuaString(srv.MUCDomain), prosodytest.LuaString(room), prosodytest.LuaString("alice@"+srv.Domain)))
	if !strings.Contains(out, "true nil") {
		t.Fatalf("the configuration form: %s", out)
	}
	info := alice.waitFrom(mark, "new room info", roomInfoFor(room)).(app.RoomInfo)
	if !info.MembersOnly || !info.Archive {
		t.Errorf("after the change: %+v; events:\n%s", info, alice.dump())
	}
}

// TestRoomHistoryWithoutArchive: a room that keeps no archive (its
// archiving turned off) says so (RoomInfo.Archive unset), and the core
// takes the history the room sends on joining, each line once, as before.
func TestRoomHistoryWithoutArchive(t *testing.T) {
	srv := mucServer(t)
	room := "unarchived@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	alice.join(room, "alice", "")
	srv.Shell(t, `>prosody.hosts[`+prosodytest.LuaString(srv.MUCDomain)+`].modules.muc.get_room_from_jid(`+
		prosodytest.LuaString(room)+`)._data.archiving = false`)
	for i := range 3 {
		alice.c.SendRoomMessage(room, fmt.Sprintf("early %d", i))
	}
	alice.wait("own early lines", roomLine(room, "alice", "early 2"))
	mark, reads := bob.mark(), app.RoomArchiveReads(bob.c)
	bob.join(room, "bob", "")
	if info := infoThenJoined(t, bob, mark, room); info.Archive {
		t.Errorf("room info: %+v", info)
	}
	linesOnce(t, bob, room, "early 0", "early 1", "early 2")
	for _, body := range []string{"early 0", "early 2"} {
		if m := bob.waitFrom(mark, body, roomLine(room, "alice", body)).(app.RoomMessage); !m.FromHistory || !m.Delayed {
			t.Errorf("history line: %+v", m)
		}
	}
	bob.c.LeaveRoom(room)
	alice.c.SendRoomMessage(room, "while bob was out")
	alice.wait("own line", roomLine(room, "alice", "while bob was out"))
	bob.join(room, "bob", "")
	linesOnce(t, bob, room, "early 0", "early 1", "early 2", "while bob was out")
	if n := app.RoomArchiveReads(bob.c); n != reads {
		t.Errorf("%d readings of a room without archive", n-reads)
	}
}
