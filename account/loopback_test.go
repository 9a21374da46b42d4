package account_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
)

// authorize runs a flow against as with browser b and returns its result
// and the authorization request the browser saw.
func authorize(t *testing.T, ctx context.Context, f account.Flow, b *browser) (*oauth2.Token, error, authRequest) {
	t.Helper()
	done := make(chan struct{})
	var (
		tok *oauth2.Token
		err error
	)
	go func() {
		defer close(done)
		tok, err = f.Authorize(ctx)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Authorize did not return")
	}
	var req authRequest
	select {
	case req = <-b.urls:
	default:
	}
	return tok, err, req
}

func TestAuthorize(t *testing.T) {
	as := newAuthServer(t)
	b := newBrowser(t, as)
	conf := as.config()
	conf.AuthParams = map[string]string{"prompt": "consent", "access_type": "offline"}
	tok, err, req := authorize(t, t.Context(), account.Flow{Config: conf, Open: b.open}, b)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if tok.AccessToken != "at-1" || !strings.HasPrefix(tok.RefreshToken, "rt-1-") || tok.Expiry.IsZero() {
		t.Errorf("token = %+v, want at-1 with a refresh token and an expiry", tok)
	}
	wantPage(t, b.result(t), http.StatusOK, "Sign-in received", "close this tab")
	wantClosed(t, req.redirect)

	if got := req.query.Get("scope"); got != "openid offline_access" {
		t.Errorf("scope = %q", got)
	}
	for k, want := range conf.AuthParams {
		if got := req.query.Get(k); got != want {
			t.Errorf("authorization URL: %s = %q, want %q", k, got, want)
		}
	}
	reqs := as.tokenRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	r := reqs[0]
	for k, want := range map[string]string{
		"grant_type":   "authorization_code",
		"code":         req.code,
		"redirect_uri": req.redirect.String(),
		"client_id":    as.clientID,
	} {
		if got := r.Get(k); got != want {
			t.Errorf("token request: %s = %q, want %q", k, got, want)
		}
	}
	if r.Has("client_secret") {
		t.Error("token request of a public client carries a client_secret")
	}
	if len(r.Get("code_verifier")) != 43 {
		t.Errorf("code_verifier %q is not a 32-octet verifier", r.Get("code_verifier"))
	}
}

func TestAuthorizeStatesAreRandom(t *testing.T) {
	as := newAuthServer(t)
	seen := map[string]bool{}
	for range 3 {
		b := newBrowser(t, as)
		_, err, req := authorize(t, t.Context(), account.Flow{Config: as.config(), Open: b.open}, b)
		if err != nil {
			t.Fatal(err)
		}
		b.result(t)
		for _, v := range []string{req.query.Get("state"), req.query.Get("code_challenge"), req.redirect.Port()} {
			if seen[v] {
				t.Errorf("%q repeats across sign-ins", v)
			}
			seen[v] = true
		}
	}
}

