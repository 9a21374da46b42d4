package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// CallbackPath is the path of the loopback redirect URI,
// http://127.0.0.1:PORT/callback (RFC 8252 §7.3).
// Register http://127.0.0.1/callback with the provider; a conforming
// authorization server accepts it with any port.
const CallbackPath = "/callback"

// DefaultFlowTimeout is how long Flow waits for the browser when its
// Timeout is zero.
const DefaultFlowTimeout = 5 * time.Minute

// Errors of Flow.Authorize; each is wrapped with details.
var (
	// ErrTimeout: the browser did not come back in time.
	ErrTimeout = errors.New("the sign-in in the browser did not finish in time")
	// ErrStateMismatch: a request reached the redirect URI with a wrong
	// or missing state. It is only ever part of a timeout error: such a
	// request is ignored, it does not end the sign-in.
	ErrStateMismatch = errors.New("a request with a wrong state reached the redirect URI")
	// ErrMissingCode: the provider redirected back without a code and
	// without an error.
	ErrMissingCode = errors.New("the provider sent the browser back without an authorization code")
	// ErrIssuerMismatch: the redirect's iss parameter (RFC 9207) names
	// another authorization server than the one the sign-in started at,
	// or is missing where the provider promised it: the code may be
	// meant for another server (a mix-up attack, RFC 9700 §4.4) and is
	// not used.
	ErrIssuerMismatch = errors.New("the sign-in response did not come from the expected authorization server")
	// ErrNoLoopback: neither 127.0.0.1 nor [::1] can be listened on.
	ErrNoLoopback = errors.New("cannot listen on the loopback address for the browser to come back")
)

// AuthError is the error a provider sent back to the redirect URI
// (RFC 6749 §4.1.2.1), e.g. access_denied when the user said no.
type AuthError struct {
	// Code is the error parameter, e.g. "access_denied".
	Code string
	// Description and URI are error_description and error_uri, as sent.
	Description, URI string
}

// Error says what the provider reported, safe to show.
func (e *AuthError) Error() string {
	msg := "the provider refused the sign-in: " + clean(e.Code, 64)
	if e.Code == "access_denied" {
		msg = "access was denied in the browser (access_denied)"
	}
	if e.Description != "" {
		msg += " (" + clean(e.Description, 200) + ")"
	}
	return msg
}

// Flow signs in with the system browser: the authorization code flow
// with a loopback redirect (RFC 8252) and PKCE S256 (RFC 7636).
//
// A Flow holds only settings; Authorize may run any number of times,
// one sign-in per call, concurrently.
type Flow struct {
	// Config names the provider and the client.
	Config OAuthConfig
	// Open shows the authorization URL in the system browser
	// (Fyne's OpenURL in the app, an HTTP client in tests).
	// An error from Open ends the sign-in.
	Open func(authURL string) error
	// Timeout bounds the wait for the browser; zero means
	// DefaultFlowTimeout.
	Timeout time.Duration
	// HTTPClient talks to the token endpoint; nil means a default client
	// with a 30 s timeout. Redirects are never followed, whatever its
	// CheckRedirect says: the request carries the code and the verifier.
	HTTPClient *http.Client

	// listen replaces net.Listen in tests.
	listen func(network, address string) (net.Listener, error)
}

