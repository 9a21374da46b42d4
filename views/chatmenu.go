package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The "…" menu of a one-to-one chat's header: Block… or Unblock the peer
// (XEP-0191), as from the contact list and Message requests, so that
// someone who bothers the user is blocked where they bother.

// newChatMenuButton returns the header's menu button, nil when the core
// cannot block.
func (c *chatWindow) newChatMenuButton() *widget.Button {
	if _, ok := c.s.core.(blocker); !ok || c.room {
		return nil
	}
	var b *widget.Button
	b = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), func() {
		menu := fyne.NewMenu("", c.chatMenuItems()...)
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
		widget.ShowPopUpMenuAtPosition(menu, c.win.Canvas(), pos.AddXY(0, b.Size().Height))
	})
	b.Importance = widget.LowImportance
	return b
}

// chatMenuItems are the header menu's items for the peer as it is now.
func (c *chatWindow) chatMenuItems() []*fyne.MenuItem {
	var items []*fyne.MenuItem
	if c.attachBtn != nil {
		items = append(items, fyne.NewMenuItem(lang.L("Send a file…"), c.attach))
	}
	if c.s.Blocked[c.conv.peer] {
		items = append(items, fyne.NewMenuItem(lang.L("Unblock"), func() { c.s.unblock(c.conv.peer) }))
	} else {
		items = append(items, fyne.NewMenuItem(lang.L("Block…"), c.blockPeer))
	}
	return items
}

// blockPeer asks, then blocks the peer.
func (c *chatWindow) blockPeer() {
	b, ok := c.s.core.(blocker)
	if !ok {
		return
	}
	peer := c.conv.peer
	name := c.s.peerName(peer)
	who := name
	if who != peer {
		who += " <" + peer + ">"
	}
	d := dialog.NewConfirm(lang.L("Block {{.Name}}", map[string]any{"Name": name}),
		lang.L("Block {{.Name}}? Their messages, presence and requests no longer reach you. You can unblock them from this menu, their menu in the contact list or in Accounts → Blocked….", map[string]any{"Name": who}),
		func(yes bool) {
			if yes {
				b.Block(peer)
			}
		}, c.win)
	d.SetConfirmText(lang.L("Block"))
	d.SetDismissText(lang.L("Cancel"))
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}
