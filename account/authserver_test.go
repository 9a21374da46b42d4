package account_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
)

// authServer is a small OAuth 2.0 authorization server for unit tests:
// codes with PKCE S256, rotating refresh tokens whose reuse revokes the
// grant (as strict servers do), RFC 7009 revocation and an
// openid-configuration. The "browser" registers codes with newCode.
// Integration tests use a real provider instead (app/oauthtest).
type authServer struct {
	t        *testing.T
	srv      *httptest.Server
	clientID string
	lifetime int // expires_in of access tokens, seconds; 0: not sent

	mu       sync.Mutex
	codes    map[string]codeGrant
	grants   map[string]*grant // by refresh token, current and rotated out
	revoked  []string
	tokenReq []url.Values
	// tokenHook, when set, answers token requests instead.
	tokenHook func(w http.ResponseWriter, r *http.Request)
	// revokeHook, when set, answers revocation requests instead.
	revokeHook func(w http.ResponseWriter, r *http.Request)
	n          int
}

type codeGrant struct {
	challenge, redirect string
	used                bool
}

type grant struct {
	current string // the refresh token that works now
	dead    bool
}

func newAuthServer(t *testing.T) *authServer {
	t.Helper()
	as := &authServer{
		t:        t,
		clientID: "palaver-test",
		lifetime: 3600,
		codes:    map[string]codeGrant{},
		grants:   map[string]*grant{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", as.token)
	mux.HandleFunc("POST /revoke", as.revoke)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                           as.srv.URL,
			"authorization_endpoint":           as.srv.URL + "/authorize",
			"token_endpoint":                   as.srv.URL + "/token",
			"revocation_endpoint":              as.srv.URL + "/revoke",
			"response_types_supported":         []string{"code"},
			"code_challenge_methods_supported": []string{"S256"},
			"scopes_supported":                 []string{"openid", "offline_access", "xmpp"},
		})
	})
	as.srv = httptest.NewServer(mux)
	t.Cleanup(as.srv.Close)
	return as
}

// config is the OAuthConfig of a public client of as.
func (as *authServer) config() account.OAuthConfig {
	return account.OAuthConfig{
		Provider:      account.ProviderGeneric,
		ClientID:      as.clientID,
		AuthURL:       as.srv.URL + "/authorize",
		TokenURL:      as.srv.URL + "/token",
		RevocationURL: as.srv.URL + "/revoke",
		Scopes:        []string{"openid", "offline_access"},
		Mechanism:     account.MechanismOAuthBearer,
	}
}

// newCode registers an authorization code for a challenge and redirect.
func (as *authServer) newCode(challenge, redirect string) string {
	as.mu.Lock()
	defer as.mu.Unlock()
	code := "code-" + rand.Text()
	as.codes[code] = codeGrant{challenge: challenge, redirect: redirect}
	return code
}

// issue makes a token pair for a new or existing grant; as.mu is held.
func (as *authServer) issue(w http.ResponseWriter, g *grant) {
	as.n++
	if g == nil {
		g = &grant{}
	}
	g.current = fmt.Sprintf("rt-%d-%s", as.n, rand.Text())
	as.grants[g.current] = g
	resp := map[string]any{
		"access_token":  fmt.Sprintf("at-%d", as.n),
		"token_type":    "Bearer",
		"refresh_token": g.current,
	}
	if as.lifetime > 0 {
		resp["expires_in"] = as.lifetime
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(resp)
}

func oauthError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (as *authServer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", err.Error())
		return
	}
	as.mu.Lock()
	as.tokenReq = append(as.tokenReq, r.PostForm)
	hook := as.tokenHook
	as.mu.Unlock()
	if hook != nil {
		hook(w, r)
		return
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	if _, _, basic := r.BasicAuth(); basic {
		oauthError(w, "invalid_client", "a public client sends no Authorization header")
		return
	}
	if got := r.PostForm.Get("client_id"); got != as.clientID {
		oauthError(w, "invalid_client", "unknown client "+got)
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		cg, ok := as.codes[code]
		if !ok || cg.used {
			oauthError(w, "invalid_grant", "unknown or used code")
			return
		}
		cg.used = true
		as.codes[code] = cg
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != cg.challenge {
			oauthError(w, "invalid_grant", "PKCE verification failed")
			return
		}
		if r.PostForm.Get("redirect_uri") != cg.redirect {
			oauthError(w, "invalid_grant", "redirect_uri mismatch")
			return
		}
		as.issue(w, nil)
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		g, ok := as.grants[rt]
		switch {
		case !ok || g.dead:
			oauthError(w, "invalid_grant", "grant request is invalid")
		case g.current != rt:
			// A rotated-out token: someone replays it; kill the grant.
			g.dead = true
			oauthError(w, "invalid_grant", "refresh token reused")
		default:
			as.issue(w, g)
		}
	default:
		oauthError(w, "unsupported_grant_type", r.PostForm.Get("grant_type"))
	}
}

func (as *authServer) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", err.Error())
		return
	}
	as.mu.Lock()
	hook := as.revokeHook
	as.mu.Unlock()
	if hook != nil {
		hook(w, r)
		return
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	if r.PostForm.Get("client_id") != as.clientID {
		oauthError(w, "invalid_client", "unknown client")
		return
	}
	tok := r.PostForm.Get("token")
	as.revoked = append(as.revoked, r.PostForm.Get("token_type_hint")+":"+tok)
	if g, ok := as.grants[tok]; ok {
		g.dead = true
	}
	w.WriteHeader(http.StatusOK)
}

