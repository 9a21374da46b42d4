package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/oauthtest"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// OAuth sign-in end to end: the account package's browser flow (loopback
// listener, PKCE, state) against a real oidc-provider whose login page a
// test browser fills in, tokens kept in the real Secret Service, and a
// real Prosody whose auth module checks every token by introspection.

type oauthRig struct {
	as   *oauthtest.Server
	xmpp *prosodytest.Server
	keys account.Keychain
}

func startOAuthRig(t *testing.T, ttl time.Duration) *oauthRig {
	t.Helper()
	as := oauthtest.StartWith(t, oauthtest.Options{
		Users:          map[string]string{"alice": "alice-secret", "bob": "bob-secret"},
		AccessTokenTTL: ttl,
	})
	srv := oauthtest.StartProsody(t, as, prosodytest.Options{})
	srv.Register(t, "alice", "alice-password")
	srv.Register(t, "bob", "bob-password")
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &oauthRig{as: as, xmpp: srv, keys: account.Keychain{Service: "palaver-test-" + hex.EncodeToString(b[:])}}
}

// account returns alice's OAuth account signing in with mechanism.
func (r *oauthRig) account(mechanism string) account.Account {
	return account.Account{
		JID: "alice@" + r.xmpp.Domain, Host: r.xmpp.Host, Port: r.xmpp.Port, CAFile: r.xmpp.CAFile,
		Auth: account.AuthOAuth,
		OAuth: account.OAuthSettings{
			Provider:  account.ProviderGeneric,
			ClientID:  r.as.ClientID,
			Issuer:    r.as.Issuer,
			Scopes:    r.as.Scopes,
			Mechanism: mechanism,
		},
	}
}

// signIn runs the browser flow as user and returns a token source that
// keeps the refresh token in the rig's keychain.
func (r *oauthRig) signIn(t *testing.T, acct account.Account, user, password string) *account.TokenSource {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := acct.OAuth.Resolve(ctx, nil)
	if err != nil {
		t.Fatalf("resolving the provider: %v", err)
	}
	flow := account.Flow{Config: cfg, Open: r.as.Browser(user, password), Timeout: 30 * time.Second}
	tok, err := flow.Authorize(ctx)
	if err != nil {
		t.Fatalf("browser sign-in: %v\nserver log:\n%s", err, r.as.Log())
	}
	t.Cleanup(func() { _ = r.keys.DeleteRefreshToken(acct.JID) })
	return account.NewTokenSource(account.TokenSourceConfig{OAuth: cfg, Account: acct.JID, Store: r.keys, Token: tok})
}

