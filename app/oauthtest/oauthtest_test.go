package oauthtest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/app/oauthtest"
)

// listener is the application's side of a loopback redirect (RFC 8252):
// it records the query of each request to /callback.
type listener struct {
	URL     string // http://127.0.0.1:PORT/callback
	mu      sync.Mutex
	queries []url.Values
}

func listen(t *testing.T, network, addr string) *listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	l := &listener{URL: "http://" + ln.Addr().String() + "/callback"}
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/callback" {
				http.NotFound(w, r)
				return
			}
			l.mu.Lock()
			l.queries = append(l.queries, r.URL.Query())
			l.mu.Unlock()
			if r.URL.Query().Get("error") != "" {
				http.Error(w, "sign-in failed: "+r.URL.Query().Get("error"), http.StatusBadRequest)
				return
			}
			_, _ = w.Write([]byte("Signed in. You can close this tab."))
		}),
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l
}

// last returns the query of the last redirect the listener got.
func (l *listener) last(t *testing.T) url.Values {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queries) == 0 {
		t.Fatal("the loopback listener got no redirect")
	}
	return l.queries[len(l.queries)-1]
}

// signIn runs the authorization code flow with PKCE, as a native app does,
// with as.Browser as the system browser, and returns the token.
func signIn(t *testing.T, as *oauthtest.Server, l *listener, user, password string, scopes ...string) *oauth2.Token {
	t.Helper()
	cfg := as.Config(l.URL)
	if scopes != nil {
		cfg.Scopes = scopes
	}
	verifier := oauth2.GenerateVerifier()
	state := oauth2.GenerateVerifier()[:22]
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	if err := as.Browser(user, password)(authURL); err != nil {
		t.Fatalf("browser: %v", err)
	}
	q := l.last(t)
	if q.Get("state") != state {
		t.Fatalf("state = %q, want %q", q.Get("state"), state)
	}
	if q.Get("iss") != as.Issuer {
		t.Errorf("iss = %q, want %q (RFC 9207)", q.Get("iss"), as.Issuer)
	}
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchanging the code: %v", err)
	}
	return tok
}

func TestAuthorizationCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	as := oauthtest.Start(t, "alice", "alice-pw")
	if !strings.HasPrefix(as.Issuer, "http://127.0.0.1:") {
		t.Errorf("Issuer = %q", as.Issuer)
	}
	l := listen(t, "tcp", "127.0.0.1:0")
	tok := signIn(t, as, l, "alice", "alice-pw")
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token = %+v, want an access and a refresh token", tok)
	}
	if tok.TokenType != "Bearer" {
		t.Errorf("token type = %q", tok.TokenType)
	}
	if got, _ := tok.Extra("scope").(string); got != "openid xmpp" { // see TestOfflineAccess
		t.Errorf("scope = %q", got)
	}
	if d := time.Until(tok.Expiry); d < 59*time.Minute || d > time.Hour {
		t.Errorf("access token expires in %v, want an hour", d)
	}
	info := as.Introspect(t, tok.AccessToken)
	if info["active"] != true || info["sub"] != "alice" || info["client_id"] != as.ClientID ||
		info["scope"] != "openid xmpp" || info["token_type"] != "Bearer" {
		t.Errorf("introspection = %v", info)
	}
	// A refresh token is no access token: introspection gives it no
	// token_type (the XMPP server relies on that).
	if info := as.Introspect(t, tok.RefreshToken); info["active"] != true || info["token_type"] != nil {
		t.Errorf("introspection of the refresh token = %v", info)
	}
}

func TestLoopbackRedirectOnAnyPortAndIPv6(t *testing.T) {
	t.Parallel()
	as := oauthtest.Start(t, "alice", "alice-pw")
	for _, addr := range []string{"127.0.0.1:0", "127.0.0.1:0", "[::1]:0"} {
		l := listen(t, "tcp", addr)
		if tok := signIn(t, as, l, "alice", "alice-pw"); tok.AccessToken == "" {
			t.Errorf("%s: no access token", l.URL)
		}
	}
}

