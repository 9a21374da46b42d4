package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/internal/faultproxy"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// Group chat (XEP-0045) between cores on a real Prosody with its muc
// component (and muc_mam, which stamps the room's stanza-ids).

func mucServer(t *testing.T) *prosodytest.Server {
	t.Helper()
	return prosodytest.StartWith(t, prosodytest.Options{MUC: true})
}

// online starts user on srv and waits until signed in.
func online(t *testing.T, srv *prosodytest.Server, user string, tune func(*app.Client)) *probe {
	t.Helper()
	srv.Register(t, user, user+"-pw")
	c := app.New(accountFor(srv, user), func(context.Context) (string, error) { return user + "-pw", nil })
	if tune != nil {
		tune(c)
	}
	p := run(t, user, c)
	p.waitOnline()
	return p
}

func joinedRoom(room string) func(app.Event) bool {
	return func(e app.Event) bool {
		j, ok := e.(app.RoomJoined)
		return ok && j.Room == room
	}
}

// join joins room as nick and returns the RoomJoined.
func (p *probe) join(room, nick, password string) app.RoomJoined {
	p.t.Helper()
	mark := p.mark()
	p.c.JoinRoom(room, nick, password)
	return p.waitFrom(mark, p.name+" in "+room, joinedRoom(room)).(app.RoomJoined)
}

// joinFails joins room as nick and returns the RoomJoinFailed.
func (p *probe) joinFails(room, nick, password string) app.RoomJoinFailed {
	p.t.Helper()
	mark := p.mark()
	p.c.JoinRoom(room, nick, password)
	return p.waitFrom(mark, p.name+" refused by "+room, func(e app.Event) bool {
		f, ok := e.(app.RoomJoinFailed)
		return ok && f.Room == room
	}).(app.RoomJoinFailed)
}

func roomLine(room, nick, body string) func(app.Event) bool {
	return func(e app.Event) bool {
		m, ok := e.(app.RoomMessage)
		return ok && m.Room == room && m.Nick == nick && m.Body == body
	}
}

func entered(room, nick string) func(app.Event) bool {
	return func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Room == room && o.Occupant.Nick == nick && !o.Left && o.NewNick == ""
	}
}

func left(room, nick string) func(app.Event) bool {
	return func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Room == room && o.Occupant.Nick == nick && o.Left
	}
}

