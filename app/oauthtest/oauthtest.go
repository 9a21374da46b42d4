// Package oauthtest starts a real OAuth 2.0 / OpenID Connect authorization
// server on the loopback interface for tests, and a Prosody XMPP server that
// accepts its access tokens.
//
// The authorization server is oidc-provider (npm, pinned in
// server/package.json), run by Node.js from server/server.mjs, one process
// per Start, on 127.0.0.1 with a port of its own. It has:
//   - a public native client (Server.ClientID; no secret, RFC 8252) whose
//     redirect URIs are http://127.0.0.1:PORT/callback and
//     http://[::1]:PORT/callback for ANY port (RFC 8252 section 7.3);
//   - PKCE S256 required (RFC 7636), the authorization code and refresh
//     token grants, and rotating refresh tokens: every refresh returns a new
//     refresh token, and the old one is then refused with invalid_grant
//     (reusing it also revokes the whole grant, as strict servers do);
//   - the scopes openid, offline_access and xmpp (Server.Scopes), a refresh
//     token for every code exchange (with or without offline_access), and
//     an access-token lifetime of your choice (Options.AccessTokenTTL);
//   - a login page that checks the test accounts (Options.Users, AddUser)
//     and answers a wrong password with an error page (HTTP 401); consent
//     is given automatically;
//   - RFC 7662 introspection, for the XMPP server's confidential client
//     (Server.IntrospectionClientID and IntrospectionClientSecret), and
//     RFC 7009 revocation;
//   - test hooks: Revoke (kills a user's grants, so that refreshing fails
//     with invalid_grant), RevokeAccessTokens (only the access tokens), and
//     IssueToken (a token minted without the authorization flow, for
//     negative tests only).
//
// Login plays the user's browser: it opens the authorization URL, fills in
// the login form, and returns the URL the server redirects to (the client's
// loopback redirect URI with code and state), without following it. Browser
// wraps it as the opener that native-app sign-in code calls. SignIn runs the
// whole flow and returns a token, for tests that need one to start with.
//
// StartProsody starts a Prosody (see app/prosodytest) with this package's
// authentication module, mod_auth_palaver_oauth: password accounts work as
// before (SCRAM-SHA-1, PLAIN), and the SASL mechanisms OAUTHBEARER (RFC
// 7628), X-OAUTH2 and X-MESSENGER-OAUTH2 accept an access token of this
// server after checking it by introspection: active, with the scope xmpp,
// and issued to the user who signs in.
//
// Node.js 20.18 or later and the npm packages are needed: `make deps`
// installs the packages (npm ci in server/), and `make test` runs the whole
// suite. When either is missing, Start skips the test, or fails it when the
// CI environment variable is set.
package oauthtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/app/internal/testproc"
)

// XMPPScope is the scope an access token needs for the XMPP server started
// by StartProsody.
const XMPPScope = "xmpp"

// DefaultClientID is the client ID of the public native client.
const DefaultClientID = "palaver"

// startTimeout bounds the wait for the server to listen.
const startTimeout = 20 * time.Second

// minNode is the oldest Node.js that oidc-provider 9 runs on.
var minNode = [3]int{20, 18, 0}

// Options adjusts a server started with StartWith.
type Options struct {
	// Users are the test accounts: name to password. More can be added
	// with AddUser.
	Users map[string]string
	// AccessTokenTTL is the lifetime of access tokens, rounded up to whole
	// seconds; 0 means one hour. Make it short (e.g. 2 s) to test refreshing.
	// oidc-provider counts in whole seconds from the start of the current
	// second, so a token lives between AccessTokenTTL-1s and AccessTokenTTL:
	// do not use 1 s. Note that golang.org/x/oauth2's token sources treat a
	// token as expired 10 s before its expiry, so with a TTL under 10 s they
	// refresh every time they are asked for a token.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of refresh tokens (and grants); 0
	// means 14 days.
	RefreshTokenTTL time.Duration
	// ExtraScopes are scopes the server supports besides openid,
	// offline_access and xmpp (e.g. a provider preset's own scopes).
	ExtraScopes []string
	// ClientID is the public client's ID; "" means DefaultClientID.
	ClientID string
	// RedirectURIs are the public client's redirect URIs; nil means
	// http://127.0.0.1/callback and http://[::1]/callback. A loopback
	// redirect URI stands for the same URI on any port.
	RedirectURIs []string
}

