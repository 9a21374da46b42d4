package views

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/saslauth"
)

func authFailedEv(cond, text string) app.AuthFailed {
	e := app.AuthFailed{Condition: cond, Text: text}
	e.Acct = me
	return e
}

// TestPlainIsAnExplicitChoice: a server that offers only PLAIN gets the
// password only after the user allowed it for this account, in a dialog
// that says what PLAIN means; the choice is saved.
func TestPlainIsAnExplicitChoice(t *testing.T) {
	h := signedIn(t)
	mark := len(h.core.Calls())
	h.apply(authFailedEv(app.ConditionPlainNotAllowed, ""))
	d := h.overlay()
	if !labelContaining(d, "password itself") || !labelContaining(d, "did not send it") {
		t.Fatal("the dialog does not explain PLAIN")
	}
	if _, ok := find(d, func(e *widget.Entry) bool { return e.Password }); ok {
		t.Fatal("asks for the password although it is not the password's fault")
	}
	test.Tap(button(t, d, "Allow PLAIN for this account"))
	calls := h.core.Calls()[mark:]
	if len(calls) != 2 || calls[1] != "Connect" {
		t.Fatalf("core calls %q", calls)
	}
	if !h.core.acct.AllowPlain {
		t.Error("the core's account does not allow PLAIN")
	}
	cfg, err := account.Load(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Find(me); a == nil || !a.AllowPlain {
		t.Errorf("saved settings: %+v", a)
	}
}

// TestRefusalsThatAreNotThePassword: a downgrade after SCRAM and a server
// that did not prove itself are told as such, without a password prompt
// and without signing in again.
func TestRefusalsThatAreNotThePassword(t *testing.T) {
	for i, tc := range []struct {
		cond, text string
		err        error
		want       string
	}{
		0: {app.ConditionPlainAfterSCRAM, "", nil, "intercepting"},
		1: {app.ConditionServerNotVerified, "the server declared success\nwithout proof", nil, "declared success without proof"},
		2: {app.ConditionServerNotVerified, "x", &saslauth.VerifyError{Reason: saslauth.Downgrade}, "Details: the list of sign-in methods was changed"},
		3: {app.ConditionServerNotVerified, "x", fmt.Errorf("negotiating: %w", app.ErrSessionNotSignedIn), "Details: the server started the session without signing you in"},
		4: {app.ConditionServerNotVerified, "x", app.ErrSessionNotBound, "Details: the server started the session without giving this device an address"},
	} {
		h := signedIn(t)
		mark := len(h.core.Calls())
		ev := authFailedEv(tc.cond, tc.text)
		ev.Err = tc.err
		h.apply(ev)
		d := h.overlay()
		if !labelContaining(d, tc.want) {
			t.Errorf("%d: the dialog does not say %q", i, tc.want)
		}
		if _, ok := find(d, func(e *widget.Entry) bool { return e.Password }); ok {
			t.Errorf("%d: asks for the password", i)
		}
		test.Tap(button(t, d, "OK"))
		if calls := h.core.Calls()[mark:]; len(calls) != 0 {
			t.Errorf("%d: core calls %q", i, calls)
		}
	}
}

// TestSCRAMIsPinned: once SCRAM signed the account in, the settings say so
// and the account dialog shows PLAIN as refused.
func TestSCRAMIsPinned(t *testing.T) {
	h := newHarness(t, account.Account{JID: me, AllowPlain: true})
	h.ui.Show()
	on := stateEv(app.Online)
	on.Mechanism = "SCRAM-SHA-256"
	h.apply(on)
	cfg, err := account.Load(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Find(me); a == nil || !a.SCRAMPinned || a.ChannelBindingPinned {
		t.Fatalf("saved settings: %+v", a)
	}
	on.Mechanism = "SCRAM-SHA-256-PLUS"
	h.apply(on)
	if cfg, err = account.Load(h.dir); err != nil {
		t.Fatal(err)
	}
	if a := cfg.Find(me); a == nil || !a.SCRAMPinned || !a.ChannelBindingPinned {
		t.Fatalf("saved settings after channel binding: %+v", a)
	}
	f := newAccountForm(*cfg.Find(me), true)
	if !f.allowPlain.Disabled() {
		t.Error("the PLAIN choice is still open")
	}
	if !strings.Contains(f.plainAbout.Text, "refused") || f.plainAbout.Hidden {
		t.Errorf("the dialog does not say why: %q", f.plainAbout.Text)
	}
}

// TestAllowPlainInAccountDialog: the choice is off for a new account, and
// ticking it shows what it means and keeps it in the account.
func TestAllowPlainInAccountDialog(t *testing.T) {
	f := newAccountForm(account.Account{}, false)
	f.jid.SetText(me)
	f.password.SetText("pw")
	if f.allowPlain.Checked || !f.plainAbout.Hidden {
		t.Fatal("PLAIN allowed by default")
	}
	a, err := f.account(account.Account{})
	if err != nil || a.AllowPlain {
		t.Fatalf("account %+v, %v", a, err)
	}
	f.allowPlain.SetChecked(true)
	if f.plainAbout.Hidden || !strings.Contains(f.plainAbout.Text, "password itself") {
		t.Error("no explanation while ticked")
	}
	if a, err = f.account(account.Account{}); err != nil || !a.AllowPlain {
		t.Fatalf("account %+v, %v", a, err)
	}
}
