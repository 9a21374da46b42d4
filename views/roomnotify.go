package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
)

// When a room notifies, chosen in its window and kept in the account's
// settings (account.Account.RoomNotify): for every message, when a
// message names us (the default), or never. Unread lines count anyway.

// roomNotify says when room notifies.
func (s *session) roomNotify(room string) string {
	switch w := s.acct.RoomNotify[room]; w {
	case account.RoomNotifyAll, account.RoomNotifyNone:
		return w
	}
	return account.RoomNotifyMentions
}

// setRoomNotify makes room notify when says, and saves it.
func (s *session) setRoomNotify(room, when string) {
	if s.roomNotify(room) == when {
		return
	}
	// A new map: the settings' copy of the account may share the old.
	m := make(map[string]string, len(s.acct.RoomNotify)+1)
	for r, w := range s.acct.RoomNotify {
		m[r] = w
	}
	if when == account.RoomNotifyMentions {
		delete(m, room)
	} else {
		m[room] = when
	}
	if len(m) == 0 {
		m = nil
	}
	s.acct.RoomNotify = m
	if a := s.ui.cfg.Find(s.acct.JID); a != nil {
		a.RoomNotify = m
		if err := s.ui.cfg.Save(s.ui.dir); err != nil {
			s.ui.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
		}
	}
	if c := s.chats[room]; c != nil && c.notifyButton != nil {
		c.notifyButton.SetIcon(roomNotifyIcon(when))
	}
}

// roomNotifyIcon shows when a room notifies.
func roomNotifyIcon(when string) fyne.Resource {
	switch when {
	case account.RoomNotifyAll:
		return theme.VolumeUpIcon()
	case account.RoomNotifyNone:
		return theme.VolumeMuteIcon()
	}
	return theme.VolumeDownIcon()
}

// newNotifyButton is the room window's button that chooses when the room
// notifies.
func (c *chatWindow) newNotifyButton() *widget.Button {
	room := c.conv.peer
	var b *widget.Button
	b = widget.NewButtonWithIcon("", roomNotifyIcon(c.s.roomNotify(room)), func() {
		at := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
		at.Y += b.Size().Height
		widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", c.notifyMenu()...), c.win.Canvas(), at)
	})
	b.Importance = widget.LowImportance
	c.notifyButton = b
	return b
}

// notifyMenu offers the three choices, the room's checked.
func (c *chatWindow) notifyMenu() []*fyne.MenuItem {
	room := c.conv.peer
	title := fyne.NewMenuItem(lang.L("Notify me:"), nil)
	title.Disabled = true
	items := []*fyne.MenuItem{title}
	for _, o := range []struct{ when, label string }{
		{account.RoomNotifyAll, lang.L("For every message")},
		{account.RoomNotifyMentions, lang.L("When I'm mentioned")},
		{account.RoomNotifyNone, lang.L("Never")},
	} {
		it := fyne.NewMenuItem(o.label, func() { c.s.setRoomNotify(room, o.when) })
		it.Checked = c.s.roomNotify(room) == o.when
		items = append(items, it)
	}
	return items
}

// headerButtons lays out the buttons at the right of a chat window's
// header: a contact's profile button alone; for a room, the choice of
// when it notifies, the People button, and more.
func (c *chatWindow) headerButtons(profile fyne.CanvasObject, more ...fyne.CanvasObject) fyne.CanvasObject {
	if !c.room {
		if b := c.newChatMenuButton(); b != nil {
			return container.NewHBox(profile, b)
		}
		return profile
	}
	return container.NewHBox(append([]fyne.CanvasObject{c.newNotifyButton(), profile}, more...)...)
}
