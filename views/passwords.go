package views

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/views/model"
)

// storePassword updates the keychain for bare off the UI goroutine, then
// runs done on the UI goroutine with the error, if any. With remember a
// typed pw is stored (an empty one keeps what is stored). With forget the
// stored one is deleted, after being kept in memory for this session when
// none was typed. Otherwise the keychain is left alone: a user who never
// asked to remember should not hear that a keychain is missing.
func (u *UI) storePassword(bare, pw string, remember, forget bool, done func(error)) {
	secrets := u.secrets
	if secrets == nil || (remember && pw == "") || (!remember && !forget) {
		done(nil)
		return
	}
	_, inMemory := u.pw.Get(bare)
	go func() {
		var err error
		if remember {
			_, err = model.WithTimeout(context.Background(), func() (string, error) {
				return "", secrets.SetPassword(bare, pw)
			})
		} else {
			if pw == "" && !inMemory {
				if old, rerr := model.WithTimeout(context.Background(), func() (string, error) { return secrets.Password(bare) }); rerr == nil {
					u.pw.Set(bare, old)
				}
			}
			_, err = model.WithTimeout(context.Background(), func() (string, error) {
				return "", secrets.DeletePassword(bare)
			})
		}
		u.do(func() { done(err) })
	}()
}

// keychainFailed tells the user the keychain failed: a password to
// remember is kept for this session only; one to forget may still be there.
func (u *UI) keychainFailed(err error, remember bool) {
	msg := lang.L("Palaver will use the password until you quit, but could not store it.")
	if !remember {
		msg = lang.L("The password stored earlier may still be in the keychain.")
	}
	dialog.ShowInformation(lang.L("Keychain unavailable"), lang.L("The keychain failed: {{.Error}}", map[string]any{"Error": errorText(err)})+"\n\n"+msg, u.win)
}

// passwordPrompt is the open password dialog; there is at most one.
type passwordPrompt struct {
	d       *dialog.CustomDialog
	message *widget.Label
}

// askPassword asks for the password of s's account, explaining why with
// message, and signs in with it.
func (u *UI) askPassword(s *session, message string) {
	if p := u.passwordOpen[s.acct.JID]; p != nil {
		p.message.SetText(plainText(message))
		if u.mainHidden {
			u.showWindow()
		}
		return
	}
	msg := widget.NewLabel(plainText(message))
	msg.Wrapping = fyne.TextWrapWord
	pass := widget.NewPasswordEntry()
	remember := widget.NewCheck(lang.L("Remember password"), nil)
	remember.Checked = s.acct.RememberPassword
	form := widget.NewForm(
		widget.NewFormItem(lang.L("Account"), widget.NewLabel(s.acct.JID)),
		widget.NewFormItem(lang.L("Password"), pass),
		widget.NewFormItem("", remember),
	)
	d := dialog.NewCustomWithoutButtons(lang.L("Sign in"), container.NewVBox(msg, form), u.win)
	p := &passwordPrompt{d: d, message: msg}
	u.passwordOpen[s.acct.JID] = p
	submit := func() {
		if pass.Text == "" {
			msg.SetText(lang.L("Enter the password."))
			return
		}
		d.Hide()
		u.setPassword(s, pass.Text, remember.Checked)
	}
	pass.OnSubmitted = func(string) { submit() }
	cancel := widget.NewButton(lang.L("Cancel"), d.Hide)
	ok := widget.NewButton(lang.L("Sign in"), submit)
	ok.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{cancel, ok})
	d.SetOnClosed(func() {
		if u.passwordOpen[s.acct.JID] == p {
			delete(u.passwordOpen, s.acct.JID)
		}
	})
	u.showDialog(d, 400)
	u.win.Canvas().Focus(pass)
}

// setPassword uses pw for s's account from now on, stores or forgets it
// as remember says, and signs in.
func (u *UI) setPassword(s *session, pw string, remember bool) {
	u.pw.Set(s.acct.JID, pw)
	forget := s.acct.RememberPassword && !remember
	if remember != s.acct.RememberPassword {
		s.acct.RememberPassword = remember
		u.pw.SetRemember(s.acct.JID, remember)
		u.cfg.Put(s.acct)
		if err := u.cfg.Save(u.dir); err != nil {
			u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
		}
		s.core.SetAccount(s.acct)
	}
	u.storePassword(s.acct.JID, pw, remember, forget, func(err error) {
		if err != nil {
			u.keychainFailed(err, remember)
		}
	})
	s.core.Connect()
}