// silent returns a token source that signs in with the stored refresh token.
func (r *oauthRig) silent(t *testing.T, acct account.Account) *account.TokenSource {
	t.Helper()
	cfg, err := acct.OAuth.Resolve(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return account.NewTokenSource(account.TokenSourceConfig{OAuth: cfg, Account: acct.JID, Store: r.keys})
}

func TestOAuthSignInAndChatWithEachMechanism(t *testing.T) {
	for _, mech := range []string{account.MechanismOAuthBearer, account.MechanismGoogle, account.MechanismMessenger} {
		t.Run(mech, func(t *testing.T) {
			rig := startOAuthRig(t, 0)
			acct := rig.account(mech)
			alice := run(t, "alice", app.NewOAuth(acct, rig.signIn(t, acct, "alice", "alice-secret")))
			bob := start(t, "bob", accountFor(rig.xmpp, "bob"), "bob-password")
			on := alice.waitOnline()
			if !strings.HasPrefix(on.Bound, "alice@") {
				t.Errorf("bound as %q", on.Bound)
			}
			bob.waitOnline()
			alice.c.SendMessage("bob@"+rig.xmpp.Domain, "signed in with "+mech)
			bob.wait("message", func(e app.Event) bool {
				m, ok := e.(app.MessageReceived)
				return ok && m.Msg.Body == "signed in with "+mech && m.Peer == "alice@"+rig.xmpp.Domain
			})
			bob.c.SendMessage("alice@"+rig.xmpp.Domain, "got it")
			alice.wait("reply", func(e app.Event) bool {
				m, ok := e.(app.MessageReceived)
				return ok && m.Msg.Body == "got it"
			})
			if n := alice.count(func(e app.Event) bool { _, ok := e.(app.AuthFailed); return ok }); n != 0 {
				t.Errorf("%d auth failures", n)
			}
		})
	}
}

func TestOAuthRefreshRotatesAndRestartSignsInSilently(t *testing.T) {
	rig := startOAuthRig(t, 2*time.Second)
	acct := rig.account(account.MechanismOAuthBearer)
	alice := run(t, "alice", app.NewOAuth(acct, rig.signIn(t, acct, "alice", "alice-secret")))
	alice.waitOnline()
	first, err := rig.keys.RefreshToken(acct.JID)
	if err != nil || first == "" {
		t.Fatalf("no refresh token in the keychain: %q %v", first, err)
	}

	// The access token expires while offline; reconnecting refreshes it,
	// and the rotated refresh token replaces the first in the keychain.
	alice.c.Disconnect()
	alice.wait("offline", isState(app.Offline))
	time.Sleep(3 * time.Second)
	mark := alice.mark()
	alice.c.Connect()
	alice.waitFrom(mark, "online after refresh", isState(app.Online))
	second, err := rig.keys.RefreshToken(acct.JID)
	if err != nil || second == "" || second == first {
		t.Fatalf("refresh token not rotated in the keychain: first %q, now %q (%v)", first, second, err)
	}

	// A restart of the core signs in from the keychain, no browser.
	alice.stop()
	again := run(t, "alice again", app.NewOAuth(acct, rig.silent(t, acct)))
	again.waitOnline()
}

func TestOAuthRevokedGrantAsksToSignInAgain(t *testing.T) {
	rig := startOAuthRig(t, 2*time.Second)
	acct := rig.account(account.MechanismOAuthBearer)
	alice := run(t, "alice", app.NewOAuth(acct, rig.signIn(t, acct, "alice", "alice-secret")))
	alice.waitOnline()
	alice.c.Disconnect()
	alice.wait("offline", isState(app.Offline))

	rig.as.Revoke(t, "alice")
	mark := alice.mark()
	alice.c.Connect()
	ev := alice.waitFrom(mark, "sign in again", func(e app.Event) bool { _, ok := e.(app.SignInRequired); return ok }).(app.SignInRequired)
	if !errors.Is(ev.Err, account.ErrSignInAgain) {
		t.Errorf("error = %v, want account.ErrSignInAgain", ev.Err)
	}
	// No loop: one attempt (plus the one refresh), then offline.
	time.Sleep(3 * time.Second)
	if n := alice.count(isState(app.Connecting)); n != 2 {
		t.Errorf("connecting %d times in all, want 2 (first sign-in, one after revocation)", n)
	}

	// Signing in again in the browser brings the account back.
	alice.c.SetTokens(rig.signIn(t, acct, "alice", "alice-secret"))
	mark = alice.mark()
	alice.c.Connect()
	alice.waitFrom(mark, "online after signing in again", isState(app.Online))
}

// fixedToken always gives the same access token.
type fixedToken struct {
	token       string
	invalidated int
}

func (f *fixedToken) TokenContext(context.Context) (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: f.token}, nil
}
func (f *fixedToken) Invalidate(string) { f.invalidated++ }

// The mechanisms that name the user (OAUTHBEARER's authzid, X-OAUTH2's
// user) are refused a token of someone else.
func TestOAuthTokenOfAnotherUserIsRefused(t *testing.T) {
	for _, mech := range []string{account.MechanismOAuthBearer, account.MechanismGoogle} {
		t.Run(mech, func(t *testing.T) {
			rig := startOAuthRig(t, 0)
			tokens := &fixedToken{token: rig.as.IssueToken(t, "bob", "")}
			alice := run(t, "alice", app.NewOAuth(rig.account(mech), tokens))
			ev := alice.wait("sign in again", func(e app.Event) bool { _, ok := e.(app.SignInRequired); return ok }).(app.SignInRequired)
			if tokens.invalidated != 1 {
				t.Errorf("token invalidated %d times, want exactly one refresh attempt", tokens.invalidated)
			}
			if ev.Err == nil {
				t.Error("no reason given")
			}
			if n := alice.count(isState(app.Online)); n != 0 {
				t.Error("signed in with another user's token")
			}
		})
	}
}

// X-MESSENGER-OAUTH2 names no user: the service takes the identity from
// the token (any JID works in the stream header), so the session is the
// token's user and the core reports that address as the one it is bound to.
func TestOAuthMessengerIdentityComesFromToken(t *testing.T) {
	rig := startOAuthRig(t, 0)
	tokens := &fixedToken{token: rig.as.IssueToken(t, "bob", "")}
	alice := run(t, "alice", app.NewOAuth(rig.account(account.MechanismMessenger), tokens))
	on := alice.waitOnline()
	if !strings.HasPrefix(on.Bound, "bob@"+rig.xmpp.Domain+"/") {
		t.Errorf("bound as %q, want the token's user bob", on.Bound)
	}
}

