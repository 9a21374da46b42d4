package views

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/views/model"
)

const tea = "tea@conference.example.org"

func roomJoinedEv(nick string, others ...string) app.RoomJoined {
	e := app.RoomJoined{Room: tea, Nick: nick, Self: app.Occupant{Nick: nick, Role: muc.RoleModerator}}
	for _, o := range others {
		e.Occupants = append(e.Occupants, app.Occupant{Nick: o, Role: muc.RoleParticipant})
	}
	e.Acct = me
	return e
}

func roomLineEv(nick, body, id string, outgoing bool) app.RoomMessage {
	e := app.RoomMessage{Room: tea, Nick: nick, Body: body, ID: id, Time: clock.now(), Outgoing: outgoing}
	e.Acct = me
	return e
}

func TestJoinRoomAndTalk(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	notes := countNotifications(h)
	s := h.ui.only()
	h.ui.joinRoom("", "")
	d := h.overlay()
	entryWithPlaceholder(t, d, "room@conference.example.org").SetText(tea)
	test.Tap(button(t, d, "Join"))
	if !slices.Contains(h.core.Calls(), `JoinRoom `+tea+` me ""`) {
		t.Fatalf("calls %q", h.core.Calls())
	}
	c := s.chats[tea]
	if c == nil || !c.room || !strings.Contains(c.title.Text, "joining") {
		t.Fatalf("no room window saying it joins: %v", c)
	}
	rowOf := func() Row {
		t.Helper()
		for _, r := range h.ui.contacts.rows {
			if r.Room && r.JID == tea {
				return r
			}
		}
		t.Fatal("the room is not listed")
		return Row{}
	}
	if r := rowOf(); r.Status != "joining…" || r.Group != model.RoomsGroup {
		t.Errorf("room row %+v", r)
	}

	subject := app.RoomSubject{Room: tea, Subject: "Earl Grey"}
	subject.Acct = me
	h.apply(roomJoinedEv("me", "ann", "bob"), subject)
	if !strings.Contains(c.title.Text, "3 people") || !strings.Contains(c.title.Text, "Earl Grey") {
		t.Fatalf("header %q", c.title.Text)
	}
	if r := rowOf(); r.Status != "Earl Grey" {
		t.Errorf("room row status %q", r.Status)
	}

	// Our line shows as sending until the room reflects it; then once,
	// sent.
	c.sendText("hello all")
	calls := h.core.Calls()
	if calls[len(calls)-1] != `SendRoomMessage `+tea+` "hello all"` {
		t.Fatalf("calls %q", calls)
	}
	id := "r1"
	h.apply(roomLineEv("me", "hello all", id, true), roomLineEv("ann", "hi me!", "", false))
	if n := len(c.conv.msgs); n != 2 {
		t.Fatalf("%d lines, want ours once and Ann's", n)
	}
	if m := c.conv.msgs[0]; m.state != history.Sent || m.sender != outgoingSender {
		t.Errorf("our line: %q, state %v", m.sender, m.state)
	}
	if m := c.conv.msgs[1]; m.sender != "ann" {
		t.Errorf("Ann's line signed %q", m.sender)
	}
	if len(notes.sent) != 0 {
		t.Errorf("the room the user looks at notified: %v", notes.sent)
	}
	// Not looked at: a line naming us notifies, others only count.
	c.setActive(false)
	h.apply(roomLineEv("bob", "tea is ready", "", false), roomLineEv("bob", "Me, your cup", "", false))
	if len(notes.sent) != 1 || notes.sent[0].Title != "bob in tea" {
		t.Fatalf("notifications %v", notes.sent)
	}
	if r := rowOf(); r.Unread != 2 {
		t.Errorf("unread %d", r.Unread)
	}
	c.setActive(true)
	if r := rowOf(); r.Unread != 0 {
		t.Errorf("unread %d after looking", r.Unread)
	}
	if os.Getenv("PALAVER_SHOTS") != "" {
		fyne.CurrentApp().Settings().SetTheme(Theme()) // nickname colours are Palaver's theme's
		c.win.Resize(fyne.NewSize(480, 420))
		c.refresh(false)
		h.settle()
		saveImage(t, "room", c.win.Canvas())
	}
	// Closing the window leaves the room.
	c.win.Close()
	if calls := h.core.Calls(); calls[len(calls)-1] != "LeaveRoom "+tea {
		t.Fatalf("closing the window: calls %q", calls)
	}
}