// TestAuthorizeRedirects covers what the provider's redirect (or someone
// else's request) can bring to the redirect URI.
func TestAuthorizeRedirects(t *testing.T) {
	right := func(b *browser, req authRequest) browserResult {
		return b.get(req.redirectWith(url.Values{"code": {req.code}, "state": {req.query.Get("state")}}))
	}
	tests := []struct {
		name    string
		visit   func(t *testing.T, b *browser, req authRequest) browserResult
		timeout time.Duration
		wantErr []error  // errors.Is targets; none: success
		notErr  []error  // errors.Is targets it must not match
		words   []string // in the error message
		status  int      // of the last page the browser got
		page    []string // words on that page
	}{
		{
			name: "error parameter",
			visit: func(t *testing.T, b *browser, req authRequest) browserResult {
				return b.get(req.redirectWith(url.Values{"error": {"access_denied"}, "error_description": {"The user said <no>"}, "state": {req.query.Get("state")}}))
			},
			words:  []string{"access was denied", "The user said <no>"},
			status: http.StatusBadRequest,
			page:   []string{"Sign-in failed", "access was denied", "The user said &lt;no&gt;"},
		},
		{
			name: "error and code",
			visit: func(t *testing.T, b *browser, req authRequest) browserResult {
				return b.get(req.redirectWith(url.Values{"error": {"server_error"}, "code": {req.code}, "state": {req.query.Get("state")}}))
			},
			words:  []string{"the provider refused the sign-in: server_error"},
			status: http.StatusBadRequest,
			page:   []string{"server_error"},
		},
		{
			name: "missing code",
			visit: func(t *testing.T, b *browser, req authRequest) browserResult {
				return b.get(req.redirectWith(url.Values{"state": {req.query.Get("state")}}))
			},
			wantErr: []error{account.ErrMissingCode},
			status:  http.StatusBadRequest,
			page:    []string{"without an authorization code"},
		},
		{
			name: "empty code",
			visit: func(t *testing.T, b *browser, req authRequest) browserResult {
				return b.get(req.redirectWith(url.Values{"code": {""}, "state": {req.query.Get("state")}}))
			},
			wantErr: []error{account.ErrMissingCode},
			status:  http.StatusBadRequest,
		},
		{
			name: "two codes",
			visit: func(t *testing.T, b *browser, req authRequest) browserResult {
				return b.get(req.redirectWith(url.Values{"code": {req.code, "other"}, "state": {req.query.Get("state")}}))
			},
			wantErr: []error{account.ErrMissingCode},
			words:   []string{"2 codes"},
			status:  http.StatusBadRequest,
		},
		{
			name: "forged requests are ignored, the real redirect still works",
			visit: func(t *testing.T, b *browser, req authRequest) browserResult {
				state := req.query.Get("state")
				for _, q := range []url.Values{
					{"code": {"forged"}, "state": {"wrong"}},
					{"code": {"forged"}},
					{"code": {"forged"}, "state": {state + "x"}},
					{"code": {"forged"}, "state": {state, state}},
					{"error": {"access_denied"}, "state": {"wrong"}}, // may not cancel the sign-in
					{"error": {"access_denied"}},
				} {
					wantPage(t, b.get(req.redirectWith(q)), http.StatusBadRequest, "wrong state")
				}
				wantPage(t, b.get(req.redirect.String()+"?state=%zz&code=x"), http.StatusBadRequest)
				return right(b, req)
			},
			status: http.StatusOK,
			page:   []string{"Sign-in received"},
		},
		{
			name: "other paths and methods are rejected",
			visit: func(t *testing.T, b *browser, req authRequest) browserResult {
				good := req.redirectWith(url.Values{"code": {req.code}, "state": {req.query.Get("state")}})
				base := "http://" + req.redirect.Host
				for _, p := range []string{"/", "/favicon.ico", account.CallbackPath + "/x", "/Callback", account.CallbackPath + "x"} {
					wantPage(t, b.get(base+p+"?"+strings.SplitN(good, "?", 2)[1]), http.StatusNotFound)
				}
				for _, m := range []string{http.MethodPost, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions} {
					r := b.do(m, good, nil)
					if r.err != nil || r.status != http.StatusMethodNotAllowed {
						t.Errorf("%s: %d %v, want 405", m, r.status, r.err)
					}
				}
				// DNS rebinding: right path and state, foreign host name.
				wantPage(t, b.do(http.MethodGet, good, http.Header{"Host": {"evil.example:" + req.redirect.Port()}}), http.StatusBadRequest)
				return b.get(good)
			},
			status: http.StatusOK,
			page:   []string{"Sign-in received"},
		},
		{
			name:    "user never returns",
			visit:   func(t *testing.T, b *browser, req authRequest) browserResult { return browserResult{} },
			timeout: 300 * time.Millisecond,
			wantErr: []error{account.ErrTimeout},
			notErr:  []error{account.ErrStateMismatch},
			words:   []string{"did not finish in time"},
		},
		{
			name: "only a wrong state comes back",
			visit: func(t *testing.T, b *browser, req authRequest) browserResult {
				return b.get(req.redirectWith(url.Values{"code": {req.code}, "state": {"wrong"}}))
			},
			timeout: 500 * time.Millisecond,
			wantErr: []error{account.ErrTimeout, account.ErrStateMismatch},
			words:   []string{"ignored 1 request(s): a request with a wrong state"},
			status:  http.StatusBadRequest,
			page:    []string{"wrong state"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			as := newAuthServer(t)
			b := newBrowser(t, as)
			b.visit = func(b *browser, req authRequest) browserResult { return tt.visit(t, b, req) }
			tok, err, req := authorize(t, t.Context(), account.Flow{Config: as.config(), Open: b.open, Timeout: tt.timeout}, b)
			if len(tt.wantErr) == 0 && len(tt.words) == 0 {
				if err != nil || tok == nil || tok.AccessToken == "" {
					t.Fatalf("Authorize = %v, %v; want a token", tok, err)
				}
			} else if err == nil {
				t.Fatalf("Authorize = %+v, want an error", tok)
			} else {
				t.Logf("error: %v", err)
			}
			for _, target := range tt.wantErr {
				if !errors.Is(err, target) {
					t.Errorf("error %q is not %v", err, target)
				}
			}
			for _, target := range tt.notErr {
				if errors.Is(err, target) {
					t.Errorf("error %q is %v", err, target)
				}
			}
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tt.status != 0 {
				wantPage(t, b.result(t), tt.status, tt.page...)
			}
			wantClosed(t, req.redirect)
		})
	}
}

