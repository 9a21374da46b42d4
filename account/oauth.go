package account

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Values of Account.Auth.
const (
	// AuthPassword signs in with a password (SCRAM or PLAIN); it is what
	// an empty Auth means, so settings files from before OAuth load as
	// password accounts.
	AuthPassword = "password"
	// AuthOAuth signs in with an OAuth 2.0 access token; Account.OAuth
	// says where from.
	AuthOAuth = "oauth"
)

// OAuthSettings says where an OAuth account gets its tokens.
//
// Everything here may live in the settings file: it holds no secret.
// The refresh token goes to the keychain (see Keychain.SetRefreshToken),
// the access token stays in memory.
type OAuthSettings struct {
	// Provider is a preset ID: ProviderMessenger, ProviderGoogle,
	// ProviderFacebook or ProviderGeneric.
	Provider string `json:"provider,omitempty"`
	// ClientID identifies Palaver to the provider (Facebook: the app ID).
	ClientID string `json:"client_id,omitempty"`
	// ClientSecret is sent to the token endpoint when set.
	// It is NOT a secret: a native application cannot keep one (RFC 8252
	// §8.5), anyone can read it from the program or this file. It exists
	// for providers that insist on one (see Provider.NeedsClientSecret).
	ClientSecret string `json:"client_secret,omitempty"`
	// Issuer is the issuer URL of an OpenID provider or RFC 8414
	// authorization server, or the URL of its openid-configuration
	// document (such as the one an OAUTHBEARER error names); Resolve
	// discovers from it the endpoints not given below.
	Issuer string `json:"issuer,omitempty"`
	// AuthURL, TokenURL and RevocationURL are typed by hand; each one set
	// replaces the preset's or the discovered one.
	AuthURL       string `json:"auth_url,omitempty"`
	TokenURL      string `json:"token_url,omitempty"`
	RevocationURL string `json:"revocation_url,omitempty"`
	// Scopes replace the preset's scopes when not empty.
	Scopes []string `json:"scopes,omitempty"`
	// Mechanism replaces the preset's SASL mechanism when set; it must be
	// one of Mechanisms().
	Mechanism string `json:"mechanism,omitempty"`
}

// Validate reports the first problem with the settings, without network.
func (s OAuthSettings) Validate() error {
	if s.Provider == "" {
		return &SettingsError{Problem: ProblemNoProvider, msg: "choose an OAuth provider"}
	}
	p, ok := ProviderByID(s.Provider)
	if !ok {
		return &SettingsError{Problem: ProblemUnknownProvider, Value: s.Provider, msg: fmt.Sprintf("unknown OAuth provider %q", s.Provider)}
	}
	if strings.TrimSpace(s.ClientID) == "" {
		return &SettingsError{Problem: ProblemNoClientID, Provider: p.ID,
			msg: fmt.Sprintf("the %s is empty: register Palaver with %s and enter its %s", lowerFirst(p.ClientIDLabel), p.Name, p.ClientIDLabel)}
	}
	if p.NeedsClientSecret && s.ClientSecret == "" {
		return &SettingsError{Problem: ProblemNoClientSecret, Provider: p.ID,
			msg: fmt.Sprintf("%s also needs the secret of the app (it is not kept secret)", p.Name)}
	}
	if s.Issuer != "" {
		if _, _, err := discoveryTarget(s.Issuer); err != nil {
			return err
		}
	}
	for _, e := range []struct{ what, u string }{
		{FieldAuthURL, s.AuthURL},
		{FieldTokenURL, s.TokenURL},
		{FieldRevocation, s.RevocationURL},
	} {
		if e.u != "" {
			if err := checkEndpoint(e.what, e.u); err != nil {
				return err
			}
		}
	}
	// With neither an issuer nor endpoints, Palaver asks the XMPP server
	// (see ErrNoIssuer); half a pair of endpoints is a mistake.
	if p.Discovery && s.Issuer == "" && (s.AuthURL == "") != (s.TokenURL == "") {
		return &SettingsError{Problem: ProblemHalfEndpoints, msg: "enter both the authorization and the token endpoint, or an issuer URL, or neither to ask the server"}
	}
	if s.Mechanism != "" && !slices.Contains(Mechanisms(), s.Mechanism) {
		return &SettingsError{Problem: ProblemUnknownMechanism, Value: s.Mechanism,
			msg: fmt.Sprintf("unknown SASL mechanism %q (known: %s)", s.Mechanism, strings.Join(Mechanisms(), ", "))}
	}
	for _, sc := range s.Scopes {
		if err := checkScope(sc); err != nil {
			return err
		}
	}
	return nil
}

