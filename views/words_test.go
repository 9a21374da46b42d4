package views

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/saslauth"
)

func TestSignInRequiredText(t *testing.T) {
	for i, tc := range []struct {
		err  error
		want string
	}{
		// Never signed in here: no "again".
		0: {nil, "This account is not signed in. Sign in in your browser to use it."},
		1: {fmt.Errorf("%w: %w for a@example.org", account.ErrSignInAgain, account.ErrNotSignedIn), "This account is not signed in. Sign in in your browser to use it."},
		2: {errors.New("not signed in"), "This account is not signed in. Sign in in your browser to use it."},
		3: {account.ErrSignedOut, "This account is not signed in. Sign in in your browser to use it."},
		// The sign-in went: why, worded, then what to do.
		4: {fmt.Errorf("%w: the access token expired", account.ErrSignInAgain), "The sign-in of this account no longer holds: the access token expired. Sign in again in your browser to use it."},
		5: {account.ErrSignInAgain, "The sign-in of this account no longer holds. Sign in again in your browser to use it."},
		6: {&saslauth.Failure{Condition: "not-authorized"}, "The sign-in of this account no longer holds: the server refused the sign-in. Sign in again in your browser to use it."},
		7: {fmt.Errorf("%w: %w", account.ErrSignInAgain, &oauth2.RetrieveError{ErrorCode: "invalid_grant"}), "The sign-in of this account no longer holds: the provider no longer accepts this sign-in. Sign in again in your browser to use it."},
		8: {fmt.Errorf("%w: reading the refresh token from the keychain: %w", account.ErrSignInAgain, account.ErrKeychainTimeout),
			"The sign-in of this account no longer holds: the keychain did not answer; it may be locked, so unlock it and try again. Sign in again in your browser to use it."},
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
		// The core's Text is English, for the log.
		2: {app.AuthFailed{Condition: app.ConditionNoPassword, Text: "no password: keychain locked"}, []string{"Enter the password"}, "keychain locked"},
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
