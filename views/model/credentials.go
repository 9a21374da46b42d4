package model

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
)

// What an account signs in with: the passwords of password accounts
// (typed in this run, or remembered in the keychain) and the token
// sources of OAuth accounts. The cores call them from their own
// goroutines; everything here is safe for concurrent use.

// SecretStore keeps remembered passwords; account.Keychain is one.
// Its methods may block (the OS keychain answers over D-Bus), so they are
// called off the UI goroutine.
type SecretStore interface {
	Password(bare string) (string, error)
	SetPassword(bare, password string) error
	DeletePassword(bare string) error
}

var (
	_ SecretStore          = account.Keychain{}
	_ account.RefreshStore = account.Keychain{}
)

// ErrNoPassword is what the password function returns when it has none.
// The core then reports AuthFailed with app.ConditionNoPassword, and the
// UI asks for the password.
var ErrNoPassword = errors.New("none was typed and the keychain holds none")

// KeychainTimeout bounds a keychain call: a Secret Service that hangs must
// not keep the user from signing in with the password just typed.
const KeychainTimeout = 5 * time.Second

// Passwords holds the Passwords typed in this session and knows which
// accounts remember theirs in the keychain. The core calls its password
// functions from its own goroutine, hence the mutex.
type Passwords struct {
	secrets SecretStore

	mu       sync.Mutex
	mem      map[string]string
	remember map[string]bool
	kerr     map[string]error // the last keychain failure, for the prompt
}

// NewPasswords returns the passwords of a run, remembered ones read from s
// (nil: none).
func NewPasswords(s SecretStore) *Passwords {
	return &Passwords{secrets: s, mem: make(map[string]string), remember: make(map[string]bool), kerr: make(map[string]error)}
}

// Set uses pw as bare's password for this run.
func (p *Passwords) Set(bare, pw string) {
	p.mu.Lock()
	p.mem[bare] = pw
	p.mu.Unlock()
}

// forget drops what is known of bare's password in this session.
func (p *Passwords) Forget(bare string) {
	p.mu.Lock()
	delete(p.mem, bare)
	delete(p.remember, bare)
	delete(p.kerr, bare)
	p.mu.Unlock()
}

// Get returns the password of bare typed in this run.
func (p *Passwords) Get(bare string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pw, ok := p.mem[bare]
	return pw, ok
}

// KeychainError returns the keychain failure of the last password lookup
// for bare, if it failed.
func (p *Passwords) KeychainError(bare string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kerr[bare]
}

// SetRemember says whether bare's password is remembered in the keychain.
func (p *Passwords) SetRemember(bare string, on bool) {
	p.mu.Lock()
	p.remember[bare] = on
	p.mu.Unlock()
}

// PasswordFunc returns the app.PasswordFunc of an account: the password
// typed in this session, else the remembered one, else an error.
func (p *Passwords) PasswordFunc(bare string) app.PasswordFunc {
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
			pw, err := WithTimeout(ctx, func() (string, error) { return p.secrets.Password(bare) })
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
		// The keychain's error goes to the prompt (KeychainError), not
		// into the connection state, where it would crowd the window.
		return "", ErrNoPassword
	}
}

// WithTimeout runs f, giving up after KeychainTimeout or when ctx ends.
func WithTimeout(ctx context.Context, f func() (string, error)) (string, error) {
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := f()
		ch <- result{s, err}
	}()
	t := time.NewTimer(KeychainTimeout)
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

// TokenSource is an OAuth account's app.Tokens that can also end the
// sign-in; *account.TokenSource and *SilentTokens are ones.
type TokenSource interface {
	app.Tokens
	SignOut(ctx context.Context) error
}

var (
	_ TokenSource = (*account.TokenSource)(nil)
	_ TokenSource = (*SilentTokens)(nil)
)

// NewSilentTokens returns the token source of a later start of an OAuth
// account with the settings s: cfg is all but the OAuth configuration,
// which is resolved on first use.
func NewSilentTokens(s account.OAuthSettings, cfg account.TokenSourceConfig) *SilentTokens {
	return &SilentTokens{settings: s, cfg: cfg}
}

// SilentTokens signs an OAuth account in with the refresh token stored
// in the keychain, without the browser. It resolves the settings on first
// use, in the goroutine that asks for a token (the core's): resolving may
// fetch the issuer's openid-configuration.
type SilentTokens struct {
	settings account.OAuthSettings
	cfg      account.TokenSourceConfig // all but OAuth

	resolving sync.Mutex // held while resolving: one discovery at a time
	mu        sync.Mutex
	src       *account.TokenSource
}

// source returns the token source, resolving the settings the first time.
func (t *SilentTokens) source(ctx context.Context) (*account.TokenSource, error) {
	t.resolving.Lock()
	defer t.resolving.Unlock()
	if src := t.current(); src != nil {
		return src, nil
	}
	cfg, err := t.settings.Resolve(ctx, t.cfg.HTTPClient)
	if errors.Is(err, account.ErrNoIssuer) {
		// Never signed in: the browser sign-in asks the server first.
		return nil, fmt.Errorf("%w: %w", account.ErrSignInAgain, err)
	}
	if err != nil {
		return nil, err
	}
	c := t.cfg
	c.OAuth = cfg
	src := account.NewTokenSource(c)
	t.mu.Lock()
	t.src = src
	t.mu.Unlock()
	return src, nil
}

func (t *SilentTokens) current() *account.TokenSource {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.src
}

// TokenContext returns a valid access token, refreshed with the stored
// refresh token when needed (see account.TokenSource.TokenContext).
func (t *SilentTokens) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	src, err := t.source(ctx)
	if err != nil {
		return nil, err
	}
	return src.TokenContext(ctx)
}

// Invalidate forgets accessToken if it is the current access token.
func (t *SilentTokens) Invalidate(accessToken string) {
	if src := t.current(); src != nil {
		src.Invalidate(accessToken)
	}
}

// SignOut deletes the stored refresh token and revokes it where the
// provider can. When the provider's endpoints cannot be found, it still
// deletes the token.
func (t *SilentTokens) SignOut(ctx context.Context) error {
	src, err := t.source(ctx)
	if err != nil {
		if t.cfg.Store == nil {
			return err
		}
		// No revocation without the endpoints: only the deletion, bounded
		// by account.KeychainTimeout like every refresh token call.
		return errors.Join(err, account.SignOut(ctx, account.OAuthConfig{}, t.cfg.Account, t.cfg.Store, nil))
	}
	return src.SignOut(ctx)
}