// Server is a running authorization server made by Start.
type Server struct {
	// Issuer is the server's issuer identifier and base URL,
	// http://127.0.0.1:PORT. Its discovery document is at
	// OpenIDConfiguration.
	Issuer string
	// ClientID is the ID of the public native client (no secret).
	ClientID string
	// Scopes are the scopes a client should ask for: openid, offline_access
	// and xmpp. Tokens carry "openid xmpp": following OpenID Connect Core
	// section 11, oidc-provider drops offline_access from a request without
	// prompt=consent. Refresh tokens are issued all the same.
	Scopes []string
	// AuthURL, TokenURL, IntrospectionURL and RevocationURL are the
	// server's endpoints, as its discovery document names them.
	AuthURL, TokenURL, IntrospectionURL, RevocationURL string
	// IntrospectionClientID and IntrospectionClientSecret are the
	// credentials of the confidential client that may introspect every
	// token (RFC 7662), for the XMPP server.
	IntrospectionClientID, IntrospectionClientSecret string
	// AccessTokenTTL is the lifetime of the access tokens it issues.
	AccessTokenTTL time.Duration

	adminToken string
	logs       *logBuffer

	mu    sync.Mutex
	users map[string]string
	proc  *testproc.Process
}

// Start starts an authorization server for the test, with the accounts
// given as name, password pairs, and stops it when the test ends. It skips
// the test when Node.js or the npm packages are missing, unless the CI
// environment variable is set, in which case it fails the test.
func Start(t testing.TB, namePasswordPairs ...string) *Server {
	t.Helper()
	if len(namePasswordPairs)%2 != 0 {
		t.Fatalf("oauthtest: Start wants name, password pairs, got %q", namePasswordPairs)
	}
	users := map[string]string{}
	for i := 0; i < len(namePasswordPairs); i += 2 {
		users[namePasswordPairs[i]] = namePasswordPairs[i+1]
	}
	return StartWith(t, Options{Users: users})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	node, dir := lookNode(t)

	s := &Server{
		ClientID:              opts.ClientID,
		Scopes:                []string{"openid", "offline_access", XMPPScope},
		IntrospectionClientID: "xmpp-server",
		AccessTokenTTL:        time.Hour,
		adminToken:            randomString(t),
		logs:                  &logBuffer{},
		users:                 maps.Clone(opts.Users),
	}
	if s.ClientID == "" {
		s.ClientID = DefaultClientID
	}
	if s.users == nil {
		s.users = map[string]string{}
	}
	s.IntrospectionClientSecret = randomString(t)
	if opts.AccessTokenTTL > 0 {
		s.AccessTokenTTL = opts.AccessTokenTTL.Round(time.Second)
		if s.AccessTokenTTL < opts.AccessTokenTTL {
			s.AccessTokenTTL += time.Second
		}
	}
	config := map[string]any{
		"host":                      "127.0.0.1",
		"clientId":                  s.ClientID,
		"scopes":                    append(append([]string(nil), s.Scopes...), opts.ExtraScopes...),
		"accessTokenTTL":            int(s.AccessTokenTTL / time.Second),
		"adminToken":                s.adminToken,
		"introspectionClientId":     s.IntrospectionClientID,
		"introspectionClientSecret": s.IntrospectionClientSecret,
		"users":                     s.users,
	}
	if opts.RedirectURIs != nil {
		config["redirectUris"] = opts.RedirectURIs
	}
	if opts.RefreshTokenTTL > 0 {
		config["refreshTokenTTL"] = max(1, int(opts.RefreshTokenTTL/time.Second))
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		t.Fatalf("oauthtest: %v", err)
	}

	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("oauthtest: log of the authorization server %s:\n%s", s.Issuer, s.Log())
		}
	})

	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PALAVER_OAUTHTEST_CONFIG="+string(configJSON), "NODE_NO_WARNINGS=1")
	ready := make(chan readyLine, 1)
	cmd.Stdout = &stdoutWriter{log: s.logs, ready: ready}
	cmd.Stderr = s.logs
	p, err := testproc.Start(cmd)
	if err != nil {
		t.Fatalf("oauthtest: starting %s: %v", cmd, err)
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	var info readyLine
	select {
	case info = <-ready:
	case <-p.Done:
		t.Fatalf("oauthtest: the authorization server exited before it was ready (%v)", p.Err)
	case <-time.After(startTimeout):
		t.Fatalf("oauthtest: the authorization server was not ready within %v", startTimeout)
	}
	if info.err != nil {
		t.Fatalf("oauthtest: %v", info.err)
	}
	s.Issuer = info.Issuer
	s.discover(t)
	return s
}

// readyLine is what server.mjs prints once it listens.
type readyLine struct {
	Issuer string `json:"issuer"`
	err    error
}

// stdoutWriter takes the server's standard output: the READY line goes to
// ready, everything else to log.
type stdoutWriter struct {
	log     io.Writer
	ready   chan<- readyLine
	partial []byte
	sent    bool
}

