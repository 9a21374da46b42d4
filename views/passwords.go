package views

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
)

// errNoPassword is what the password function returns when it has none.
// The core then reports AuthFailed with app.ConditionNoPassword, and the
// UI asks for the password.
var errNoPassword = errors.New("none was typed and the keychain holds none")

// keychainTimeout bounds a keychain call: a Secret Service that hangs must
// not keep the user from signing in with the password just typed.
const keychainTimeout = 5 * time.Second

// passwords holds the passwords typed in this session and knows which
// accounts remember theirs in the keychain. The core calls its password
// functions from its own goroutine, hence the mutex.
type passwords struct {
	secrets SecretStore

	mu       sync.Mutex
	mem      map[string]string
	remember map[string]bool
	kerr     map[string]error // the last keychain failure, for the prompt
}

func newPasswords(s SecretStore) *passwords {
	return &passwords{secrets: s, mem: make(map[string]string), remember: make(map[string]bool), kerr: make(map[string]error)}
}

func (p *passwords) set(bare, pw string) {
	p.mu.Lock()
	p.mem[bare] = pw
	p.mu.Unlock()
}

// forget drops what is known of bare's password in this session.
func (p *passwords) forget(bare string) {
	p.mu.Lock()
	delete(p.mem, bare)
	delete(p.remember, bare)
	delete(p.kerr, bare)
	p.mu.Unlock()
}

func (p *passwords) get(bare string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pw, ok := p.mem[bare]
	return pw, ok
}

// keychainError returns the keychain failure of the last password lookup
// for bare, if it failed.
func (p *passwords) keychainError(bare string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kerr[bare]
}

func (p *passwords) setRemember(bare string, on bool) {
	p.mu.Lock()
	p.remember[bare] = on
	p.mu.Unlock()
}

// passwordFunc returns the app.PasswordFunc of an account: the password
// typed in this session, else the remembered one, else an error.
func (p *passwords) passwordFunc(bare string) app.PasswordFunc {
	return func(ctx context.Context) (string, error) {
		p.mu.Lock()
		pw, ok := p.mem[bare]
		remember := p.remember[bare]
		p.mu.Unlock()
		if ok {
			return pw, nil
		}
		var kerr error
		if remember && p.secrets != nil {
			pw, err := withTimeout(ctx, func() (string, error) { return p.secrets.Password(bare) })
			if err == nil {
				return pw, nil
			}
			if !errors.Is(err, account.ErrNoSecret) {
				kerr = err
			}
		}
		p.mu.Lock()
		p.kerr[bare] = kerr
		p.mu.Unlock()
		// The keychain's error goes to the prompt (keychainError), not
		// into the connection state, where it would crowd the window.
		return "", errNoPassword
	}
}

// withTimeout runs f, giving up after keychainTimeout or when ctx ends.
func withTimeout(ctx context.Context, f func() (string, error)) (string, error) {
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := f()
		ch <- result{s, err}
	}()
	t := time.NewTimer(keychainTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-t.C:
		return "", errors.New("the keychain did not answer")
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

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
	_, inMemory := u.pw.get(bare)
	go func() {
		var err error
		if remember {
			_, err = withTimeout(context.Background(), func() (string, error) {
				return "", secrets.SetPassword(bare, pw)
			})
		} else {
			if pw == "" && !inMemory {
				if old, rerr := withTimeout(context.Background(), func() (string, error) { return secrets.Password(bare) }); rerr == nil {
					u.pw.set(bare, old)
				}
			}
			_, err = withTimeout(context.Background(), func() (string, error) {
				return "", secrets.DeletePassword(bare)
			})
		}
		u.do(func() { done(err) })
	}()
}

// keychainFailed tells the user the keychain failed: a password to
// remember is kept for this session only; one to forget may still be there.
func (u *UI) keychainFailed(err error, remember bool) {
	msg := "Palaver will use the password until you quit, but could not store it."
	if !remember {
		msg = "The password stored earlier may still be in the keychain."
	}
	dialog.ShowInformation("Keychain unavailable", fmt.Sprintf("%v\n\n%s", err, msg), u.win)
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
		return
	}
	msg := widget.NewLabel(plainText(message))
	msg.Wrapping = fyne.TextWrapWord
	pass := widget.NewPasswordEntry()
	remember := widget.NewCheck("Remember password", nil)
	remember.Checked = s.acct.RememberPassword
	form := widget.NewForm(
		widget.NewFormItem("Account", widget.NewLabel(s.acct.JID)),
		widget.NewFormItem("Password", pass),
		widget.NewFormItem("", remember),
	)
	d := dialog.NewCustomWithoutButtons("Sign in", container.NewVBox(msg, form), u.win)
	p := &passwordPrompt{d: d, message: msg}
	u.passwordOpen[s.acct.JID] = p
	submit := func() {
		if pass.Text == "" {
			msg.SetText("Enter the password.")
			return
		}
		d.Hide()
		u.setPassword(s, pass.Text, remember.Checked)
	}
	pass.OnSubmitted = func(string) { submit() }
	cancel := widget.NewButton("Cancel", d.Hide)
	ok := widget.NewButton("Sign in", submit)
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
	u.pw.set(s.acct.JID, pw)
	forget := s.acct.RememberPassword && !remember
	if remember != s.acct.RememberPassword {
		s.acct.RememberPassword = remember
		u.pw.setRemember(s.acct.JID, remember)
		u.cfg.Put(s.acct)
		if err := u.cfg.Save(u.dir); err != nil {
			u.showNotice("Could not save the settings: " + err.Error())
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
