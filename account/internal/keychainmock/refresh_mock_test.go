package keychainmock_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
)

// rotatingServer is a token endpoint that rotates the refresh token on
// every refresh and refuses a rotated-out one with invalid_grant.
func rotatingServer(t *testing.T) account.OAuthConfig {
	t.Helper()
	var (
		mu      sync.Mutex
		n       int
		current = "rt-0"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != current {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		n++
		current = fmt.Sprintf("rt-%d", n)
		json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("at-%d", n), "token_type": "Bearer", "refresh_token": current, "expires_in": 3600})
	}))
	t.Cleanup(srv.Close)
	return account.OAuthConfig{ClientID: "c", AuthURL: srv.URL + "/a", TokenURL: srv.URL + "/t"}
}

const alice = "alice@example.org"

// TestMockRefreshTokenKey pins where refresh tokens are kept: changing
// the item name would sign every OAuth account out.
func TestMockRefreshTokenKey(t *testing.T) {
	keyring.MockInit()
	k := account.Keychain{}
	if err := k.SetRefreshToken(alice, "rt"); err != nil {
		t.Fatal(err)
	}
	if got, err := keyring.Get("palaver", "refresh:"+alice); err != nil || got != "rt" {
		t.Errorf("keyring.Get(palaver, refresh:%s) = %q, %v; want the bare token", alice, got, err)
	}
	if _, err := keyring.Get("palaver", "password:"+alice); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("a refresh token landed in the password item: %v", err)
	}
	if err := k.DeleteRefreshToken(alice); err != nil {
		t.Fatal(err)
	}
	if _, err := k.RefreshToken(alice); !errors.Is(err, account.ErrNoSecret) {
		t.Errorf("RefreshToken after delete = %v", err)
	}
}

func TestMockRefreshTokenErrors(t *testing.T) {
	keyring.MockInitWithError(keyring.ErrSetDataTooBig)
	k := account.Keychain{}
	err := k.SetRefreshToken(alice, strings.Repeat("x", 4000))
	if !errors.Is(err, keyring.ErrSetDataTooBig) || !strings.Contains(err.Error(), "saving the refresh token in the keychain") {
		t.Errorf("SetRefreshToken = %v", err)
	}
	locked := errors.New("the collection is locked")
	keyring.MockInitWithError(locked)
	if _, err := k.RefreshToken(alice); !errors.Is(err, locked) || errors.Is(err, account.ErrNoSecret) || !strings.Contains(err.Error(), "reading the refresh token from the keychain") {
		t.Errorf("RefreshToken = %v", err)
	}
	if err := k.DeleteRefreshToken(alice); !errors.Is(err, locked) || !strings.Contains(err.Error(), "removing the refresh token") {
		t.Errorf("DeleteRefreshToken = %v", err)
	}
}

func TestMockTokenSourceRotation(t *testing.T) {
	keyring.MockInit()
	conf := rotatingServer(t)
	k := account.Keychain{}
	if err := k.SetRefreshToken(alice, "rt-0"); err != nil {
		t.Fatal(err)
	}
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: conf, Account: alice, Store: k})
	for i := 1; i <= 3; i++ {
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := keyring.Get("palaver", "refresh:"+alice); got != fmt.Sprintf("rt-%d", i) || tok.AccessToken != fmt.Sprintf("at-%d", i) {
			t.Errorf("round %d: keychain %q, access %q", i, got, tok.AccessToken)
		}
		ts.Invalidate(tok.AccessToken) // the server rejected it: refresh next time
	}
}

// TestMockTokenSourceBrokenKeychain: a keychain that fails everything
// still lets the user sign in for the session, and says so.
func TestMockTokenSourceBrokenKeychain(t *testing.T) {
	conf := rotatingServer(t)
	broken := errors.New("no Secret Service on the bus")
	keyring.MockInitWithError(broken)
	k := account.Keychain{}

	// Silent sign-in cannot read the token: sign in again, and why.
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: conf, Account: alice, Store: k})
	if _, err := ts.Token(); !errors.Is(err, account.ErrSignInAgain) || !errors.Is(err, broken) {
		t.Errorf("Token = %v, want ErrSignInAgain wrapping the keychain's error", err)
	}

	// A sign-in in the browser holds for the session.
	var reported []error
	ts = account.NewTokenSource(account.TokenSourceConfig{
		OAuth: conf, Account: alice, Store: k,
		Token:        &oauth2.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Second)},
		OnStoreError: func(err error) { reported = append(reported, err) },
	})
	for i := 1; i <= 2; i++ {
		tok, err := ts.Token()
		if err != nil {
			t.Fatalf("Token with a broken keychain = %v", err)
		}
		if tok.AccessToken != fmt.Sprintf("at-%d", i) {
			t.Errorf("access token %q", tok.AccessToken)
		}
		ts.Invalidate(tok.AccessToken)
	}
	if len(reported) != 1 || !errors.Is(reported[0], broken) || !strings.Contains(reported[0].Error(), "holds for this session only") {
		t.Errorf("OnStoreError got %v, want the keychain's error once", reported)
	}
}
