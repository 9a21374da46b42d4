package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// ErrSignInAgain is wrapped by every TokenSource error that only a new
// sign-in in the browser can cure: the provider revoked or expired the
// grant (invalid_grant), there is no refresh token, or the keychain
// holding it cannot be read. The core turns it into a "sign in again"
// event and stops reconnecting that account.
var ErrSignInAgain = errors.New("sign in again")

// ErrSignedOut is returned by a TokenSource after SignOut.
var ErrSignedOut = errors.New("the account is signed out")

// ErrNotSignedIn is behind ErrSignInAgain when no refresh token is stored
// for the account: it was never signed in on this computer, or signed out.
var ErrNotSignedIn = errors.New("no refresh token is stored")

// errNoTokenKept is ErrNotSignedIn for a token source without a store.
var errNoTokenKept error = notSignedIn("no refresh token is kept")

// notSignedIn is ErrNotSignedIn in other words.
type notSignedIn string

func (e notSignedIn) Error() string        { return string(e) }
func (e notSignedIn) Is(target error) bool { return target == ErrNotSignedIn }

// RefreshStore keeps one refresh token per account; Keychain is the one
// Palaver uses.
type RefreshStore interface {
	// RefreshToken returns the token of account, or ErrNoSecret.
	RefreshToken(account string) (string, error)
	// SetRefreshToken stores token for account, replacing the old one.
	SetRefreshToken(account, token string) error
	// DeleteRefreshToken removes the token of account; a missing token
	// is not an error.
	DeleteRefreshToken(account string) error
}

// ExpiryMargin is how long before its expiry an access token is renewed,
// so that it is still valid when the server checks it. Tokens that live
// less than twice as long are renewed after half their life.
const ExpiryMargin = 30 * time.Second

// TokenSourceConfig is what NewTokenSource needs.
type TokenSourceConfig struct {
	// OAuth names the provider and the client.
	OAuth OAuthConfig
	// Account is the bare JID, the key of the refresh token in Store.
	Account string
	// Store keeps the refresh token; nil keeps it in memory only.
	// Each call to it is given up after KeychainTimeout (the error wraps
	// ErrKeychainTimeout), and calls reach it one at a time.
	Store RefreshStore
	// Token is the token Flow.Authorize returned; nil means a silent
	// sign-in with the refresh token in Store.
	Token *oauth2.Token
	// HTTPClient talks to the token endpoint; nil means a default client.
	// Redirects are never followed, whatever its CheckRedirect says.
	HTTPClient *http.Client
	// OnStoreError, when set, is called when Store fails to keep a new
	// refresh token: once, and again only after storing worked in
	// between. The sign-in still holds for the session: the token stays
	// in memory. It runs in the goroutine that called Token and must not
	// call the TokenSource.
	OnStoreError func(error)
}

// TokenSource gives the core a valid access token for one account: an
// oauth2.TokenSource that refreshes when needed and writes every new
// refresh token to the store at once.
//
// Providers may rotate the refresh token on every use, and presenting a
// rotated-out one revokes the whole grant on strict servers, so a new
// refresh token replaces the old one in memory before anything else and
// in the store right after. When the store fails (a locked or missing
// keychain), the new token is kept in memory, the error is reported
// through OnStoreError and StoreError, the old token is removed from the
// store if possible (a restart then asks to sign in again instead of
// presenting a dead token), and storing is tried again on later calls.
//
// The access token is only ever kept in memory.
//
// A TokenSource is safe for concurrent use. Refreshes are serialized: one
// refresh token is never presented twice at the same time.
type TokenSource struct {
	cfg  TokenSourceConfig
	conf *oauth2.Config
	sem  chan struct{} // held while refreshing or storing
	now  func() time.Time

	mu       sync.Mutex
	tok      *oauth2.Token // the current access token, nil when none
	issued   time.Time     // when tok arrived
	refresh  string        // the refresh token to use next
	loaded   bool          // refresh is known: given, or read from Store
	stored   string        // the token known to be in Store, "" for none
	dead     error         // sticky: ErrSignInAgain or ErrSignedOut
	storeErr error         // the last failure to store, nil after a success
}

// NewTokenSource returns a token source for c.Account.
// It does no I/O: the first Token call stores the refresh token of
// c.Token, or reads the stored one when c.Token is nil.
func NewTokenSource(c TokenSourceConfig) *TokenSource {
	c.Store = bounded(c.Store)
	s := &TokenSource{
		cfg:  c,
		conf: c.OAuth.OAuth2Config(""),
		sem:  make(chan struct{}, 1),
		now:  time.Now,
	}
	if c.Token != nil {
		t := *c.Token
		s.tok, s.refresh, s.loaded = &t, t.RefreshToken, true
		s.issued = s.now()
	}
	return s
}

