package oauthtest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// ErrWrongPassword is returned (wrapped) by Login when the server's login
// page refuses the username or password.
var ErrWrongPassword = errors.New("oauthtest: the login page refused the username or password")

// errNoForm reports a page without the expected form.
var errNoForm = errors.New("no such form on the page")

// maxRedirects bounds the redirects Login follows on the server.
const maxRedirects = 20

// Login plays the user's browser for the authorization request authURL (as
// made by oauth2.Config.AuthCodeURL): it opens the URL with a fresh cookie
// jar, follows the server's redirects, signs in on the login page as user
// with password, and returns the URL the server finally redirects to outside
// itself: the client's redirect URI with code and state (or error=...)
// in the query. It does not follow that redirect: the caller (an opener
// in a test) decides whether and when to, e.g. with Browser.
//
// A wrong password gives an error that wraps ErrWrongPassword; an error page
// of the server (an unknown client, a redirect URI not allowed, a missing
// PKCE challenge) gives an error with the page's text. Login is safe to call
// from any goroutine; t is only used to mark it a helper.
func (s *Server) Login(t testing.TB, authURL, user, password string) (string, error) {
	if t != nil {
		t.Helper()
	}
	return s.browse(authURL, "login", url.Values{"username": {user}, "password": {password}})
}

// Deny opens the authorization request authURL like Login, but presses
// Cancel on the login page. It returns the redirect to the client, which
// carries error=access_denied.
func (s *Server) Deny(t testing.TB, authURL string) (string, error) {
	if t != nil {
		t.Helper()
	}
	return s.browse(authURL, "cancel", nil)
}

// Browser returns an opener, as native-app sign-in code takes for opening
// the system browser: for each URL it calls Login as user with password and
// then GETs the redirect URL it returned (the application's loopback
// listener), without following further redirects. It returns an error when
// Login fails, the GET fails, or the listener answers with an HTTP error.
// It may be called from any goroutine.
func (s *Server) Browser(user, password string) func(authURL string) error {
	return func(authURL string) error {
		redirect, err := s.Login(nil, authURL, user, password)
		if err != nil {
			return err
		}
		return Visit(redirect)
	}
}

// SignIn runs the authorization code flow with PKCE for user with password,
// as a native app does, and returns the token (access and refresh token).
// The redirect URI is http://127.0.0.1:PORT/callback with a port that was
// free; SignIn takes the code from the URL Login returns instead of
// listening there. Scopes default to s.Scopes. It fails the test on error.
func (s *Server) SignIn(t testing.TB, user, password string, scopes ...string) *oauth2.Token {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("oauthtest: %v", err)
	}
	redirectURL := "http://" + ln.Addr().String() + "/callback"
	ln.Close()
	cfg := s.Config(redirectURL)
	if len(scopes) > 0 {
		cfg.Scopes = scopes
	}
	verifier := oauth2.GenerateVerifier()
	state := oauth2.GenerateVerifier()
	redirect, err := s.Login(t, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), user, password)
	if err != nil {
		t.Fatalf("oauthtest: signing in %s: %v", user, err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatalf("oauthtest: signing in %s: %v", user, err)
	}
	q := u.Query()
	if !strings.HasPrefix(redirect, redirectURL+"?") || q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("oauthtest: signing in %s: unexpected redirect %s", user, redactQuery(redirect))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("oauthtest: signing in %s: exchanging the code: %v", user, err)
	}
	return tok
}

// Visit GETs u, as a browser following a redirect to the application's
// loopback listener, and reports an error when that fails or the answer is
// an HTTP error (with the start of the page).
func Visit(u string) error {
	c := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := c.Get(u)
	if err != nil {
		return fmt.Errorf("oauthtest: browser: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 400 {
		return fmt.Errorf("oauthtest: browser: %s answered HTTP %s: %s", redactQuery(u), resp.Status, pageText(body))
	}
	return nil
}

// formRE finds the forms of the login page (server.mjs writes them).
var formRE = regexp.MustCompile(`<form method="post" action="([^"]+)" id="([a-z]+)">`)

// errorRE finds the error message on the login page.
var errorRE = regexp.MustCompile(`<p class="error" id="error">([^<]*)</p>`)

// browse opens authURL, submits the form named form with fields on the
// login page, and returns the first redirect that leaves the server.
func (s *Server) browse(authURL, form string, fields url.Values) (string, error) {
	issuer, err := url.Parse(s.Issuer)
	if err != nil {
		return "", err
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	c := &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequest(http.MethodGet, authURL, nil)
	if err != nil {
		return "", fmt.Errorf("oauthtest: browser: %w", err)
	}
	submitted := false
	for range maxRedirects {
		if req.URL.Scheme != issuer.Scheme || req.URL.Host != issuer.Host {
			return "", fmt.Errorf("oauthtest: browser: %s is not on the authorization server %s", redactQuery(req.URL.String()), s.Issuer)
		}
		resp, err := c.Do(req)
		if err != nil {
			return "", fmt.Errorf("oauthtest: browser: %w", err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()

		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				return "", fmt.Errorf("oauthtest: browser: redirect without Location from %s: %w", req.URL.Path, err)
			}
			if loc.Scheme != issuer.Scheme || loc.Host != issuer.Host {
				return loc.String(), nil
			}
			req, err = http.NewRequest(http.MethodGet, loc.String(), nil)
			if err != nil {
				return "", err
			}
		case resp.StatusCode == http.StatusUnauthorized && submitted && form == "login":
			msg := "wrong username or password"
			if m := errorRE.FindSubmatch(body); m != nil {
				msg = html.UnescapeString(string(m[1]))
			}
			return "", fmt.Errorf("%w: %s", ErrWrongPassword, msg)
		case resp.StatusCode == http.StatusOK && !submitted:
			action, err := findForm(body, form)
			if err != nil {
				return "", fmt.Errorf("oauthtest: browser: %s: %w: %s", req.URL.Path, err, pageText(body))
			}
			target, err := req.URL.Parse(action)
			if err != nil {
				return "", err
			}
			req, err = http.NewRequest(http.MethodPost, target.String(), strings.NewReader(fields.Encode()))
			if err != nil {
				return "", err
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			submitted = true
		default:
			return "", fmt.Errorf("oauthtest: browser: %s %s answered HTTP %s: %s", req.Method, req.URL.Path, resp.Status, pageText(body))
		}
	}
	return "", fmt.Errorf("oauthtest: browser: more than %d redirects", maxRedirects)
}

// findForm returns the action of the form with the given id.
func findForm(page []byte, id string) (string, error) {
	for _, m := range formRE.FindAllSubmatch(page, -1) {
		if string(m[2]) == id {
			return html.UnescapeString(string(m[1])), nil
		}
	}
	return "", fmt.Errorf("%w (%s)", errNoForm, id)
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// pageText returns the text of an HTML page on one line, shortened.
func pageText(page []byte) string {
	text := html.UnescapeString(tagRE.ReplaceAllString(string(page), " "))
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > 500 {
		text = text[:500] + "…"
	}
	return text
}

// redactQuery returns u without its query, which may hold a code.
func redactQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}
