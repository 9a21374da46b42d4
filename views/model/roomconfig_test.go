package model

import (
	"testing"

	"github.com/palaver-im/palaver/app"
)

// TestRoomCreatedAndConfig: a join that created the room says so until
// the views clear it (a rejoin does not clear it); the answers about a
// room's settings pass to the views as they came.
func TestRoomCreatedAndConfig(t *testing.T) {
	a := online()
	v := newView()
	a.Joining(room, "me")
	j := joined("me")
	j.Created = true
	a.Apply([]app.Event{j}, v)
	if r := a.Rooms[room]; !r.Created {
		t.Fatal("a room we created is not said to be")
	}
	a.Apply([]app.Event{joined("me")}, v)
	if r := a.Rooms[room]; !r.Created {
		t.Error("a rejoin forgot that we created the room")
	}
	form := app.RoomConfigForm{Room: room}
	form.Acct = me
	done := app.RoomConfigured{Room: room}
	done.Acct = me
	ch := a.Apply([]app.Event{form, done}, v)
	if len(ch.RoomConfig) != 2 {
		t.Errorf("room settings answers: %+v", ch.RoomConfig)
	}
}
