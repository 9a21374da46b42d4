package views

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/saslauth"
	"github.com/palaver-im/palaver/views/model"
)

// The OAuth tests drive the real account.Flow: its loopback listener,
// state and PKCE, against authServer, a tiny authorization server on
// loopback, with fakeBrowser in place of the system browser.

// fakeStore is an in-memory refresh token store that can be made to fail.
type fakeStore struct {
	mu      sync.Mutex
	tokens  map[string]string
	failSet error
}

func (s *fakeStore) RefreshToken(bare string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.tokens[bare]
	if !ok {
		return "", account.ErrNoSecret
	}
	return rt, nil
}

func (s *fakeStore) SetRefreshToken(bare, rt string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSet != nil {
		return s.failSet
	}
	if s.tokens == nil {
		s.tokens = make(map[string]string)
	}
	s.tokens[bare] = rt
	return nil
}

func (s *fakeStore) DeleteRefreshToken(bare string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, bare)
	return nil
}

func (s *fakeStore) get(bare string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[bare]
}

// fakeBrowser stands in for the system browser. With an answer set it
// comes back to the redirect URI at once, as a provider does after the
// user signed in; without one the user never comes back.
type fakeBrowser struct {
	t      *testing.T
	mu     sync.Mutex
	answer url.Values // the query of the redirect; state is added
	fail   error      // open fails: no browser
	opened []*url.URL
}

func (b *fakeBrowser) setAnswer(q url.Values) {
	b.mu.Lock()
	b.answer = q
	b.mu.Unlock()
}

func (b *fakeBrowser) open(u *url.URL) error {
	b.mu.Lock()
	b.opened = append(b.opened, u)
	answer, fail := b.answer, b.fail
	b.mu.Unlock()
	if fail != nil {
		return fail
	}
	if answer == nil {
		return nil
	}
	q := url.Values{}
	for k, v := range answer {
		q[k] = v
	}
	q.Set("state", u.Query().Get("state"))
	resp, err := http.Get(u.Query().Get("redirect_uri") + "?" + q.Encode())
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

func (b *fakeBrowser) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.opened)
}