// OAuthConfig is what the sign-in flow, the token source and revocation
// need, resolved from OAuthSettings, the provider preset and discovery.
type OAuthConfig struct {
	// Provider is the preset ID.
	Provider string
	// ClientID and ClientSecret authenticate Palaver at the token
	// endpoint; the secret is not secret (see OAuthSettings).
	ClientID, ClientSecret string
	// AuthURL and TokenURL are the authorization and token endpoints.
	AuthURL, TokenURL string
	// RevocationURL is the RFC 7009 endpoint, "" when there is none.
	RevocationURL string
	// Scopes are requested at authorization.
	Scopes []string
	// AuthParams are extra parameters of the authorization request.
	AuthParams map[string]string
	// Mechanism is the SASL mechanism name to sign in with.
	Mechanism string
	// Issuer is the authorization server's issuer identifier, "" when
	// unknown (a preset, or endpoints typed without an issuer). An
	// authorization response whose iss parameter (RFC 9207) names
	// another issuer is refused.
	Issuer string
	// RequireIss makes Flow refuse an authorization response without the
	// iss parameter; Resolve sets it when the provider's configuration
	// says it sends one (RFC 9207 §2.4).
	RequireIss bool
	// AuthStyle says how the client ID (and secret) go to the token
	// endpoint. oauth2.AuthStyleAutoDetect is never used: it repeats a
	// failed request in the other style, and repeating a refresh can
	// present a refresh token the server has already rotated, which
	// revokes the whole grant on strict servers. Zero means in the body.
	AuthStyle oauth2.AuthStyle
}

// ErrNoIssuer is returned by Resolve for a provider that needs discovery
// when the settings name neither an issuer nor endpoints: the caller asks
// the XMPP server, whose RFC 7628 error names its authorization server
// (see app.DiscoverIssuer), and saves that as the Issuer.
var ErrNoIssuer = errors.New("no authorization server is known yet: ask the XMPP server")

// MechanismName returns the SASL mechanism the account signs in with: the
// one set in the settings, else the preset's.
func (s OAuthSettings) MechanismName() string {
	if s.Mechanism != "" {
		return s.Mechanism
	}
	p, _ := ProviderByID(s.Provider)
	return p.Mechanism
}