func (w *stdoutWriter) Write(p []byte) (int, error) {
	if w.sent {
		return w.log.Write(p)
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := w.partial[:i+1]
		w.partial = w.partial[i+1:]
		rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("READY "))
		if !ok {
			_, _ = w.log.Write(line)
			continue
		}
		var info readyLine
		if err := json.Unmarshal(rest, &info); err != nil {
			info.err = fmt.Errorf("bad READY line %q: %v", line, err)
		}
		w.sent = true
		w.ready <- info
		_, _ = w.log.Write(w.partial)
		w.partial = nil
		return len(p), nil
	}
}

// discover reads the endpoints from the discovery document.
func (s *Server) discover(t testing.TB) {
	t.Helper()
	var doc struct {
		Issuer                string `json:"issuer"`
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		IntrospectionEndpoint string `json:"introspection_endpoint"`
		RevocationEndpoint    string `json:"revocation_endpoint"`
		// oidc-provider (v7 and later) puts iss in every authorization
		// response and says so (RFC 9207 §3); Palaver then requires it.
		IssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
	}
	resp, err := httpClient.Get(s.OpenIDConfiguration())
	if err != nil {
		t.Fatalf("oauthtest: discovery: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("oauthtest: discovery: HTTP %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("oauthtest: discovery: %v", err)
	}
	if doc.Issuer != s.Issuer {
		t.Fatalf("oauthtest: discovery names the issuer %q, want %q", doc.Issuer, s.Issuer)
	}
	s.AuthURL, s.TokenURL = doc.AuthorizationEndpoint, doc.TokenEndpoint
	s.IntrospectionURL, s.RevocationURL = doc.IntrospectionEndpoint, doc.RevocationEndpoint
	if s.AuthURL == "" || s.TokenURL == "" || s.IntrospectionURL == "" || s.RevocationURL == "" {
		t.Fatalf("oauthtest: discovery lacks an endpoint: %+v", doc)
	}
	if !doc.IssParameterSupported {
		t.Fatalf("oauthtest: discovery does not advertise authorization_response_iss_parameter_supported (RFC 9207): the tests of the iss check need it")
	}
}

// httpClient talks to the server's own endpoints.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// OpenIDConfiguration returns the URL of the server's discovery document
// (OpenID Connect Discovery; RFC 8414 metadata), the one OAUTHBEARER's
// error challenge names.
func (s *Server) OpenIDConfiguration() string {
	return s.Issuer + "/.well-known/openid-configuration"
}

// Endpoint returns the server's endpoints for golang.org/x/oauth2, with the
// client ID sent in the request body (the client has no secret, so HTTP
// Basic would be wrong).
func (s *Server) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: s.AuthURL, TokenURL: s.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
}

// Config returns an oauth2.Config for the public client with the given
// redirect URL (e.g. "http://127.0.0.1:PORT/callback") and Scopes.
func (s *Server) Config(redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    s.ClientID,
		Endpoint:    s.Endpoint(),
		RedirectURL: redirectURL,
		Scopes:      append([]string(nil), s.Scopes...),
	}
}

// Users returns the test accounts: name to password.
func (s *Server) Users() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.users)
}

// AddUser adds the test account name with password, or changes its
// password. A running StartProsody server does not learn about it: register
// the account there too if it must exist on the XMPP server.
func (s *Server) AddUser(t testing.TB, name, password string) {
	t.Helper()
	if err := s.admin("users", map[string]string{"name": name, "password": password}, nil); err != nil {
		t.Fatalf("oauthtest: adding user %s: %v", name, err)
	}
	s.mu.Lock()
	s.users[name] = password
	s.mu.Unlock()
}

// Revoke revokes every grant of user, with all its access and refresh
// tokens and browser sessions: refreshing then fails with invalid_grant,
// and the XMPP server refuses the user's access tokens. The account itself
// stays, so the user can sign in again.
func (s *Server) Revoke(t testing.TB, user string) {
	t.Helper()
	if err := s.admin("revoke", map[string]string{"user": user, "what": "grants"}, nil); err != nil {
		t.Fatalf("oauthtest: revoking the grants of %s: %v", user, err)
	}
}

// RevokeAccessTokens revokes only the access tokens of user: the XMPP server
// refuses them, but the refresh tokens still give new ones.
func (s *Server) RevokeAccessTokens(t testing.TB, user string) {
	t.Helper()
	if err := s.admin("revoke", map[string]string{"user": user, "what": "access_tokens"}, nil); err != nil {
		t.Fatalf("oauthtest: revoking the access tokens of %s: %v", user, err)
	}
}

