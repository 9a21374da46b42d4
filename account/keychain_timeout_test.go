package account_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
)

// stuckStore is a RefreshStore whose calls named in stuck block until
// release is called, as a locked Secret Service does while its unlock
// prompt waits for the user; the other calls go to memStore.
type stuckStore struct {
	*memStore
	stuck   map[string]bool // "get", "set", "delete"
	release func()
	gate    chan struct{}
	entered chan string // every blocked call sends its name on entry
}

func newStuckStore(t *testing.T, calls ...string) *stuckStore {
	s := &stuckStore{memStore: newMemStore(), stuck: map[string]bool{}, gate: make(chan struct{}), entered: make(chan string, 16)}
	for _, c := range calls {
		s.stuck[c] = true
	}
	s.release = sync.OnceFunc(func() { close(s.gate) })
	t.Cleanup(s.release)
	return s
}

func (s *stuckStore) wait(call string) {
	if s.stuck[call] {
		s.entered <- call
		<-s.gate
	}
}

func (s *stuckStore) RefreshToken(a string) (string, error) {
	s.wait("get")
	return s.memStore.RefreshToken(a)
}

func (s *stuckStore) SetRefreshToken(a, tok string) error {
	s.wait("set")
	return s.memStore.SetRefreshToken(a, tok)
}

func (s *stuckStore) DeleteRefreshToken(a string) error {
	s.wait("delete")
	return s.memStore.DeleteRefreshToken(a)
}

// keychainWait is the timeout the tests give the store; the tests fail
// when a call takes longer than keychainSlack beyond it.
const (
	keychainWait  = 100 * time.Millisecond
	keychainSlack = 3 * time.Second
)

// wantKeychainTimeout checks that err is a clear keychain timeout that
// came in time.
func wantKeychainTimeout(t *testing.T, err error, start time.Time, words string) {
	t.Helper()
	if took := time.Since(start); took > keychainWait+keychainSlack {
		t.Errorf("gave up after %v, want about %v", took, keychainWait)
	}
	if !errors.Is(err, account.ErrKeychainTimeout) {
		t.Fatalf("error %v does not wrap ErrKeychainTimeout", err)
	}
	for _, w := range []string{words, "the keychain did not answer within " + keychainWait.String(), "unlock it and try again"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

// inTime runs f and fails the test when it does not return within
// twice keychainWait plus keychainSlack: a call that hangs with the store.
func inTime[T any](t *testing.T, what string, f func() (T, error)) (T, error) {
	t.Helper()
	return withinTime(t, 2*keychainWait+keychainSlack, what, f)
}

func TestTokenSourceKeychainTimeouts(t *testing.T) {
	t.Run("reading at a silent sign-in", func(t *testing.T) {
		as := newAuthServer(t)
		first := signIn(t, as)
		store := newStuckStore(t, "get")
		store.m[alice] = first.RefreshToken
		ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store})
		account.SetKeychainTimeout(ts, keychainWait)
		start := time.Now()
		_, err := inTime(t, "Token", ts.Token)
		wantKeychainTimeout(t, err, start, "reading the refresh token from the keychain: ")
		if !errors.Is(err, account.ErrSignInAgain) {
			t.Errorf("error %v does not wrap ErrSignInAgain", err)
		}
		// Unlocked: the call given up on ends, and the next try works.
		store.release()
		if tok := mustToken(t, ts); tok.AccessToken == "" {
			t.Error("no access token once the keychain answers")
		}
	})
	t.Run("saving a new refresh token", func(t *testing.T) {
		as := newAuthServer(t)
		first := signIn(t, as)
		store := newStuckStore(t, "set")
		reported := make(chan error, 4)
		ts := account.NewTokenSource(account.TokenSourceConfig{
			OAuth: as.config(), Account: alice, Store: store, Token: first,
			OnStoreError: func(err error) { reported <- err },
		})
		account.SetKeychainTimeout(ts, keychainWait)
		start := time.Now()
		tok, err := inTime(t, "Token", ts.Token)
		if err != nil || tok.AccessToken != first.AccessToken {
			t.Fatalf("Token = %v, %v; want the sign-in's token for this session", tok, err)
		}
		select {
		case err := <-reported:
			wantKeychainTimeout(t, err, start, "saving the refresh token in the keychain: ")
		default:
			t.Fatal("OnStoreError was not called")
		}
		wantKeychainTimeout(t, ts.StoreError(), start, "holds for this session only")
	})
	t.Run("a late write does not overtake a newer one", func(t *testing.T) {
		as := newAuthServer(t)
		first := signIn(t, as)
		store := newStuckStore(t, "set")
		ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, Token: first})
		account.SetKeychainTimeout(ts, keychainWait)
		c := newClock()
		account.SetClock(ts, c.now)
		inTime(t, "Token", ts.Token) // saving first.RefreshToken hangs
		<-store.entered
		c.advance(2 * time.Hour)
		store.stuck = map[string]bool{}
		release := time.AfterFunc(keychainWait/2, store.release)
		defer release.Stop()
		// Rotated: the new token is saved after the hung write ends.
		newer := mustToken(t, ts)
		// Both writes have reached the store before it is read.
		for deadline := time.Now().Add(keychainSlack); ; time.Sleep(time.Millisecond) {
			store.mu.Lock()
			n := store.sets
			store.mu.Unlock()
			if n == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d writes reached the store, want 2", n)
			}
		}
		if got, _ := store.get(alice); got != newer.RefreshToken {
			t.Errorf("stored %.12q, want the newest %.12q (not the sign-in's %.12q)", got, newer.RefreshToken, first.RefreshToken)
		}
	})
	t.Run("deleting at sign-out", func(t *testing.T) {
		as := newAuthServer(t)
		first := signIn(t, as)
		store := newStuckStore(t, "get", "delete")
		store.m[alice] = first.RefreshToken
		ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, Token: first})
		account.SetKeychainTimeout(ts, keychainWait)
		start := time.Now()
		_, err := inTime(t, "SignOut", func() (struct{}, error) { return struct{}{}, ts.SignOut(t.Context()) })
		wantKeychainTimeout(t, err, start, "the keychain: ")
		if took := time.Since(start); took > 2*keychainWait+keychainSlack {
			t.Errorf("SignOut took %v", took)
		}
		// The token the source held is revoked all the same.
		if got := as.revokedTokens(); len(got) != 1 {
			t.Errorf("revoked %q, want the refresh token", got)
		}
	})
}
