package views

import (
	"os"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/views/model"
)

func TestRoomNotifyChoice(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	notes := countNotifications(h)
	s := h.ui.only()
	s.Joining(tea, "me")
	h.apply(roomJoinedEv("me", "ann"))
	s.openChat(tea)
	c := s.chats[tea]
	c.setActive(false)
	choose := func(label string) {
		t.Helper()
		var checked []string
		for _, it := range c.notifyMenu() {
			if it.Checked {
				checked = append(checked, it.Label)
			}
		}
		if len(checked) != 1 {
			t.Fatalf("checked: %q", checked)
		}
		for _, it := range c.notifyMenu() {
			if it.Label == label {
				it.Action()
				return
			}
		}
		t.Fatalf("no %q in %v", label, c.notifyMenu())
	}
	saved := func() map[string]string {
		t.Helper()
		cfg, err := account.Load(h.dir)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Find(me).RoomNotify
	}
	// By default a line that does not name us does not notify.
	h.apply(roomLineEv("ann", "tea is ready", "", false))
	if len(notes.sent) != 0 {
		t.Fatalf("notified %v", notes.sent)
	}
	choose("For every message")
	if got := saved()[tea]; got != account.RoomNotifyAll || s.acct.RoomNotify[tea] != account.RoomNotifyAll {
		t.Fatalf("saved %q", got)
	}
	if c.notifyButton.Icon.Name() != theme.VolumeUpIcon().Name() {
		t.Errorf("the button shows %s", c.notifyButton.Icon.Name())
	}
	h.apply(roomLineEv("ann", "milk?", "", false))
	if len(notes.sent) != 1 || notes.sent[0].Title != "ann in tea" {
		t.Fatalf("every message: notified %v", notes.sent)
	}
	later := clock.now().Add(model.NotifyQuiet)
	clock.now = func() time.Time { return later }
	choose("Never")
	h.apply(roomLineEv("ann", "me, milk?", "", false))
	if len(notes.sent) != 1 {
		t.Fatalf("never: notified %v", notes.sent)
	}
	if r := s.Rooms[tea]; r.Unread != 3 || r.Mentions != 1 {
		t.Errorf("unread %d, mentions %d", r.Unread, r.Mentions)
	}
	// Back to the default: nothing kept.
	choose("When I'm mentioned")
	if got := saved(); got != nil {
		t.Errorf("saved %v", got)
	}
	if os.Getenv("PALAVER_SHOTS") != "" {
		fyne.CurrentApp().Settings().SetTheme(Theme())
		c.win.Resize(fyne.NewSize(480, 360))
		test.Tap(c.notifyButton)
		h.settle()
		saveImage(t, "room_notify_menu", c.win.Canvas())
	}
}
