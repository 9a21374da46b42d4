package app_test

import (
	"errors"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// listRooms asks p for the rooms of service and returns the answer.
func (p *probe) listRooms(service string) app.RoomList {
	p.t.Helper()
	mark := p.mark()
	p.c.ListRooms(service)
	return p.waitFrom(mark, p.name+"'s room list", func(e app.Event) bool {
		_, ok := e.(app.RoomList)
		return ok
	}).(app.RoomList)
}

// TestRoomListFindsTheService: bob, in no room, asks his server for its
// rooms: the core finds the group chat service and lists the two rooms
// alice is in (made public), sorted by name, with their details; asked by name, the
// service answers the same.
func TestRoomListFindsTheService(t *testing.T) {
	srv := mucServer(t)
	lobby, attic := "lobby@"+srv.MUCDomain, "attic@"+srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	alice.join(lobby, "alice", "")
	alice.join(attic, "alice", "")
	// Prosody 0.12 makes rooms hidden (muc_room_default_public).
	for _, room := range []string{lobby, attic} {
		srv.Shell(t, `muc:room(`+prosodytest.LuaString(room)+`):set_public(true)`)
	}
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(lobby)+`):set_name("The Lobby")`)
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(lobby)+`):set_description("Where we meet")`)
	srv.Shell(t, `muc:room(`+prosodytest.LuaString(attic)+`):set_members_only(true)`)

	for _, service := range []string{"", srv.MUCDomain} {
		l := bob.listRooms(service)
		if l.Err != nil || l.Service != srv.MUCDomain || l.Truncated {
			t.Fatalf("list of %q: %+v", service, l)
		}
		if len(l.Rooms) != 2 {
			t.Fatalf("list of %q: %d rooms: %+v", service, len(l.Rooms), l.Rooms)
		}
		a, b := l.Rooms[0], l.Rooms[1]
		if a.JID != attic || !a.Detailed || !a.MembersOnly || a.PasswordProtected || a.Occupants < 1 {
			t.Errorf("attic: %+v", a)
		}
		if b.JID != lobby || b.Name != "The Lobby" || b.Description != "Where we meet" || !b.Detailed || b.MembersOnly || b.Occupants != 1 {
			t.Errorf("lobby: %+v", b)
		}
	}
}

// TestRoomListWithoutService: a server without a group chat service
// answers ErrNoRoomService; a malformed service is refused; offline,
// the list fails.
func TestRoomListWithoutService(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "bob", "bob-pw")
	bob := start(t, "bob", accountFor(srv, "bob"), "bob-pw")
	bob.waitOnline()
	if l := bob.listRooms(""); !errors.Is(l.Err, app.ErrNoRoomService) || l.Service != "" || len(l.Rooms) != 0 {
		t.Errorf("list: %+v", l)
	}
	if l := bob.listRooms("room@service/res"); l.Err == nil {
		t.Errorf("list of a malformed service: %+v", l)
	}
	// Offline, the answer comes at once.
	mark := bob.mark()
	srv.Stop()
	bob.waitFrom(mark, "bob offline", isState(app.Waiting))
	if l := bob.listRooms(""); l.Err == nil || len(l.Rooms) != 0 {
		t.Errorf("list while offline: %+v", l)
	}
}
