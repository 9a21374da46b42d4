package views

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
)

// The fake core lists rooms, invites and declines (roombrowse.go,
// invitations.go).

func (f *fakeCore) ListRooms(service string) { f.record("ListRooms %q", service) }
func (f *fakeCore) Invite(room, to, reason string) {
	f.record("Invite %s %s %q", room, to, reason)
}
func (f *fakeCore) Decline(inv app.RoomInvitation, reason string) {
	f.record("Decline %s %s %q", inv.Room, inv.From, reason)
}

const conference = "conference.example.org"

func roomListEv(service string, err error, rooms ...app.RoomItem) app.RoomList {
	e := app.RoomList{Service: service, Rooms: rooms, Err: err}
	e.Acct = me
	return e
}

// lastCall returns the fake core's last command.
func lastCall(h *harness) string {
	calls := h.core.Calls()
	if len(calls) == 0 {
		return ""
	}
	return calls[len(calls)-1]
}

// browserList returns the room browser's list, which must be shown.
func browserList(t *testing.T, h *harness) *widget.List {
	t.Helper()
	l, ok := find(h.overlay(), func(*widget.List) bool { return true })
	if !ok {
		t.Fatal("no room list is shown")
	}
	return l
}

// TestRoomBrowser: Browse rooms… in the Join dialog asks the core for
// the list; a thousand rooms come in a virtual list that the filter
// narrows; the room chosen fills the Join dialog's address; the
// service found completes an address written without it.
func TestRoomBrowser(t *testing.T) {
	h := signedIn(t)
	h.ui.win.Resize(fyne.NewSize(560, 640))
	h.ui.joinRoom("", "")
	join := h.overlay()
	test.Tap(button(t, join, "Browse rooms…"))
	if lastCall(h) != `ListRooms ""` {
		t.Fatalf("calls %q", h.core.Calls())
	}
	if !labelContaining(h.overlay(), "Loading rooms…") {
		t.Fatal("the browser does not say it loads")
	}
	var rooms []app.RoomItem
	for i := range 1000 {
		rooms = append(rooms, app.RoomItem{JID: fmt.Sprintf("room%04d@%s", i, conference), Name: fmt.Sprintf("Room %04d", i), Occupants: -1})
	}
	rooms[500] = app.RoomItem{JID: tea, Name: "Tea", Description: "Earl Grey", Occupants: 12, PasswordProtected: true, MembersOnly: true, Detailed: true}
	h.apply(roomListEv(conference, nil, rooms...))
	l := browserList(t, h)
	if n := l.Length(); n != 1000 {
		t.Fatalf("%d rooms listed", n)
	}
	if labelContaining(h.overlay(), "Loading rooms…") || !labelContaining(h.overlay(), conference+": 1000 rooms") {
		t.Error("the browser does not count the rooms")
	}
	// The filter matches the description too, whatever the case.
	entryWithPlaceholder(t, h.overlay(), "Filter by name, address or description").SetText("earl GREY")
	if n := l.Length(); n != 1 {
		t.Fatalf("%d rooms match", n)
	}
	if !labelContaining(h.overlay(), "1 of 1000 rooms") {
		t.Error("the count does not say the filter hides rooms")
	}
	row, ok := find(l, func(lb *widget.Label) bool {
		return lb.Text == tea+" · 12 people · password needed · members only · Earl Grey"
	})
	if !ok || !row.Visible() {
		t.Error("the room's row does not say what the service told")
	}
	choose := button(t, h.overlay(), "Choose")
	if !choose.Disabled() {
		t.Error("Choose is enabled before a room is chosen")
	}
	l.Select(0)
	test.Tap(choose)
	if top := h.overlay(); top != join {
		t.Fatal("choosing did not close the browser")
	}
	if e := entryWithPlaceholder(t, join, "room@conference.example.org"); e.Text != tea {
		t.Fatalf("the address is %q", e.Text)
	}
	// The service found completes an address written without it.
	entryWithPlaceholder(t, join, "room@conference.example.org").SetText("myroom")
	test.Tap(button(t, join, "Join"))
	if lastCall(h) != "SetBookmark myroom@"+conference+" me true" || !slices.Contains(h.core.Calls(), "JoinRoom myroom@"+conference+` me ""`) {
		t.Fatalf("calls %q", h.core.Calls())
	}
}

