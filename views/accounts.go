package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
)

// accountsWindow is the Accounts window (Account → Accounts…): every
// account of the settings, in their order, each with its connection state
// and error, the action that state calls for, and ways to edit, enable or
// disable, reorder and remove it. There is at most one.
type accountsWindow struct {
	win  fyne.Window
	rows *fyne.Container
}

// showAccounts opens the Accounts window, or raises it.
func (u *UI) showAccounts() {
	if w := u.accountsWin; w != nil {
		w.win.RequestFocus()
		return
	}
	w := &accountsWindow{win: u.app.NewWindow(lang.L("Accounts")), rows: container.NewVBox()}
	add := widget.NewButtonWithIcon(lang.L("Add account…"), theme.ContentAddIcon(), func() { u.showAccountDialog("") })
	closeBtn := widget.NewButton(lang.L("Close"), func() { w.win.Close() })
	bottom := container.NewVBox(widget.NewSeparator(), container.NewHBox(add, layout.NewSpacer(), closeBtn))
	w.win.SetContent(container.NewBorder(nil, bottom, nil, nil, container.NewVScroll(w.rows)))
	w.win.SetOnClosed(func() {
		if u.accountsWin == w {
			u.accountsWin = nil
		}
	})
	u.accountsWin = w
	u.refreshAccounts()
	// Room for a few accounts without scrolling.
	w.win.Resize(fyne.NewSize(560, float32(min(165*len(u.cfg.Accounts)+70, 680))))
	w.win.Show()
}

// refreshAccounts shows the accounts again in an open Accounts window.
func (u *UI) refreshAccounts() {
	w := u.accountsWin
	if w == nil {
		return
	}
	w.rows.RemoveAll()
	if len(u.cfg.Accounts) == 0 {
		hint := widget.NewLabel(lang.L("No account set up. Add one below."))
		hint.Importance = widget.LowImportance
		w.rows.Add(hint)
	}
	for i, a := range u.cfg.Accounts {
		if i > 0 {
			w.rows.Add(widget.NewSeparator())
		}
		w.rows.Add(u.accountRow(i, a))
	}
	w.rows.Refresh()
}

// accountRow is one account of the Accounts window.
func (u *UI) accountRow(i int, a account.Account) fyne.CanvasObject {
	dot := canvas.NewCircle(colorOffline)
	name := widget.NewLabelWithStyle(a.JID, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	state := widget.NewLabel("")
	state.Wrapping = fyne.TextWrapWord
	var action *widget.Button
	s := u.session(a.JID)
	switch {
	case a.Disabled:
		state.SetText(lang.L("Disabled: not signed in, its contacts are not listed."))
		state.Importance = widget.LowImportance
	case s == nil:
		state.SetText(connStateText(0))
	default:
		text, color, label, act := u.stateLine(s)
		dot.FillColor = color
		state.SetText(text)
		if act != nil {
			action = widget.NewButton(label, act)
			action.Importance = widget.HighImportance
		}
	}
	enabled := widget.NewCheck(lang.L("Enabled"), func(on bool) { u.setEnabled(a.JID, on) })
	enabled.Checked = !a.Disabled
	edit := widget.NewButton(lang.L("Edit…"), func() { u.showAccountDialog(a.JID) })
	up := widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { u.moveAccount(a.JID, i-1) })
	down := widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { u.moveAccount(a.JID, i+1) })
	if i == 0 {
		up.Disable()
	}
	if i == len(u.cfg.Accounts)-1 {
		down.Disable()
	}
	remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { u.removeAccount(a.JID) })
	// Enabled on the left, the status choice taking the room between,
	// the action the state calls for on the right; below, the account's
	// tools, and its place and removal at the end.
	var status fyne.CanvasObject
	if s != nil {
		status = u.statusChoice(s)
	}
	var act fyne.CanvasObject
	if action != nil {
		act = action
	}
	controls := container.NewBorder(nil, nil, enabled, act, status)
	tools := container.NewHBox(edit)
	if s != nil {
		tools.Add(widget.NewButton(lang.L("Blocked…"), func() { u.showBlocked(a.JID) }))
	}
	if s != nil && s.acct.UsesOAuth() && !s.NeedsSignIn() {
		tools.Add(widget.NewButton(lang.L("Sign out"), func() {
			if x := u.session(a.JID); x != nil {
				u.signOutOf(x)
			}
		}))
	}
	tools.Objects = append(tools.Objects, layout.NewSpacer(), up, down, remove)
	// The account's mark, as its contacts' rows show it.
	mark := canvas.NewRectangle(u.accountColor(a.JID))
	mark.SetMinSize(fyne.NewSize(4, 20))
	head := container.NewBorder(nil, nil, container.NewHBox(mark, container.NewCenter(sizedBox(dot, 12))), nil, name)
	return container.NewVBox(head, state, controls, tools)
}

// sameStatus is, in English, the status choice of an account that
// follows the selector at the top of the main window; statusChoice shows
// it in the user's language (sharedStatus).
const sameStatus = "Shared status" // not translated: the English text of sharedStatus, for tests

// sharedStatus is the status choice of an account that follows the
// selector at the top of the main window.
func sharedStatus() string { return lang.L("Shared status") }

// statusChoice chooses the status of s's account: that of all accounts
// (the selector at the top), or one of its own.
func (u *UI) statusChoice(s *session) *widget.Select {
	same := sharedStatus()
	labels := []string{same}
	for _, sh := range ownShows {
		labels = append(labels, showLabel(sh))
	}
	sel := widget.NewSelect(labels, nil)
	sel.Selected = same
	if u.ownStatus(s.acct.JID) {
		show, _ := u.savedStatus(s.acct.JID)
		sel.Selected = showLabel(show)
	}
	sel.OnChanged = func(l string) {
		show, own := showFromLabel(l)
		u.setOwnStatus(s, own, show)
	}
	return sel
}

// setEnabled enables or disables the account bare: a disabled account
// is signed out and its contacts leave the list; enabling starts it.
func (u *UI) setEnabled(bare string, on bool) {
	a := u.cfg.Find(bare)
	if a == nil || a.Disabled == !on {
		return
	}
	a.Disabled = !on
	if err := u.cfg.Save(u.dir); err != nil {
		u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
	}
	if on {
		u.startAccount(*a)
	} else {
		u.stopSession(bare)
	}
	u.showRows()
	u.refreshState()
	u.refreshRequests()
	u.refreshMessageRequests()
}

// moveAccount puts the account bare at place to: the contact list and
// the Accounts window follow the order.
func (u *UI) moveAccount(bare string, to int) {
	if !u.cfg.Move(bare, to) {
		return
	}
	if err := u.cfg.Save(u.dir); err != nil {
		u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
	}
	u.listSessions()
	u.showRows()
	u.refreshState()
}
