package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app"
)

func roomListEv(service string, err error, rooms ...app.RoomItem) app.RoomList {
	e := app.RoomList{Service: service, Rooms: rooms, Err: err}
	e.Acct = me
	return e
}

func item(jid, name, desc string) app.RoomItem {
	return app.RoomItem{JID: jid, Name: name, Description: desc, Occupants: -1}
}

func jids(rs []app.RoomItem) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.JID
	}
	return out
}

// TestRoomBrowse: the browser's states, the rooms' order and the filter.
func TestRoomBrowse(t *testing.T) {
	rooms := []app.RoomItem{
		item("tea@muc.x", "Tea", "Earl Grey and friends"),
		item("zed@muc.x", "", "no name given"),
		item("alpha@muc.x", "alpha", ""),
		item("coffee@muc.x", "Coffee", "Strong TEA is no coffee"),
		item("b@muc.x", "Alpha", "same name, other room"),
	}
	cases := []struct {
		name   string
		ev     app.RoomList
		filter string
		state  BrowseState
		shown  []string
		noSvc  bool
	}{
		{"sorted by name, then address", roomListEv("muc.x", nil, rooms...), "", BrowseLoaded,
			[]string{"alpha@muc.x", "b@muc.x", "coffee@muc.x", "tea@muc.x", "zed@muc.x"}, false},
		{"filter on name and description, any case", roomListEv("muc.x", nil, rooms...), "TEA", BrowseLoaded,
			[]string{"coffee@muc.x", "tea@muc.x"}, false},
		{"filter on the address", roomListEv("muc.x", nil, rooms...), "zed@", BrowseLoaded,
			[]string{"zed@muc.x"}, false},
		{"every word must match", roomListEv("muc.x", nil, rooms...), "tea strong", BrowseLoaded,
			[]string{"coffee@muc.x"}, false},
		{"nothing matches", roomListEv("muc.x", nil, rooms...), "bicycle", BrowseLoaded, nil, false},
		{"no rooms", roomListEv("muc.x", nil), "", BrowseLoaded, nil, false},
		{"no service", roomListEv("", app.ErrNoRoomService), "", BrowseFailed, nil, true},
		{"offline", roomListEv("", errors.New("not connected")), "", BrowseFailed, nil, false},
		{"service failed", roomListEv("muc.x", errors.New("remote-server-timeout")), "", BrowseFailed, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := online()
			a.Browse = &RoomBrowse{}
			a.Browse.Start("")
			if a.Browse.State != BrowseLoading {
				t.Fatal("not loading after Start")
			}
			a.Browse.SetFilter(c.filter)
			ch := a.Apply([]app.Event{c.ev}, newView())
			b := a.Browse
			if !ch.RoomList || b.State != c.state || b.NoService != c.noSvc {
				t.Fatalf("changes %v, state %v, no service %v", ch.RoomList, b.State, b.NoService)
			}
			if got := jids(b.Shown); !slices.Equal(got, c.shown) {
				t.Errorf("shown %q, want %q", got, c.shown)
			}
			if c.state == BrowseFailed && (b.Err == nil || len(b.Rooms) != 0) {
				t.Errorf("failed with err %v and %d rooms", b.Err, len(b.Rooms))
			}
		})
	}
}

// TestRoomBrowseAnswers: an answer counts only while awaited; a
// refresh waits again; the account learns its service from a list of
// its own server's; hostile words are cleaned and clipped.
func TestRoomBrowseAnswers(t *testing.T) {
	a := online()
	v := newView()
	// No browser open: only the service is learnt.
	if ch := a.Apply([]app.Event{roomListEv("conference.x", nil)}, v); ch.RoomList || a.RoomService != "conference.x" {
		t.Fatalf("without a browser: changes %v, service %q", ch.RoomList, a.RoomService)
	}
	a.Browse = &RoomBrowse{}
	a.Browse.Start("other.example")
	long := strings.Repeat("x", 5000)
	evil := item("evil@muc.x", "Ev\u202eil\nname", "line\none"+long)
	a.Apply([]app.Event{roomListEv("other.example", nil, evil)}, v)
	if a.RoomService != "conference.x" {
		t.Errorf("the list of another service changed the account's to %q", a.RoomService)
	}
	r := a.Browse.Shown[0]
	if r.Name != "Evil name" || strings.ContainsAny(r.Description, "\n") || len(r.Description) > maxRoomWords {
		t.Errorf("not cleaned: name %q, description of %d bytes", r.Name, len(r.Description))
	}
	// A second answer (to an earlier ask) is not awaited.
	if ch := a.Apply([]app.Event{roomListEv("other.example", nil)}, v); ch.RoomList || len(a.Browse.Rooms) != 1 {
		t.Errorf("an answer not awaited was taken")
	}
	// Refresh: loading again, filter kept.
	a.Browse.SetFilter("nothing")
	a.Browse.Start("other.example")
	var many []app.RoomItem
	for i := range MaxBrowsedRooms + 10 {
		many = append(many, item(fmt.Sprintf("r%05d@muc.x", i), "", ""))
	}
	a.Apply([]app.Event{roomListEv("other.example", nil, many...)}, v)
	b := a.Browse
	if len(b.Rooms) != MaxBrowsedRooms || !b.Truncated || len(b.Shown) != 0 || !b.Filtered() {
		t.Errorf("%d rooms (truncated %v), %d shown", len(b.Rooms), b.Truncated, len(b.Shown))
	}
	b.SetFilter("")
	if len(b.Shown) != MaxBrowsedRooms || b.Shown[0].Occupants != -1 {
		t.Errorf("%d shown without a filter; first has %d occupants", len(b.Shown), b.Shown[0].Occupants)
	}
}