// waitOpened waits until the browser was opened n times in all and
// returns the last page.
func (b *fakeBrowser) waitOpened(n int) *url.URL {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		if len(b.opened) >= n {
			u := b.opened[len(b.opened)-1]
			b.mu.Unlock()
			return u
		}
		b.mu.Unlock()
		if time.Now().After(deadline) {
			b.t.Fatalf("the browser was opened %d times, want %d", b.count(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// signedInAnswer is what the provider sends back after a good sign-in.
var signedInAnswer = url.Values{"code": {"good-code"}}

// authServer is an OAuth 2.0 authorization server on loopback: discovery,
// a token endpoint for the code and refresh grants with rotating refresh
// tokens, and revocation.
type authServer struct {
	*httptest.Server
	mu      sync.Mutex
	valid   map[string]bool // refresh tokens
	n       int
	revoked []string
	html    bool // the token endpoint answers a web page
}

func newAuthServer(t *testing.T) *authServer {
	s := &authServer{valid: make(map[string]bool)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                           s.URL,
			"authorization_endpoint":           s.URL + "/authorize",
			"token_endpoint":                   s.URL + "/token",
			"revocation_endpoint":              s.URL + "/revoke",
			"scopes_supported":                 []string{"openid", "offline_access"},
			"code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.revoked = append(s.revoked, r.PostForm.Get("token"))
		delete(s.valid, r.PostForm.Get("token"))
		s.mu.Unlock()
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// grant makes rt a valid refresh token, as if issued earlier.
func (s *authServer) grant(rt string) {
	s.mu.Lock()
	s.valid[rt] = true
	s.mu.Unlock()
}

func (s *authServer) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.html {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><body>Please log in</body></html>")
		return
	}
	refuse := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":%q}`, code)
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		if f.Get("code") != "good-code" || f.Get("code_verifier") == "" || f.Get("client_id") != "palaver" {
			refuse("invalid_grant")
			return
		}
	case "refresh_token":
		if !s.valid[f.Get("refresh_token")] {
			refuse("invalid_grant")
			return
		}
		delete(s.valid, f.Get("refresh_token"))
	default:
		refuse("unsupported_grant_type")
		return
	}
	s.n++
	rt := fmt.Sprintf("rt-%d", s.n)
	s.valid[rt] = true
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":3600,"refresh_token":%q}`, s.n, rt)
}

func (s *authServer) revokedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.revoked)
}

// oauthAccount is me, signing in at srv: by discovery from its issuer, or
// with endpoints typed by hand.
func oauthAccount(srv *authServer, byHand bool) account.Account {
	o := account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "palaver"}
	if byHand {
		o.AuthURL, o.TokenURL, o.RevocationURL = srv.URL+"/authorize", srv.URL+"/token", srv.URL+"/revoke"
	} else {
		o.Issuer = srv.URL
	}
	return account.Account{JID: me, Auth: account.AuthOAuth, OAuth: o}
}

// formEntry returns the entry in the row labeled label of the form under root.
func formEntry(t *testing.T, root fyne.CanvasObject, label string) *widget.Entry {
	t.Helper()
	form, ok := find(root, func(*widget.Form) bool { return true })
	if !ok {
		t.Fatal("no form")
	}
	for _, it := range form.Items {
		if e, isEntry := it.Widget.(*widget.Entry); isEntry && it.Text == label {
			return e
		}
	}
	t.Fatalf("no entry labeled %q in the form", label)
	return nil
}

func formLabels(t *testing.T, root fyne.CanvasObject) []string {
	t.Helper()
	form, ok := find(root, func(*widget.Form) bool { return true })
	if !ok {
		t.Fatal("no form")
	}
	var out []string
	for _, it := range form.Items {
		out = append(out, it.Text)
	}
	return out
}

// chooseMethod picks how to sign in, in the open account dialog.
func (h *harness) chooseMethod(name string) fyne.CanvasObject {
	h.t.Helper()
	sel, ok := find(h.overlay(), func(*widget.Select) bool { return true })
	if !ok {
		h.t.Fatal("no sign-in choice in the account dialog")
	}
	sel.SetSelected(name)
	return h.overlay()
}

// setUpGeneric fills in the first-start dialog for the generic provider
// at issuer and saves.
func (h *harness) setUpGeneric(issuer string) {
	h.t.Helper()
	d := h.chooseMethod("OAuth (your server's sign-in)")
	formEntry(h.t, d, "Address").SetText(me)
	formEntry(h.t, d, "Client ID").SetText("palaver")
	formEntry(h.t, d, "Issuer URL").SetText(issuer)
	test.Tap(button(h.t, d, "Save and sign in"))
}

func TestAccountDialogShowsWhatEachProviderNeeds(t *testing.T) {
	common := []string{"Server", "Port", "", "CA file"}
	for i, tc := range []struct {
		method     string
		rows       []string
		host, port string
		address    string // after typing "alice"
		empty      string // the error saving without more gives
	}{
		0: {"Microsoft Messenger", []string{"Sign in with", "Address", "Client ID"}, "xmpp.messenger.live.com", "5222",
			"alice@messenger.live.com", "the client ID is empty: register Palaver with Microsoft Messenger"},
		1: {"Google Talk", []string{"Sign in with", "Address", "Client ID"}, "talk.google.com", "5222",
			"alice@gmail.com", "the client ID is empty"},
		2: {"Facebook Chat", []string{"Sign in with", "Address", "App ID", "App secret"}, "chat.facebook.com", "5222",
			"alice@chat.facebook.com", "the app ID is empty"},
		3: {"OAuth (your server's sign-in)", []string{"Sign in with", "Address", "Client ID", "Issuer URL", "Authorization URL", "Token URL", "Scopes", "SASL mechanism"}, "", "",
			"alice", "no user name"},
		// Remember password, Allow PLAIN.
		4: {"Password", []string{"Sign in with", "Address", "Password", "", ""}, "", "", "alice", "no user name"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			h := newHarness(t)
			h.ui.Show()
			entryWithPlaceholder(t, h.overlay(), "name@example.org").SetText("alice")
			d := h.chooseMethod(tc.method)
			if got, want := formLabels(t, d), append(tc.rows, common...); !slices.Equal(got, want) {
				t.Fatalf("%d: rows %q, want %q", i, got, want)
			}
			if host, port := formEntry(t, d, "Server").Text, formEntry(t, d, "Port").Text; host != tc.host || port != tc.port {
				t.Errorf("%d: server %q port %q, want %q %q", i, host, port, tc.host, tc.port)
			}
			if got := formEntry(t, d, "Address").Text; got != tc.address {
				t.Errorf("%d: address %q, want %q", i, got, tc.address)
			}
			_, oauth := find(d, func(b *widget.Button) bool { return b.Text == "Save and sign in" })
			if oauth != (tc.method != "Password") {
				t.Errorf("%d: the button does not say whether saving signs in", i)
			}
			if tc.method != "Password" && !labelContaining(d, "redirect URI http://127.0.0.1/callback") {
				t.Errorf("%d: the dialog does not say which redirect URI to register", i)
			}
			save, _ := find(d, func(b *widget.Button) bool { return strings.HasPrefix(b.Text, "Save") })
			test.Tap(save)
			if !labelContaining(d, tc.empty) {
				t.Errorf("%d: saving showed no inline %q", i, tc.empty)
			}
			if len(h.starts) != 0 || h.browser.count() != 0 {
				t.Fatalf("%d: invalid settings started something", i)
			}
		})
	}
}