func TestAuthorizationRequestErrors(t *testing.T) {
	t.Parallel()
	as := oauthtest.Start(t, "alice", "alice-pw")
	l := listen(t, "tcp", "127.0.0.1:0")
	cfg := as.Config(l.URL)
	verifier := oauth2.GenerateVerifier()

	t.Run("PKCE required", func(t *testing.T) {
		redirect, err := as.Login(t, cfg.AuthCodeURL("s1"), "alice", "alice-pw")
		if err != nil {
			t.Fatal(err)
		}
		if q := query(t, redirect); q.Get("error") != "invalid_request" || q.Get("state") != "s1" {
			t.Errorf("redirect = %s, want error=invalid_request", redirect)
		}
	})
	t.Run("plain PKCE refused", func(t *testing.T) {
		redirect, err := as.Login(t, cfg.AuthCodeURL("s2",
			oauth2.SetAuthURLParam("code_challenge", verifier),
			oauth2.SetAuthURLParam("code_challenge_method", "plain")), "alice", "alice-pw")
		if err != nil {
			t.Fatal(err)
		}
		if q := query(t, redirect); q.Get("error") != "invalid_request" {
			t.Errorf("redirect = %s, want error=invalid_request", redirect)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		redirect, err := as.Login(t, cfg.AuthCodeURL("s3", oauth2.S256ChallengeOption(verifier)), "alice", "alice-pw")
		if err != nil {
			t.Fatal(err)
		}
		_, err = cfg.Exchange(context.Background(), query(t, redirect).Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if code := errorCode(err); code != "invalid_grant" {
			t.Errorf("exchange with a wrong verifier: %v, want invalid_grant", err)
		}
	})
	t.Run("code used twice", func(t *testing.T) {
		redirect, err := as.Login(t, cfg.AuthCodeURL("s4", oauth2.S256ChallengeOption(verifier)), "alice", "alice-pw")
		if err != nil {
			t.Fatal(err)
		}
		code := query(t, redirect).Get("code")
		if _, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier)); err != nil {
			t.Fatal(err)
		}
		_, err = cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
		if code := errorCode(err); code != "invalid_grant" {
			t.Errorf("second exchange: %v, want invalid_grant", err)
		}
	})
	t.Run("redirect URI not loopback", func(t *testing.T) {
		bad := as.Config("http://example.com/callback")
		_, err := as.Login(t, bad.AuthCodeURL("s5", oauth2.S256ChallengeOption(verifier)), "alice", "alice-pw")
		if err == nil || !strings.Contains(err.Error(), "redirect_uri") {
			t.Errorf("Login = %v, want an error page about redirect_uri", err)
		}
	})
	t.Run("other path", func(t *testing.T) {
		bad := as.Config(strings.Replace(l.URL, "/callback", "/other", 1))
		_, err := as.Login(t, bad.AuthCodeURL("s6", oauth2.S256ChallengeOption(verifier)), "alice", "alice-pw")
		if err == nil || !strings.Contains(err.Error(), "redirect_uri") {
			t.Errorf("Login = %v, want an error page about redirect_uri", err)
		}
	})
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	as := oauthtest.Start(t, "alice", "alice-pw")
	l := listen(t, "tcp", "127.0.0.1:0")
	cfg := as.Config(l.URL)
	authURL := cfg.AuthCodeURL("state", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	for _, c := range []struct{ user, password string }{
		{"alice", "wrong"}, {"alice", ""}, {"mallory", "alice-pw"}, {"", ""},
	} {
		_, err := as.Login(t, authURL, c.user, c.password)
		if !errors.Is(err, oauthtest.ErrWrongPassword) {
			t.Errorf("Login(%q, %q) = %v, want ErrWrongPassword", c.user, c.password, err)
		}
	}
	if err := as.Browser("alice", "wrong")(authURL); !errors.Is(err, oauthtest.ErrWrongPassword) {
		t.Errorf("Browser with a wrong password = %v", err)
	}

	// Cancel on the login page sends the user back with access_denied.
	redirect, err := as.Deny(t, authURL)
	if err != nil {
		t.Fatal(err)
	}
	if q := query(t, redirect); q.Get("error") != "access_denied" || q.Get("state") != "state" {
		t.Errorf("Deny = %s, want error=access_denied", redirect)
	}
	if err := oauthtest.Visit(redirect); err == nil {
		t.Error("Visit of an error redirect: want the listener's HTTP error")
	}

	// An account added later can sign in.
	as.AddUser(t, "carol", "carol-pw")
	if tok := signIn(t, as, l, "carol", "carol-pw"); tok.AccessToken == "" {
		t.Error("carol got no access token")
	}
	if _, ok := as.Users()["carol"]; !ok {
		t.Error("Users lacks carol")
	}
}

func TestRefreshTokensRotate(t *testing.T) {
	t.Parallel()
	as := oauthtest.StartWith(t, oauthtest.Options{
		Users:          map[string]string{"alice": "alice-pw"},
		AccessTokenTTL: 1500 * time.Millisecond,
	})
	if as.AccessTokenTTL != 2*time.Second {
		t.Errorf("AccessTokenTTL = %v, want 2s (rounded up)", as.AccessTokenTTL)
	}
	l := listen(t, "tcp", "127.0.0.1:0")
	cfg := as.Config(l.URL)
	tok := signIn(t, as, l, "alice", "alice-pw")
	if d := time.Until(tok.Expiry); d > 2*time.Second {
		t.Errorf("access token expires in %v, want 2 s", d)
	}

	// Past its lifetime the access token is no longer active.
	time.Sleep(time.Until(tok.Expiry) + 1100*time.Millisecond)
	if info := as.Introspect(t, tok.AccessToken); info["active"] != false {
		t.Errorf("expired access token: introspection = %v", info)
	}

	// The token source refreshes, and gets a new refresh token.
	next, err := cfg.TokenSource(context.Background(), tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh gave %+v: want a new access token and a new refresh token", next)
	}
	if info := as.Introspect(t, next.AccessToken); info["active"] != true || info["sub"] != "alice" {
		t.Errorf("refreshed access token: introspection = %v", info)
	}

	// Once more, with the new refresh token.
	third, err := refresh(cfg, next.RefreshToken)
	if err != nil {
		t.Fatalf("second refresh: %v", err)
	}

	// The rotated-out refresh token is refused: invalid_grant. Reuse also
	// revokes the grant, so the newest refresh token dies as well (strict
	// servers do that; clients must store each new refresh token).
	if _, err := refresh(cfg, next.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("refresh with a rotated-out refresh token: %v, want invalid_grant", err)
	}
	if _, err := refresh(cfg, third.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("refresh after reuse was detected: %v, want invalid_grant", err)
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	as := oauthtest.Start(t, "alice", "alice-pw", "bob", "bob-pw")
	l := listen(t, "tcp", "127.0.0.1:0")
	cfg := as.Config(l.URL)

	t.Run("grant", func(t *testing.T) {
		tok := signIn(t, as, l, "alice", "alice-pw")
		bobs := signIn(t, as, l, "bob", "bob-pw")
		as.Revoke(t, "alice")
		if _, err := refresh(cfg, tok.RefreshToken); errorCode(err) != "invalid_grant" {
			t.Errorf("refresh after Revoke: %v, want invalid_grant", err)
		}
		if info := as.Introspect(t, tok.AccessToken); info["active"] != false {
			t.Errorf("access token after Revoke: %v", info)
		}
		// Bob is not affected, and alice can sign in again.
		if _, err := refresh(cfg, bobs.RefreshToken); err != nil {
			t.Errorf("bob's refresh: %v", err)
		}
		if tok := signIn(t, as, l, "alice", "alice-pw"); tok.RefreshToken == "" {
			t.Error("alice cannot sign in again")
		}
	})
	t.Run("access tokens only", func(t *testing.T) {
		tok := signIn(t, as, l, "alice", "alice-pw")
		as.RevokeAccessTokens(t, "alice")
		if info := as.Introspect(t, tok.AccessToken); info["active"] != false {
			t.Errorf("access token after RevokeAccessTokens: %v", info)
		}
		next, err := refresh(cfg, tok.RefreshToken)
		if err != nil {
			t.Fatalf("refresh after RevokeAccessTokens: %v", err)
		}
		if info := as.Introspect(t, next.AccessToken); info["active"] != true {
			t.Errorf("new access token: %v", info)
		}
	})
	t.Run("RFC 7009", func(t *testing.T) {
		tok := signIn(t, as, l, "alice", "alice-pw")
		form := url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {as.ClientID}}
		resp, err := http.PostForm(as.RevocationURL, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revocation: HTTP %s", resp.Status)
		}
		if _, err := refresh(cfg, tok.RefreshToken); errorCode(err) != "invalid_grant" {
			t.Errorf("refresh after revocation: %v, want invalid_grant", err)
		}
		// Revoking the refresh token revokes the grant, access tokens too.
		if info := as.Introspect(t, tok.AccessToken); info["active"] != false {
			t.Errorf("access token after revoking the refresh token: %v", info)
		}
	})
	t.Run("issued directly", func(t *testing.T) {
		tok := as.IssueToken(t, "bob", "openid")
		if info := as.Introspect(t, tok); info["active"] != true || info["sub"] != "bob" || info["scope"] != "openid" {
			t.Errorf("IssueToken: introspection = %v", info)
		}
	})
}

func TestStop(t *testing.T) {
	t.Parallel()
	as := oauthtest.Start(t)
	as.Stop()
	if _, err := http.Get(as.OpenIDConfiguration()); err == nil {
		t.Error("the server still answers after Stop")
	}
	as.Stop()
	if !strings.Contains(as.Log(), "GET /.well-known/openid-configuration -> 200") {
		t.Errorf("log lacks the discovery request:\n%s", as.Log())
	}
}

// refresh redeems refreshToken.
func refresh(cfg *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	return cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// errorCode returns the OAuth error code of err ("" if none).
func errorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func query(t *testing.T, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query()
}
