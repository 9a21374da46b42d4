package account

import (
	"errors"
	"fmt"
	"time"
)

// KeychainTimeout bounds each keychain call for a refresh token, as the
// views bound password calls: a locked Secret Service whose unlock prompt
// nobody answers does not answer at all, and the account's goroutine
// must not hang on it.
const KeychainTimeout = 5 * time.Second

// ErrKeychainTimeout is wrapped by the error of a refresh token store
// call that did not answer within KeychainTimeout.
var ErrKeychainTimeout = errors.New("the keychain did not answer")

// boundedStore gives up on a call to store after timeout.
// A call given up on goes on in its goroutine (go-keyring calls cannot be
// canceled); the next call waits for it, within its own timeout, so calls
// reach store one at a time and in order, and a late write can never
// replace a newer refresh token.
// A boundedStore is safe for concurrent use.
type boundedStore struct {
	store   RefreshStore
	timeout time.Duration
	busy    chan struct{} // held while a call to store runs
}

// bounded returns s with every call bounded by KeychainTimeout; nil stays
// nil and a bounded store is returned as it is.
func bounded(s RefreshStore) RefreshStore {
	switch s := s.(type) {
	case nil:
		return nil
	case *boundedStore:
		return s
	}
	return &boundedStore{store: s, timeout: KeychainTimeout, busy: make(chan struct{}, 1)}
}

// RefreshToken returns the token of account, or ErrNoSecret.
func (b *boundedStore) RefreshToken(account string) (string, error) {
	return call(b, "reading the refresh token from", func() (string, error) { return b.store.RefreshToken(account) })
}

// SetRefreshToken stores token for account.
func (b *boundedStore) SetRefreshToken(account, token string) error {
	_, err := call(b, "saving the refresh token in", func() (struct{}, error) {
		return struct{}{}, b.store.SetRefreshToken(account, token)
	})
	return err
}

// DeleteRefreshToken removes the token of account.
func (b *boundedStore) DeleteRefreshToken(account string) error {
	_, err := call(b, "removing the refresh token from", func() (struct{}, error) {
		return struct{}{}, b.store.DeleteRefreshToken(account)
	})
	return err
}

// call runs f in a goroutine and waits for it at most b.timeout,
// counting the wait for an earlier call that is still running.
func call[T any](b *boundedStore, what string, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	t := time.NewTimer(b.timeout)
	defer t.Stop()
	timedOut := func() (T, error) {
		var zero T
		return zero, fmt.Errorf("%s the keychain: %w within %v; it may be locked and waiting for you to unlock it: unlock it and try again", what, ErrKeychainTimeout, b.timeout)
	}
	select {
	case b.busy <- struct{}{}:
	case <-t.C:
		return timedOut()
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-b.busy }()
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-t.C:
		return timedOut()
	}
}