func TestAccountDialogValidatesProviderSettings(t *testing.T) {
	h := newHarness(t)
	h.ui.Show()
	d := h.chooseMethod("Facebook Chat")
	if !labelContaining(d, "which is not secret") {
		t.Fatal("the dialog does not say that the app secret is not secret")
	}
	formEntry(t, d, "Address").SetText("alice@chat.facebook.com")
	formEntry(t, d, "App ID").SetText("1234")
	test.Tap(button(t, d, "Save and sign in"))
	if !labelContaining(d, "also needs the secret") {
		t.Fatal("no inline error for the missing app secret")
	}

	// Another provider, and back: what was typed for each stays.
	d = h.chooseMethod("OAuth (your server's sign-in)")
	if got := formEntry(t, d, "Client ID").Text; got != "" {
		t.Fatalf("Facebook's app ID %q shown as the client ID of another provider", got)
	}
	if host := formEntry(t, d, "Server").Text; host != "" {
		t.Fatalf("Facebook's server %q stayed", host)
	}
	formEntry(t, d, "Client ID").SetText("palaver")
	// Without issuer and endpoints Palaver asks the server; half a pair of
	// endpoints is a mistake.
	formEntry(t, d, "Authorization URL").SetText("https://auth.example.org/authorize")
	test.Tap(button(t, d, "Save and sign in"))
	if !labelContaining(d, "enter both the authorization and the token endpoint") {
		t.Fatal("no inline error for an authorization endpoint without a token endpoint")
	}
	formEntry(t, d, "Authorization URL").SetText("")
	formEntry(t, d, "Issuer URL").SetText("http://auth.example.org")
	test.Tap(button(t, d, "Save and sign in"))
	if !labelContaining(d, "must use https") {
		t.Fatal("no inline error for an http issuer")
	}
	formEntry(t, d, "Scopes").SetText("openid bad\"scope")
	formEntry(t, d, "Issuer URL").SetText("https://auth.example.org")
	test.Tap(button(t, d, "Save and sign in"))
	if !labelContaining(d, "has a character scopes cannot hold") {
		t.Fatal("no inline error for a bad scope")
	}
	d = h.chooseMethod("Facebook Chat")
	if formEntry(t, d, "App ID").Text != "1234" || formEntry(t, d, "Server").Text != "chat.facebook.com" {
		t.Fatal("going back to Facebook lost its settings")
	}
	if len(h.starts) != 0 || h.browser.count() != 0 {
		t.Fatal("invalid settings started something")
	}
}

func TestOAuthSignInStartsCoreWithTokens(t *testing.T) {
	srv := newAuthServer(t)
	h := newHarness(t)
	h.browser.setAnswer(signedInAnswer)
	h.ui.Show()
	h.setUpGeneric(srv.URL)

	// The settings are saved before the browser opens.
	cfg, err := account.Load(h.dir)
	if err != nil || len(cfg.Accounts) != 1 || !cfg.Accounts[0].UsesOAuth() || cfg.Accounts[0].OAuth.Issuer != srv.URL {
		t.Fatalf("saved settings %+v, %v", cfg, err)
	}
	if !labelContaining(h.overlay(), "Waiting for your browser") || !labelContaining(h.overlay(), "sign-in page in your web browser") {
		t.Fatal("no waiting dialog")
	}
	// Your server's sign-in is named by where it is: the issuer's host.
	if !strings.Contains(h.ui.stateText.Text, "Signing in "+me+" with "+strings.TrimPrefix(srv.URL, "http://")+"…") {
		t.Fatalf("state %q while waiting", h.ui.stateText.Text)
	}
	page := h.browser.waitOpened(1)
	q := page.Query()
	if !strings.HasPrefix(page.String(), srv.URL+"/authorize?") || q.Get("client_id") != "palaver" ||
		q.Get("code_challenge_method") != "S256" || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		t.Fatalf("the browser opened %s", page)
	}
	h.drain() // the flow's outcome

	if top := h.ui.win.Canvas().Overlays().Top(); top != nil {
		t.Fatal("a dialog is still open after signing in")
	}
	if len(h.starts) != 1 || !h.starts[0].UsesOAuth() || h.tokens == nil || h.pwFunc != nil {
		t.Fatalf("starts %+v, tokens %v", h.starts, h.tokens)
	}
	// The core asks for a token: the one the browser sign-in got, and its
	// refresh token goes to the keychain.
	tok, err := h.tokens.TokenContext(context.Background())
	if err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("token %+v, %v", tok, err)
	}
	if got := h.store.get(me); got != "rt-1" {
		t.Fatalf("keychain holds %q", got)
	}
	assertCalls(t, h.core)
}

// loopbackIssuers lets h take issuers the XMPP server names on loopback
// http, where the test servers are; account.CheckServerIssuer refuses
// them (TestServerNamedIssuerMustBeHTTPS).
func loopbackIssuers(h *harness) {
	h.ui.checkServerIssuer = func(issuer string) error {
		if !strings.HasPrefix(issuer, "http://127.0.0.1:") {
			return account.CheckServerIssuer(issuer)
		}
		return nil
	}
}

// serverNames makes the XMPP server of h name issuer, and returns a
// channel that gets the JID of each account asked about.
func serverNames(h *harness, issuer string) chan string {
	asked := make(chan string, 4)
	h.ui.discoverIssuer = func(_ context.Context, a account.Account) (string, error) {
		asked <- a.JID
		return issuer, nil
	}
	return asked
}

// savedIssuer returns the issuer in the saved settings of the one account.
func savedIssuer(t *testing.T, h *harness) string {
	t.Helper()
	cfg, err := account.Load(h.dir)
	if err != nil || len(cfg.Accounts) != 1 {
		t.Fatalf("saved settings %+v, %v", cfg, err)
	}
	return cfg.Accounts[0].OAuth.Issuer
}

