package views

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// menuShortcut returns the main menu's item with shortcut s.
func menuShortcut(t *testing.T, u *UI, s fyne.Shortcut) *fyne.MenuItem {
	t.Helper()
	for _, m := range u.win.MainMenu().Items {
		for _, it := range m.Items {
			if it.Shortcut != nil && it.Shortcut.ShortcutName() == s.ShortcutName() {
				return it
			}
		}
	}
	t.Fatalf("no menu item for %s", s.ShortcutName())
	return nil
}

func TestMainWindowShortcuts(t *testing.T) {
	h := signedIn(t)
	menuShortcut(t, h.ui, ctrl(fyne.KeyF, false)).Action()
	if h.ui.win.Canvas().Focused() != h.ui.filter {
		t.Error("Ctrl+F does not put the keyboard in the contact search")
	}
	menuShortcut(t, h.ui, ctrl(fyne.KeyF, true)).Action()
	if h.ui.win.Canvas().Focused() != h.ui.search.entry {
		t.Error("Ctrl+Shift+F does not put the keyboard in the message search")
	}
	if it := menuShortcut(t, h.ui, ctrl(fyne.KeyQ, false)); !it.IsQuit {
		t.Error("Ctrl+Q is not Quit")
	}
	// Ctrl+N: a chat with any address, contact or not.
	menuShortcut(t, h.ui, ctrl(fyne.KeyN, false)).Action()
	d := h.overlay()
	entryWithPlaceholder(t, d, "name@example.org").SetText("stranger@example.net")
	test.Tap(button(t, d, "Chat"))
	if h.ui.only().chats["stranger@example.net"] == nil {
		t.Fatal("Start a chat opened no window")
	}
	h.ui.showShortcuts()
	if !labelContaining(h.overlay(), "Close the chat window") {
		t.Error("the shortcuts window does not list the chat's")
	}
}

func TestChatWindowShortcuts(t *testing.T) {
	h := signedIn(t)
	s := h.ui.only()
	s.openChat("ann@example.org")
	s.openChat("bob@example.org")
	ann, bob := s.chats["ann@example.org"], s.chats["bob@example.org"]
	// Ctrl+Tab goes to the next window, and round.
	bob.entry.TypedShortcut(ctrl(fyne.KeyTab, false))
	if !ann.active {
		t.Fatal("Ctrl+Tab in Bob's chat did not bring Ann's")
	}
	// Ctrl+W closes the chat, Esc too; the other stays.
	ann.entry.TypedShortcut(ctrl(fyne.KeyW, false))
	if s.chats["ann@example.org"] != nil || s.chats["bob@example.org"] == nil {
		t.Fatal("Ctrl+W did not close Ann's chat alone")
	}
	bob.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if s.chats["bob@example.org"] != nil {
		t.Fatal("Esc did not close Bob's chat")
	}
	// Other shortcuts still reach the entry (select all, then typing
	// replaces the text).
	s.openChat("ann@example.org")
	ann = s.chats["ann@example.org"]
	ann.entry.SetText("draft")
	ann.entry.TypedShortcut(&fyne.ShortcutSelectAll{})
	ann.entry.TypedRune('x')
	if ann.entry.Text != "x" {
		t.Errorf("after Ctrl+A and a key the entry holds %q", ann.entry.Text)
	}
}