// Resolve turns the settings into an OAuthConfig.
// It fetches the issuer's openid-configuration (see Discover) only when
// the settings name an issuer and lack the authorization or token
// endpoint; client is used for that, nil means a default client.
// Saving the discovered endpoints in the settings avoids the fetch.
// Discovered endpoints must be on the issuer's origin (scheme, host and
// port) unless the settings give them (RFC 9700 §4.4, mix-up), and the
// provider's RFC 9207 support decides OAuthConfig.RequireIss.
func (s OAuthSettings) Resolve(ctx context.Context, client *http.Client) (OAuthConfig, error) {
	if err := s.Validate(); err != nil {
		return OAuthConfig{}, err
	}
	p, _ := ProviderByID(s.Provider)
	c := OAuthConfig{
		Provider:      p.ID,
		ClientID:      strings.TrimSpace(s.ClientID),
		ClientSecret:  s.ClientSecret,
		AuthURL:       p.AuthURL,
		TokenURL:      p.TokenURL,
		RevocationURL: p.RevocationURL,
		Scopes:        p.Scopes,
		AuthParams:    p.AuthParams,
		Mechanism:     p.Mechanism,
		AuthStyle:     oauth2.AuthStyleInParams,
	}
	if p.Discovery && s.Issuer == "" && s.AuthURL == "" && s.TokenURL == "" {
		return OAuthConfig{}, ErrNoIssuer
	}
	var d *Discovery
	if s.Issuer != "" && (s.AuthURL == "" || s.TokenURL == "") {
		var err error
		if d, err = Discover(ctx, client, s.Issuer); err != nil {
			return OAuthConfig{}, err
		}
		var configured []string
		for name, set := range map[string]bool{"authorization": s.AuthURL != "", "token": s.TokenURL != "", "revocation": s.RevocationURL != ""} {
			if set {
				configured = append(configured, name)
			}
		}
		if err := d.checkOrigins(configured...); err != nil {
			return OAuthConfig{}, err
		}
		c.AuthURL, c.TokenURL, c.RevocationURL = d.AuthorizationEndpoint, d.TokenEndpoint, d.RevocationEndpoint
		c.Issuer, c.RequireIss = d.Issuer, d.AuthorizationResponseIssParameterSupported
		if len(s.Scopes) == 0 && len(d.ScopesSupported) > 0 {
			// The preset's default scopes, less those the server does
			// not know: an unknown scope fails the whole request.
			c.Scopes = slices.DeleteFunc(slices.Clone(c.Scopes), func(sc string) bool {
				return !slices.Contains(d.ScopesSupported, sc)
			})
		}
		if c.ClientSecret != "" && !slices.Contains(d.TokenEndpointAuthMethodsSupported, "client_secret_post") &&
			slices.Contains(d.TokenEndpointAuthMethodsSupported, "client_secret_basic") {
			c.AuthStyle = oauth2.AuthStyleInHeader
		}
	}
	if c.Issuer == "" && s.Issuer != "" {
		// Endpoints typed by hand, and the issuer they belong to: no
		// discovery says whether iss comes, but a wrong one is refused.
		_, issuers, _ := discoveryTarget(s.Issuer)
		c.Issuer = issuers[0]
	}
	if s.AuthURL != "" {
		c.AuthURL = s.AuthURL
	}
	if s.TokenURL != "" {
		c.TokenURL = s.TokenURL
	}
	if s.RevocationURL != "" {
		c.RevocationURL = s.RevocationURL
	}
	if len(s.Scopes) > 0 {
		c.Scopes = s.Scopes
	}
	c.Mechanism = s.MechanismName()
	c.Scopes = slices.Clone(c.Scopes)
	c.AuthParams = maps.Clone(c.AuthParams)
	if p.Discovery && slices.Contains(c.Scopes, "offline_access") {
		// OpenID Connect Core §11: a provider ignores offline_access
		// unless the request asks for consent.
		if c.AuthParams == nil {
			c.AuthParams = map[string]string{}
		}
		if _, ok := c.AuthParams["prompt"]; !ok {
			c.AuthParams["prompt"] = "consent"
		}
	}
	return c, c.Validate()
}

// Validate reports the first problem with c.
func (c OAuthConfig) Validate() error {
	if c.ClientID == "" {
		return errors.New("the client ID is empty")
	}
	if c.AuthURL == "" || c.TokenURL == "" {
		return errors.New("the authorization or the token endpoint is missing")
	}
	if err := checkEndpoint("authorization endpoint", c.AuthURL); err != nil {
		return err
	}
	if err := checkEndpoint("token endpoint", c.TokenURL); err != nil {
		return err
	}
	if c.RevocationURL != "" {
		if err := checkEndpoint("revocation endpoint", c.RevocationURL); err != nil {
			return err
		}
	}
	for k := range c.AuthParams {
		if slices.Contains(reservedAuthParams, k) {
			return fmt.Errorf("the extra authorization parameter %q would replace one of the sign-in's own", k)
		}
	}
	return nil
}

// reservedAuthParams are the authorization request parameters the flow
// sets itself (RFC 6749 §4.1.1, RFC 7636 §4.3).
var reservedAuthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"}

// CanRevoke reports whether the provider has a revocation endpoint.
// Where it has none, signing out only forgets the token locally and the
// user has to remove Palaver's access on the provider's web site.
func (c OAuthConfig) CanRevoke() bool { return c.RevocationURL != "" }