// An account with neither issuer nor endpoints learns its authorization
// server from the XMPP server, asks the user before using it (RFC 9700
// §4.4), keeps it once the sign-in worked, and signs in.
func TestIssuerIsAskedFromTheServer(t *testing.T) {
	srv := newAuthServer(t)
	h := newHarness(t)
	loopbackIssuers(h)
	asked := serverNames(h, srv.URL)
	h.browser.setAnswer(signedInAnswer)
	h.ui.Show()
	h.setUpGeneric("")
	h.drain() // the issuer the server named: the user is asked
	select {
	case jid := <-asked:
		if jid != me {
			t.Errorf("asked the server of %q", jid)
		}
	default:
		t.Fatal("the server was not asked")
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	d := h.overlay()
	if !labelContaining(d, "says that its accounts sign in at") || !labelContaining(d, host) {
		t.Fatal("the question does not name the issuer's host")
	}
	if n := h.browser.count(); n != 0 {
		t.Fatalf("the browser opened %d times before the user agreed", n)
	}
	if got := savedIssuer(t, h); got != "" {
		t.Fatalf("the issuer %q was saved before the sign-in", got)
	}
	test.Tap(button(t, d, "Sign in at "+host))
	page := h.browser.waitOpened(1)
	if !strings.HasPrefix(page.String(), srv.URL+"/authorize?") {
		t.Fatalf("the browser opened %s", page)
	}
	h.drain() // the flow's outcome
	if got := savedIssuer(t, h); got != srv.URL {
		t.Fatalf("saved issuer %q after signing in, want %q", got, srv.URL)
	}
	if len(h.starts) != 1 || h.starts[0].OAuth.Issuer != srv.URL || h.tokens == nil {
		t.Fatalf("starts %+v, tokens %v", h.starts, h.tokens)
	}
	if tok, err := h.tokens.TokenContext(context.Background()); err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("token %+v, %v", tok, err)
	}
}

// Saying no, or a sign-in that fails, leaves nothing of the issuer the
// server named in the settings.
func TestIssuerTheServerNamedIsKeptOnlyAfterSigningIn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer url.Values
		agree  bool
		want   string // in the failure dialog; "" when none
	}{
		{name: "the user says no"},
		{name: "the sign-in fails", agree: true, answer: url.Values{"error": {"access_denied"}}, want: "access was denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newAuthServer(t)
			h := newHarness(t)
			loopbackIssuers(h)
			serverNames(h, srv.URL)
			h.browser.setAnswer(tc.answer)
			h.ui.Show()
			h.setUpGeneric("")
			h.drain()
			host := strings.TrimPrefix(srv.URL, "http://")
			if !tc.agree {
				test.Tap(button(t, h.overlay(), "Cancel"))
				if n := h.browser.count(); n != 0 {
					t.Errorf("the browser opened %d times", n)
				}
				if len(h.ui.flows) != 0 || h.ui.win.Canvas().Overlays().Top() != nil {
					t.Error("the sign-in is still under way, or a dialog is open")
				}
			} else {
				test.Tap(button(t, h.overlay(), "Sign in at "+host))
				h.drain()
				if !labelContaining(h.overlay(), tc.want) {
					t.Fatalf("the failure does not say %q", tc.want)
				}
			}
			if got := savedIssuer(t, h); got != "" {
				t.Errorf("saved issuer %q, want none", got)
			}
			if len(h.starts) != 1 || h.starts[0].OAuth.Issuer != "" || h.tokens != nil {
				t.Errorf("starts %+v, tokens %v", h.starts, h.tokens)
			}
		})
	}
}

// The real check: a server-named issuer on http, or on this computer, is
// refused before the user is asked or anything is fetched from it.
func TestServerNamedIssuerMustBeHTTPS(t *testing.T) {
	for _, tc := range []struct{ issuer, want string }{
		{"http://auth.example.org", "does not use https"},
		{"https://127.0.0.1:8443", "on this computer"},
	} {
		t.Run(tc.issuer, func(t *testing.T) {
			h := newHarness(t)
			serverNames(h, tc.issuer)
			h.ui.Show()
			h.setUpGeneric("")
			h.drain()
			d := h.overlay()
			if !labelContaining(d, "Palaver could not sign in "+me) || !labelContaining(d, tc.want) {
				t.Fatalf("the failure does not say %q", tc.want)
			}
			if n := h.browser.count(); n != 0 {
				t.Errorf("the browser opened %d times", n)
			}
			if got := savedIssuer(t, h); got != "" {
				t.Errorf("saved issuer %q", got)
			}
		})
	}
}

// What the server names is shown with nothing hidden: a right-to-left
// override or a line break cannot make one host look like another.
func TestServerNamedIssuerIsShownEscaped(t *testing.T) {
	h := newHarness(t)
	h.ui.checkServerIssuer = func(string) error { return nil }
	serverNames(h, "https://evil.example/\u202egro.elpmaxe.htua\nhttps://auth.example.org")
	h.ui.Show()
	h.setUpGeneric("")
	h.drain()
	d := h.overlay()
	walk(d, func(o fyne.CanvasObject) bool {
		if l, ok := o.(*widget.Label); ok && strings.ContainsAny(l.Text, "\u202e\n") {
			t.Errorf("label %q shows a control or bidi character", l.Text)
		}
		return true
	})
	if !labelContaining(d, `https://evil.example/\u202egro.elpmaxe.htua\nhttps://auth.example.org`) {
		t.Error("the issuer is not shown written out")
	}
	if _, ok := find(d, func(b *widget.Button) bool { return b.Text == "Sign in at evil.example" }); !ok {
		t.Error("the button does not name the real host")
	}
}