// IssueToken returns an access token of user with the given scope (all of
// Scopes when ""), minted directly, without the authorization flow. It is
// for negative tests only (a token of another user, a token without the
// xmpp scope): sign-in tests must go through the authorization code flow.
func (s *Server) IssueToken(t testing.TB, user, scope string) string {
	t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := s.admin("token", map[string]string{"user": user, "scope": scope}, &out); err != nil {
		t.Fatalf("oauthtest: issuing a token for %s: %v", user, err)
	}
	return out.AccessToken
}

// Introspect asks the server about token as the XMPP server does (RFC
// 7662) and returns the answer, e.g. {"active": true, "sub": "alice",
// "scope": "openid offline_access xmpp", ...}.
func (s *Server) Introspect(t testing.TB, token string) map[string]any {
	t.Helper()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequest(http.MethodPost, s.IntrospectionURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("oauthtest: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(s.IntrospectionClientID), url.QueryEscape(s.IntrospectionClientSecret))
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("oauthtest: introspection: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("oauthtest: introspection: HTTP %s: %s", resp.Status, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("oauthtest: introspection: %v: %s", err, body)
	}
	return out
}

// admin calls a test hook of server.mjs.
func (s *Server) admin(what string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, s.Issuer+"/admin/"+what, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Stop stops the server. It is called automatically when the test ends;
// calling it again does nothing. Afterwards every request to it fails, as
// with an authorization server that is down.
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p != nil {
		p.Stop(5 * time.Second)
	}
}

// Log returns what the server has logged so far: one line per request,
// sign-ins, consents and test hooks.
func (s *Server) Log() string {
	return s.logs.String()
}

// randomString returns 32 random bytes, base64url-encoded.
func randomString(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("oauthtest: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// lookNode finds Node.js and the server's folder with its npm packages, or
// skips or fails the test.
func lookNode(t testing.TB) (node, dir string) {
	t.Helper()
	dir, err := serverDir()
	if err != nil {
		t.Fatalf("oauthtest: %v", err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "Node.js not installed (node not found in PATH): oidc-provider 9 needs Node.js >= 20.18; run `make deps`")
	}
	if err := checkNodeVersion(node); err != nil {
		skipOrFail(t, err.Error())
	}
	if err := checkPackages(dir); err != nil {
		skipOrFail(t, err.Error())
	}
	return node, dir
}

func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("oauthtest: %s; CI is set, so this is an error", msg)
	}
	t.Skip("oauthtest: " + msg)
}

// serverDir returns the folder of server.mjs, next to this source file.
func serverDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if ok {
		dir := filepath.Join(filepath.Dir(file), "server")
		if _, err := os.Stat(filepath.Join(dir, "server.mjs")); err == nil {
			return dir, nil
		}
	}
	// Built with -trimpath: look up from the working folder for the module.
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		dir := filepath.Join(d, "app", "oauthtest", "server")
		if _, err := os.Stat(filepath.Join(dir, "server.mjs")); err == nil {
			return dir, nil
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("cannot find app/oauthtest/server/server.mjs above %s", wd)
		}
	}
}

var nodeVersionRE = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)`)

// checkNodeVersion reports an error unless node is at least minNode.
func checkNodeVersion(node string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s --version: %v", node, err)
	}
	m := nodeVersionRE.FindStringSubmatch(strings.TrimSpace(string(out)))
	if m == nil {
		return fmt.Errorf("%s --version printed %q", node, out)
	}
	var v [3]int
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	for i := range v {
		if v[i] != minNode[i] {
			if v[i] < minNode[i] {
				return fmt.Errorf("Node.js %s is too old: oidc-provider 9 needs >= %d.%d.%d (Debian 12's nodejs 18 is not enough); see `make deps`",
					strings.TrimSpace(string(out)), minNode[0], minNode[1], minNode[2])
			}
			break
		}
	}
	return nil
}

// checkPackages reports an error unless the npm packages that package.json
// pins are installed in dir/node_modules.
func checkPackages(dir string) error {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return fmt.Errorf("%s: %v", filepath.Join(dir, "package.json"), err)
	}
	for name, want := range pkg.Dependencies {
		var got struct {
			Version string `json:"version"`
		}
		data, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json"))
		if err == nil {
			err = json.Unmarshal(data, &got)
		}
		if err != nil {
			return fmt.Errorf("npm package %s not installed in %s: run `make deps` (npm ci --prefix %s)", name, dir, dir)
		}
		if got.Version != want {
			return fmt.Errorf("npm package %s is %s, package.json pins %s: run `make deps` (npm ci --prefix %s)", name, got.Version, want, dir)
		}
	}
	return nil
}

// logBuffer collects the server's output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	const limit = 4 << 20
	if b.buf.Len() < limit {
		b.buf.Write(p[:min(len(p), limit-b.buf.Len())])
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