func TestRoomRefusalOffersToTryAgain(t *testing.T) {
	h := signedIn(t)
	s := h.ui.only()
	s.Joining(tea, "me")
	s.core.JoinRoom(tea, "me", "")
	s.openChat(tea)
	fail := app.RoomJoinFailed{Room: tea, Nick: "me", Condition: app.RoomNickInUse}
	fail.Acct = me
	h.apply(fail)
	d := h.overlay()
	if !labelContaining(d, "already uses the nickname") {
		t.Fatal("the refusal is not explained")
	}
	test.Tap(button(t, d, "Try again…"))
	if e := entryWithPlaceholder(t, h.overlay(), "room@conference.example.org"); e.Text != tea {
		t.Fatalf("trying again starts from %q", e.Text)
	}
	if _, ok := find(h.overlay(), func(e *widget.Entry) bool { return e.Text == "me_" }); !ok {
		t.Error("trying again does not offer another nickname (me_)")
	}
	if c := s.chats[tea]; c == nil || !c.left || !strings.Contains(c.title.Text, "not in this room") {
		t.Error("the window does not say we are not in the room")
	}
	for _, r := range h.ui.contacts.rows {
		if r.Room {
			t.Error("a refused room is still listed")
		}
	}
}

func TestKickedFromRoomIsSaid(t *testing.T) {
	h := signedIn(t)
	s := h.ui.only()
	s.Joining(tea, "me")
	h.apply(roomJoinedEv("me", "ann"))
	s.openChat(tea)
	left := app.RoomLeft{Room: tea, Reason: app.LeftKicked, Actor: "ann", Text: "spam"}
	left.Acct = me
	h.apply(left)
	if !strings.Contains(h.ui.notice.Text, "You were removed from "+tea+" by ann") {
		t.Fatalf("notice %q", h.ui.notice.Text)
	}
	c := s.chats[tea]
	c.win.Close()
	if calls := h.core.Calls(); slices.Contains(calls, "LeaveRoom "+tea) {
		t.Error("closing a room we were removed from left it again")
	}
}

func TestBookmarkedRooms(t *testing.T) {
	h := signedIn(t)
	s := h.ui.only()
	marks := app.Bookmarks{Rooms: []app.Bookmark{{Room: tea, Name: "Tea room", Nick: "Al", Autojoin: true}}}
	marks.Acct = me
	h.apply(marks)
	var row Row
	for _, r := range h.ui.contacts.rows {
		if r.Room && r.JID == tea {
			row = r
		}
	}
	if row.Name != "Tea room" || row.Status != "not joined" {
		t.Fatalf("the bookmarked room is listed as %+v", row)
	}
	// Opening a bookmarked room joins it with the bookmark's nickname.
	h.ui.contacts.onOpen(row.Key())
	if !slices.Contains(h.core.Calls(), `JoinRoom `+tea+` Al ""`) || s.chats[tea] == nil || !s.chats[tea].room {
		t.Fatalf("opening the bookmark: calls %q", h.core.Calls())
	}
	h.apply(roomJoinedEv("Al", "ann"))
	// Closing the window leaves, and the bookmark no longer joins at
	// sign-in (it stays listed).
	s.chats[tea].win.Close()
	calls := h.core.Calls()
	if !slices.Contains(calls, "LeaveRoom "+tea) || calls[len(calls)-1] != "SetBookmark "+tea+" Al false" {
		t.Fatalf("closing a bookmarked room: calls %q", calls)
	}
	// Remove from the list: the bookmark goes.
	menuItem(t, h.ui, row, "Remove from the list").Action()
	if calls := h.core.Calls(); calls[len(calls)-1] != "RemoveBookmark "+tea {
		t.Fatalf("removing from the list: calls %q", calls)
	}
	removed := app.BookmarkRemoved{Room: tea}
	removed.Acct = me
	left := app.RoomLeft{Room: tea}
	left.Acct = me
	h.apply(left, removed)
	for _, r := range h.ui.contacts.rows {
		if r.Room {
			t.Errorf("still listed: %+v", r)
		}
	}
	// Joining from the dialog bookmarks the room, autojoin, no password.
	h.ui.joinRoom(tea, "")
	d := h.overlay()
	test.Tap(button(t, d, "Join"))
	if calls := h.core.Calls(); calls[len(calls)-1] != "SetBookmark "+tea+" me true" {
		t.Fatalf("joining from the dialog: calls %q", calls)
	}
}