func TestWaitingDialogCancelEndsTheFlow(t *testing.T) {
	h := newHarness(t)
	ctxs := make(chan context.Context, 2)
	run := h.ui.runFlow
	h.ui.runFlow = func(ctx context.Context, f account.Flow) (*oauth2.Token, error) {
		ctxs <- ctx
		return run(ctx, f)
	}
	h.ui.Show()
	d := h.chooseMethod("Google Talk")
	formEntry(t, d, "Address").SetText("alice@gmail.com")
	formEntry(t, d, "Client ID").SetText("palaver.apps.googleusercontent.com")
	test.Tap(button(t, d, "Save and sign in"))
	page := h.browser.waitOpened(1)
	if !strings.HasPrefix(page.String(), "https://accounts.google.com/o/oauth2/auth?") || page.Query().Get("access_type") != "offline" {
		t.Fatalf("the browser opened %s", page)
	}
	var ctx context.Context
	select {
	case ctx = <-ctxs:
	case <-time.After(5 * time.Second):
		t.Fatal("the flow did not start")
	}
	test.Tap(button(t, h.overlay(), "Copy link"))
	if got := h.ui.app.Clipboard().Content(); got != page.String() {
		t.Fatalf("Copy link copied %q", got)
	}

	test.Tap(button(t, h.overlay(), "Cancel"))
	if ctx.Err() == nil {
		t.Fatal("Cancel did not cancel the flow's context")
	}
	if h.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the waiting dialog stayed")
	}
	// The flow ends and closes its listener; its outcome changes nothing.
	h.drain()
	if _, err := http.Get(page.Query().Get("redirect_uri")); err == nil {
		t.Fatal("the loopback listener is still open")
	}
	if h.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("canceling showed a dialog")
	}

	// The account stays, signed out, with the way to sign in at hand.
	if len(h.starts) != 1 || h.tokens != nil {
		t.Fatalf("starts %+v tokens %v", h.starts, h.tokens)
	}
	ev := app.SignInRequired{Err: errors.New("not signed in")}
	ev.Acct = "alice@gmail.com"
	off := app.StateChanged{State: app.Offline}
	off.Acct = "alice@gmail.com"
	h.ui.only().apply([]app.Event{off, ev})
	if h.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the core's first SignInRequired after a canceled sign-in asked again")
	}
	if h.ui.stateText.Text != "Not signed in with Google Talk." || h.ui.stateAction.Text != "Sign in…" {
		t.Fatalf("state %q, action %q", h.ui.stateText.Text, h.ui.stateAction.Text)
	}
	test.Tap(h.ui.stateAction)
	h.browser.waitOpened(2)
	if !labelContaining(h.overlay(), "Waiting for your browser") {
		t.Fatal("Sign in did not start the browser sign-in again")
	}
}

func TestSignInRequiredAsksAndSignsInAgain(t *testing.T) {
	srv := newAuthServer(t)
	h := newHarness(t, oauthAccount(srv, true))
	h.ui.Show()
	if _, silent := h.tokens.(*model.SilentTokens); !silent {
		t.Fatalf("a later start got tokens %T, want a silent sign-in", h.tokens)
	}
	ev := app.SignInRequired{Err: fmt.Errorf("%w: no refresh token is stored for %s", account.ErrSignInAgain, me)}
	ev.Acct = me
	h.apply(stateEv(app.Offline), ev)
	d := h.overlay()
	if !labelContaining(d, signInRequiredText(ev)) {
		t.Fatal("the prompt does not say why")
	}
	if h.browser.count() != 0 {
		t.Fatal("the browser opened before the user asked")
	}
	h.browser.setAnswer(signedInAnswer)
	test.Tap(button(t, d, "Sign in with "+providerName(h.ui.cfg.Accounts[0])+"…"))
	h.browser.waitOpened(1)
	h.drain()
	assertCalls(t, h.core, "SetTokens", "Connect")
	h.core.mu.Lock()
	tokens := h.core.tokens
	h.core.mu.Unlock()
	if tok, err := tokens.TokenContext(context.Background()); err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("new token %+v, %v", tok, err)
	}

	// Refused again: asked again, never a loop.
	h.apply(stateEv(app.Offline), ev)
	if !labelContaining(h.overlay(), signInRequiredText(ev)) {
		t.Fatal("no prompt the second time")
	}
	h.apply(ev) // one prompt, however often
	test.Tap(button(t, h.overlay(), "Not now"))
	if h.ui.win.Canvas().Overlays().Top() != nil || h.browser.count() != 1 {
		t.Fatalf("overlay %v, browser opened %d times", h.ui.win.Canvas().Overlays().Top(), h.browser.count())
	}
	assertCalls(t, h.core, "SetTokens", "Connect")
}

func TestLaterStartSignsInSilently(t *testing.T) {
	srv := newAuthServer(t)
	srv.grant("rt-old")
	h := newHarness(t, oauthAccount(srv, false))
	h.store.tokens = map[string]string{me: "rt-old"}
	h.ui.Show()
	tok, err := h.tokens.TokenContext(context.Background())
	if err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("silent sign-in: %+v, %v", tok, err)
	}
	if got := h.store.get(me); got != "rt-1" {
		t.Fatalf("the rotated refresh token was not stored: %q", got)
	}
	if h.browser.count() != 0 {
		t.Fatal("a silent sign-in opened the browser")
	}
}