func (as *authServer) setTokenHook(h func(w http.ResponseWriter, r *http.Request)) {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.tokenHook = h
}

func (as *authServer) tokenRequests() []url.Values {
	as.mu.Lock()
	defer as.mu.Unlock()
	return append([]url.Values(nil), as.tokenReq...)
}

func (as *authServer) revokedTokens() []string {
	as.mu.Lock()
	defer as.mu.Unlock()
	return append([]string(nil), as.revoked...)
}

// browserResult is what the test browser saw at the redirect URI.
type browserResult struct {
	status int
	body   string
	err    error
}

// browser is a test opener: it checks the authorization URL the way a
// careful authorization server would, then plays the provider's redirect
// back to Palaver with an HTTP client. Like a real opener it returns at
// once; visit says what to request at the redirect URI.
type browser struct {
	t  *testing.T
	as *authServer
	// visit gets the checked request and the redirect URI, and does the
	// requests; nil means the provider's redirect with a code and the
	// right state.
	visit func(b *browser, req authRequest) browserResult
	// openErr is returned by open.
	openErr error

	urls    chan authRequest
	results chan browserResult
}

type authRequest struct {
	query    url.Values
	redirect *url.URL
	code     string // registered with the server for this request
}

func newBrowser(t *testing.T, as *authServer) *browser {
	return &browser{t: t, as: as, urls: make(chan authRequest, 1), results: make(chan browserResult, 1)}
}

func (b *browser) open(raw string) error {
	req := b.check(raw)
	b.urls <- req
	if b.openErr != nil {
		return b.openErr
	}
	go func() {
		visit := b.visit
		if visit == nil {
			visit = func(b *browser, req authRequest) browserResult {
				return b.get(req.redirectWith(url.Values{"code": {req.code}, "state": {req.query.Get("state")}}))
			}
		}
		b.results <- visit(b, req)
	}()
	return nil
}

// check verifies the authorization request; it may run in any goroutine.
func (b *browser) check(raw string) authRequest {
	t := b.t
	u, err := url.Parse(raw)
	if err != nil {
		t.Errorf("authorization URL %q: %v", raw, err)
		return authRequest{}
	}
	if want := b.as.srv.URL + "/authorize"; u.Scheme+"://"+u.Host+u.Path != want {
		t.Errorf("authorization URL %q, want it at %s", raw, want)
	}
	q := u.Query()
	for k, want := range map[string]string{
		"response_type":         "code",
		"client_id":             b.as.clientID,
		"code_challenge_method": "S256",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("authorization URL: %s=%q, want %q", k, got, want)
		}
	}
	if len(q.Get("state")) < 20 {
		t.Errorf("authorization URL: state %q is missing or too short to be random", q.Get("state"))
	}
	if len(q.Get("code_challenge")) != 43 {
		t.Errorf("authorization URL: code_challenge %q is not a S256 challenge", q.Get("code_challenge"))
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		t.Errorf("redirect_uri %q: %v", q.Get("redirect_uri"), err)
		return authRequest{query: q}
	}
	if redirect.Scheme != "http" || redirect.Path != account.CallbackPath || redirect.Port() == "" || redirect.Port() == "0" ||
		(redirect.Hostname() != "127.0.0.1" && redirect.Hostname() != "::1") || redirect.RawQuery != "" {
		t.Errorf("redirect_uri %q, want http://127.0.0.1:PORT%s or http://[::1]:PORT%s", redirect, account.CallbackPath, account.CallbackPath)
	}
	return authRequest{query: q, redirect: redirect, code: b.as.newCode(q.Get("code_challenge"), redirect.String())}
}

// redirectWith returns the redirect URI with the query q.
func (r authRequest) redirectWith(q url.Values) string {
	u := *r.redirect
	u.RawQuery = q.Encode()
	return u.String()
}

// get requests raw like a browser following the provider's redirect.
func (b *browser) get(raw string) browserResult {
	return b.do(http.MethodGet, raw, nil)
}

func (b *browser) do(method, raw string, hdr http.Header) browserResult {
	req, err := http.NewRequest(method, raw, nil)
	if err != nil {
		return browserResult{err: err}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if h := hdr.Get("Host"); h != "" {
		req.Host = h
	}
	c := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		return browserResult{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return browserResult{status: resp.StatusCode, body: string(body), err: err}
}

// request returns the authorization request the browser was opened with.
func (b *browser) request(t *testing.T) authRequest {
	t.Helper()
	select {
	case r := <-b.urls:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the browser was never opened")
		panic("unreachable")
	}
}

// result returns what the browser saw.
func (b *browser) result(t *testing.T) browserResult {
	t.Helper()
	select {
	case r := <-b.results:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the browser never finished")
		panic("unreachable")
	}
}

// wantClosed fails t when something still listens at the redirect URI.
func wantClosed(t *testing.T, redirect *url.URL) {
	t.Helper()
	if redirect == nil {
		t.Fatal("no redirect URI to check")
	}
	c, err := net.DialTimeout("tcp", redirect.Host, 2*time.Second)
	if err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Authorize returned", redirect.Host)
	}
}

// wantPage checks a page the browser got.
func wantPage(t *testing.T, r browserResult, status int, words ...string) {
	t.Helper()
	if r.err != nil {
		t.Errorf("browser: %v", r.err)
		return
	}
	if r.status != status {
		t.Errorf("browser got HTTP %d, want %d; page:\n%s", r.status, status, r.body)
	}
	for _, w := range words {
		if !strings.Contains(r.body, w) {
			t.Errorf("page does not say %q:\n%s", w, r.body)
		}
	}
}
