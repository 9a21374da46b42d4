package views

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/views/model"
)

func invitationEv(room, from, reason, password string) app.RoomInvitation {
	e := app.RoomInvitation{Room: room, From: from, Reason: reason, Password: password, Direct: true}
	e.Acct = me
	return e
}

// invitationRowWith returns the invitation row of the main window whose
// text holds s.
func invitationRowWith(t *testing.T, h *harness, s string) fyne.CanvasObject {
	t.Helper()
	for _, o := range h.ui.invitesBox.Objects {
		if labelContaining(o, s) {
			return o
		}
	}
	t.Fatalf("no invitation says %q", s)
	return nil
}

// TestInvitationsReceived: invitations wait in the main window, a
// stranger's said to be one; nothing is joined by itself; a contact's
// notifies; Join opens the Join dialog with the password, Decline
// declines; duplicates merge and at most model.MaxInvitations wait.
func TestInvitationsReceived(t *testing.T) {
	h := signedIn(t)
	notes := countNotifications(h)
	h.apply(resetEv(contact("alice@example.org", "Alice")))
	before := windows()
	h.apply(
		invitationEv(tea, "alice@example.org", "Tea at five", "secret"),
		invitationEv("spam@muc.evil.example", "x@evil.example", "\u202eclick\nhere", ""),
	)
	s := h.ui.only()
	if !h.ui.invitesBox.Visible() {
		t.Fatal("the invitations are not shown")
	}
	invitationRowWith(t, h, "Alice (alice@example.org) invites you to tea ("+tea+").\n“Tea at five”")
	invitationRowWith(t, h, "x@evil.example, not in your contacts, invites you to spam (spam@muc.evil.example).\n“click here”")
	if n := windows() - before; n != 0 || slices.ContainsFunc(h.core.Calls(), func(c string) bool { return strings.HasPrefix(c, "JoinRoom") }) {
		t.Fatalf("an invitation opened %d windows; calls %q", n, h.core.Calls())
	}
	if len(notes.sent) != 1 || notes.sent[0].Title != "Invitation to tea" || !strings.Contains(notes.sent[0].Content, "Alice invites you to tea") {
		t.Fatalf("notifications %v, want one for Alice's", notes.sent)
	}
	// Alice again: one invitation still, no second notification.
	h.apply(invitationEv(tea, "alice@example.org", "Tea at five!", "secret"))
	if got := s.invitationsOf(); len(got) != 2 || len(notes.sent) != 1 {
		t.Fatalf("after a second invitation: %q, %d notifications", got, len(notes.sent))
	}
	if os.Getenv("PALAVER_SHOTS") != "" {
		fyne.CurrentApp().Settings().SetTheme(Theme())
		h.ui.win.Resize(fyne.NewSize(420, 520))
		saveImage(t, "invitations", h.ui.win.Canvas())
	}

	test.Tap(button(t, invitationRowWith(t, h, "x@evil.example"), "Decline"))
	if lastCall(h) != `Decline spam@muc.evil.example x@evil.example ""` {
		t.Fatalf("declining: calls %q", h.core.Calls())
	}
	// Join… opens the Join dialog, with the password given; the
	// invitation goes once joined.
	test.Tap(button(t, invitationRowWith(t, h, "Alice"), "Join…"))
	d := h.overlay()
	if e := entryWithPlaceholder(t, d, "room@conference.example.org"); e.Text != tea {
		t.Fatalf("the Join dialog starts from %q", e.Text)
	}
	if e := entryWithPlaceholder(t, d, "only for a protected room"); e.Text != "secret" {
		t.Fatalf("the password is %q", e.Text)
	}
	test.Tap(button(t, d, "Join"))
	if !slices.Contains(h.core.Calls(), "JoinRoom "+tea+` me "secret"`) {
		t.Fatalf("joining: calls %q", h.core.Calls())
	}
	if len(s.Invitations.List) != 0 || h.ui.invitesBox.Visible() {
		t.Errorf("answered invitations still wait: %q", s.invitationsOf())
	}
	// Invitations to a room we are in are dropped; past the bound the
	// oldest go, and three are listed.
	h.apply(invitationEv(tea, "bob@example.org", "", ""))
	// A room that hides addresses names the inviter by nickname.
	h.apply(invitationEv("club@muc.example", "club@muc.example/Zed", "", ""))
	invitationRowWith(t, h, "“Zed”, in the room, invites you to club (club@muc.example).")
	var evs []app.Event
	for i := range model.MaxInvitations + 5 {
		evs = append(evs, invitationEv(fmt.Sprintf("r%d@muc.example", i), "x@evil.example", "", ""))
	}
	h.apply(evs...)
	got := s.invitationsOf()
	if len(got) != model.MaxInvitations || got[0] != "r5@muc.example x@evil.example" {
		t.Fatalf("%d waiting, oldest %q", len(got), got[0])
	}
	if !labelContaining(h.ui.invitesBox, fmt.Sprintf("and %d more invitations", model.MaxInvitations-shownPrompts)) {
		t.Error("the invitations not listed are not counted")
	}
	if len(notes.sent) != 1 {
		t.Errorf("strangers' invitations notified: %v", notes.sent)
	}
}

