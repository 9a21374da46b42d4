package app_test

import (
	"errors"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// Invitations to rooms between cores on a real Prosody: direct (XEP-0249)
// and mediated by a members-only room (XEP-0045 §7.8.2).

func invitedTo(room string) func(app.Event) bool {
	return func(e app.Event) bool {
		i, ok := e.(app.RoomInvitation)
		return ok && i.Room == room
	}
}

// rejoin has p leave room and join it again, with password.
func (p *probe) rejoin(room, nick, password string) {
	p.t.Helper()
	mark := p.mark()
	p.c.LeaveRoom(room)
	p.waitFrom(mark, p.name+" left "+room, func(e app.Event) bool {
		l, ok := e.(app.RoomLeft)
		return ok && l.Room == room
	})
	p.join(room, nick, password)
}

// TestRoomInvitationDirect: alice invites bob to an open room, then to a
// room with a password she joined with: bob's core reports each as a
// direct invitation, with the reason and the password, and bob joins with
// it. Inviting without being in the room, or a malformed address, fails.
func TestRoomInvitationDirect(t *testing.T) {
	srv := mucServer(t)
	open, locked := "open@"+srv.MUCDomain, "locked@"+srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	alice.join(open, "alice", "")

	bmark := bob.mark()
	alice.c.Invite(open, bobJID, "come in")
	inv := bob.waitFrom(bmark, "invitation to open", invitedTo(open)).(app.RoomInvitation)
	if !inv.Direct || inv.From != aliceJID || inv.Reason != "come in" || inv.Password != "" {
		t.Errorf("invitation: %+v", inv)
	}
	bob.join(inv.Room, "bob", inv.Password)

	// A room with a password, which alice joined with.
	alice.join(locked, "alice", "")
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(locked)+`):set_persistent(true)`)
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(locked)+`):set_password("s3cret")`)
	alice.rejoin(locked, "alice", "s3cret")
	bmark = bob.mark()
	alice.c.Invite(locked, bobJID, "")
	inv = bob.waitFrom(bmark, "invitation to locked", invitedTo(locked)).(app.RoomInvitation)
	if !inv.Direct || inv.From != aliceJID || inv.Reason != "" || inv.Password != "s3cret" {
		t.Errorf("invitation: %+v", inv)
	}
	bob.join(inv.Room, "bob", inv.Password)

	for _, tc := range []struct {
		what, room, to string
		notJoined      bool
	}{
		{"a room alice is not in", "elsewhere@" + srv.MUCDomain, bobJID, true},
		{"a full JID", open, bobJID + "/pc", false},
		{"no JID", open, "", false},
	} {
		amark := alice.mark()
		alice.c.Invite(tc.room, tc.to, "")
		f := alice.waitFrom(amark, tc.what, refused(app.OpInvite, tc.room)).(app.CommandFailed)
		if errors.Is(f.Err, app.ErrNotJoined) != tc.notJoined {
			t.Errorf("%s: %v", tc.what, f.Err)
		}
	}
}

// TestRoomInvitationMediated: in a members-only room alice's invitation
// goes through the room, which makes bob a member; bob's core reports it
// as mediated, from alice; bob declines (alice's core takes the room's
// word of it quietly), and may still enter as the member he now is.
func TestRoomInvitationMediated(t *testing.T) {
	srv := mucServer(t)
	club := "club@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	alice.join(club, "alice", "")
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(club)+`):set_persistent(true)`)
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(club)+`):set_members_only(true)`)
	// Joining again, alice's core learns what the room is now.
	amark := alice.mark()
	alice.rejoin(club, "alice", "")
	alice.waitFrom(amark, "club members-only", func(e app.Event) bool {
		i, ok := e.(app.RoomInfo)
		return ok && i.Room == club && i.MembersOnly
	})

	// The room hides real JIDs from occupants (Prosody's default): it
	// names alice by her occupant JID.
	bmark := bob.mark()
	alice.c.Invite(club, bobJID, "members only")
	inv := bob.waitFrom(bmark, "invitation to club", invitedTo(club)).(app.RoomInvitation)
	if inv.Direct || inv.From != club+"/alice" || inv.Reason != "members only" {
		t.Errorf("invitation: %+v", inv)
	}
	bob.c.Decline(inv, "busy")
	// What might come of the decline has had the time to.
	time.Sleep(300 * time.Millisecond)
	if n := alice.count(func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Peer == club
	}); n != 0 {
		t.Errorf("the decline reached alice as %d messages", n)
	}
	for _, ev := range []func(app.Event) bool{refused(app.OpInvite, club), refused(app.OpDecline, club)} {
		if alice.count(ev) != 0 || bob.count(ev) != 0 {
			t.Errorf("a command failed:\n%s\n%s", alice.dump(), bob.dump())
		}
	}

	// A room that shows real JIDs names alice by hers, with its password.
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(club)+`):set_whois("anyone")`)
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(club)+`):set_password("pw")`)
	bmark = bob.mark()
	alice.c.Invite(club, bobJID, "")
	inv = bob.waitFrom(bmark, "second invitation to club", invitedTo(club)).(app.RoomInvitation)
	if inv.Direct || inv.From != aliceJID || inv.Reason != "" || inv.Password != "pw" {
		t.Errorf("invitation: %+v", inv)
	}
	// The room made bob a member on the invitation (Prosody does).
	bob.join(club, "bob", inv.Password)
}