// Token returns a valid access token, refreshing it when needed.
// See TokenContext.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext returns a valid access token, refreshing it when it
// expires within ExpiryMargin or was rejected (see Invalidate).
// ctx bounds the wait for another refresh and the refresh itself.
//
// Errors wrapping ErrSignInAgain mean that only a new sign-in helps;
// after invalid_grant every later call returns the same error without
// asking the provider again. Other errors (the provider is down, the
// network is) are worth retrying later.
// The token returned is a copy: the caller may keep it.
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.sem }()

	s.mu.Lock()
	if s.dead != nil {
		err := s.dead
		s.mu.Unlock()
		return nil, err
	}
	if s.usable() {
		t := *s.tok
		s.mu.Unlock()
		s.persist()
		return &t, nil
	}
	rt, loaded := s.refresh, s.loaded
	s.mu.Unlock()

	if !loaded {
		var err error
		if rt, err = s.load(); err != nil {
			return nil, err
		}
	}
	if rt == "" {
		return nil, fmt.Errorf("%w: the access token expired and the provider gave no refresh token", ErrSignInAgain)
	}
	tok, err := s.refreshWith(ctx, rt)
	if err != nil {
		if errors.Is(err, ErrSignInAgain) {
			s.mu.Lock()
			s.dead, s.tok, s.refresh = err, nil, ""
			stored := s.stored
			s.mu.Unlock()
			// The grant is gone: leave nothing for a restart to try.
			if stored != "" && s.cfg.Store != nil && s.cfg.Store.DeleteRefreshToken(s.cfg.Account) == nil {
				s.mu.Lock()
				s.stored = ""
				s.mu.Unlock()
			}
		}
		return nil, err
	}
	s.mu.Lock()
	s.tok, s.issued = tok, s.now()
	if tok.ExpiresIn > 0 {
		// Measure the lifetime on the clock that checks it.
		tok.Expiry = s.issued.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if tok.RefreshToken != "" {
		s.refresh = tok.RefreshToken
	}
	t := *tok
	s.mu.Unlock()
	s.persist()
	return &t, nil
}

// Invalidate forgets the access token if it is accessToken, so that the
// next Token call refreshes it. The core calls it when the server
// rejects the token (OAUTHBEARER's invalid_token); comparing the token
// keeps two reports of one rejection from causing two refreshes.
func (s *TokenSource) Invalidate(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == accessToken {
		s.tok = nil
	}
}

// StoreError returns why the current refresh token could not be stored,
// or nil when it is stored (or there is nothing to store).
func (s *TokenSource) StoreError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storeErr
}

// SignOut ends the sign-in: every later Token call returns ErrSignedOut,
// the refresh token is deleted from the store and revoked at the
// provider where it has a revocation endpoint (see SignOut).
func (s *TokenSource) SignOut(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.sem }()
	s.mu.Lock()
	rt, at := s.refresh, ""
	if s.tok != nil {
		at = s.tok.AccessToken
	}
	s.dead, s.tok, s.refresh, s.stored = ErrSignedOut, nil, "", ""
	s.mu.Unlock()
	return signOut(ctx, s.cfg.OAuth, s.cfg.Account, s.cfg.Store, s.cfg.HTTPClient, rt, at)
}

// usable reports whether s.tok can be handed out; s.mu is held.
func (s *TokenSource) usable() bool {
	if s.tok == nil || s.tok.AccessToken == "" {
		return false
	}
	if s.tok.Expiry.IsZero() {
		return true // the provider did not say; the server will
	}
	margin := min(ExpiryMargin, s.tok.Expiry.Sub(s.issued)/2)
	return s.now().Add(max(margin, 0)).Before(s.tok.Expiry)
}

// load reads the refresh token from the store; the semaphore is held.
func (s *TokenSource) load() (string, error) {
	if s.cfg.Store == nil {
		return "", fmt.Errorf("%w: %w for %s", ErrSignInAgain, errNoTokenKept, s.cfg.Account)
	}
	rt, err := s.cfg.Store.RefreshToken(s.cfg.Account)
	if errors.Is(err, ErrNoSecret) {
		return "", fmt.Errorf("%w: %w for %s", ErrSignInAgain, ErrNotSignedIn, s.cfg.Account)
	}
	if err != nil {
		// Not sticky: the keychain may be unlocked by the next try.
		return "", fmt.Errorf("%w: %w", ErrSignInAgain, err)
	}
	s.mu.Lock()
	s.refresh, s.stored, s.loaded = rt, rt, true
	s.mu.Unlock()
	return rt, nil
}

// refreshWith asks the token endpoint for a new access token.
func (s *TokenSource) refreshWith(ctx context.Context, rt string) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	rctx, info := recording(ctx, s.cfg.HTTPClient)
	tok, err := s.conf.TokenSource(rctx, &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		err = tokenEndpointError("refreshing the access token", s.conf.Endpoint.TokenURL, err, info)
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			return nil, fmt.Errorf("%w: %w", ErrSignInAgain, err)
		}
		return nil, err
	}
	return tok, nil
}

// persist writes the current refresh token to the store when it is not
// there yet; the semaphore is held.
func (s *TokenSource) persist() {
	s.mu.Lock()
	rt, stored := s.refresh, s.stored
	s.mu.Unlock()
	if s.cfg.Store == nil || rt == "" || rt == stored {
		return
	}
	err := s.cfg.Store.SetRefreshToken(s.cfg.Account, rt)
	if err == nil {
		s.mu.Lock()
		s.stored, s.storeErr = rt, nil
		s.mu.Unlock()
		return
	}
	err = fmt.Errorf("the sign-in of %s holds for this session only: %w", s.cfg.Account, err)
	removed := stored != "" && s.cfg.Store.DeleteRefreshToken(s.cfg.Account) == nil
	s.mu.Lock()
	if removed {
		s.stored = ""
	}
	report := s.storeErr == nil
	s.storeErr = err
	s.mu.Unlock()
	if report && s.cfg.OnStoreError != nil {
		s.cfg.OnStoreError(err)
	}
}
