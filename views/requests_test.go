package views

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/views/model"
)

func windows() int { return len(fyne.CurrentApp().Driver().AllWindows()) }

// TestStrangersOpenNoWindow: fifty strangers writing open no window; each
// has one entry in Message requests, which keeps at most
// model.MaxMessageRequests; a contact's message still opens its chat.
func TestStrangersOpenNoWindow(t *testing.T) {
	h := signedIn(t)
	h.apply(resetEv(contact("alice@example.org", "Alice")))
	before := windows()
	now := time.Now()
	for round := range 2 { // each stranger twice: still one entry each
		var evs []app.Event
		for i := range 50 {
			evs = append(evs, messageEv(fmt.Sprintf("s%d@spam.example", i), fmt.Sprintf("buy %d", round), now, false))
		}
		h.apply(evs...)
	}
	if n := windows() - before; n != 0 {
		t.Errorf("strangers opened %d windows", n)
	}
	if got := h.ui.only().messageRequestsOf(); len(got) != 50 || got[0] != "s0@spam.example" {
		t.Errorf("requests: %d, first %q; want 50 from s0 on", len(got), got)
	}
	if len(h.ui.only().convs) != 0 || h.ui.only().Roster.Unread("s0@spam.example") != 0 {
		t.Error("a stranger's message made a conversation or an unread count")
	}
	if !h.ui.msgRequestsBar.Visible() || !labelContaining(h.ui.msgRequestsBar, "50 message requests") {
		t.Error("the main window does not tell about the requests")
	}
	for i := range model.MaxMessageRequests + 20 {
		h.apply(messageEv(fmt.Sprintf("more%d@spam.example", i), "hi", now, false))
	}
	got := h.ui.only().messageRequestsOf()
	if len(got) != model.MaxMessageRequests || got[len(got)-1] != fmt.Sprintf("more%d@spam.example", model.MaxMessageRequests+19) {
		t.Errorf("%d requests kept (last %q), want the newest %d", len(got), got[len(got)-1], model.MaxMessageRequests)
	}
	if n := windows() - before; n != 0 {
		t.Errorf("strangers opened %d windows", n)
	}
	h.apply(messageEv("alice@example.org", "hello", now, false))
	if n := windows() - before; n != 1 || h.ui.only().chats["alice@example.org"] == nil {
		t.Errorf("a contact's message opened %d windows, want her chat", n)
	}
}

// TestMessageRequestActions: Accept adds the contact and opens the chat,
// Block blocks through the core and hides what follows, Ignore drops the
// request.
func TestMessageRequestActions(t *testing.T) {
	h := signedIn(t)
	now := time.Now()
	for _, who := range []string{"a@x", "b@x", "c@x"} {
		h.apply(messageEv(who, "hi from "+who, now, false))
	}
	h.ui.showMessageRequests()
	button(t, h.overlay(), "Accept").OnTapped() // newest first: c@x
	if h.ui.only().chats["c@x"] == nil || !slices.Contains(h.core.Calls(), `AddContact c@x "" []`) {
		t.Errorf("accept: chat %v, calls %q", h.ui.only().chats["c@x"] != nil, h.core.Calls())
	}
	button(t, h.overlay(), "Ignore").OnTapped() // b@x
	button(t, h.overlay(), "Block").OnTapped()  // a@x
	if got := h.ui.only().messageRequestsOf(); len(got) != 0 {
		t.Errorf("requests left: %q", got)
	}
	h.apply(messageEv("a@x", "again", now, false), messageEv("b@x", "again", now, false))
	if got := h.ui.only().messageRequestsOf(); !slices.Equal(got, []string{"b@x"}) {
		t.Errorf("after more messages: %q, want b@x only (a@x is blocked)", got)
	}
}

// TestOpenChatsByThemselvesCanBeTurnedOff: with the menu toggle off, a
// contact's message counts as unread and opens nothing.
func TestOpenChatsByThemselvesCanBeTurnedOff(t *testing.T) {
	h := signedIn(t)
	h.apply(resetEv(contact("alice@example.org", "Alice")))
	h.ui.openChatsItem().Action()
	if h.ui.openChatsByThemselves() {
		t.Fatal("the toggle did not turn it off")
	}
	before := windows()
	h.apply(messageEv("alice@example.org", "hello", time.Now(), false))
	if n := windows() - before; n != 0 || h.ui.only().Roster.Unread("alice@example.org") != 1 {
		t.Errorf("%d windows opened, unread %d", n, h.ui.only().Roster.Unread("alice@example.org"))
	}
}

// TestLastSeenIsShownDimmed: presence the core marks stale shows as last
// seen, dimmed, and fresh presence replaces it.
func TestLastSeenIsShownDimmed(t *testing.T) {
	at := fixClock(t)
	h := signedIn(t)
	h.apply(resetEv(contact("alice@example.org", "Alice")))
	stale := presenceEv("alice@example.org", im.Away, "lunch")
	stale.Stale, stale.Since, stale.Resources = true, at.Add(-time.Hour), 0
	h.apply(stale)
	status := func() *widget.Label {
		t.Helper()
		row, ok := find(h.ui.contacts.list, func(r *contactRow) bool { return r.row.JID == "alice@example.org" && r.Visible() })
		if !ok {
			t.Fatal("no row for alice")
		}
		return row.status
	}
	want := "last seen " + at.Add(-time.Hour).In(clock.loc).Format("15:04") + " · lunch"
	if l := status(); l.Text != want || l.Importance != widget.LowImportance {
		t.Errorf("stale: %q (importance %v), want %q dimmed", l.Text, l.Importance, want)
	}
	h.apply(presenceEv("alice@example.org", im.Away, "back soon"))
	if l := status(); l.Text != "back soon" || l.Importance == widget.LowImportance {
		t.Errorf("fresh: %q (importance %v)", l.Text, l.Importance)
	}
}

// TestLastSeenBeforeToday: a presence last known before today says the
// day in the language shown, not Go's English month names.
func TestLastSeenBeforeToday(t *testing.T) {
	now := fixClock(t)
	yesterday := now.Add(-24 * time.Hour)
	clockTime := yesterday.In(clock.loc).Format("15:04")
	if got, want := lastSeenText(yesterday, now), "last seen yesterday "+clockTime; got != want {
		t.Errorf("English: %q, want %q", got, want)
	}
	old := time.Date(2024, time.March, 5, 9, 30, 0, 0, clock.loc)
	if got, want := lastSeenText(old, now), "last seen Tue 5 Mar 2024 09:30"; got != want {
		t.Errorf("English, long ago: %q, want %q", got, want)
	}
	useLanguage(t, "de")
	if got, want := lastSeenText(yesterday, now), "zuletzt gesehen gestern "+clockTime; got != want {
		t.Errorf("German: %q, want %q", got, want)
	}
}