// Authorize runs one sign-in and returns the token the provider issued.
//
// It listens on 127.0.0.1 on an ephemeral port (on [::1] when IPv4
// loopback is unavailable), opens the browser at the authorization URL
// with a random state and a PKCE S256 challenge, waits for the browser
// to come back to CallbackPath, and exchanges the code for a token.
// The browser gets a small page saying that the sign-in finished and the
// tab can be closed, or what failed.
//
// The listener takes only GET on CallbackPath (other paths: 404, other
// methods: 405) and answers one redirect with the right state.
// A request with a wrong or missing state is answered with an error page
// and otherwise ignored: RFC 6749 §10.12 has it rejected, and it must
// not end the sign-in either, or any web page that guesses the port
// could cancel the user's sign-in by sending one. When the wait then
// times out, the error also wraps ErrStateMismatch.
// A redirect with the right state ends the sign-in: with an *AuthError
// when it carries an error, ErrMissingCode when it carries no code, and
// ErrIssuerMismatch when its iss parameter (RFC 9207) names another
// issuer than Config.Issuer, or is missing while Config.RequireIss.
//
// Authorize ends at the first of: the token (or the token endpoint's
// error), the timeout (ErrTimeout), or ctx being done (ctx.Err() is
// wrapped: the UI's Cancel button cancels ctx). It never returns with
// the listener still open.
func (f Flow) Authorize(ctx context.Context) (*oauth2.Token, error) {
	if err := f.Config.Validate(); err != nil {
		return nil, err
	}
	if f.Open == nil {
		return nil, errors.New("no way to open the browser")
	}
	if ctx.Err() != nil {
		return nil, canceled(ctx)
	}
	ln, err := f.listenLoopback()
	if err != nil {
		return nil, err
	}
	redirect := "http://" + ln.Addr().String() + CallbackPath
	conf := f.Config.OAuth2Config(redirect)
	verifier := oauth2.GenerateVerifier()
	h := &callbackHandler{
		host:    ln.Addr().String(),
		issuer:  issuerCheck{issuer: f.Config.Issuer, required: f.Config.RequireIss},
		state:   rand.Text(),
		arrived: make(chan callback),
		done:    make(chan struct{}),
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for k, v := range f.Config.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	authURL := conf.AuthCodeURL(h.state, opts...)

	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      3 * httpTimeout, // the answer waits for the token exchange
		IdleTimeout:       time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	var serving sync.WaitGroup
	serving.Go(func() { _ = srv.Serve(ln) })
	defer func() {
		// Stop the handlers waiting for an outcome, close the listener
		// at once, let a last page reach the browser, then close all.
		close(h.done)
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
		serving.Wait()
	}()

	// The opener runs aside: some block until the page is served (a test
	// browser, or xdg-open waiting for a browser it started), and the page
	// is only served once this function takes the callback below.
	opened := make(chan error, 1)
	go func() { opened <- f.Open(authURL) }()

	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultFlowTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case err := <-opened:
			if err != nil {
				return nil, fmt.Errorf("cannot open the browser: %w", err)
			}
			opened = nil
			continue
		case cb := <-h.arrived:
			if cb.err != nil {
				cb.reply <- failurePage(cb.err)
				return nil, cb.err
			}
			tok, err := f.exchange(ctx, conf, cb.code, verifier)
			if err != nil {
				cb.reply <- failurePage(err)
				return nil, err
			}
			// Not "signed in": the XMPP server has yet to accept the token
			// (it may want a scope the provider did not grant), and only
			// Palaver's window can say whether it did.
			cb.reply <- page{status: http.StatusOK, Title: "Sign-in received",
				Message: "Palaver has your sign-in and is connecting to your server; its window says whether the server accepts it. You can close this tab."}
			return tok, nil
		case <-timer.C:
			if n := h.rejected.Load(); n > 0 {
				return nil, fmt.Errorf("%w (after %v; ignored %d request(s): %w)", ErrTimeout, timeout, n, ErrStateMismatch)
			}
			return nil, fmt.Errorf("%w (waited %v)", ErrTimeout, timeout)
		case <-ctx.Done():
			return nil, canceled(ctx)
		}
	}
}

// listenLoopback listens on an ephemeral port of 127.0.0.1, or of [::1]
// when that fails (RFC 8252 §8.3: loopback IP literals, not localhost).
func (f Flow) listenLoopback() (net.Listener, error) {
	listen := f.listen
	if listen == nil {
		listen = net.Listen
	}
	ln, err4 := listen("tcp4", "127.0.0.1:0")
	if err4 == nil {
		return ln, nil
	}
	ln, err6 := listen("tcp6", "[::1]:0")
	if err6 == nil {
		return ln, nil
	}
	return nil, fmt.Errorf("%w: %w; %w", ErrNoLoopback, err4, err6)
}

// exchange trades the code for a token at the token endpoint.
func (f Flow) exchange(ctx context.Context, conf *oauth2.Config, code, verifier string) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	rctx, info := recording(ctx, f.HTTPClient)
	tok, err := conf.Exchange(rctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, tokenEndpointError("finishing the sign-in", conf.Endpoint.TokenURL, err, info)
	}
	return tok, nil
}

// callback is a redirect with the right state, handed to Authorize.
type callback struct {
	code  string
	err   error
	reply chan page // Authorize sends the page to show; buffered
}

// callbackHandler serves the redirect URI.
type callbackHandler struct {
	host     string // the listener's address, the only Host accepted
	issuer   issuerCheck
	state    string
	arrived  chan callback // unbuffered: a send succeeds only while Authorize waits
	done     chan struct{} // closed when Authorize returns
	used     atomic.Bool   // a redirect with the right state came
	rejected atomic.Int64  // requests with a wrong or missing state
}

