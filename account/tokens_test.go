package account_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
)

// memStore is a RefreshStore in memory with injectable failures.
type memStore struct {
	mu                     sync.Mutex
	m                      map[string]string
	getErr, setErr, delErr error
	sets, deletes          int
}

func newMemStore() *memStore { return &memStore{m: map[string]string{}} }

func (s *memStore) RefreshToken(a string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getErr != nil {
		return "", s.getErr
	}
	v, ok := s.m[a]
	if !ok {
		return "", account.ErrNoSecret
	}
	return v, nil
}

func (s *memStore) SetRefreshToken(a, tok string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets++
	if s.setErr != nil {
		return s.setErr
	}
	s.m[a] = tok
	return nil
}

func (s *memStore) DeleteRefreshToken(a string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deletes++
	if s.delErr != nil {
		return s.delErr
	}
	delete(s.m, a)
	return nil
}

func (s *memStore) get(a string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[a]
	return v, ok
}

func (s *memStore) fail(get, set, del error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.getErr, s.setErr, s.delErr = get, set, del
}

const alice = "alice@example.org"

// signIn runs the browser flow against as and returns the token.
func signIn(t *testing.T, as *authServer) *oauth2.Token {
	t.Helper()
	b := newBrowser(t, as)
	tok, err, _ := authorize(t, t.Context(), account.Flow{Config: as.config(), Open: b.open}, b)
	if err != nil {
		t.Fatalf("signing in: %v", err)
	}
	b.result(t)
	return tok
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// refreshes returns the refresh tokens presented to as, in order.
func refreshes(as *authServer) []string {
	var out []string
	for _, r := range as.tokenRequests() {
		if r.Get("grant_type") == "refresh_token" {
			out = append(out, r.Get("refresh_token"))
		}
	}
	return out
}

func mustToken(t *testing.T, ts *account.TokenSource) *oauth2.Token {
	t.Helper()
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

func TestTokenSourceStoresTheSignInToken(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	store := newMemStore()
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, Token: first})
	if store.sets != 0 {
		t.Error("NewTokenSource wrote to the store")
	}
	tok := mustToken(t, ts)
	if tok.AccessToken != first.AccessToken {
		t.Errorf("Token = %q, want the sign-in's %q", tok.AccessToken, first.AccessToken)
	}
	if got, _ := store.get(alice); got != first.RefreshToken {
		t.Errorf("stored %q, want the sign-in's refresh token %q", got, first.RefreshToken)
	}
	mustToken(t, ts)
	if store.sets != 1 {
		t.Errorf("%d writes to the store, want 1", store.sets)
	}
	if len(refreshes(as)) != 0 {
		t.Error("a valid token was refreshed")
	}
	if ts.StoreError() != nil {
		t.Errorf("StoreError = %v", ts.StoreError())
	}
}

func TestTokenSourceRotation(t *testing.T) {
	as := newAuthServer(t)
	as.lifetime = 600
	first := signIn(t, as)
	store := newMemStore()
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, Token: first})
	c := newClock()
	account.SetClock(ts, c.now)

	presented := []string{}
	want := first.RefreshToken
	for i := range 3 {
		c.advance(10 * time.Minute)
		tok := mustToken(t, ts)
		presented = append(presented, want)
		if tok.AccessToken == first.AccessToken {
			t.Fatalf("round %d: the expired access token came back", i)
		}
		stored, _ := store.get(alice)
		if stored == want || !strings.HasPrefix(stored, "rt-") {
			t.Fatalf("round %d: stored refresh token %q, want the rotated one (not %q)", i, stored, want)
		}
		if tok.RefreshToken != stored {
			t.Errorf("round %d: token carries %q, store has %q", i, tok.RefreshToken, stored)
		}
		want = stored
	}
	if got := refreshes(as); strings.Join(got, " ") != strings.Join(presented, " ") {
		t.Errorf("presented %q, want each rotated token once: %q", got, presented)
	}
	for _, r := range as.tokenRequests()[1:] {
		if r.Get("client_id") != as.clientID || r.Has("client_secret") {
			t.Errorf("refresh request %v: want the client_id and no secret", r)
		}
	}
}

