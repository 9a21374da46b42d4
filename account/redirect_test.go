package account_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/palaver-im/palaver/account"
)

// elsewhere is a server that a redirect points at; it counts the
// requests that reach it.
type elsewhere struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func newElsewhere(t *testing.T) *elsewhere {
	e := &elsewhere{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"stolen","token_type":"Bearer","refresh_token":"stolen"}`))
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// redirectTo answers every request with a 307 to target.
func redirectTo(target string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}
}

// followingClients are clients a caller may pass in: each one would
// follow a redirect on its own.
func followingClients() map[string]*http.Client {
	return map[string]*http.Client{
		"default client":                   nil,
		"caller's client":                  {},
		"caller's client that follows all": {CheckRedirect: func(*http.Request, []*http.Request) error { return nil }},
	}
}

// wantRedirectRefused checks that err says a redirect was refused and
// that nothing reached e.
func wantRedirectRefused(t *testing.T, err error, e *elsewhere, op string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error, want the redirect refused")
	}
	t.Logf("error: %v", err)
	if !errors.Is(err, account.ErrRedirected) {
		t.Errorf("error %q does not wrap ErrRedirected", err)
	}
	for _, w := range []string{op, "redirected the request to " + e.srv.URL, "check the endpoint URL"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if n := e.hits.Load(); n != 0 {
		t.Errorf("the redirect target got %d request(s), want none", n)
	}
}

// A 307 from the token endpoint would re-post the code, the PKCE verifier
// and the client secret to the address it names (RFC 9110 §15.4.8).
func TestAuthorizeRefusesRedirects(t *testing.T) {
	for name, client := range followingClients() {
		t.Run(name, func(t *testing.T) {
			e := newElsewhere(t)
			as := newAuthServer(t)
			as.setTokenHook(redirectTo(e.srv.URL + "/token"))
			conf := as.config()
			conf.ClientSecret = "not-so-secret"
			b := newBrowser(t, as)
			_, err, _ := authorize(t, t.Context(), account.Flow{Config: conf, Open: b.open, HTTPClient: client}, b)
			wantRedirectRefused(t, err, e, "finishing the sign-in: ")
			wantPage(t, b.result(t), http.StatusBadRequest, "Sign-in failed")
		})
	}
}

// A refresh re-posted elsewhere would hand over the refresh token.
func TestTokenSourceRefusesRedirects(t *testing.T) {
	for name, client := range followingClients() {
		t.Run(name, func(t *testing.T) {
			e := newElsewhere(t)
			as := newAuthServer(t)
			first := signIn(t, as)
			as.setTokenHook(redirectTo(e.srv.URL + "/token"))
			store := newMemStore()
			store.m[alice] = first.RefreshToken
			ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, HTTPClient: client})
			_, err := ts.Token()
			wantRedirectRefused(t, err, e, "refreshing the access token: ")
			if errors.Is(err, account.ErrSignInAgain) {
				t.Errorf("error %q asks to sign in again; the grant may still be good", err)
			}
		})
	}
}

// A revocation carries the token and the client secret too.
func TestRevokeRefusesRedirects(t *testing.T) {
	for name, client := range followingClients() {
		t.Run(name, func(t *testing.T) {
			e := newElsewhere(t)
			rs := newRevokeServer(t, redirectTo(e.srv.URL+"/revoke"))
			conf := account.OAuthConfig{ClientID: "c", ClientSecret: "s", RevocationURL: rs.srv.URL + "/revoke"}
			err := account.Revoke(t.Context(), conf, "rt", account.HintRefreshToken, client)
			wantRedirectRefused(t, err, e, "revoking the token: ")
		})
	}
}

// The caller's client keeps its own CheckRedirect: the refusal is on a
// copy.
func TestRefusingRedirectsLeavesTheCallersClient(t *testing.T) {
	e := newElsewhere(t)
	rs := newRevokeServer(t, redirectTo(e.srv.URL+"/revoke"))
	client := &http.Client{}
	_ = account.Revoke(t.Context(), account.OAuthConfig{ClientID: "c", RevocationURL: rs.srv.URL + "/revoke"}, "rt", "", client)
	if client.CheckRedirect != nil {
		t.Error("Revoke changed the caller's client")
	}
}
