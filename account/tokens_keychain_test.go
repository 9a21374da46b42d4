package account_test

// Refresh tokens in the real OS keychain (see keychain_test.go for how
// `make test` provides one).

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/palaver-im/palaver/account"
)

func TestKeychainRefreshToken(t *testing.T) {
	k := testKeychain(t)
	get := func() (string, error) {
		return within(t, "RefreshToken", func() (string, error) { return k.RefreshToken(alice) })
	}
	set := func(tok string) error {
		_, err := within(t, "SetRefreshToken", func() (struct{}, error) { return struct{}{}, k.SetRefreshToken(alice, tok) })
		return err
	}
	del := func() error {
		_, err := within(t, "DeleteRefreshToken", func() (struct{}, error) { return struct{}{}, k.DeleteRefreshToken(alice) })
		return err
	}

	if tok, err := get(); !errors.Is(err, account.ErrNoSecret) {
		t.Fatalf("RefreshToken before SetRefreshToken = %q, %v; want ErrNoSecret", tok, err)
	}
	// A long, opaque token: the size Windows allows at most.
	long := strings.Repeat("0123456789abcdef", 2560/16)
	for _, tok := range []string{"rt-1", "rt-2/rotated+=", long} {
		if err := set(tok); err != nil {
			t.Fatal(err)
		}
		if got, err := get(); err != nil || got != tok {
			t.Errorf("RefreshToken = %.20q, %v; want %.20q", got, err, tok)
		}
	}
	if err := set(""); err == nil {
		t.Error("SetRefreshToken of an empty token: no error")
	}

	// The password of the same account is a separate item.
	setPassword(t, k, alice, "pw")
	if got, err := get(); err != nil || got != long {
		t.Errorf("setting the password changed the refresh token: %.20q, %v", got, err)
	}
	// It is stored as the bare token under refresh:<jid>, not as JSON.
	raw, err := within(t, "keyring.Get", func() (string, error) { return keyring.Get(k.Service, "refresh:"+alice) })
	if err != nil || raw != long {
		t.Errorf("keyring.Get(%s, refresh:%s) = %.20q, %v", k.Service, alice, raw, err)
	}

	if err := del(); err != nil {
		t.Fatal(err)
	}
	if tok, err := get(); !errors.Is(err, account.ErrNoSecret) {
		t.Errorf("RefreshToken after DeleteRefreshToken = %q, %v", tok, err)
	}
	if err := del(); err != nil {
		t.Errorf("deleting a missing token: %v", err)
	}
	wantPassword(t, k, alice, "pw")
}

// TestKeychainTokenSourceRotation refreshes through a rotating server and
// checks that the real keychain always holds the newest refresh token,
// and that a restart signs in silently from it.
func TestKeychainTokenSourceRotation(t *testing.T) {
	k := testKeychain(t)
	as := newAuthServer(t)
	first := signIn(t, as)
	var storeErrs []error
	ts := account.NewTokenSource(account.TokenSourceConfig{
		OAuth: as.config(), Account: alice, Store: k, Token: first,
		OnStoreError: func(err error) { storeErrs = append(storeErrs, err) },
	})
	c := newClock()
	account.SetClock(ts, c.now)
	stored := func() string {
		tok, err := within(t, "RefreshToken", func() (string, error) { return k.RefreshToken(alice) })
		if err != nil {
			t.Fatalf("RefreshToken: %v", err)
		}
		return tok
	}
	tok := mustToken(t, ts)
	if got := stored(); got != first.RefreshToken {
		t.Errorf("keychain holds %q, want the sign-in's %q", got, first.RefreshToken)
	}
	for range 2 {
		c.advance(2 * time.Hour)
		tok = mustToken(t, ts)
		if got := stored(); got != tok.RefreshToken {
			t.Errorf("keychain holds %q, want the rotated %q", got, tok.RefreshToken)
		}
	}
	if len(storeErrs) != 0 || ts.StoreError() != nil {
		t.Errorf("store errors: %v, %v", storeErrs, ts.StoreError())
	}

	// Restart: a new token source with nothing but the keychain.
	ts2 := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: k})
	tok2 := mustToken(t, ts2)
	if tok2.AccessToken == tok.AccessToken || stored() != tok2.RefreshToken {
		t.Errorf("silent sign-in: access %q (old %q), keychain %q, want the new pair", tok2.AccessToken, tok.AccessToken, stored())
	}

	if err := ts2.SignOut(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := within(t, "RefreshToken", func() (string, error) { return k.RefreshToken(alice) }); !errors.Is(err, account.ErrNoSecret) {
		t.Errorf("after SignOut the keychain gives %v, want ErrNoSecret", err)
	}
}