// linesOnce checks that every body arrived exactly once at p as a
// RoomMessage of room, and is in p's archive once.
func linesOnce(t *testing.T, p *probe, room string, bodies ...string) {
	t.Helper()
	for _, body := range bodies {
		p.wait(p.name+" got "+body, func(e app.Event) bool {
			m, ok := e.(app.RoomMessage)
			return ok && m.Room == room && m.Body == body
		})
	}
	// What might still come twice has had the time to.
	time.Sleep(200 * time.Millisecond)
	for _, body := range bodies {
		if n := p.count(func(e app.Event) bool {
			m, ok := e.(app.RoomMessage)
			return ok && m.Room == room && m.Body == body
		}); n != 1 {
			t.Errorf("%s: %q arrived %d times; events:\n%s", p.name, body, n, p.dump())
		}
	}
	msgs, err := p.c.History(context.Background(), room, history.Cursor{}, 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range bodies {
		n := 0
		for _, m := range msgs {
			if m.Body == body {
				n++
				if !m.Room || m.Nick == "" {
					t.Errorf("%s: archived without room or nick: %+v", p.name, m)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %q is %d times in the archive", p.name, body, n)
		}
	}
}

// TestRoomTwoCores: alice creates a room (201: the core makes it an
// instant room so that others may enter), bob joins and sees her as its
// owner, both talk (each line once at each, our own marked Outgoing with
// the id SendRoomMessage gave), the subject travels, bob changes his nick
// and leaves, and each event reaches the other side.
func TestRoomTwoCores(t *testing.T) {
	srv := mucServer(t)
	room := "lobby@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)

	aj := alice.join(room, "Alice", "")
	if !aj.Created || aj.Nick != "Alice" || aj.Self.Affiliation != muc.AffiliationOwner || len(aj.Occupants) != 0 {
		t.Fatalf("alice's join: %+v", aj)
	}
	amark := alice.mark()
	bj := bob.join(room, "Bob", "")
	if bj.Created || len(bj.Occupants) != 1 || bj.Occupants[0].Nick != "Alice" || bj.Occupants[0].Affiliation != muc.AffiliationOwner {
		t.Fatalf("bob's join: %+v", bj)
	}
	alice.waitFrom(amark, "bob entered", entered(room, "Bob"))

	id := alice.c.SendRoomMessage(room, "hello <room> & all")
	own := alice.wait("alice's line reflected", roomLine(room, "Alice", "hello <room> & all")).(app.RoomMessage)
	if !own.Outgoing || own.ID != id || own.StanzaID == "" || own.FromHistory || own.ArchiveID == 0 {
		t.Errorf("alice's own line: %+v (id %s)", own, id)
	}
	got := bob.wait("alice's line", roomLine(room, "Alice", "hello <room> & all")).(app.RoomMessage)
	if got.Outgoing || got.FromHistory || got.StanzaID == "" || time.Since(got.Time) > time.Minute {
		t.Errorf("bob got %+v", got)
	}
	bob.c.SendRoomMessage(room, "hi alice")
	alice.wait("bob's line", roomLine(room, "Bob", "hi alice"))

	alice.c.SetRoomSubject(room, "Plans for Friday")
	s := bob.wait("subject", func(e app.Event) bool {
		s, ok := e.(app.RoomSubject)
		return ok && s.Subject == "Plans for Friday"
	}).(app.RoomSubject)
	if s.By != "Alice" {
		t.Errorf("subject by %q", s.By)
	}

	amark, bmark := alice.mark(), bob.mark()
	bob.c.ChangeNick(room, "Robert")
	alice.waitFrom(amark, "bob renamed", func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Occupant.Nick == "Bob" && o.NewNick == "Robert" && !o.Self
	})
	bob.waitFrom(bmark, "own rename", func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Self && o.NewNick == "Robert"
	})
	bob.c.SendRoomMessage(room, "now as Robert")
	if m := bob.wait("own line as Robert", roomLine(room, "Robert", "now as Robert")).(app.RoomMessage); !m.Outgoing {
		t.Errorf("own line after the rename not outgoing: %+v", m)
	}

	// A nickname taken is refused, and bob stays Robert.
	bmark = bob.mark()
	bob.c.ChangeNick(room, "Alice")
	bob.waitFrom(bmark, "nick change refused", func(e app.Event) bool {
		f, ok := e.(app.CommandFailed)
		return ok && f.Op == app.OpChangeNick && strings.Contains(f.Err.Error(), "conflict")
	})

	amark, bmark = alice.mark(), bob.mark()
	bob.c.LeaveRoom(room)
	bob.waitFrom(bmark, "bob left", func(e app.Event) bool {
		l, ok := e.(app.RoomLeft)
		return ok && l.Room == room && l.Reason == app.LeftByChoice
	})
	o := alice.waitFrom(amark, "alice sees bob leave", left(room, "Robert")).(app.OccupantChanged)
	if o.Reason != app.LeftByChoice {
		t.Errorf("bob left with reason %v", o.Reason)
	}
	// Gone is gone: bob's core no longer takes the room's messages.
	alice.c.SendRoomMessage(room, "after bob left")
	alice.wait("own line after bob left", roomLine(room, "Alice", "after bob left"))
	time.Sleep(200 * time.Millisecond)
	if n := bob.count(roomLine(room, "Alice", "after bob left")); n != 0 {
		t.Errorf("bob got a line after leaving")
	}
	linesOnce(t, alice, room, "hello <room> & all", "hi alice", "now as Robert")
	linesOnce(t, bob, room, "hello <room> & all", "hi alice", "now as Robert")
}

// TestRoomThreeCoresEachLineOnce: three cores in one room; a line from
// each arrives once at every core, and the late joiner gets the earlier
// lines as history, once, marked FromHistory.
func TestRoomThreeCoresEachLineOnce(t *testing.T) {
	srv := mucServer(t)
	room := "three@" + srv.MUCDomain
	cores := []*probe{online(t, srv, "alice", nil), online(t, srv, "bob", nil), online(t, srv, "carol", nil)}
	cores[0].join(room, "alice", "")
	cores[0].c.SendRoomMessage(room, "before the others")
	cores[0].wait("own first line", roomLine(room, "alice", "before the others"))
	cores[1].join(room, "bob", "")
	cores[2].join(room, "carol", "")
	h := cores[2].wait("history at carol", roomLine(room, "alice", "before the others")).(app.RoomMessage)
	if !h.FromHistory || !h.Delayed {
		t.Errorf("history line: %+v", h)
	}
	var bodies []string
	for i, p := range cores {
		body := fmt.Sprintf("line from %s", p.name)
		bodies = append(bodies, body)
		cores[i].c.SendRoomMessage(room, body)
	}
	for _, p := range cores {
		for i, body := range bodies {
			p.wait(p.name+" got "+body, roomLine(room, cores[i].name, body))
		}
	}
	for _, p := range cores {
		linesOnce(t, p, room, append(bodies, "before the others")...)
	}
}

// TestRoomKickByOwner: the owner kicks bob; bob's core reports being
// kicked (and forgets the room), alice sees him removed with the reason.
func TestRoomKickByOwner(t *testing.T) {
	srv := mucServer(t)
	room := "strict@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	alice.join(room, "alice", "")
	bob.join(room, "bob", "")
	amark, bmark := alice.mark(), bob.mark()
	alice.c.Kick(room, "bob", "too loud")
	l := bob.waitFrom(bmark, "bob kicked", func(e app.Event) bool {
		l, ok := e.(app.RoomLeft)
		return ok && l.Room == room
	}).(app.RoomLeft)
	if l.Reason != app.LeftKicked || l.Text != "too loud" {
		t.Errorf("bob's RoomLeft: %+v", l)
	}
	o := alice.waitFrom(amark, "alice sees the kick", left(room, "bob")).(app.OccupantChanged)
	if o.Reason != app.LeftKicked {
		t.Errorf("alice's OccupantChanged: %+v", o)
	}
	// bob may not kick alice back (he is not in the room any more).
	bmark = bob.mark()
	bob.c.Kick(room, "alice", "")
	bob.waitFrom(bmark, "kick refused", func(e app.Event) bool {
		f, ok := e.(app.CommandFailed)
		return ok && f.Op == app.OpKick
	})
}

// TestRoomRefusals: a wrong or missing password, a members-only room, a
// nickname in use and an overlong nickname are each refused with their
// reason; the right password lets bob in.
func TestRoomRefusals(t *testing.T) {
	srv := mucServer(t)
	secret, club := "secret@"+srv.MUCDomain, "club@"+srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	alice.join(secret, "alice", "")
	alice.join(club, "alice", "")
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(secret)+`):set_password("open sesame")`)
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(club)+`):set_members_only(true)`)

	for _, tc := range []struct {
		room, nick, password string
		want                 app.RoomFailure
	}{
		{secret, "bob", "", app.RoomPasswordRequired},
		{secret, "bob", "wrong", app.RoomPasswordRequired},
		{club, "bob", "", app.RoomMembersOnly},
		{secret, strings.Repeat("n", 10000), "open sesame", app.RoomNickInvalid},
		{"not a room", "bob", "", app.RoomAddressInvalid},
	} {
		f := bob.joinFails(tc.room, tc.nick, tc.password)
		if f.Condition != tc.want {
			t.Errorf("join %s as %.10q with %q: %v (%v), want %v", tc.room, tc.nick, tc.password, f.Condition, f.Err, tc.want)
		}
		if len(f.Nick) > app.MaxNick {
			t.Errorf("the refusal repeats a nick of %d bytes", len(f.Nick))
		}
	}
	// A taken nickname in an open room.
	if f := bob.joinFails(secret, "alice", "open sesame"); f.Condition != app.RoomNickInUse {
		t.Errorf("taken nick: %v", f.Condition)
	}
	j := bob.join(secret, "bob", "open sesame")
	if j.Nick != "bob" || len(j.Occupants) != 1 {
		t.Errorf("bob's join with the password: %+v", j)
	}
}

