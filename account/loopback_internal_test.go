package account

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const (
	fuzzState  = "STATE0123456789ABCDEFGHIJK"
	fuzzIssuer = "https://as.example/tenant"
)

// FuzzCallback feeds the redirect URI's handler arbitrary request targets
// and checks that nothing panics, that only the right state counts, that
// a code counts only with the right issuer (RFC 9207), and that every
// answer is one of the documented ones.
func FuzzCallback(f *testing.F) {
	for _, s := range []string{
		"/callback?code=abc&state=" + fuzzState,
		"/callback?state=" + fuzzState,
		"/callback?error=access_denied&error_description=%3Cb%3E&state=" + fuzzState,
		"/callback?state=" + fuzzState + "&state=" + fuzzState + "&code=a",
		"/callback?code=a&code=b&state=" + fuzzState,
		"/callback?code=&state=" + fuzzState,
		"/callback?code=a&state=wrong",
		"/callback?%zz",
		"/callback?state=" + fuzzState + ";code=x",
		"/callback?state=" + fuzzState[:10],
		"/callback",
		"/",
		"/callback/../callback?code=a&state=" + fuzzState,
		"/%63allback?code=a&state=" + fuzzState,
		"*",
	} {
		f.Add(s)
		f.Add(s + "&iss=" + url.QueryEscape(fuzzIssuer))
	}
	for _, iss := range []string{fuzzIssuer + "/", "https://as.example", "https://evil.example/tenant", "", fuzzIssuer + "&iss=" + fuzzIssuer, "HTTPS://as.example/tenant"} {
		f.Add("/callback?code=abc&state=" + fuzzState + "&iss=" + url.QueryEscape(iss))
	}
	f.Fuzz(func(t *testing.T, target string) {
		// parseCallback alone, on the query as a browser would send it.
		rawQuery := ""
		if i := strings.IndexByte(target, '?'); i >= 0 {
			rawQuery = target[i+1:]
		}
		res := parseCallback(rawQuery, fuzzState, issuerCheck{issuer: fuzzIssuer, required: true})
		q, qerr := url.ParseQuery(rawQuery)
		right := qerr == nil && len(q["state"]) == 1 && q["state"][0] == fuzzState
		if res.ignore == right {
			t.Fatalf("parseCallback(%q): ignore = %v, but the state is right = %v", rawQuery, res.ignore, right)
		}
		if !res.ignore {
			if (res.code == "") == (res.err == nil) {
				t.Fatalf("parseCallback(%q) = %+v: want a code or an error", rawQuery, res)
			}
			if res.code != "" && (len(q["code"]) != 1 || q["code"][0] != res.code || q.Has("error")) {
				t.Fatalf("parseCallback(%q) = code %q", rawQuery, res.code)
			}
			issOK := len(q["iss"]) == 1 && strings.TrimSuffix(q["iss"][0], "/") == fuzzIssuer
			if errors.Is(res.err, ErrIssuerMismatch) == issOK {
				t.Fatalf("parseCallback(%q) = %v: the issuer is right = %v", rawQuery, res.err, issOK)
			}
			var ae *AuthError
			if issOK && q.Has("error") != errors.As(res.err, &ae) {
				t.Fatalf("parseCallback(%q) = %v: an error parameter must give an *AuthError", rawQuery, res.err)
			}
			if res.err != nil && res.err.Error() == "" {
				t.Fatalf("parseCallback(%q): empty error message", rawQuery)
			}
		}

		// The handler, as reached over HTTP, after the sign-in ended.
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:1"+target, nil)
		if err != nil || strings.HasPrefix(target, "*") {
			return
		}
		req.Host = "127.0.0.1:1"
		h := &callbackHandler{host: "127.0.0.1:1", state: fuzzState, arrived: make(chan callback), done: make(chan struct{})}
		close(h.done)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusNotFound:
			if req.URL.Path == CallbackPath {
				t.Fatalf("%q: 404 on the callback path", target)
			}
		case http.StatusBadRequest:
			if h.rejected.Load() != 1 {
				t.Fatalf("%q: 400 without counting a rejected request", target)
			}
		case http.StatusGone:
			if !h.used.Load() {
				t.Fatalf("%q: 410 without using the sign-in", target)
			}
		default:
			t.Fatalf("%q: HTTP %d", target, w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Fatalf("%q: content type %q", target, ct)
		}
		if body := w.Body.String(); strings.Contains(body, "<script") || strings.Contains(body, "<b>") {
			t.Fatalf("%q: unescaped markup in the page:\n%s", target, body)
		}
	})
}
