package views

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
)

func TestBlockFromTheChatWindow(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	peer := "mallory@example.net"
	c := openRead(h, peer)
	items := c.chatMenuItems()
	if len(items) != 1 || items[0].Label != "Block…" {
		t.Fatalf("menu %v", items)
	}
	mark := len(h.core.Calls())
	items[0].Action()
	top := c.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no confirmation")
	}
	if _, ok := find(top, func(l *widget.Label) bool {
		return l.Text != "" && containsAll(l.Text, "Block "+peer+"?", "unblock them from this menu")
	}); !ok {
		t.Error("the confirmation does not say what blocking does")
	}
	if got := callsSince(h, mark, "Block"); len(got) != 0 {
		t.Fatalf("blocked before the confirmation: %q", got)
	}
	yes, ok := find(top, func(b *widget.Button) bool { return b.Text == "Block" })
	if !ok {
		t.Fatal("no Block button")
	}
	test.Tap(yes)
	if got := callsSince(h, mark, "Block"); len(got) != 1 || got[0] != "Block "+peer {
		t.Fatalf("calls %q", got)
	}
	// Once blocked, the menu unblocks.
	h.apply(blockedEv(peer))
	items = c.chatMenuItems()
	if len(items) != 1 || items[0].Label != "Unblock" {
		t.Fatalf("menu when blocked %v", items)
	}
	mark = len(h.core.Calls())
	items[0].Action()
	if got := callsSince(h, mark, "Unblock"); len(got) != 1 || got[0] != "Unblock "+peer {
		t.Fatalf("calls %q", got)
	}
}

func blockedEv(jid string) app.Blocked {
	e := app.Blocked{JID: jid, OnServer: true}
	e.Acct = me
	return e
}

// containsAll reports whether s contains every one of parts.
func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