// TestRoomHistoryOnJoinWithoutDuplicates: the room sends its history on
// every join; bob joins, leaves and joins again, and each line is shown
// and archived once. The rejoin asks only for what came since.
func TestRoomHistoryOnJoinWithoutDuplicates(t *testing.T) {
	srv := mucServer(t)
	room := "history@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	alice.join(room, "alice", "")
	for i := range 3 {
		alice.c.SendRoomMessage(room, fmt.Sprintf("early %d", i))
	}
	alice.wait("own early lines", roomLine(room, "alice", "early 2"))
	bob.join(room, "bob", "")
	linesOnce(t, bob, room, "early 0", "early 1", "early 2")
	bob.c.LeaveRoom(room)
	alice.c.SendRoomMessage(room, "while bob was out")
	alice.wait("own line", roomLine(room, "alice", "while bob was out"))
	bob.join(room, "bob", "")
	linesOnce(t, bob, room, "early 0", "early 1", "early 2", "while bob was out")
}

// TestRoomRejoinAfterConnectionDrop: bob's connection drops (fault proxy)
// and a new session starts: his core rejoins by itself, gets the line
// sent while he was away once, and talks again.
func TestRoomRejoinAfterConnectionDrop(t *testing.T) {
	srv := mucServer(t)
	px := faultproxy.Start(t, srv.Addr)
	room := "drop@" + srv.MUCDomain
	alice := online(t, srv, "alice", nil)
	srv.Register(t, "bob", "bob-pw")
	acct := accountFor(srv, "bob")
	acct.Host, acct.Port = px.Host(), px.Port()
	bob := start(t, "bob", acct, "bob-pw")
	bob.waitOnline()
	alice.join(room, "alice", "")
	bob.join(room, "bob", "")
	alice.c.SendRoomMessage(room, "before the drop")
	bob.wait("line before", roomLine(room, "alice", "before the drop"))

	amark, bmark := alice.mark(), bob.mark()
	px.Refuse(true)
	px.DropAll()
	bob.waitFrom(bmark, "bob waiting", isState(app.Waiting))
	alice.waitFrom(amark, "bob gone from the room", left(room, "bob"))
	alice.c.SendRoomMessage(room, "while bob was away")
	alice.wait("own line", roomLine(room, "alice", "while bob was away"))
	px.Refuse(false)
	j := bob.waitWithin(2*waitTimeout, bmark, "bob rejoined", joinedRoom(room)).(app.RoomJoined)
	if !j.Rejoined || j.Nick != "bob" {
		t.Errorf("rejoin: %+v", j)
	}
	alice.waitFrom(amark, "bob back", entered(room, "bob"))
	bob.c.SendRoomMessage(room, "back again")
	alice.wait("bob's line after the rejoin", roomLine(room, "bob", "back again"))
	linesOnce(t, bob, room, "before the drop", "while bob was away", "back again")
}

