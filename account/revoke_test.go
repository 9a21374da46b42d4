package account_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
)

// revokeServer records revocation requests and answers with answer.
type revokeServer struct {
	mu   sync.Mutex
	reqs []*http.Request
	form []url.Values
	srv  *httptest.Server
}

func newRevokeServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *revokeServer {
	rs := &revokeServer{}
	rs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		rs.mu.Lock()
		rs.reqs = append(rs.reqs, r)
		rs.form = append(rs.form, r.PostForm)
		rs.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(rs.srv.Close)
	return rs
}

func (rs *revokeServer) forms() []url.Values {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]url.Values(nil), rs.form...)
}

func ok200(w http.ResponseWriter, r *http.Request) {}

func TestRevoke(t *testing.T) {
	rs := newRevokeServer(t, ok200)
	c := account.OAuthConfig{ClientID: "cid", RevocationURL: rs.srv.URL + "/revoke"}
	if err := account.Revoke(t.Context(), c, "rt-1", account.HintRefreshToken, nil); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	f := rs.forms()
	if len(f) != 1 {
		t.Fatalf("%d requests, want 1", len(f))
	}
	want := url.Values{"token": {"rt-1"}, "token_type_hint": {"refresh_token"}, "client_id": {"cid"}}
	if f[0].Encode() != want.Encode() {
		t.Errorf("form %v, want %v", f[0], want)
	}
	r := rs.reqs[0]
	if r.Method != http.MethodPost || r.URL.Path != "/revoke" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("request %s %s (%s)", r.Method, r.URL, r.Header.Get("Content-Type"))
	}
}

func TestRevokeClientAuth(t *testing.T) {
	rs := newRevokeServer(t, ok200)
	c := account.OAuthConfig{ClientID: "c id", ClientSecret: "not:secret", RevocationURL: rs.srv.URL, AuthStyle: oauth2.AuthStyleInHeader}
	if err := account.Revoke(t.Context(), c, "tok", "", nil); err != nil {
		t.Fatal(err)
	}
	r, f := rs.reqs[0], rs.forms()[0]
	user, pass, ok := r.BasicAuth()
	if !ok || user != "c+id" || pass != "not%3Asecret" {
		t.Errorf("Basic auth %q %q %v, want the form-encoded client ID and secret (RFC 6749 §2.3.1)", user, pass, ok)
	}
	if f.Has("client_id") || f.Has("client_secret") || f.Has("token_type_hint") {
		t.Errorf("form %v: want only the token", f)
	}

	c.AuthStyle = oauth2.AuthStyleInParams
	if err := account.Revoke(t.Context(), c, "tok", "", nil); err != nil {
		t.Fatal(err)
	}
	if f := rs.forms()[1]; f.Get("client_id") != "c id" || f.Get("client_secret") != "not:secret" {
		t.Errorf("form %v: want the client ID and secret", f)
	}
}

func TestRevokeNothingToDo(t *testing.T) {
	rs := newRevokeServer(t, ok200)
	if err := account.Revoke(t.Context(), account.OAuthConfig{ClientID: "c"}, "tok", "", nil); err != nil {
		t.Errorf("Revoke without an endpoint = %v, want nil", err)
	}
	if err := account.Revoke(t.Context(), account.OAuthConfig{ClientID: "c", RevocationURL: rs.srv.URL}, "", "", nil); err != nil {
		t.Errorf("Revoke of no token = %v, want nil", err)
	}
	if len(rs.forms()) != 0 {
		t.Error("a request was sent")
	}
}

