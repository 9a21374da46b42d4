package app_test

import (
	"errors"
	"testing"

	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// Moderation (XEP-0045 §8 to §10) between cores on a real Prosody.

// changed matches an OccupantChanged of nick in room (not a departure)
// that satisfies ok.
func changed(room, nick string, ok func(app.Occupant) bool) func(app.Event) bool {
	return func(e app.Event) bool {
		o, is := e.(app.OccupantChanged)
		return is && o.Room == room && o.Occupant.Nick == nick && !o.Left && o.NewNick == "" && ok(o.Occupant)
	}
}

// refused matches a CommandFailed with op about room.
func refused(op app.Op, room string) func(app.Event) bool {
	return func(e app.Event) bool {
		f, ok := e.(app.CommandFailed)
		return ok && f.Op == op && f.JID == room
	}
}

// TestRoomModeration: the owner makes bob a member, then an admin; in a
// moderated room she takes carol's voice and gives it back; carol may not
// do the same to bob, nor change his affiliation; the owner bans carol,
// who is told so and cannot come back; bad arguments and rooms we are not
// in are refused before anything is sent.
func TestRoomModeration(t *testing.T) {
	srv := mucServer(t)
	room := "moderated@" + srv.MUCDomain
	alice, bob, carol := online(t, srv, "alice", nil), online(t, srv, "bob", nil), online(t, srv, "carol", nil)
	alice.join(room, "alice", "")
	bob.join(room, "bob", "")
	carol.join(room, "carol", "")
	bobJID, carolJID := "bob@"+srv.Domain, "carol@"+srv.Domain

	amark, bmark := alice.mark(), bob.mark()
	alice.c.SetAffiliation(room, bobJID, muc.AffiliationMember, "welcome")
	alice.waitFrom(amark, "bob a member", changed(room, "bob", func(o app.Occupant) bool { return o.Affiliation == muc.AffiliationMember }))
	if o := bob.waitFrom(bmark, "bob told he is a member", func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Self && o.Occupant.Affiliation == muc.AffiliationMember
	}).(app.OccupantChanged); o.Room != room || o.Occupant.Nick != "bob" {
		t.Errorf("bob's own change: %+v", o)
	}
	amark = alice.mark()
	alice.c.SetAffiliation(room, bobJID, muc.AffiliationAdmin, "")
	if o := alice.waitFrom(amark, "bob an admin", changed(room, "bob", func(o app.Occupant) bool { return o.Affiliation == muc.AffiliationAdmin })).(app.OccupantChanged); o.Occupant.Role != muc.RoleModerator {
		t.Errorf("an admin is a moderator (XEP-0045 §5.1.2): %+v", o.Occupant)
	}

	// Voice in a moderated room (§8.3, §8.4).
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(room)+`):set_moderated(true)`)
	amark, cmark := alice.mark(), carol.mark()
	alice.c.SetRole(room, "carol", muc.RoleVisitor, "quiet please")
	alice.waitFrom(amark, "carol a visitor", changed(room, "carol", func(o app.Occupant) bool { return o.Role == muc.RoleVisitor }))
	carol.waitFrom(cmark, "carol told she is a visitor", func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Self && o.Occupant.Role == muc.RoleVisitor
	})
	amark = alice.mark()
	alice.c.SetRole(room, "carol", muc.RoleParticipant, "")
	alice.waitFrom(amark, "carol has voice again", changed(room, "carol", func(o app.Occupant) bool { return o.Role == muc.RoleParticipant }))

	// carol is no moderator: the room refuses her.
	cmark = carol.mark()
	carol.c.SetRole(room, "bob", muc.RoleVisitor, "")
	f := carol.waitFrom(cmark, "carol's role change refused", refused(app.OpSetRole, room)).(app.CommandFailed)
	var se stanza.Error
	if !errors.As(f.Err, &se) {
		t.Errorf("refusal without a stanza error: %v", f.Err)
	}
	cmark = carol.mark()
	carol.c.SetAffiliation(room, bobJID, muc.AffiliationOutcast, "")
	f = carol.waitFrom(cmark, "carol's ban refused", refused(app.OpSetAffiliation, room)).(app.CommandFailed)
	if !errors.As(f.Err, &se) {
		t.Errorf("refusal without a stanza error: %v", f.Err)
	}

	// The ban (§9.1).
	amark, cmark = alice.mark(), carol.mark()
	alice.c.SetAffiliation(room, carolJID, muc.AffiliationOutcast, "enough")
	l := carol.waitFrom(cmark, "carol banned", func(e app.Event) bool {
		l, ok := e.(app.RoomLeft)
		return ok && l.Room == room
	}).(app.RoomLeft)
	if l.Reason != app.LeftBanned || l.Text != "enough" {
		t.Errorf("carol's RoomLeft: %+v", l)
	}
	if o := alice.waitFrom(amark, "alice sees the ban", left(room, "carol")).(app.OccupantChanged); o.Reason != app.LeftBanned {
		t.Errorf("alice's OccupantChanged: %+v", o)
	}
	if j := carol.joinFails(room, "carol", ""); j.Condition != app.RoomBanned {
		t.Errorf("carol's rejoin: %v (%v)", j.Condition, j.Err)
	}
	// Out of the room, nothing is sent.
	cmark = carol.mark()
	carol.c.SetRole(room, "bob", muc.RoleVisitor, "")
	if f := carol.waitFrom(cmark, "not in the room", refused(app.OpSetRole, room)).(app.CommandFailed); !errors.Is(f.Err, app.ErrNotJoined) {
		t.Errorf("out of the room: %v", f.Err)
	}

	// Arguments the core refuses itself.
	for _, tc := range []struct {
		what string
		do   func()
		op   app.Op
	}{
		{"an unknown role", func() { alice.c.SetRole(room, "bob", muc.Role(9), "") }, app.OpSetRole},
		{"an empty nick", func() { alice.c.SetRole(room, "", muc.RoleVisitor, "") }, app.OpSetRole},
		{"an unknown affiliation", func() { alice.c.SetAffiliation(room, bobJID, muc.Affiliation(9), "") }, app.OpSetAffiliation},
		{"a full JID", func() { alice.c.SetAffiliation(room, bobJID+"/phone", muc.AffiliationMember, "") }, app.OpSetAffiliation},
		{"no JID", func() { alice.c.SetAffiliation(room, "", muc.AffiliationMember, "") }, app.OpSetAffiliation},
	} {
		amark = alice.mark()
		tc.do()
		alice.waitFrom(amark, tc.what+" refused", refused(tc.op, room))
	}
}
