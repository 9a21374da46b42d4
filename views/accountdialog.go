package views

import (
	"errors"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
)

// accountForm is the account dialog's content.
type accountForm struct {
	jid, password, host, port *widget.Entry
	remember, directTLS       *widget.Check
	errLabel                  *widget.Label
	form                      *widget.Form
}

func newAccountForm(a account.Account, known bool) *accountForm {
	f := &accountForm{
		jid:       widget.NewEntry(),
		password:  widget.NewPasswordEntry(),
		host:      widget.NewEntry(),
		port:      widget.NewEntry(),
		remember:  widget.NewCheck("Remember password", nil),
		directTLS: widget.NewCheck("Direct TLS (XEP-0368)", nil),
		errLabel:  widget.NewLabel(""),
	}
	f.jid.SetPlaceHolder("name@example.org")
	f.jid.SetText(a.JID)
	f.jid.Validator = func(s string) error {
		_, err := account.ParseJID(s)
		return err
	}
	if known {
		f.password.SetPlaceHolder("unchanged")
	}
	f.remember.Checked = a.RememberPassword || !known
	f.host.SetPlaceHolder("optional")
	f.host.SetText(a.Host)
	f.port.SetPlaceHolder("optional")
	if a.Port != 0 {
		f.port.SetText(strconv.Itoa(a.Port))
	}
	f.port.Validator = func(s string) error {
		_, err := parsePort(s)
		return err
	}
	f.directTLS.Checked = a.DirectTLS
	f.errLabel.Importance = widget.DangerImportance
	f.errLabel.Wrapping = fyne.TextWrapWord
	f.errLabel.Hide()
	f.form = widget.NewForm(
		widget.NewFormItem("Address", f.jid),
		widget.NewFormItem("Password", f.password),
		widget.NewFormItem("", f.remember),
		widget.NewFormItem("Server", f.host),
		widget.NewFormItem("Port", f.port),
		widget.NewFormItem("", f.directTLS),
	)
	return f
}

func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New("the port must be a number")
	}
	return n, nil
}

// account returns the settings in the form on top of base (which carries
// what the form does not show, like pinned certificates).
func (f *accountForm) account(base account.Account) (account.Account, error) {
	a := base
	j, err := account.ParseJID(f.jid.Text)
	if err != nil {
		return a, err
	}
	if !strings.EqualFold(j.String(), base.JID) {
		// Another account: nothing of the old one applies.
		a = account.Account{}
	}
	a.JID = j.String()
	a.Host = strings.TrimSpace(f.host.Text)
	if a.Port, err = parsePort(f.port.Text); err != nil {
		return a, err
	}
	a.DirectTLS = f.directTLS.Checked
	a.RememberPassword = f.remember.Checked
	return a, a.Validate()
}

func (f *accountForm) showError(err error) {
	f.errLabel.SetText(err.Error())
	f.errLabel.Show()
}

// showAccountDialog edits the account, or sets one up on first start.
func (u *UI) showAccountDialog() {
	if u.accountOpen != nil {
		return
	}
	var base account.Account
	known := len(u.cfg.Accounts) > 0
	if known {
		base = u.cfg.Accounts[0]
	}
	f := newAccountForm(base, known)
	title := "Account"
	if !known {
		title = "Set up your XMPP account"
	}
	d := dialog.NewCustomWithoutButtons(title, container.NewVBox(f.form, f.errLabel), u.win)
	save := func() {
		a, err := f.account(base)
		if err != nil {
			f.showError(err)
			return
		}
		if f.password.Text == "" && (!known || a.JID != base.JID) {
			if _, ok := u.pw.get(a.JID); !ok {
				f.showError(errors.New("enter the password"))
				return
			}
		}
		if known && a.JID != base.JID {
			u.cfg.Remove(base.JID)
		}
		// The first account is the one shown; keep it first.
		u.cfg.Remove(a.JID)
		u.cfg.Accounts = append([]account.Account{a}, u.cfg.Accounts...)
		if err := u.cfg.Save(u.dir); err != nil {
			f.showError(err)
			return
		}
		u.cfgErr = nil
		d.Hide()
		u.accountSaved(a, f.password.Text, known && a.JID == base.JID && base.RememberPassword)
	}
	for _, e := range []*widget.Entry{f.jid, f.password, f.host, f.port} {
		e.OnSubmitted = func(string) { save() }
	}
	cancel := widget.NewButton("Cancel", d.Hide)
	ok := widget.NewButton("Save", save)
	ok.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{cancel, ok})
	d.SetOnClosed(func() { u.accountOpen = nil })
	u.accountOpen = d
	u.showDialog(d, 440)
	u.win.Canvas().Focus(f.jid)
}

// accountSaved stores the password as the user chose and (re)starts the
// account with the new settings.
func (u *UI) accountSaved(a account.Account, pw string, wasRemembered bool) {
	_, inMemory := u.pw.get(a.JID)
	if pw != "" {
		u.pw.set(a.JID, pw)
	}
	u.pw.setRemember(a.JID, a.RememberPassword)
	proceed := func() {
		if s := u.sess; s != nil && s.acct.JID == a.JID {
			s.acct = a
			s.core.SetAccount(a)
			s.core.Connect()
			u.refreshState()
			return
		}
		u.stopSession()
		u.startSession(a)
	}
	// Without "remember" any stored password is deleted, also one an
	// earlier run may have left behind. If none was typed this session,
	// the stored one is read into memory first and the sign-in waits.
	forget := !a.RememberPassword
	wait := forget && pw == "" && !inMemory
	u.storePassword(a.JID, pw, a.RememberPassword, forget, func(err error) {
		// A failed delete matters only if a password was stored.
		if err != nil && (a.RememberPassword || wasRemembered) {
			u.keychainFailed(err, a.RememberPassword)
		}
		if wait {
			proceed()
		}
	})
	if !wait {
		proceed()
	}
}