func TestRevokeFailures(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		url    string
		ctx    time.Duration
		words  string
	}{
		{name: "OAuth error", answer: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"unsupported_token_type","error_description":"no\nway"}`))
		}, words: "refused: unsupported_token_type (no way)"},
		{name: "unavailable", answer: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, words: "answered HTTP 503 Service Unavailable"},
		{name: "HTML", answer: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404); w.Write([]byte("<html>")) }, words: "answered HTTP 404"},
		{name: "down", url: httptest503URL(t), words: "cannot reach 127.0.0.1:"},
		{name: "hangs", answer: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}, ctx: 200 * time.Millisecond, words: "deadline exceeded"},
		{name: "plain http elsewhere", url: "http://revoke.example/r", words: "must use https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.url
			if u == "" {
				u = newRevokeServer(t, tt.answer).srv.URL
			}
			ctx := t.Context()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			start := time.Now()
			err := account.Revoke(ctx, account.OAuthConfig{ClientID: "c", RevocationURL: u}, "tok", "", nil)
			if err == nil || !strings.Contains(err.Error(), tt.words) {
				t.Errorf("Revoke = %v, want an error saying %q", err, tt.words)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("Revoke took %v", time.Since(start))
			}
		})
	}
}

func TestSignOut(t *testing.T) {
	t.Run("stored token deleted and revoked", func(t *testing.T) {
		as := newAuthServer(t)
		store := newMemStore()
		store.m[alice] = "rt-stored"
		if err := account.SignOut(t.Context(), as.config(), alice, store, nil); err != nil {
			t.Fatal(err)
		}
		if _, ok := store.get(alice); ok {
			t.Error("still stored")
		}
		if got := as.revokedTokens(); len(got) != 1 || got[0] != "refresh_token:rt-stored" {
			t.Errorf("revoked %q", got)
		}
	})
	t.Run("no revocation endpoint", func(t *testing.T) {
		as := newAuthServer(t)
		c := as.config()
		c.RevocationURL = ""
		if c.CanRevoke() {
			t.Error("CanRevoke without an endpoint")
		}
		store := newMemStore()
		store.m[alice] = "rt"
		if err := account.SignOut(t.Context(), c, alice, store, nil); err != nil {
			t.Fatal(err)
		}
		if _, ok := store.get(alice); ok {
			t.Error("still stored")
		}
		if len(as.revokedTokens()) != 0 {
			t.Error("revoked without an endpoint")
		}
	})
	t.Run("revocation fails, deletion holds", func(t *testing.T) {
		as := newAuthServer(t)
		as.revokeHook = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }
		store := newMemStore()
		store.m[alice] = "rt"
		err := account.SignOut(t.Context(), as.config(), alice, store, nil)
		if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
			t.Errorf("SignOut = %v, want the revocation's failure", err)
		}
		if _, ok := store.get(alice); ok {
			t.Error("a failed revocation kept the token stored")
		}
	})
	t.Run("locked keychain", func(t *testing.T) {
		as := newAuthServer(t)
		store := newMemStore()
		locked := errors.New("locked")
		store.fail(locked, nil, locked)
		err := account.SignOut(t.Context(), as.config(), alice, store, nil)
		if !errors.Is(err, locked) {
			t.Errorf("SignOut = %v, want the keychain's error", err)
		}
		if store.deletes != 1 {
			t.Error("no attempt to delete")
		}
	})
	t.Run("in-memory and stored tokens differ", func(t *testing.T) {
		as := newAuthServer(t)
		first := signIn(t, as)
		store := newMemStore()
		store.m[alice] = "rt-old"
		store.fail(nil, errors.New("read-only"), nil)
		ts := account.NewTokenSource(account.TokenSourceConfig{OAuth: as.config(), Account: alice, Store: store, Token: first})
		mustToken(t, ts) // cannot store: memory has first's token, the store an old one
		store.fail(nil, nil, nil)
		if err := ts.SignOut(t.Context()); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(as.revokedTokens(), " ")
		if !strings.Contains(got, "refresh_token:"+first.RefreshToken) {
			t.Errorf("revoked %q, want the in-memory token %q among them", got, first.RefreshToken)
		}
		if _, ok := store.get(alice); ok {
			t.Error("still stored")
		}
	})
}
