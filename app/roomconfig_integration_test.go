package app_test

import (
	"errors"
	"testing"

	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/dataform"
)

// A room's configuration and destruction by its owner (XEP-0045 §10.2,
// §10.9) on a real Prosody.

func configForm(room string) func(app.Event) bool {
	return func(e app.Event) bool {
		f, ok := e.(app.RoomConfigForm)
		return ok && f.Room == room
	}
}

// roomConfig asks room's form as p and returns the answer.
func (p *probe) roomConfig(room string) app.RoomConfigForm {
	p.t.Helper()
	mark := p.mark()
	p.c.RoomConfig(room)
	return p.waitFrom(mark, p.name+" has the form of "+room, configForm(room)).(app.RoomConfigForm)
}

// forbidden reports whether err is the stanza error forbidden.
func forbidden(err error) bool {
	var se stanza.Error
	return errors.As(err, &se) && se.Condition == stanza.Forbidden
}

// TestRoomConfigByOwner: the owner of a room she created reads its form,
// names it and makes it members-only; bob, a member in the room, learns
// both (a RoomInfo after status 104), and carol may no longer enter; the
// form says so when read again. bob, no owner, may neither read the form
// nor submit it nor destroy the room; the owner destroys it, with a
// reason that bob is told.
func TestRoomConfigByOwner(t *testing.T) {
	srv := mucServer(t)
	room := "config@" + srv.MUCDomain
	alice, bob, carol := online(t, srv, "alice", nil), online(t, srv, "bob", nil), online(t, srv, "carol", nil)
	if j := alice.join(room, "alice", ""); !j.Created || j.Self.Affiliation != muc.AffiliationOwner {
		t.Fatalf("alice's join: %+v", j)
	}
	bob.join(room, "bob", "")
	amark := alice.mark()
	alice.c.SetAffiliation(room, "bob@"+srv.Domain, muc.AffiliationMember, "")
	alice.waitFrom(amark, "bob a member", changed(room, "bob", func(o app.Occupant) bool { return o.Affiliation == muc.AffiliationMember }))

	f := alice.roomConfig(room)
	if f.Err != nil {
		t.Fatalf("the owner's form: %v", f.Err)
	}
	if got := f.Form.FormType(); got != app.NSRoomConfig {
		t.Errorf("FORM_TYPE %q", got)
	}
	for name, typ := range map[string]string{
		"muc#roomconfig_roomname":    dataform.TextSingle,
		"muc#roomconfig_membersonly": dataform.Boolean,
		"muc#roomconfig_roomsecret":  dataform.TextPrivate,
	} {
		if fl, ok := f.Form.Field(name); !ok || fl.Type != typ {
			t.Errorf("field %s: %+v (%v), want a %s", name, fl, ok, typ)
		}
	}
	if fl, _ := f.Form.Field("muc#roomconfig_membersonly"); dataform.Bool(fl.Value()) {
		t.Errorf("a new room is members-only: %+v", fl)
	}

	amark, bmark := alice.mark(), bob.mark()
	alice.c.SetRoomConfig(room, dataform.Values{"muc#roomconfig_roomname": {"Tea Room"}, "muc#roomconfig_membersonly": {"1"}})
	alice.waitFrom(amark, "configured", func(e app.Event) bool {
		c, ok := e.(app.RoomConfigured)
		return ok && c.Room == room
	})
	info := bob.waitFrom(bmark, "bob told the new name", func(e app.Event) bool {
		i, ok := e.(app.RoomInfo)
		return ok && i.Room == room && i.Name == "Tea Room"
	}).(app.RoomInfo)
	if !info.MembersOnly {
		t.Errorf("bob's RoomInfo: %+v", info)
	}
	if j := carol.joinFails(room, "carol", ""); j.Condition != app.RoomMembersOnly {
		t.Errorf("carol's join: %v (%v)", j.Condition, j.Err)
	}
	f = alice.roomConfig(room)
	if name, _ := f.Form.Field("muc#roomconfig_roomname"); f.Err != nil || name.Value() != "Tea Room" {
		t.Errorf("the name read again: %+v (%v)", name, f.Err)
	}
	if mo, _ := f.Form.Field("muc#roomconfig_membersonly"); !dataform.Bool(mo.Value()) {
		t.Errorf("members-only read again: %+v", mo)
	}

	// bob is no owner.
	if f := bob.roomConfig(room); !forbidden(f.Err) {
		t.Errorf("bob's form: %v (%d fields)", f.Err, len(f.Form.Fields))
	}
	bmark = bob.mark()
	bob.c.SetRoomConfig(room, dataform.Values{"muc#roomconfig_roomname": {"Bob's"}})
	if c := bob.waitFrom(bmark, "bob's change refused", refused(app.OpRoomConfig, room)).(app.CommandFailed); !forbidden(c.Err) {
		t.Errorf("bob's change: %v", c.Err)
	}
	bmark = bob.mark()
	bob.c.DestroyRoom(room, "")
	if c := bob.waitFrom(bmark, "bob's destruction refused", refused(app.OpDestroyRoom, room)).(app.CommandFailed); !forbidden(c.Err) {
		t.Errorf("bob's destruction: %v", c.Err)
	}

	// The owner destroys it: both are told.
	amark, bmark = alice.mark(), bob.mark()
	alice.c.DestroyRoom(room, "closing time")
	roomLeft := func(e app.Event) bool {
		l, ok := e.(app.RoomLeft)
		return ok && l.Room == room
	}
	if l := bob.waitFrom(bmark, "bob told the room is gone", roomLeft).(app.RoomLeft); l.Reason != app.LeftDestroyed || l.Text != "closing time" {
		t.Errorf("bob's RoomLeft: %+v", l)
	}
	if l := alice.waitFrom(amark, "alice told the room is gone", roomLeft).(app.RoomLeft); l.Reason != app.LeftDestroyed {
		t.Errorf("alice's RoomLeft: %+v", l)
	}
	if n := alice.count(refused(app.OpDestroyRoom, room)); n != 0 {
		t.Errorf("%d refusals of alice's destruction", n)
	}

	// What the core refuses itself.
	if f := alice.roomConfig("not a room"); f.Err == nil {
		t.Error("a form of no room")
	}
}