// ServeHTTP answers a request to the redirect URI (see Flow.Authorize).
func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != CallbackPath {
		h.write(w, page{status: http.StatusNotFound, Title: "Not found", Message: "There is nothing here."})
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		h.write(w, page{status: http.StatusMethodNotAllowed, Title: "Method not allowed", Message: "Only the browser's redirect comes here."})
		return
	}
	// A request for another host name reached us through DNS rebinding,
	// not through the provider's redirect.
	if !strings.EqualFold(r.Host, h.host) {
		h.rejected.Add(1)
		h.write(w, page{status: http.StatusBadRequest, Title: "Sign-in failed", Message: "This request was not meant for Palaver."})
		return
	}
	res := parseCallback(r.URL.RawQuery, h.state, h.issuer)
	if res.ignore {
		h.rejected.Add(1)
		h.write(w, page{status: http.StatusBadRequest, Title: "Sign-in failed", Message: "This sign-in link does not belong to the sign-in Palaver is waiting for (wrong state). Start the sign-in again from Palaver if it is still waiting."})
		return
	}
	if !h.used.CompareAndSwap(false, true) {
		h.write(w, page{status: http.StatusConflict, Title: "Already used", Message: "This sign-in link was already used. You can close this tab."})
		return
	}
	cb := callback{code: res.code, err: res.err, reply: make(chan page, 1)}
	select {
	case h.arrived <- cb:
	case <-h.done:
		h.write(w, endedPage)
		return
	}
	// Authorize answers every callback it received, even when it ends.
	h.write(w, <-cb.reply)
}

var endedPage = page{status: http.StatusGone, Title: "Sign-in ended", Message: "Palaver is no longer waiting for this sign-in (it was canceled or took too long). Start it again from Palaver."}

// callbackResult is what a redirect's query means.
type callbackResult struct {
	ignore bool   // wrong, missing or repeated state, or a malformed query
	code   string // the authorization code, when err is nil
	err    error  // *AuthError or ErrMissingCode
}

// issuerCheck is what a redirect's iss parameter must be (RFC 9207 §2.4).
type issuerCheck struct {
	issuer   string // "" when unknown: iss cannot be checked
	required bool   // the provider sends iss in every response
}

// check returns nil when the iss values of a redirect are acceptable.
// One trailing slash is no difference, as for discovery.
func (c issuerCheck) check(iss []string) error {
	switch {
	case len(iss) > 1:
		return fmt.Errorf("%w: the redirect carried %d issuers", ErrIssuerMismatch, len(iss))
	case len(iss) == 1 && c.issuer != "" && !sameIssuer(iss[0], c.issuer):
		return fmt.Errorf("%w: it names the issuer %q, not %q; Palaver did not use its code", ErrIssuerMismatch, clean(iss[0], 200), c.issuer)
	case len(iss) == 0 && c.required:
		return fmt.Errorf("%w: it names no issuer although %s always does (RFC 9207); Palaver did not use its code", ErrIssuerMismatch, c.issuer)
	}
	return nil
}

// parseCallback reads the query of a request to the redirect URI.
// Only a query whose single state parameter equals state counts; the
// comparison takes constant time. Then the issuer is checked, for error
// responses too (RFC 9207 §2).
func parseCallback(rawQuery, state string, issuer issuerCheck) callbackResult {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return callbackResult{ignore: true}
	}
	got := q["state"]
	if len(got) != 1 || subtle.ConstantTimeCompare([]byte(got[0]), []byte(state)) != 1 {
		return callbackResult{ignore: true}
	}
	if err := issuer.check(q["iss"]); err != nil {
		return callbackResult{err: err}
	}
	if e := q["error"]; len(e) > 0 {
		return callbackResult{err: &AuthError{Code: e[0], Description: q.Get("error_description"), URI: q.Get("error_uri")}}
	}
	codes := q["code"]
	switch {
	case len(codes) == 0 || codes[0] == "":
		return callbackResult{err: ErrMissingCode}
	case len(codes) > 1:
		return callbackResult{err: fmt.Errorf("%w: the redirect carried %d codes", ErrMissingCode, len(codes))}
	}
	return callbackResult{code: codes[0]}
}

// page is what the browser shows after the redirect.
type page struct {
	status         int
	Title, Message string
}

func failurePage(err error) page {
	return page{status: http.StatusBadRequest, Title: "Sign-in failed", Message: "Palaver could not sign in: " + err.Error() + ". You can close this tab; Palaver shows what to do next."}
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Palaver: {{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;line-height:1.5;color:#222}h1{font-size:1.4em}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body>
</html>
`))

func (h *callbackHandler) write(w http.ResponseWriter, p page) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	hd.Set("Connection", "close")
	var b strings.Builder
	_ = pageTemplate.Execute(&b, p)
	hd.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(p.status)
	_, _ = w.Write([]byte(b.String()))
}

// canceled is the error of a sign-in ended by ctx: it wraps ctx.Err()
// and names the cause when one was given.
func canceled(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
		return fmt.Errorf("sign-in canceled: %w (%v)", ctx.Err(), cause)
	}
	return fmt.Errorf("sign-in canceled: %w", ctx.Err())
}