// TestRoomBrowserFailures: no service, a failed list with Try again,
// and Refresh; an address without its service is refused while the
// service is unknown.
func TestRoomBrowserFailures(t *testing.T) {
	h := signedIn(t)
	h.ui.joinRoom("", "")
	join := h.overlay()
	entryWithPlaceholder(t, join, "room@conference.example.org").SetText("myroom")
	test.Tap(button(t, join, "Join"))
	if !labelContaining(join, "write the room's whole address") || slices.ContainsFunc(h.core.Calls(), func(c string) bool { return strings.HasPrefix(c, "JoinRoom") }) {
		t.Fatalf("an address without its service was not refused: calls %q", h.core.Calls())
	}
	// An address with a service browses that service.
	entryWithPlaceholder(t, join, "room@conference.example.org").SetText("x@rooms.other.example")
	test.Tap(button(t, join, "Browse rooms…"))
	if lastCall(h) != `ListRooms "rooms.other.example"` {
		t.Fatalf("calls %q", h.core.Calls())
	}
	h.apply(roomListEv("rooms.other.example", errors.New("remote-server-not-found")))
	if !labelContaining(h.overlay(), "Could not list the rooms: remote-server-not-found.") {
		t.Fatal("the failure is not said")
	}
	saveImage(t, "room_browser_failed", h.ui.win.Canvas())
	test.Tap(button(t, h.overlay(), "Try again"))
	if lastCall(h) != `ListRooms "rooms.other.example"` || !labelContaining(h.overlay(), "Loading rooms…") {
		t.Fatalf("Try again: calls %q", h.core.Calls())
	}
	test.Tap(button(t, h.overlay(), "Cancel"))
	// The account's server has none.
	entryWithPlaceholder(t, join, "room@conference.example.org").SetText("")
	test.Tap(button(t, join, "Browse rooms…"))
	h.apply(roomListEv("", app.ErrNoRoomService))
	if !labelContaining(h.overlay(), "This server has no group chat service. Enter a room's address instead.") {
		t.Fatal("no service is not said")
	}
	saveImage(t, "room_browser_none", h.ui.win.Canvas())
	if b := button(t, h.overlay(), "Try again"); b.Visible() {
		t.Error("Try again is offered where there is no service")
	}
	test.Tap(button(t, h.overlay(), "Refresh"))
	if lastCall(h) != `ListRooms ""` || !labelContaining(h.overlay(), "Loading rooms…") {
		t.Fatalf("Refresh: calls %q", h.core.Calls())
	}
	h.apply(roomListEv(conference, nil))
	if !labelContaining(h.overlay(), "This service lists no public rooms") {
		t.Error("an empty list is not said")
	}
	test.Tap(button(t, h.overlay(), "Cancel"))
	if h.overlay() != join || h.ui.only().Browse != nil {
		t.Error("closing the browser left its state")
	}
}

// TestRoomBrowserShot renders the browser with a few rooms, saved as
// pictures with PALAVER_SHOTS; it runs always, so that the drawing of
// every state is exercised.
func TestRoomBrowserShot(t *testing.T) {
	h := signedIn(t)
	fyne.CurrentApp().Settings().SetTheme(Theme())
	h.ui.win.Resize(fyne.NewSize(560, 600))
	h.ui.joinRoom("", "")
	saveImage(t, "join_room", h.ui.win.Canvas())
	test.Tap(button(t, h.overlay(), "Browse rooms…"))
	saveImage(t, "room_browser_loading", h.ui.win.Canvas())
	h.apply(roomListEv(conference, nil,
		app.RoomItem{JID: tea, Name: "Tea", Description: "Earl Grey, Darjeeling and other leaves", Occupants: 12, Detailed: true},
		app.RoomItem{JID: "board@" + conference, Name: "Board", Occupants: 3, MembersOnly: true, PasswordProtected: true, Detailed: true},
		app.RoomItem{JID: "golang@" + conference, Name: "Go", Description: "The Go programming language: questions welcome", Occupants: 1, Detailed: true},
		app.RoomItem{JID: "quiet@" + conference, Occupants: -1},
		app.RoomItem{JID: "xmpp@" + conference, Name: "XMPP", Occupants: -1},
	))
	saveImage(t, "room_browser", h.ui.win.Canvas())
}