func TestAuthorizeAuthError(t *testing.T) {
	as := newAuthServer(t)
	b := newBrowser(t, as)
	b.visit = func(b *browser, req authRequest) browserResult {
		return b.get(req.redirectWith(url.Values{"error": {"access_denied"}, "error_description": {"no"}, "error_uri": {"https://as.example/e"}, "state": {req.query.Get("state")}}))
	}
	_, err, _ := authorize(t, t.Context(), account.Flow{Config: as.config(), Open: b.open}, b)
	var ae *account.AuthError
	if !errors.As(err, &ae) || ae.Code != "access_denied" || ae.Description != "no" || ae.URI != "https://as.example/e" {
		t.Errorf("error = %#v, want *AuthError access_denied", err)
	}
	b.result(t)
}

func TestAuthorizeCancel(t *testing.T) {
	t.Run("while waiting for the browser", func(t *testing.T) {
		as := newAuthServer(t)
		b := newBrowser(t, as)
		ctx, cancel := context.WithCancel(t.Context())
		b.visit = func(b *browser, req authRequest) browserResult {
			cancel() // the user presses Cancel
			return browserResult{}
		}
		_, err, req := authorize(t, ctx, account.Flow{Config: as.config(), Open: b.open}, b)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Authorize = %v, want context.Canceled", err)
		}
		wantClosed(t, req.redirect)
	})
	t.Run("while exchanging the code", func(t *testing.T) {
		as := newAuthServer(t)
		b := newBrowser(t, as)
		ctx, cancel := context.WithCancel(t.Context())
		as.setTokenHook(func(w http.ResponseWriter, r *http.Request) {
			cancel()
			<-r.Context().Done()
		})
		_, err, req := authorize(t, ctx, account.Flow{Config: as.config(), Open: b.open}, b)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Authorize = %v, want context.Canceled", err)
		}
		wantPage(t, b.result(t), http.StatusBadRequest, "Sign-in failed")
		wantClosed(t, req.redirect)
	})
}