// OAuth2Config returns c as a golang.org/x/oauth2 configuration with the
// given redirect URI.
func (c OAuthConfig) OAuth2Config(redirectURL string) *oauth2.Config {
	style := c.AuthStyle
	if style == oauth2.AuthStyleAutoDetect {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, AuthStyle: style},
		RedirectURL:  redirectURL,
		Scopes:       slices.Clone(c.Scopes),
	}
}

// checkEndpoint checks that raw is an absolute https URL, or http to a
// loopback host (a server on this machine: nothing crosses a network).
func checkEndpoint(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return &SettingsError{Problem: ProblemBadURL, Value: raw, Field: what, msg: fmt.Sprintf("the %s %q is not a valid URL", what, raw)}
	}
	if u.Host == "" || u.Hostname() == "" {
		return &SettingsError{Problem: ProblemURLNoHost, Value: raw, Field: what, msg: fmt.Sprintf("the %s %q has no host", what, raw)}
	}
	if u.User != nil {
		return &SettingsError{Problem: ProblemURLUserInfo, Value: raw, Field: what, msg: fmt.Sprintf("the %s %q must not hold a user name or password", what, raw)}
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return &SettingsError{Problem: ProblemURLFragment, Value: raw, Field: what, msg: fmt.Sprintf("the %s %q must not have a #fragment", what, raw)}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return &SettingsError{Problem: ProblemURLNotHTTPS, Value: raw, Field: what, msg: fmt.Sprintf("the %s %q must use https (http is only allowed on this computer's loopback address)", what, raw)}
	default:
		return &SettingsError{Problem: ProblemURLNotHTTPS, Value: raw, Field: what, msg: fmt.Sprintf("the %s %q must be an https URL", what, raw)}
	}
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkScope checks one scope token (RFC 6749 §3.3).
func checkScope(s string) error {
	if s == "" {
		return &SettingsError{Problem: ProblemEmptyScope, msg: "a scope is empty"}
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return &SettingsError{Problem: ProblemBadScope, Value: s,
				msg: fmt.Sprintf("the scope %q has a character scopes cannot hold (spaces separate scopes: list them one by one)", s)}
		}
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// httpTimeout bounds each request to an authorization server when the
// caller gives no client of its own.
const httpTimeout = 30 * time.Second

// defaultClient is used when a caller passes a nil *http.Client.
var defaultClient = &http.Client{Timeout: httpTimeout}

func clientOrDefault(c *http.Client) *http.Client {
	if c == nil {
		return defaultClient
	}
	return c
}

// explained is an error whose message says what happened in the user's
// words while errors.Is and errors.As still reach the cause.
type explained struct {
	msg string
	err error
}

// Error returns the explanation.
func (e *explained) Error() string { return e.msg }

// Unwrap returns the cause.
func (e *explained) Unwrap() error { return e.err }

// responseInfo records the last response a recordingTransport saw.
// oauth2 reports an unparsable 2xx answer without the response, so its
// content type is taken from here.
type responseInfo struct {
	status      string
	contentType string
	seen        bool
}

type recordingTransport struct {
	base http.RoundTripper
	info *responseInfo
}

// RoundTrip sends r and records the response.
func (t recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		*t.info = responseInfo{status: resp.Status, contentType: resp.Header.Get("Content-Type"), seen: true}
	}
	return resp, err
}

// recording returns a copy of c that records its last response in info
// and follows no redirect (see noRedirects), and a context carrying it
// for golang.org/x/oauth2.
// The client must be used for one request at a time.
func recording(ctx context.Context, c *http.Client) (context.Context, *responseInfo) {
	cc := noRedirects(c)
	info := new(responseInfo)
	base := cc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cc.Transport = recordingTransport{base: base, info: info}
	return context.WithValue(ctx, oauth2.HTTPClient, cc), info
}

// ErrRedirected is wrapped by the error of a token, refresh or
// revocation request that the server answered with a redirect.
var ErrRedirected = errors.New("the authorization server answered with a redirect, which Palaver does not follow for a request that carries a code, a token or the client secret")

// redirectError is what refuseRedirects returns: where the server
// wanted the request to go.
type redirectError struct {
	from, to *url.URL
}