func TestSignOutForgetsAndRevokes(t *testing.T) {
	srv := newAuthServer(t)
	srv.grant("rt-old")
	h := newHarness(t, oauthAccount(srv, false))
	h.store.tokens = map[string]string{me: "rt-old"}
	h.ui.Show()
	if _, err := h.tokens.TokenContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.apply(stateEv(app.Online))
	h.ui.signOut()
	assertCalls(t, h.core, "Disconnect", "SetTokens nil")
	h.drain() // the sign-out goroutine reports back
	if got := h.store.get(me); got != "" {
		t.Fatalf("the keychain still holds %q", got)
	}
	if got := srv.revokedTokens(); !slices.Equal(got, []string{"rt-1"}) {
		t.Fatalf("revoked %q, want the current refresh token", got)
	}
	if h.ui.noticeBar.Visible() {
		t.Fatalf("notice %q", h.ui.notice.Text)
	}
	h.apply(stateEv(app.Offline))
	if h.ui.stateAction.Text != "Sign in…" {
		t.Fatalf("after signing out: %q, action %q", h.ui.stateText.Text, h.ui.stateAction.Text)
	}
	// Signing in again goes through the browser.
	h.browser.setAnswer(signedInAnswer)
	h.ui.signIn()
	h.browser.waitOpened(1)
	h.drain()
	assertCalls(t, h.core, "Disconnect", "SetTokens nil", "SetTokens", "Connect")
}

func TestSignInFailuresAreExplainedAndKeepTheSettings(t *testing.T) {
	for i, tc := range []struct {
		name    string
		answer  url.Values
		issuer  func(*authServer) string
		html    bool
		timeout time.Duration
		want    string
	}{
		0: {name: "denied", answer: url.Values{"error": {"access_denied"}}, want: "access was denied in the browser"},
		1: {name: "token endpoint", answer: signedInAnswer, html: true, want: "answered with a web page"},
		2: {name: "discovery", issuer: func(s *authServer) string { return s.URL + "/nowhere" }, want: "there is no OpenID configuration"},
		3: {name: "timeout", timeout: 50 * time.Millisecond, want: "did not finish in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newAuthServer(t)
			srv.html = tc.html
			h := newHarness(t)
			h.ui.flowTimeout = tc.timeout
			h.browser.setAnswer(tc.answer)
			h.ui.Show()
			issuer := srv.URL
			if tc.issuer != nil {
				issuer = tc.issuer(srv)
			}
			h.setUpGeneric(issuer)
			h.drain()
			d := h.overlay()
			if !labelContaining(d, "Palaver could not sign in "+me+" with "+issuerHost(issuer)+": ") || !labelContaining(d, tc.want) {
				t.Fatalf("%d: the error does not say %q", i, tc.want)
			}
			cfg, err := account.Load(h.dir)
			if err != nil || len(cfg.Accounts) != 1 || cfg.Accounts[0].OAuth.Issuer != issuer {
				t.Fatalf("%d: settings %+v, %v", i, cfg, err)
			}
			if len(h.starts) != 1 || h.tokens != nil {
				t.Fatalf("%d: starts %+v, tokens %v", i, h.starts, h.tokens)
			}
			// Try again, this time successfully.
			if tc.issuer != nil {
				return
			}
			srv.html = false
			h.ui.flowTimeout = 0
			h.browser.setAnswer(signedInAnswer)
			test.Tap(button(t, d, "Try again"))
			h.drain()
			if h.ui.win.Canvas().Overlays().Top() != nil {
				t.Fatalf("%d: trying again left a dialog open", i)
			}
			assertCalls(t, h.core, "SetTokens", "Connect")
		})
	}
}

func TestBrowserThatDoesNotOpenLeavesTheLink(t *testing.T) {
	h := newHarness(t)
	h.browser.fail = errors.New("xdg-open: not found")
	h.ui.Show()
	d := h.chooseMethod("Google Talk")
	formEntry(t, d, "Address").SetText("alice@gmail.com")
	formEntry(t, d, "Client ID").SetText("palaver")
	test.Tap(button(t, d, "Save and sign in"))
	h.drain() // the opener reports the failure
	if !labelContaining(h.overlay(), "Palaver could not open your web browser. Copy the link") {
		t.Fatal("the failure to open the browser is not shown")
	}
	if b := button(t, h.overlay(), "Copy link"); b.Importance != widget.HighImportance {
		t.Fatal("Copy link is not the way forward")
	}
}

func TestKeychainFailureKeepsOAuthSignInForTheSession(t *testing.T) {
	srv := newAuthServer(t)
	h := newHarness(t)
	h.store.failSet = errors.New("saving the refresh token in the keychain: no Secret Service")
	h.browser.setAnswer(signedInAnswer)
	h.ui.Show()
	h.setUpGeneric(srv.URL)
	h.drain()
	if tok, err := h.tokens.TokenContext(context.Background()); err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("token %+v, %v", tok, err)
	}
	h.drain() // OnStoreError, from the core's goroutine
	d := h.overlay()
	if !labelContaining(d, "no Secret Service") || !labelContaining(d, "kept for this session only") {
		t.Fatal("the keychain failure is not explained")
	}
}