// TestInviteFromRoom: the room window's Invite… suggests contacts as the
// user types, accepts any address, refuses what is none, and hands the
// invitation to the core.
func TestInviteFromRoom(t *testing.T) {
	h := signedIn(t)
	h.apply(resetEv(contact("alice@example.org", "Alice"), contact("bob@example.org", "Bob")))
	s := h.ui.only()
	s.Joining(tea, "me")
	h.apply(roomJoinedEv("me", "ann"))
	s.openChat(tea)
	c := s.chats[tea]
	test.Tap(button(t, c.win.Content(), "Invite…"))
	d := c.win.Canvas().Overlays().Top()
	if d == nil {
		t.Fatal("Invite… opened no dialog")
	}
	to := entryWithPlaceholder(t, d, "name@example.org")
	to.SetText("nosuch@")
	test.Tap(button(t, d, "Invite"))
	if !labelContaining(d, "enter an address such as name@example.org") || strings.HasPrefix(lastCall(h), "Invite") {
		t.Fatalf("a wrong address was not refused: calls %q", h.core.Calls())
	}
	to.SetText("ALI")
	if os.Getenv("PALAVER_SHOTS") != "" {
		fyne.CurrentApp().Settings().SetTheme(Theme())
		c.win.Resize(fyne.NewSize(480, 420))
		saveImage(t, "invite", c.win.Canvas())
	}
	if _, ok := find(d, func(b *widget.Button) bool { return b.Text == "Bob <bob@example.org>" }); ok {
		t.Error("Bob is suggested for “ALI”")
	}
	test.Tap(button(t, d, "Alice <alice@example.org>"))
	if to.Text != "alice@example.org" {
		t.Fatalf("the suggestion wrote %q", to.Text)
	}
	entryWithPlaceholder(t, d, "optional").SetText(" come for tea ")
	test.Tap(button(t, d, "Invite"))
	if lastCall(h) != "Invite "+tea+` alice@example.org "come for tea"` {
		t.Fatalf("calls %q", h.core.Calls())
	}
	if c.win.Canvas().Overlays().Top() != nil {
		t.Error("the dialog stayed open")
	}
	if m := c.conv.msgs[len(c.conv.msgs)-1]; !m.notice || m.body != "You invited Alice <alice@example.org>" {
		t.Errorf("the room's window says %q", m.body)
	}
	// Any address, even written as "Name <address>".
	inviteDialog(c)
	d = c.win.Canvas().Overlays().Top()
	entryWithPlaceholder(t, d, "name@example.org").SetText("Carol <carol@other.example>")
	test.Tap(button(t, d, "Invite"))
	if lastCall(h) != "Invite "+tea+` carol@other.example ""` {
		t.Fatalf("calls %q", h.core.Calls())
	}
	// A chat's window has no Invite….
	s.openChat("alice@example.org")
	if b, ok := find(s.chats["alice@example.org"].win.Content(), func(b *widget.Button) bool { return b.Text == "Invite…" }); ok && b.Visible() {
		t.Error("a chat's window offers Invite…")
	}
}