func TestRoomComingsAndGoings(t *testing.T) {
	start := fixClock(t)
	h := signedIn(t)
	s := h.ui.only()
	s.Joining(tea, "me")
	h.apply(roomJoinedEv("me", "ann", "bob"))
	s.openChat(tea)
	occ := func(nick string, f func(*app.OccupantChanged)) app.Event {
		e := app.OccupantChanged{Room: tea, Occupant: app.Occupant{Nick: nick, Role: muc.RoleParticipant}}
		f(&e)
		e.Acct = me
		return e
	}
	h.apply(
		occ("cat", func(*app.OccupantChanged) {}),                           // came
		occ("ann", func(e *app.OccupantChanged) { e.Left = true }),          // went
		occ("bob", func(e *app.OccupantChanged) { e.NewNick = "robert" }),   // renamed
		occ("cat", func(e *app.OccupantChanged) { e.Occupant.Status = "" }), // known: no line
	)
	msgs := s.convs[tea].msgs
	if len(msgs) != 1 || !msgs[0].notice || msgs[0].body != "cat joined · ann left · bob is now robert" {
		t.Fatalf("lines: %d, %q", len(msgs), msgs[0].body)
	}
	// Later ones, after a pause, are a line of their own; a kick says who.
	clock.now = func() time.Time { return start.Add(5 * time.Minute) }
	h.apply(occ("cat", func(e *app.OccupantChanged) { e.Left, e.Reason, e.Actor = true, app.LeftKicked, "me" }))
	msgs = s.convs[tea].msgs
	if len(msgs) != 2 || msgs[1].body != "cat was removed by me" {
		t.Fatalf("after a pause: %d lines, last %q", len(msgs), msgs[len(msgs)-1].body)
	}
	if r := s.Rooms[tea]; len(r.Occupants) != 1 || r.Occupants["robert"].Nick != "robert" {
		t.Errorf("occupants now %v", r.Occupants)
	}
	if os.Getenv("PALAVER_SHOTS") != "" {
		h.apply(roomLineEv("robert", "hello, all who are left", "", false))
		fyne.CurrentApp().Settings().SetTheme(Theme())
		c := s.chats[tea]
		c.win.Resize(fyne.NewSize(480, 360))
		c.refresh(true)
		h.settle()
		saveImage(t, "room_notices", c.win.Canvas())
	}
}

func TestRoomInfoShown(t *testing.T) {
	h := signedIn(t)
	s := h.ui.only()
	s.Joining(tea, "me")
	s.openChat(tea)
	info := app.RoomInfo{Room: tea, Name: "Tea Room", MembersOnly: true, Moderated: true}
	info.Acct = me
	h.apply(info, roomJoinedEv("me", "ann"))
	c := s.chats[tea]
	if want := "Tea Room — 2 people\nmembers only, moderated, not archived"; c.title.Text != want {
		t.Errorf("header %q, want %q", c.title.Text, want)
	}
	if c.win.Title() != "Tea Room" {
		t.Errorf("window title %q", c.win.Title())
	}
	var row Row
	for _, r := range h.ui.contacts.rows {
		if r.Room && r.JID == tea {
			row = r
		}
	}
	if row.Name != "Tea Room" {
		t.Errorf("the room is listed as %q", row.Name)
	}
	// Archived, open and nameless: its local part, no words.
	info = app.RoomInfo{Room: tea, Archive: true}
	info.Acct = me
	h.apply(info)
	if want := "tea — 2 people"; c.title.Text != want {
		t.Errorf("header %q, want %q", c.title.Text, want)
	}
	if os.Getenv("PALAVER_SHOTS") != "" {
		info = app.RoomInfo{Room: tea, Name: "Tea Room", MembersOnly: true, PasswordProtected: true}
		info.Acct = me
		subject := app.RoomSubject{Room: tea, Subject: "Earl Grey, Assam and a long talk about the best water temperature"}
		subject.Acct = me
		h.apply(info, subject, roomLineEv("ann", "hello", "", false))
		fyne.CurrentApp().Settings().SetTheme(Theme())
		c.win.Resize(fyne.NewSize(480, 300))
		c.refresh(true)
		h.settle()
		saveImage(t, "room_header", c.win.Canvas())
	}
}