// TestRoomSelfPingRejoinsAfterServiceRestart: the room forgets every
// occupant without a word, as a group chat service that restarts without
// its state does. (Reloading Prosody's muc module is no such restart: it
// saves and restores the rooms with their occupants, mod_muc.lua
// module.unload; the room's occupant tables are emptied through the
// admin shell instead.) No connection drops; the cores notice by
// self-ping (XEP-0410) after a silence, rejoin, and talk again.
func TestRoomSelfPingRejoinsAfterServiceRestart(t *testing.T) {
	srv := mucServer(t)
	room := "pinged@" + srv.MUCDomain
	fast := func(c *app.Client) { app.SetRoomTimes(c, 500*time.Millisecond, time.Second) }
	alice, bob := online(t, srv, "alice", fast), online(t, srv, "bob", fast)
	alice.join(room, "alice", "")
	bob.join(room, "bob", "")
	amark, bmark := alice.mark(), bob.mark()
	srv.Shell(t, `>local r = prosody.hosts[`+prosodytest.LuaString(srv.MUCDomain)+`].modules.muc.get_room_from_jid(`+
		prosodytest.LuaString(room)+`); r._occupants = {}; r._jid_nick = {}`)
	for _, p := range []*probe{alice, bob} {
		mark := amark
		if p == bob {
			mark = bmark
		}
		j := p.waitFrom(mark, p.name+" rejoined by self-ping", joinedRoom(room)).(app.RoomJoined)
		if !j.Rejoined {
			t.Errorf("%s: %+v", p.name, j)
		}
	}
	alice.c.SendRoomMessage(room, "still here?")
	bob.waitFrom(bmark, "line after the restart", roomLine(room, "alice", "still here?"))
	for _, p := range []*probe{alice, bob} {
		if n := p.count(func(e app.Event) bool { s, ok := e.(app.StateChanged); return ok && s.State == app.Waiting }); n != 0 {
			t.Errorf("%s: the connection dropped (%d); the test wants a room lost alone", p.name, n)
		}
	}
}

// TestRoomRejoinAfterServerRestart: the whole server restarts (the
// connection drops, no session to resume): both cores sign in again and
// rejoin the room, which the rejoin recreates.
func TestRoomRejoinAfterServerRestart(t *testing.T) {
	srv := mucServer(t)
	room := "restart@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	alice.join(room, "alice", "")
	bob.join(room, "bob", "")
	amark, bmark := alice.mark(), bob.mark()
	srv.Restart(t)
	for _, p := range []*probe{alice, bob} {
		mark := amark
		if p == bob {
			mark = bmark
		}
		p.waitWithin(2*waitTimeout, mark, p.name+" rejoined after the restart", joinedRoom(room))
	}
	bob.c.SendRoomMessage(room, "after the restart")
	alice.wait("bob's line after the restart", roomLine(room, "bob", "after the restart"))
}