func TestChangingTheProviderSignsOutTheOldGrant(t *testing.T) {
	srv := newAuthServer(t)
	srv.grant("rt-old")
	h := newHarness(t, oauthAccount(srv, false))
	h.store.tokens = map[string]string{me: "rt-old"}
	h.ui.Show()
	if _, err := h.tokens.TokenContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.browser.setAnswer(signedInAnswer)
	h.ui.showAccountDialog(h.first())
	formEntry(t, h.overlay(), "Scopes").SetText("openid offline_access xmpp")
	test.Tap(button(t, h.overlay(), "Save and sign in"))
	if !h.core.stopped {
		t.Fatal("the session with the old grant kept running")
	}
	// Two outcomes arrive: the old grant's sign-out, the new sign-in.
	h.drain()
	h.drain()
	if got := srv.revokedTokens(); !slices.Equal(got, []string{"rt-1"}) {
		t.Fatalf("revoked %q", got)
	}
	if len(h.starts) != 2 || !slices.Equal(h.starts[1].OAuth.Scopes, []string{"openid", "offline_access", "xmpp"}) {
		t.Fatalf("starts %+v", h.starts)
	}
	if tok, err := h.tokens.TokenContext(context.Background()); err != nil || tok.AccessToken != "at-2" {
		t.Fatalf("new token %+v, %v", tok, err)
	}
	if got := h.store.get(me); got != "rt-2" {
		t.Fatalf("keychain holds %q, want the new grant", got)
	}
}

func TestRemoveOAuthAccount(t *testing.T) {
	srv := newAuthServer(t)
	srv.grant("rt-old")
	h := newHarness(t, oauthAccount(srv, true))
	h.store.tokens = map[string]string{me: "rt-old"}
	h.ui.Show()
	h.ui.removeAccount(h.first())
	if !labelContaining(h.overlay(), "its sign-in with "+issuerHost(srv.URL)) {
		t.Fatal("the confirmation does not say what is forgotten")
	}
	test.Tap(button(t, h.overlay(), "Remove"))
	h.drain()
	if got := h.store.get(me); got != "" {
		t.Fatalf("the keychain still holds %q", got)
	}
	if got := srv.revokedTokens(); !slices.Equal(got, []string{"rt-old"}) {
		t.Fatalf("revoked %q", got)
	}
	cfg, err := account.Load(h.dir)
	if err != nil || len(cfg.Accounts) != 0 {
		t.Fatalf("settings %+v, %v", cfg, err)
	}
	if h.ui.only() != nil || h.ui.stateText.Text != "No account set up" {
		t.Fatalf("after removing: %q", h.ui.stateText.Text)
	}
}

func TestSwitchingOAuthAccountToPassword(t *testing.T) {
	srv := newAuthServer(t)
	h := newHarness(t, oauthAccount(srv, true))
	h.store.tokens = map[string]string{me: "rt-old"}
	h.ui.Show()
	h.ui.showAccountDialog(h.first())
	d := h.chooseMethod("Password")
	test.Tap(button(t, d, "Save"))
	if !labelContaining(d, "enter the password") {
		t.Fatal("an OAuth account became a password one without password")
	}
	pw, _ := find(d, func(e *widget.Entry) bool { return e.Password })
	pw.SetText("s3cret")
	test.Tap(button(t, d, "Save"))
	h.drain() // the old sign-out or the keychain, in either order
	h.drain()
	if len(h.starts) != 2 || h.starts[1].UsesOAuth() || h.pwFunc == nil {
		t.Fatalf("starts %+v", h.starts)
	}
	if got := h.store.get(me); got != "" {
		t.Fatalf("the OAuth refresh token stayed: %q", got)
	}
	cfg, _ := account.Load(h.dir)
	if a := cfg.Accounts[0]; a.UsesOAuth() || a.OAuth.Provider != account.ProviderGeneric {
		t.Fatalf("saved %+v: want a password account that keeps its OAuth settings", a)
	}
}

