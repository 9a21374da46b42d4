package views

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// Blocking (XEP-0191): a blocked address reaches nothing of the account
// (the server drops its messages and presence). Contacts are blocked and
// unblocked from their menu, strangers from Message requests; each
// account lists what it blocks in the Accounts window (Blocked…).

// unblocker is a core that can unblock an address; app.Client is one.
type unblocker interface {
	Unblock(jid string)
}

// blockContact asks, then blocks the contact of row r.
func (u *UI) blockContact(r Row) {
	s := u.session(r.Account)
	if s == nil {
		return
	}
	b, ok := s.core.(blocker)
	if !ok {
		return
	}
	who := r.Name
	if who != r.JID {
		who += " <" + r.JID + ">"
	}
	d := dialog.NewConfirm(lang.L("Block {{.Name}}", map[string]any{"Name": r.Name}),
		lang.L("Block {{.Name}}? Their messages, presence and requests no longer reach you. They stay in your contacts; you can unblock them from their menu or in Accounts → Blocked….", map[string]any{"Name": who}),
		func(yes bool) {
			if yes {
				b.Block(r.JID)
			}
		}, u.win)
	d.SetConfirmText(lang.L("Block"))
	d.SetDismissText(lang.L("Cancel"))
	d.SetConfirmImportance(widget.DangerImportance)
	u.showDialog(d, 420)
}

// unblock unblocks jid on s's account.
func (s *session) unblock(jid string) {
	if ub, ok := s.core.(unblocker); ok {
		ub.Unblock(jid)
	}
}

// showBlocked lists what s's account blocks, each with Unblock.
func (u *UI) showBlocked(bare string) {
	s := u.session(bare)
	if s == nil {
		return
	}
	jids := make([]string, 0, len(s.Blocked))
	for j := range s.Blocked {
		jids = append(jids, j)
	}
	slices.Sort(jids)
	box := container.NewVBox()
	if len(jids) == 0 {
		none := widget.NewLabel(lang.L("Nobody is blocked."))
		none.Importance = widget.LowImportance
		box.Add(none)
	}
	for _, j := range jids {
		name := widget.NewLabel(plainLine(j))
		name.Truncation = fyne.TextTruncateEllipsis
		var row *fyne.Container
		unblock := widget.NewButton(lang.L("Unblock"), func() {
			s.unblock(j)
			box.Remove(row)
		})
		row = container.NewBorder(nil, nil, nil, container.NewHBox(layout.NewSpacer(), unblock), name)
		box.Add(row)
	}
	d := dialog.NewCustom(lang.L("Blocked by {{.Account}}", map[string]any{"Account": bare}), lang.L("Close"), container.NewVScroll(box), u.win)
	u.fitDialog(d, 420)
	d.Resize(fyne.NewSize(420, 360))
	d.Show()
}
