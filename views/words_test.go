package views

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
)

func TestSignInRequiredText(t *testing.T) {
	for i, tc := range []struct {
		err  error
		want string
	}{
		0: {nil, "Sign in again in your browser to use this account."},
		1: {fmt.Errorf("%w: no refresh token stored", account.ErrSignInAgain), "Sign in again in your browser to use this account. (no refresh token stored)"},
		2: {account.ErrSignInAgain, "Sign in again in your browser to use this account."},
		3: {errors.New("not-authorized"), "Sign in again in your browser to use this account. (not-authorized)"},
	} {
		if got := signInRequiredText(app.SignInRequired{Err: tc.err}); got != tc.want {
			t.Errorf("%d: %q, want %q", i, got, tc.want)
		}
	}
}

func TestAuthFailedText(t *testing.T) {
	for i, tc := range []struct {
		ev      app.AuthFailed
		want    []string
		mustNot string
	}{
		0: {app.AuthFailed{Condition: "not-authorized"}, []string{"user name or password"}, "server said"},
		1: {app.AuthFailed{Condition: "account-disabled", Text: "call support"}, []string{"disabled", "The server said: call support"}, ""},
		2: {app.AuthFailed{Condition: app.ConditionNoPassword, Text: "no password: keychain locked"}, []string{"Enter the password", "keychain locked"}, "server said"},
		3: {app.AuthFailed{Condition: "temporary-auth-failure"}, []string{"try again later"}, ""},
	} {
		got := authFailedText(tc.ev)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%d: %q lacks %q", i, got, w)
			}
		}
		if tc.mustNot != "" && strings.Contains(got, tc.mustNot) {
			t.Errorf("%d: %q must not say %q", i, got, tc.mustNot)
		}
	}
}

func TestCommandFailedText(t *testing.T) {
	e := app.CommandFailed{Op: app.OpRemoveContact, JID: "bob@example.org", Err: errors.New("not allowed")}
	if got, want := commandFailedText(e), "Could not remove contact bob@example.org: not allowed"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	e.JID = ""
	if got, want := commandFailedText(e), "Could not remove contact: not allowed"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestEveryOpHasWords: each operation the core can report as failed has a
// sentence of the views' own, with an address and without.
func TestEveryOpHasWords(t *testing.T) {
	for o := app.Op(1); !strings.HasPrefix(o.String(), "op("); o++ {
		for _, jid := range []string{"", "bob@example.org"} {
			e := app.CommandFailed{Op: o, JID: jid, Err: errors.New("not allowed")}
			if got := commandFailedText(e); strings.HasPrefix(got, "Could not do that") || !strings.HasSuffix(got, ": not allowed") {
				t.Errorf("%s (%q) has no words: %q", o, jid, got)
			}
		}
	}
}