func TestOAuthNoStoredTokenAsksToSignIn(t *testing.T) {
	rig := startOAuthRig(t, 0)
	acct := rig.account(account.MechanismOAuthBearer)
	alice := run(t, "alice", app.NewOAuth(acct, rig.silent(t, acct)))
	ev := alice.wait("sign in", func(e app.Event) bool { _, ok := e.(app.SignInRequired); return ok }).(app.SignInRequired)
	if !errors.Is(ev.Err, account.ErrSignInAgain) {
		t.Errorf("reason = %v", ev.Err)
	}
}

// flowWith runs the browser flow with opener and a short timeout, and
// returns its result and the redirect URI the flow listened on.
func (r *oauthRig) flowWith(t *testing.T, opener func(authURL string) error, timeout time.Duration) (*oauth2.Token, error, string) {
	t.Helper()
	cfg, err := r.account(account.MechanismOAuthBearer).OAuth.Resolve(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	redirect := make(chan string, 1)
	open := func(u string) error {
		if parsed, err := url.Parse(u); err == nil {
			redirect <- parsed.Query().Get("redirect_uri")
		}
		return opener(u)
	}
	tok, err := account.Flow{Config: cfg, Open: open, Timeout: timeout}.Authorize(context.Background())
	return tok, err, <-redirect
}

// closed checks that nothing listens at the redirect URI any more.
func closed(t *testing.T, redirectURI string) {
	t.Helper()
	u, err := url.Parse(redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("the loopback listener %s is still open", u.Host)
	}
}

func TestOAuthFlowOutcomesAgainstRealServer(t *testing.T) {
	rig := startOAuthRig(t, 0)

	t.Run("wrong password on the login page", func(t *testing.T) {
		var loginErr error
		_, err, redirect := rig.flowWith(t, func(u string) error {
			// The user stays on the login page with its error.
			_, loginErr = rig.as.Login(t, u, "alice", "not-her-password")
			return nil
		}, 3*time.Second)
		if !errors.Is(loginErr, oauthtest.ErrWrongPassword) {
			t.Errorf("login page: %v", loginErr)
		}
		if !errors.Is(err, account.ErrTimeout) {
			t.Errorf("flow: %v, want a timeout", err)
		}
		closed(t, redirect)
	})

	t.Run("user cancels on the provider's page", func(t *testing.T) {
		_, err, redirect := rig.flowWith(t, func(u string) error {
			back, err := rig.as.Deny(t, u)
			if err != nil {
				return err
			}
			go oauthtest.Visit(back)
			return nil
		}, 10*time.Second)
		var ae *account.AuthError
		if !errors.As(err, &ae) || ae.Code != "access_denied" {
			t.Errorf("flow: %v, want access_denied", err)
		}
		closed(t, redirect)
	})

	t.Run("forged redirect with a wrong state", func(t *testing.T) {
		_, err, redirect := rig.flowWith(t, func(u string) error {
			back, err := rig.as.Login(t, u, "alice", "alice-secret")
			if err != nil {
				return err
			}
			forged, _ := url.Parse(back)
			q := forged.Query()
			q.Set("state", "forged")
			forged.RawQuery = q.Encode()
			go oauthtest.Visit(forged.String())
			return nil
		}, 3*time.Second)
		if !errors.Is(err, account.ErrStateMismatch) || !errors.Is(err, account.ErrTimeout) {
			t.Errorf("flow: %v, want a timeout after ignoring a wrong state", err)
		}
		closed(t, redirect)
	})

	t.Run("user never returns", func(t *testing.T) {
		_, err, redirect := rig.flowWith(t, func(string) error { return nil }, 2*time.Second)
		if !errors.Is(err, account.ErrTimeout) {
			t.Errorf("flow: %v, want a timeout", err)
		}
		closed(t, redirect)
	})
}

func TestOAuthServerDownMeansRetryLater(t *testing.T) {
	rig := startOAuthRig(t, 2*time.Second)
	acct := rig.account(account.MechanismOAuthBearer)
	alice := run(t, "alice", app.NewOAuth(acct, rig.signIn(t, acct, "alice", "alice-secret")))
	alice.waitOnline()
	alice.c.Disconnect()
	alice.wait("offline", isState(app.Offline))
	time.Sleep(3 * time.Second) // the access token expires
	rig.as.Stop()
	mark := alice.mark()
	alice.c.Connect()
	s := alice.waitFrom(mark, "waiting to retry", isState(app.Waiting)).(app.StateChanged)
	if s.Err == nil || !strings.Contains(s.Err.Error(), "access token") {
		t.Errorf("waiting because of %v", s.Err)
	}
	if n := alice.count(func(e app.Event) bool { _, ok := e.(app.SignInRequired); return ok }); n != 0 {
		t.Error("an unreachable authorization server must not ask to sign in again")
	}
}

// An OAUTHBEARER account that names no authorization server learns it
// from the XMPP server's RFC 7628 error, and signs in with it.
func TestOAuthIssuerDiscoveredFromServer(t *testing.T) {
	rig := startOAuthRig(t, 0)
	acct := rig.account(account.MechanismOAuthBearer)
	acct.OAuth.Issuer = ""
	if _, err := acct.OAuth.Resolve(context.Background(), nil); !errors.Is(err, account.ErrNoIssuer) {
		t.Fatalf("Resolve without issuer = %v", err)
	}
	issuer, err := app.DiscoverIssuer(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	if issuer != rig.as.OpenIDConfiguration() {
		t.Errorf("discovered %q, want %q", issuer, rig.as.OpenIDConfiguration())
	}
	// The rig serves OAuth on loopback http: the UI refuses that from a
	// server (it must be https and not this computer), so the test goes
	// on as a user who typed the issuer in would.
	if err := account.CheckServerIssuer(issuer); err == nil {
		t.Errorf("CheckServerIssuer(%q) accepted a loopback http issuer", issuer)
	}
	acct.OAuth.Issuer = issuer
	alice := run(t, "alice", app.NewOAuth(acct, rig.signIn(t, acct, "alice", "alice-secret")))
	alice.waitOnline()

	// The account's own TLS rules hold while asking.
	untrusted := acct
	untrusted.CAFile = ""
	var ue *certs.UntrustedError
	if _, err := app.DiscoverIssuer(context.Background(), untrusted); !errors.As(err, &ue) {
		t.Errorf("with an untrusted certificate: %v", err)
	}
}

// The real provider advertises RFC 9207 and puts iss in its redirect:
// the sign-in requires it, works with it, and refuses a redirect whose
// iss names another issuer or is missing, as in a mix-up attack
// (RFC 9700 §4.4) where the code was meant for another server.
func TestOAuthIssIsChecked(t *testing.T) {
	rig := startOAuthRig(t, 0)
	acct := rig.account(account.MechanismOAuthBearer)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, err := acct.OAuth.Resolve(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.RequireIss || cfg.Issuer != rig.as.Issuer {
		t.Fatalf("Resolve = %+v: want iss required from the issuer %s", cfg, rig.as.Issuer)
	}
	// Untouched, the real flow works with iss checked.
	alice := run(t, "alice", app.NewOAuth(acct, rig.signIn(t, acct, "alice", "alice-secret")))
	alice.waitOnline()

	for _, tc := range []struct {
		name   string
		tamper func(q url.Values)
		want   string
	}{
		{name: "another issuer", tamper: func(q url.Values) { q.Set("iss", "https://attacker.example") }, want: `names the issuer "https://attacker.example"`},
		{name: "no issuer", tamper: func(q url.Values) { q.Del("iss") }, want: "names no issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sawIss string
			open := func(authURL string) error {
				redirect, err := rig.as.Login(nil, authURL, "alice", "alice-secret")
				if err != nil {
					return err
				}
				u, err := url.Parse(redirect)
				if err != nil {
					return err
				}
				q := u.Query()
				sawIss = q.Get("iss")
				tc.tamper(q)
				u.RawQuery = q.Encode()
				_ = oauthtest.Visit(u.String()) // the listener answers 400
				return nil
			}
			flow := account.Flow{Config: cfg, Open: open, Timeout: 30 * time.Second}
			tok, err := flow.Authorize(ctx)
			if sawIss != rig.as.Issuer {
				t.Errorf("the provider's redirect carried iss %q, want %q", sawIss, rig.as.Issuer)
			}
			if err == nil {
				t.Fatalf("Authorize = %+v, want the response refused", tok)
			}
			if !errors.Is(err, account.ErrIssuerMismatch) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Authorize: %v; want ErrIssuerMismatch saying %q", err, tc.want)
			}
		})
	}
}