func TestAuthorizeSingleUse(t *testing.T) {
	as := newAuthServer(t)
	b := newBrowser(t, as)
	entered, release := make(chan struct{}), make(chan struct{})
	as.setTokenHook(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"at","token_type":"Bearer","refresh_token":"rt","expires_in":60}`))
	})
	second := make(chan browserResult, 1)
	b.visit = func(b *browser, req authRequest) browserResult {
		good := req.redirectWith(url.Values{"code": {req.code}, "state": {req.query.Get("state")}})
		first := make(chan browserResult, 1)
		go func() { first <- b.get(good) }()
		<-entered
		second <- b.get(good) // while the first one is being exchanged
		close(release)
		return <-first
	}
	tok, err, req := authorize(t, t.Context(), account.Flow{Config: as.config(), Open: b.open}, b)
	if err != nil || tok.AccessToken != "at" {
		t.Fatalf("Authorize = %v, %v", tok, err)
	}
	wantPage(t, b.result(t), http.StatusOK, "Sign-in received")
	wantPage(t, <-second, http.StatusConflict, "already used")
	wantClosed(t, req.redirect)
	if r := b.get(req.redirectWith(url.Values{"code": {req.code}, "state": {req.query.Get("state")}})); r.err == nil {
		t.Errorf("a third visit got HTTP %d after Authorize returned, want a refused connection", r.status)
	}
}

func TestAuthorizeTokenEndpointFailures(t *testing.T) {
	write := func(status int, ct, body string) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			if ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			w.WriteHeader(status)
			w.Write([]byte(body))
		}
	}
	down := httptest503URL(t)
	tests := []struct {
		name     string
		hook     func(w http.ResponseWriter, r *http.Request)
		tokenURL string
		words    []string
		retrieve bool // the error wraps an *oauth2.RetrieveError
	}{
		{name: "HTML page", hook: write(200, "text/html; charset=utf-8", "<!DOCTYPE html><html><body>Welcome</body></html>"), words: []string{"answered with a web page (HTTP 200 OK), not a token", "check the token endpoint URL"}},
		{name: "HTML error page", hook: write(404, "text/html", "<html>Not Found</html>"), words: []string{"web page (HTTP 404 Not Found)"}, retrieve: true},
		{name: "HTML without content type", hook: write(200, "", "<html>hi</html>"), words: []string{"web page"}},
		{name: "garbage", hook: write(200, "application/json", "{\x00garbage"), words: []string{"answered something that is not a token (HTTP 200 OK, application/json)"}},
		{name: "server error", hook: write(500, "text/plain", "boom"), words: []string{"failed (HTTP 500 Internal Server Error)", "try again later"}, retrieve: true},
		{name: "OAuth error", hook: write(400, "application/json", `{"error":"invalid_grant","error_description":"code expired"}`), words: []string{"the authorization server refused: invalid_grant (code expired)"}, retrieve: true},
		{name: "OAuth error with status 200", hook: write(200, "application/json", `{"error":"invalid_request"}`), words: []string{"refused: invalid_request"}, retrieve: true},
		{name: "no access token", hook: write(200, "application/json", `{"token_type":"Bearer"}`), words: []string{"without an access token"}},
		{name: "other status", hook: write(418, "text/plain", "I'm a teapot\x07"), words: []string{"answered HTTP 418", `"I'm a teapot"`}, retrieve: true},
		{name: "down", tokenURL: down, words: []string{"cannot reach the authorization server at 127.0.0.1:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			as := newAuthServer(t)
			if tt.hook != nil {
				as.setTokenHook(tt.hook)
			}
			conf := as.config()
			if tt.tokenURL != "" {
				conf.TokenURL = tt.tokenURL
			}
			b := newBrowser(t, as)
			tok, err, req := authorize(t, t.Context(), account.Flow{Config: conf, Open: b.open}, b)
			if err == nil {
				t.Fatalf("Authorize = %+v, want an error", tok)
			}
			t.Logf("error: %v", err)
			for _, w := range append(tt.words, "finishing the sign-in: ") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			var re *oauth2.RetrieveError
			if errors.As(err, &re) != tt.retrieve {
				t.Errorf("errors.As(%v, *oauth2.RetrieveError) = %v, want %v", err, !tt.retrieve, tt.retrieve)
			}
			wantPage(t, b.result(t), http.StatusBadRequest, "Sign-in failed", "could not sign in")
			wantClosed(t, req.redirect)
		})
	}
}

// httptest503URL returns the URL of a token endpoint on a port where
// nothing listens any more.
func httptest503URL(t *testing.T) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/token"
}

func TestAuthorizeFormEncodedToken(t *testing.T) {
	// Facebook's token endpoint of the Chat era answered form-encoded.
	as := newAuthServer(t)
	as.setTokenHook(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.Write([]byte("access_token=AAAB%7Cxyz&expires=5183999"))
	})
	b := newBrowser(t, as)
	tok, err, _ := authorize(t, t.Context(), account.Flow{Config: as.config(), Open: b.open}, b)
	if err != nil || tok.AccessToken != "AAAB|xyz" {
		t.Fatalf("Authorize = %+v, %v; want the access token AAAB|xyz", tok, err)
	}
	b.result(t)
}

func TestAuthorizeOpenFails(t *testing.T) {
	as := newAuthServer(t)
	b := newBrowser(t, as)
	b.openErr = errors.New("no browser installed")
	_, err, req := authorize(t, t.Context(), account.Flow{Config: as.config(), Open: b.open}, b)
	if err == nil || !strings.Contains(err.Error(), "cannot open the browser: no browser installed") {
		t.Errorf("Authorize = %v, want the opener's error", err)
	}
	wantClosed(t, req.redirect)
}

func TestAuthorizeIPv6Fallback(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	as := newAuthServer(t)
	b := newBrowser(t, as)
	f := account.Flow{Config: as.config(), Open: b.open}
	var networks []string
	account.SetListen(&f, func(network, address string) (net.Listener, error) {
		networks = append(networks, network+" "+address)
		if network == "tcp4" {
			return nil, errors.New("no IPv4 loopback")
		}
		return net.Listen(network, address)
	})
	tok, err, req := authorize(t, t.Context(), f, b)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("Authorize = %v, %v", tok, err)
	}
	if req.redirect.Hostname() != "::1" {
		t.Errorf("redirect_uri %s, want [::1]", req.redirect)
	}
	if strings.Join(networks, ", ") != "tcp4 127.0.0.1:0, tcp6 [::1]:0" {
		t.Errorf("listened on %q", networks)
	}
	wantPage(t, b.result(t), http.StatusOK, "Sign-in received")
	wantClosed(t, req.redirect)
}

func TestAuthorizeNoLoopback(t *testing.T) {
	as := newAuthServer(t)
	opened := false
	f := account.Flow{Config: as.config(), Open: func(string) error { opened = true; return nil }}
	account.SetListen(&f, func(network, address string) (net.Listener, error) {
		return nil, errors.New("not allowed on " + network)
	})
	_, err := f.Authorize(t.Context())
	if !errors.Is(err, account.ErrNoLoopback) || !strings.Contains(err.Error(), "not allowed on tcp4") || !strings.Contains(err.Error(), "not allowed on tcp6") {
		t.Errorf("Authorize = %v, want ErrNoLoopback with both causes", err)
	}
	if opened {
		t.Error("the browser was opened without a listener")
	}
}

func TestAuthorizeCanceledBeforeStart(t *testing.T) {
	as := newAuthServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	opened := false
	_, err := account.Flow{Config: as.config(), Open: func(string) error { opened = true; return nil }}.Authorize(ctx)
	if !errors.Is(err, context.Canceled) || opened {
		t.Errorf("Authorize with a canceled context = %v (browser opened: %v)", err, opened)
	}
}

func TestAuthorizeBadConfig(t *testing.T) {
	tests := []struct {
		name string
		f    account.Flow
		want string
	}{
		{"no client ID", account.Flow{Config: account.OAuthConfig{AuthURL: "https://a.example/a", TokenURL: "https://a.example/t"}, Open: func(string) error { return nil }}, "client ID"},
		{"no endpoints", account.Flow{Config: account.OAuthConfig{ClientID: "c"}, Open: func(string) error { return nil }}, "endpoint is missing"},
		{"http token endpoint", account.Flow{Config: account.OAuthConfig{ClientID: "c", AuthURL: "https://a.example/a", TokenURL: "http://a.example/t"}, Open: func(string) error { return nil }}, "must use https"},
		{"reserved parameter", account.Flow{Config: account.OAuthConfig{ClientID: "c", AuthURL: "https://a.example/a", TokenURL: "https://a.example/t", AuthParams: map[string]string{"state": "fixed"}}, Open: func(string) error { return nil }}, `parameter "state" would replace`},
		{"no opener", account.Flow{Config: account.OAuthConfig{ClientID: "c", AuthURL: "https://a.example/a", TokenURL: "https://a.example/t"}}, "no way to open the browser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.f.Authorize(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Authorize = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// An opener may block until the browser has come back (a test browser, or
// xdg-open waiting for a browser it started): the flow must not wait for
// the opener before it serves the callback.
func TestAuthorizeBlockingOpener(t *testing.T) {
	as := newAuthServer(t)
	b := newBrowser(t, as)
	seen := make(chan browserResult, 1)
	blocking := func(raw string) error {
		if err := b.open(raw); err != nil {
			return err
		}
		// Return only once the browser has been answered.
		seen <- <-b.results
		return nil
	}
	began := time.Now()
	tok, err, _ := authorize(t, t.Context(), account.Flow{Config: as.config(), Open: blocking, Timeout: 20 * time.Second}, b)
	if err != nil || tok == nil || tok.AccessToken == "" {
		t.Fatalf("token %v, err %v", tok, err)
	}
	r := <-seen
	if r.err != nil || r.status != http.StatusOK || !strings.Contains(r.body, "Sign-in received") {
		t.Errorf("the browser saw %d %q (%v), want the success page", r.status, r.body, r.err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("the sign-in took %v: it waited for the opener", d)
	}
}
