package views

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
)

// The contact dialogs only send commands. The list changes when the
// server's roster push comes back, and a refusal arrives as CommandFailed.

// formDialog shows a form with an inline error line and OK/Cancel; ok
// returns an error to keep the dialog open and show it.
func (u *UI) formDialog(title, confirm string, items []*widget.FormItem, ok func() error) (*dialog.CustomDialog, *widget.Label) {
	errLabel := widget.NewLabel("")
	errLabel.Importance = widget.DangerImportance
	errLabel.Wrapping = fyne.TextWrapWord
	errLabel.Hide()
	form := widget.NewForm(items...)
	d := dialog.NewCustomWithoutButtons(title, container.NewVBox(form, errLabel), u.win)
	submit := func() {
		if err := ok(); err != nil {
			errLabel.SetText(errorText(err))
			errLabel.Show()
			return
		}
		d.Hide()
	}
	for _, it := range items {
		if e, isEntry := it.Widget.(*widget.Entry); isEntry {
			e.OnSubmitted = func(string) { submit() }
		}
	}
	okBtn := widget.NewButton(confirm, submit)
	okBtn.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton(lang.L("Cancel"), d.Hide), okBtn})
	u.showDialog(d, 400)
	return d, errLabel
}

// accountChoice is how a dialog that acts from one account chooses it:
// the selected contact's account, else the first; with several accounts,
// items gets a select of them (labelled label) first, and chosen returns
// the session picked when the dialog is submitted. It returns nil when no
// account runs.
func (u *UI) accountChoice(label string, items *[]*widget.FormItem) (chosen func() *session) {
	if len(u.sessions) == 0 {
		return nil
	}
	s := u.sessions[0]
	if r, ok := u.contacts.selected(); ok && u.session(r.Account) != nil {
		s = u.session(r.Account)
	}
	if len(u.sessions) == 1 {
		return func() *session { return s }
	}
	names := make([]string, len(u.sessions))
	for i, x := range u.sessions {
		names[i] = x.acct.JID
	}
	from := widget.NewSelect(names, nil)
	from.Selected = s.acct.JID
	*items = append([]*widget.FormItem{widget.NewFormItem(label, from)}, *items...)
	return func() *session {
		if x := u.session(from.Selected); x != nil {
			return x
		}
		return s
	}
}

func (u *UI) addContact() { u.addContactWith(nil, "", "", "") }

// addContactWith is addContact from the account of from (nil: the usual
// choice), with the address, name and group filled in (an xmpp: link,
// uri.go).
func (u *UI) addContactWith(from *session, addr, nick, grp string) {
	var items []*widget.FormItem
	// With several accounts, the contact is added to the one chosen.
	chosen := u.accountChoice(lang.L("Account"), &items)
	if chosen == nil {
		u.signIn()
		return
	}
	if from != nil && len(items) > 0 {
		if sel, ok := items[0].Widget.(*widget.Select); ok {
			sel.SetSelected(from.acct.JID)
		}
	}
	s := chosen()
	jid := widget.NewEntry()
	jid.SetPlaceHolder("name@example.org")
	jid.SetText(addr)
	jid.Validator = func(v string) error {
		_, err := account.ParseJID(v)
		return err
	}
	name := widget.NewEntry()
	name.SetPlaceHolder(lang.L("optional"))
	name.SetText(nick)
	group := widget.NewSelectEntry(s.Roster.Groups())
	group.SetPlaceHolder(lang.L("optional"))
	group.SetText(grp)
	items = append(items,
		widget.NewFormItem(lang.L("Address"), jid),
		widget.NewFormItem(lang.L("Name"), name),
		widget.NewFormItem(lang.L("Group"), group),
	)
	u.formDialog(lang.L("Add contact"), lang.L("Add"), items, func() error {
		s := chosen()
		j, err := account.ParseJID(jid.Text)
		if err != nil {
			return err
		}
		if _, ok := s.Roster.Contact(j.String()); ok {
			return errors.New(lang.L("{{.Address}} is already in your contacts", map[string]any{"Address": j.String()}))
		}
		if j.String() == s.acct.JID {
			return errors.New(lang.L("that is your own address"))
		}
		s.core.AddContact(j.String(), strings.TrimSpace(name.Text), groupList(group.Text))
		return nil
	})
	u.win.Canvas().Focus(jid)
}

func groupList(g string) []string {
	if g = strings.TrimSpace(g); g == "" {
		return nil
	}
	return []string{g}
}

func (u *UI) renameContact(r Row) {
	s := u.session(r.Account)
	if s == nil {
		return
	}
	c, ok := s.Roster.Contact(r.JID)
	if !ok {
		return
	}
	name := widget.NewEntry()
	name.SetText(c.Name)
	name.SetPlaceHolder(c.JID)
	u.formDialog(lang.L("Rename {{.Address}}", map[string]any{"Address": c.JID}), lang.L("Rename"), []*widget.FormItem{
		widget.NewFormItem(lang.L("Name"), name),
	}, func() error {
		s.core.UpdateContact(c.JID, strings.TrimSpace(name.Text), c.Groups)
		return nil
	})
	u.win.Canvas().Focus(name)
}

// moveContact moves the contact out of the group it was picked in (r.Group)
// into another; its other groups stay.
func (u *UI) moveContact(r Row) {
	s := u.session(r.Account)
	if s == nil {
		return
	}
	c, ok := s.Roster.Contact(r.JID)
	if !ok {
		return
	}
	from := r.Group
	group := widget.NewSelectEntry(s.Roster.Groups())
	group.SetText(from)
	group.SetPlaceHolder(lang.L("{{.Group}} (no group)", map[string]any{"Group": groupTitle(DefaultGroup)}))
	u.formDialog(lang.L("Move {{.Name}}", map[string]any{"Name": c.DisplayName()}), lang.L("Move"), []*widget.FormItem{
		widget.NewFormItem(lang.L("To group"), group),
	}, func() error {
		to := strings.TrimSpace(group.Text)
		var groups []string
		for _, g := range c.Groups {
			if g != from && g != to {
				groups = append(groups, g)
			}
		}
		// Moving to the default group alone means having no group.
		if to != "" && (to != DefaultGroup || len(groups) > 0) {
			groups = append(groups, to)
		}
		s.core.UpdateContact(c.JID, c.Name, groups)
		return nil
	})
}

func (u *UI) removeContact(r Row) {
	s := u.session(r.Account)
	if s == nil {
		return
	}
	c, ok := s.Roster.Contact(r.JID)
	if !ok {
		return
	}
	who := c.DisplayName()
	if who != c.JID {
		who += " <" + c.JID + ">"
	}
	d := dialog.NewConfirm(lang.L("Remove contact"),
		lang.L("Remove {{.Contact}} from your contacts?\nYou will no longer see each other's presence.", map[string]any{"Contact": who}),
		func(yes bool) {
			if yes {
				s.core.RemoveContact(c.JID)
			}
		}, u.win)
	d.SetConfirmText(lang.L("Remove"))
	d.SetDismissText(lang.L("Cancel"))
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}