// Error names both ends of the redirect, for the user.
func (e *redirectError) Error() string {
	return fmt.Sprintf("%s redirected the request to %s; Palaver does not send codes, tokens or the client secret on to another address: check the endpoint URL in the account settings", e.from.Host, clean(e.to.Redacted(), 200))
}

// Unwrap makes the error match ErrRedirected.
func (e *redirectError) Unwrap() error { return ErrRedirected }

// refuseRedirects is the CheckRedirect of every request that carries a
// code, a refresh token or the client secret. A 307 or 308 repeats the
// method and the body (RFC 9110 §15.4.8, §15.4.9), so following one
// would post them to whatever address the answer names, even over plain
// http; RFC 9700 §4.12 warns of the same with user agents. The token and
// revocation endpoints of RFC 6749 §3.2 and RFC 7009 §2 answer directly.
func refuseRedirects(req *http.Request, via []*http.Request) error {
	return &redirectError{from: via[len(via)-1].URL, to: req.URL}
}

// noRedirects returns a copy of c (nil: the default client) that follows
// no redirect; c itself is left as it is.
// Callers pass in clients of their own (proxies, test transports), so
// the copy, not a fixed client, keeps their settings.
func noRedirects(c *http.Client) *http.Client {
	cc := *clientOrDefault(c)
	cc.CheckRedirect = refuseRedirects
	return &cc
}

// tokenEndpointError explains err, returned by golang.org/x/oauth2 for a
// request to tokenURL, in words a user can act on. It wraps err.
func tokenEndpointError(op, tokenURL string, err error, info *responseInfo) error {
	host := tokenURL
	if u, perr := url.Parse(tokenURL); perr == nil && u.Host != "" {
		host = u.Host
	}
	wrap := func(format string, a ...any) error {
		return &explained{msg: op + ": " + fmt.Sprintf(format, a...), err: err}
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var rd *redirectError
	if errors.As(err, &rd) {
		return wrap("%v", rd)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := ""
		if re.Response != nil {
			status = re.Response.Status
		}
		switch {
		case re.ErrorCode != "":
			msg := "the authorization server refused: " + clean(re.ErrorCode, 64)
			if re.ErrorDescription != "" {
				msg += " (" + clean(re.ErrorDescription, 200) + ")"
			}
			return wrap("%s", msg)
		case re.Response != nil && re.Response.StatusCode >= 500:
			return wrap("the authorization server at %s failed (HTTP %s); try again later", host, status)
		case re.Response != nil && isHTML(re.Response.Header.Get("Content-Type"), re.Body):
			return wrap("the token endpoint %s answered with a web page (HTTP %s), not a token: check the token endpoint URL", host, status)
		default:
			return wrap("the token endpoint %s answered HTTP %s without an OAuth error: %q", host, status, clean(string(re.Body), 200))
		}
	}
	if info != nil && info.seen {
		switch {
		case isHTML(info.contentType, nil):
			return wrap("the token endpoint %s answered with a web page (HTTP %s), not a token: check the token endpoint URL", host, info.status)
		case strings.Contains(err.Error(), "missing access_token"):
			return wrap("the token endpoint %s answered without an access token", host)
		default:
			ct := info.contentType
			if ct == "" {
				ct = "no content type"
			}
			return wrap("the token endpoint %s answered something that is not a token (HTTP %s, %s)", host, info.status, clean(ct, 100))
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return wrap("the authorization server at %s did not answer in time", host)
	}
	return wrap("cannot reach the authorization server at %s: %v", host, err)
}

// isHTML reports whether a response of content type ct and body b is a
// web page.
func isHTML(ct string, b []byte) bool {
	ct = strings.ToLower(ct)
	if strings.HasPrefix(ct, "text/html") || strings.HasPrefix(ct, "application/xhtml") {
		return true
	}
	t := strings.TrimSpace(string(b))
	return strings.HasPrefix(t, "<")
}

// clean makes s, which comes from a server, fit to show: printable
// characters only, at most n runes.
func clean(s string, n int) string {
	var b strings.Builder
	i := 0
	for _, r := range s {
		if i == n {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f || r == 0xfffd || (r >= 0x80 && r < 0xa0) {
			r = ' '
		}
		b.WriteRune(r)
		i++
	}
	return strings.TrimSpace(b.String())
}
