package views

import (
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
)

// Keyboard shortcuts. Those of the main window are its menu items'
// (Fyne runs a menu item's shortcut whatever widget has the focus);
// a chat window has no menu, so its entry passes them on (chatShortcut).

// ctrl is the shortcut Ctrl+key (Cmd+key on macOS), with Shift when shift.
func ctrl(key fyne.KeyName, shift bool) *desktop.CustomShortcut {
	m := fyne.KeyModifierShortcutDefault
	if shift {
		m |= fyne.KeyModifierShift
	}
	return &desktop.CustomShortcut{KeyName: key, Modifier: m}
}

// withShortcut sets item's shortcut and returns it.
func withShortcut(item *fyne.MenuItem, s fyne.Shortcut) *fyne.MenuItem {
	item.Shortcut = s
	return item
}

// shortcutsHelp lists the shortcuts, for Help → Keyboard shortcuts: the
// keys and what they do, in the language shown.
func shortcutsHelp() [][2]string {
	return [][2]string{
		{lang.L("Ctrl+N"), lang.L("Start a chat with an address")},
		{lang.L("Ctrl+J"), lang.L("Join a group chat (room)")},
		{lang.L("Ctrl+F"), lang.L("Search contacts")},
		{lang.L("Ctrl+Shift+F"), lang.L("Search messages")},
		{lang.L("Ctrl+Q"), lang.L("Quit")},
		{lang.L("Enter"), lang.L("Send the message (in a chat)")},
		{lang.L("Shift+Enter"), lang.L("New line in the message")},
		{lang.L("Ctrl+W or Esc"), lang.L("Close the chat window")},
		{lang.L("Ctrl+Tab"), lang.L("Next chat window")},
	}
}

// showShortcuts shows the keyboard shortcuts.
func (u *UI) showShortcuts() {
	form := widget.NewForm()
	for _, s := range shortcutsHelp() {
		keys := widget.NewLabelWithStyle(s[0], fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		form.Append("", container.NewBorder(nil, nil, keys, nil, widget.NewLabel(s[1])))
	}
	note := widget.NewLabel(lang.L("On macOS, Cmd instead of Ctrl."))
	note.Importance = widget.LowImportance
	d := dialog.NewCustom(lang.L("Keyboard shortcuts"), lang.L("Close"), container.NewVBox(form, note), u.win)
	u.showDialog(d, 420)
}

// focusFilter puts the keyboard in the contact search.
func (u *UI) focusFilter() { u.win.Canvas().Focus(u.filter) }

// focusSearch puts the keyboard in the message search.
func (u *UI) focusSearch() { u.win.Canvas().Focus(u.search.entry) }

// startChat asks for an address (and with several accounts, which one
// writes) and opens the chat with it: anyone, contact or not.
func (u *UI) startChat() {
	var items []*widget.FormItem
	chosen := u.accountChoice(lang.L("From"), &items)
	if chosen == nil {
		u.signIn()
		return
	}
	jid := widget.NewEntry()
	jid.SetPlaceHolder("name@example.org")
	jid.Validator = func(v string) error {
		_, err := account.ParseJID(v)
		return err
	}
	items = append(items, widget.NewFormItem(lang.L("Address"), jid))
	u.formDialog(lang.L("Start a chat"), lang.L("Chat"), items, func() error {
		s := chosen()
		j, err := account.ParseJID(strings.TrimSpace(jid.Text))
		if err != nil {
			return err
		}
		if j.String() == s.acct.JID {
			return errors.New(lang.L("that is your own address"))
		}
		s.openChat(j.String())
		return nil
	})
	u.win.Canvas().Focus(jid)
}

// chatShortcut carries out a shortcut typed in a chat window; it reports
// whether it was one of the chat's.
func (c *chatWindow) chatShortcut(s fyne.Shortcut) bool {
	if p, ok := s.(*fyne.ShortcutPaste); ok {
		return c.paste(p)
	}
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || cs.Modifier&fyne.KeyModifierShortcutDefault == 0 {
		return false
	}
	switch cs.KeyName {
	case fyne.KeyW:
		c.win.Close()
	case fyne.KeyQ:
		c.s.ui.Quit()
	case fyne.KeyTab:
		c.s.ui.nextChat(c)
	case fyne.KeyN:
		c.s.ui.win.RequestFocus()
		c.s.ui.startChat()
	default:
		return false
	}
	return true
}

// nextChat raises the chat window after c, of any account, in the order
// of the accounts and then of the conversations' addresses.
func (u *UI) nextChat(c *chatWindow) {
	var all []*chatWindow
	for _, s := range u.sessions {
		peers := make([]string, 0, len(s.chats))
		for p := range s.chats {
			peers = append(peers, p)
		}
		slices.Sort(peers)
		for _, p := range peers {
			all = append(all, s.chats[p])
		}
	}
	for i, x := range all {
		if x == c && len(all) > 1 {
			next := all[(i+1)%len(all)]
			next.show(true)
			return
		}
	}
}