func TestRemovePasswordAccountDeletesItsPassword(t *testing.T) {
	h := newHarness(t, account.Account{JID: me, RememberPassword: true})
	h.secrets.pw = map[string]string{me: "old"}
	h.ui.Show()
	h.ui.removeAccount(h.first())
	if !labelContaining(h.overlay(), "its password in the keychain") {
		t.Fatal("the confirmation does not say what is forgotten")
	}
	test.Tap(button(t, h.overlay(), "Remove"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.secrets.mu.Lock()
		_, kept := h.secrets.pw[me]
		h.secrets.mu.Unlock()
		if !kept {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the remembered password was kept")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !h.core.stopped || h.ui.only() != nil {
		t.Fatal("the account still runs")
	}
	if _, ok := h.ui.pw.Get(me); ok {
		t.Fatal("the password stayed in memory")
	}
}

func TestProviderNames(t *testing.T) {
	generic := func(jid, issuer, auth string) account.Account {
		return account.Account{JID: jid, Auth: account.AuthOAuth,
			OAuth: account.OAuthSettings{Provider: account.ProviderGeneric, Issuer: issuer, AuthURL: auth}}
	}
	for i, tc := range []struct {
		a    account.Account
		want string
	}{
		0: {generic("me@example.org", "", ""), "example.org"}, // the server names it later
		1: {generic("me@example.org", "https://auth.example.net/realms/x", ""), "auth.example.net"},
		2: {generic("me@example.org", "", "https://login.example.com:8443/authorize"), "login.example.com:8443"},
		3: {account.Account{JID: "me@gmail.com", Auth: account.AuthOAuth, OAuth: account.OAuthSettings{Provider: account.ProviderGoogle}}, "Google Talk"},
		4: {account.Account{JID: "me@x", Auth: account.AuthOAuth, OAuth: account.OAuthSettings{Provider: "myspace"}}, "your provider"},
	} {
		if got := providerName(tc.a); got != tc.want {
			t.Errorf("%d: %q, want %q", i, got, tc.want)
		}
	}
}

// A server whose certificate is not trusted yet, asked where its
// accounts sign in, gets the same trust dialog as signing in does;
// trusted, the certificate is pinned and the server is asked again.
func TestDiscoveryOffersToTrustTheCertificate(t *testing.T) {
	srv := newAuthServer(t)
	h := newHarness(t)
	loopbackIssuers(h)
	cert := testCert()
	var asked []account.Account
	h.ui.discoverIssuer = func(_ context.Context, a account.Account) (string, error) {
		asked = append(asked, a)
		if !a.IsPinned(cert.SHA256) {
			return "", &certs.UntrustedError{Info: cert}
		}
		return srv.URL, nil
	}
	h.ui.Show()
	h.setUpGeneric("")
	h.drain() // the discovery's outcome: untrusted
	d := h.overlay()
	if !labelContaining(d, "could not verify the certificate of the server for "+me) {
		t.Fatal("no trust dialog after the discovery met an untrusted certificate")
	}
	test.Tap(button(t, d, "Trust this certificate for "+me))
	h.drain() // the second discovery's outcome
	if len(asked) != 2 || !asked[1].IsPinned(cert.SHA256) {
		t.Fatalf("the server was asked %d times, the second time pinned: %v", len(asked), len(asked) == 2 && asked[1].IsPinned(cert.SHA256))
	}
	if cfg, err := account.Load(h.dir); err != nil || !cfg.Accounts[0].IsPinned(cert.SHA256) {
		t.Fatalf("the pin was not saved: %+v, %v", cfg, err)
	}
	if !labelContaining(h.overlay(), "says that its accounts sign in at") {
		t.Fatal("after trusting, the sign-in did not go on to the issuer's question")
	}
}

// Canceling the trust dialog ends the sign-in with the error explained.
func TestDiscoveryUntrustedCanceled(t *testing.T) {
	h := newHarness(t)
	loopbackIssuers(h)
	h.ui.discoverIssuer = func(context.Context, account.Account) (string, error) {
		return "", &certs.UntrustedError{Info: testCert()}
	}
	h.ui.Show()
	h.setUpGeneric("")
	h.drain()
	test.Tap(button(t, h.overlay(), "Cancel"))
	if !labelContaining(h.overlay(), "certificate is not trusted") {
		t.Fatal("canceling the trust dialog did not explain the failed sign-in")
	}
	if len(h.ui.flows) != 0 {
		t.Error("a sign-in is still under way")
	}
}

func TestAccountDialogCAFile(t *testing.T) {
	h := newHarness(t, account.Account{JID: me, RememberPassword: true})
	h.secrets.pw = map[string]string{me: "pw"}
	h.ui.Show()
	h.ui.showAccountDialog(me)
	d := h.overlay()
	formEntry(t, d, "CA file").SetText("/nonexistent/ca.pem")
	test.Tap(button(t, d, "Save"))
	if !labelContaining(h.overlay(), "the CA file cannot be read") {
		t.Fatal("a CA file that cannot be read was accepted")
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	formEntry(t, d, "CA file").SetText(ca)
	test.Tap(button(t, d, "Save"))
	if cfg, err := account.Load(h.dir); err != nil || cfg.Accounts[0].CAFile != ca {
		t.Fatalf("saved %+v, %v", cfg, err)
	}
}

// A server that refuses the token for want of a scope it names
// (insufficient_scope) gets it: the scope is added to the account's and
// the next sign-in asks for it; a scope asked for already but not granted
// is explained instead.
func TestInsufficientScopeIsAskedFor(t *testing.T) {
	srv := newAuthServer(t)
	h := newHarness(t, oauthAccount(srv, true))
	h.ui.Show()
	refused := func(scope string) app.SignInRequired {
		ev := app.SignInRequired{Err: &saslauth.Failure{Condition: "not-authorized",
			Err: &saslauth.BearerError{Status: "insufficient_scope", Scope: scope}}}
		ev.Acct = me
		return ev
	}
	h.apply(stateEv(app.Offline), refused("xmpp"))
	d := h.overlay()
	if !labelContaining(d, "Palaver asks for it now") || !labelContaining(d, "xmpp") {
		t.Fatal("the prompt does not say that the scope the server named is asked for now")
	}
	// The account asked for the preset's scopes (none of its own).
	preset, _ := account.ProviderByID(account.ProviderGeneric)
	want := append(preset.Scopes, "xmpp")
	if cfg, err := account.Load(h.dir); err != nil || !slices.Equal(cfg.Accounts[0].OAuth.Scopes, want) {
		t.Fatalf("saved scopes %v, want %v", cfg.Accounts[0].OAuth.Scopes, want)
	}
	if got := h.core.acct.OAuth.Scopes; !slices.Contains(got, "xmpp") {
		t.Errorf("the core's account asks for %v", got)
	}
	test.Tap(button(t, d, "Sign in with "+providerName(h.ui.cfg.Accounts[0])+"…"))
	page := h.browser.waitOpened(1)
	if got := strings.Fields(page.Query().Get("scope")); !slices.Contains(got, "xmpp") {
		t.Fatalf("the sign-in asks for scopes %v", got)
	}
	for _, f := range h.ui.flows {
		h.ui.cancelSignIn(f)
	}
	// Asked for already and still refused: the provider's doing.
	h.apply(refused("xmpp"))
	if !labelContaining(h.overlay(), "your provider did not grant it") {
		t.Fatal("a scope asked for but not granted is not explained")
	}
}