func TestTokenSourceExpiryMargin(t *testing.T) {
	tests := []struct {
		name     string
		lifetime time.Duration
		after    time.Duration
		refresh  bool
	}{
		{"fresh", time.Hour, 0, false},
		{"before the margin", time.Hour, time.Hour - account.ExpiryMargin - time.Second, false},
		{"inside the margin", time.Hour, time.Hour - account.ExpiryMargin + time.Second, true},
		{"expired", time.Hour, 2 * time.Hour, true},
		{"short-lived, first half", 10 * time.Second, 4 * time.Second, false},
		{"short-lived, second half", 10 * time.Second, 6 * time.Second, true},
		{"no expiry", 0, 1000 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := newAuthServer(t)
			c := newClock()
			tok := &oauth2.Token{AccessToken: "at-0", RefreshToken: "rt-x"}
			if tt.lifetime > 0 {
				tok.Expiry = time.Now().Add(tt.lifetime)
			}
			as.setTokenHook(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"access_token":"at-new","token_type":"Bearer","expires_in":3600}`))
			})
			ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Token: tok})
			account.SetClock(ts, c.now)
			c.advance(tt.after)
			got := mustToken(t, ts)
			if refreshed := got.AccessToken == "at-new"; refreshed != tt.refresh {
				t.Errorf("after %v of %v: refreshed = %v, want %v", tt.after, tt.lifetime, refreshed, tt.refresh)
			}
			if tt.refresh && got.RefreshToken != "rt-x" {
				t.Errorf("a refresh answer without a refresh token lost the old one: %q", got.RefreshToken)
			}
		})
	}
}

func TestTokenSourceSilentSignIn(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	store := newMemStore()
	store.m[alice] = first.RefreshToken // left by the last session

	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store})
	tok := mustToken(t, ts)
	if tok.AccessToken == first.AccessToken || tok.AccessToken == "" {
		t.Errorf("Token = %q, want a new access token", tok.AccessToken)
	}
	if got, _ := store.get(alice); got == first.RefreshToken || got != tok.RefreshToken {
		t.Errorf("stored %q, want the rotated %q", got, tok.RefreshToken)
	}
	if again := mustToken(t, ts); again.AccessToken != tok.AccessToken {
		t.Errorf("second Token = %q, want the cached %q", again.AccessToken, tok.AccessToken)
	}
	if n := len(refreshes(as)); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

func TestTokenSourceNothingStored(t *testing.T) {
	as := newAuthServer(t)
	store := newMemStore()
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store})
	_, err := ts.Token()
	if !errors.Is(err, account.ErrSignInAgain) || !strings.Contains(err.Error(), "no refresh token is stored for "+alice) {
		t.Errorf("Token = %v, want ErrSignInAgain: nothing stored", err)
	}
	if len(as.tokenRequests()) != 0 {
		t.Error("asked the provider without a refresh token")
	}

	// Memory only: nothing to load either.
	ts = account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice})
	if _, err := ts.Token(); !errors.Is(err, account.ErrSignInAgain) {
		t.Errorf("Token without a store = %v, want ErrSignInAgain", err)
	}

	// The provider gave no refresh token and the access token expired.
	ts = account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store,
		Token: &oauth2.Token{AccessToken: "at", Expiry: time.Now().Add(-time.Minute)}})
	if _, err := ts.Token(); !errors.Is(err, account.ErrSignInAgain) || !strings.Contains(err.Error(), "gave no refresh token") {
		t.Errorf("Token = %v, want ErrSignInAgain: no refresh token", err)
	}
}

func TestTokenSourceLockedKeychain(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	store := newMemStore()
	store.m[alice] = first.RefreshToken
	locked := errors.New("the keychain is locked")
	store.fail(locked, nil, nil)

	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store})
	_, err := ts.Token()
	if !errors.Is(err, account.ErrSignInAgain) || !errors.Is(err, locked) {
		t.Fatalf("Token = %v, want ErrSignInAgain wrapping the keychain's error", err)
	}
	// Unlocked later: the next try works.
	store.fail(nil, nil, nil)
	if tok := mustToken(t, ts); tok.AccessToken == "" {
		t.Error("no access token after the keychain was unlocked")
	}
}

func TestTokenSourceInvalidGrant(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	store := newMemStore()
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, Token: first})
	c := newClock()
	account.SetClock(ts, c.now)
	mustToken(t, ts) // stores the refresh token

	// The user revokes Palaver's access at the provider.
	as.mu.Lock()
	as.grants[first.RefreshToken].dead = true
	as.mu.Unlock()

	c.advance(2 * time.Hour)
	_, err := ts.Token()
	if !errors.Is(err, account.ErrSignInAgain) {
		t.Fatalf("Token = %v, want ErrSignInAgain", err)
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("Token = %v, want it to wrap the invalid_grant answer", err)
	}
	if !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("error %q does not name invalid_grant", err)
	}
	if _, ok := store.get(alice); ok {
		t.Error("the dead refresh token is still stored")
	}
	n := len(as.tokenRequests())
	for range 3 {
		if _, err2 := ts.Token(); !errors.Is(err2, account.ErrSignInAgain) {
			t.Errorf("later Token = %v, want ErrSignInAgain again", err2)
		}
	}
	if len(as.tokenRequests()) != n {
		t.Error("asked the provider again after invalid_grant: this would loop")
	}
}

func TestTokenSourceReusedTokenIsRefused(t *testing.T) {
	// Sanity check of the test server: presenting a rotated-out refresh
	// token kills the grant, which is why every rotation is stored.
	as := newAuthServer(t)
	first := signIn(t, as)
	ts1 := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice,
		Token: &oauth2.Token{RefreshToken: first.RefreshToken}})
	mustToken(t, ts1)
	ts2 := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice,
		Token: &oauth2.Token{RefreshToken: first.RefreshToken}})
	if _, err := ts2.Token(); !errors.Is(err, account.ErrSignInAgain) {
		t.Errorf("reusing a rotated refresh token: %v, want ErrSignInAgain", err)
	}
}

func TestTokenSourceStoreFails(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	store := newMemStore()
	var (
		mu       sync.Mutex
		reported []error
	)
	ts := account.NewTokenSource(account.TokenSourceConfig{
		OAuth: as.config(), Account: alice, Store: store, Token: first,
		OnStoreError: func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() },
	})
	c := newClock()
	account.SetClock(ts, c.now)
	mustToken(t, ts) // stored fine

	full := errors.New("the keychain is full")
	store.fail(nil, full, nil)
	c.advance(2 * time.Hour)
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token with a failing store = %v: the session should go on", err)
	}
	if !errors.Is(ts.StoreError(), full) || !strings.Contains(ts.StoreError().Error(), "holds for this session only") {
		t.Errorf("StoreError = %v, want the store's error, explained", ts.StoreError())
	}
	if _, ok := store.get(alice); ok {
		t.Error("the rotated-out refresh token is still stored: a restart would present it and kill the grant")
	}
	mustToken(t, ts) // tries again, does not report again
	mu.Lock()
	if len(reported) != 1 || !errors.Is(reported[0], full) {
		t.Errorf("OnStoreError got %v, want the store's error once", reported)
	}
	mu.Unlock()

	// The session goes on with the in-memory token.
	c.advance(2 * time.Hour)
	tok2 := mustToken(t, ts)
	if tok2.AccessToken == tok.AccessToken {
		t.Error("no refresh with the refresh token kept in memory")
	}

	// The keychain works again: the current token is stored.
	store.fail(nil, nil, nil)
	tok3 := mustToken(t, ts)
	if got, _ := store.get(alice); got != tok3.RefreshToken {
		t.Errorf("stored %q, want the current %q", got, tok3.RefreshToken)
	}
	if ts.StoreError() != nil {
		t.Errorf("StoreError = %v after a successful store", ts.StoreError())
	}
}

func TestTokenSourceTransientErrors(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	store := newMemStore()
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, Token: first})
	c := newClock()
	account.SetClock(ts, c.now)
	c.advance(2 * time.Hour)

	as.setTokenHook(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>Bad Gateway</html>"))
	})
	_, err := ts.Token()
	if err == nil || errors.Is(err, account.ErrSignInAgain) || !strings.Contains(err.Error(), "refreshing the access token: the authorization server at") {
		t.Fatalf("Token = %v, want a retryable error", err)
	}
	as.setTokenHook(nil)
	if tok := mustToken(t, ts); tok.AccessToken == first.AccessToken {
		t.Error("no new access token once the server is back")
	}
	if got := refreshes(as); len(got) != 2 || got[0] != first.RefreshToken || got[1] != first.RefreshToken {
		t.Errorf("presented %q, want the same (unrotated) refresh token twice", got)
	}
}

func TestTokenSourceInvalidate(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Token: first})

	ts.Invalidate("not-the-current-one")
	if tok := mustToken(t, ts); tok.AccessToken != first.AccessToken {
		t.Errorf("Invalidate of another token dropped the current one")
	}
	ts.Invalidate(first.AccessToken)
	ts.Invalidate(first.AccessToken) // reported twice: still one refresh
	tok := mustToken(t, ts)
	if tok.AccessToken == first.AccessToken {
		t.Error("Token after Invalidate returned the rejected token")
	}
	ts.Invalidate(first.AccessToken) // a late report of the old token
	if again := mustToken(t, ts); again.AccessToken != tok.AccessToken {
		t.Error("a late Invalidate of the old token dropped the new one")
	}
	if n := len(refreshes(as)); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

func TestTokenSourceConcurrent(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	store := newMemStore()
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, Token: first})
	c := newClock()
	account.SetClock(ts, c.now)
	c.advance(2 * time.Hour)

	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Go(func() {
			tok, err := ts.Token()
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = tok.AccessToken
			ts.StoreError()
		})
	}
	wg.Wait()
	for _, at := range got {
		if at != got[0] || at == first.AccessToken {
			t.Fatalf("access tokens %q: want one new token for all", got)
		}
	}
	if n := len(refreshes(as)); n != 1 {
		t.Errorf("%d refreshes for 20 concurrent callers, want 1", n)
	}
}

func TestTokenSourceContext(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice,
		Token: &oauth2.Token{RefreshToken: first.RefreshToken}})
	entered, release := make(chan struct{}), make(chan struct{})
	as.setTokenHook(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		oauthError(w, "temporarily_unavailable", "")
	})
	go ts.Token()
	<-entered
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := ts.TokenContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("TokenContext while another refresh runs = %v, want its context's error", err)
	}
	close(release)

	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	as.setTokenHook(nil)
	if _, err := ts.TokenContext(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("TokenContext with a canceled context = %v", err)
	}
}

func TestTokenSourceSignOut(t *testing.T) {
	as := newAuthServer(t)
	first := signIn(t, as)
	store := newMemStore()
	ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, Token: first})
	c := newClock()
	account.SetClock(ts, c.now)
	c.advance(2 * time.Hour)
	tok := mustToken(t, ts) // rotated: the newest token is tok.RefreshToken

	if err := ts.SignOut(t.Context()); err != nil {
		t.Fatalf("SignOut: %v", err)
	}
	if _, ok := store.get(alice); ok {
		t.Error("the refresh token is still stored after SignOut")
	}
	if got := as.revokedTokens(); len(got) != 1 || got[0] != "refresh_token:"+tok.RefreshToken {
		t.Errorf("revoked %q, want the newest refresh token", got)
	}
	if _, err := ts.Token(); !errors.Is(err, account.ErrSignedOut) {
		t.Errorf("Token after SignOut = %v, want ErrSignedOut", err)
	}
}
