package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// WellKnownPath is where an OpenID provider publishes its configuration,
// relative to its issuer (OpenID Connect Discovery 1.0 §4).
const WellKnownPath = "/.well-known/openid-configuration"

// MaxDiscoverySize bounds the openid-configuration document; real ones
// are a few kilobytes.
const MaxDiscoverySize = 256 << 10

// DiscoveryTimeout bounds the fetch of an openid-configuration document
// when the context has no earlier deadline.
const DiscoveryTimeout = 15 * time.Second

// Discovery is the part of an OpenID provider's configuration (OpenID
// Connect Discovery 1.0 §3, RFC 8414 §2) that Palaver uses.
type Discovery struct {
	// Issuer identifies the provider; it must match the URL the document
	// was fetched for.
	Issuer string `json:"issuer"`
	// AuthorizationEndpoint and TokenEndpoint are the endpoints of
	// RFC 6749 §3; both are required.
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	// RevocationEndpoint is the RFC 7009 endpoint, if any.
	RevocationEndpoint string `json:"revocation_endpoint,omitempty"`
	// ScopesSupported lists the scopes the provider knows; Resolve drops
	// default scopes not in it.
	ScopesSupported []string `json:"scopes_supported,omitempty"`
	// ResponseTypesSupported must hold "code" when present.
	ResponseTypesSupported []string `json:"response_types_supported,omitempty"`
	// GrantTypesSupported must hold "authorization_code" when present.
	GrantTypesSupported []string `json:"grant_types_supported,omitempty"`
	// CodeChallengeMethodsSupported must hold "S256" when present.
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported,omitempty"`
	// TokenEndpointAuthMethodsSupported decides how a client secret, if
	// any, is sent.
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	// AuthorizationResponseIssParameterSupported says that the provider
	// puts its issuer in every authorization response (RFC 9207 §3):
	// Flow then refuses a response without it.
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
}

// Discover fetches and checks the openid-configuration of target, which
// is either an issuer URL (the document is then at issuer +
// WellKnownPath) or the URL of the document itself, such as the one an
// RFC 7628 error names.
//
// The document must name the issuer it was fetched for (OpenID Connect
// Discovery §4.3; a trailing slash is not a difference), and every
// endpoint must use https, except on a loopback host.
// The document is at most MaxDiscoverySize bytes and the fetch takes at
// most DiscoveryTimeout; redirects may not leave https.
// client nil means a default client.
//
// A document reached from a server's error names an authorization server
// chosen by that server: show its issuer to the user before signing in.
func Discover(ctx context.Context, client *http.Client, target string) (*Discovery, error) {
	docURL, issuers, err := discoveryTarget(target)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, DiscoveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot fetch the OpenID configuration %s: %w", docURL, err)
	}
	req.Header.Set("Accept", "application/json")
	c := *clientOrDefault(client)
	c.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return checkEndpoint("redirect target", r.URL.String())
	}
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, &explained{msg: fmt.Sprintf("the OpenID configuration %s did not arrive within %v", docURL, DiscoveryTimeout), err: err}
		}
		return nil, &explained{msg: fmt.Sprintf("cannot fetch the OpenID configuration %s: %v", docURL, err), err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxDiscoverySize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the OpenID configuration %s: %w", docURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("there is no OpenID configuration at %s (HTTP %s): check the issuer URL", docURL, resp.Status)
	}
	if len(body) > MaxDiscoverySize {
		return nil, fmt.Errorf("the OpenID configuration %s is larger than %d KiB: it is not one", docURL, MaxDiscoverySize>>10)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); isHTML(mt, body) {
		return nil, fmt.Errorf("%s is a web page, not an OpenID configuration: check the issuer URL", docURL)
	}
	d, err := ParseDiscovery(body, issuers...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", docURL, err)
	}
	return d, nil
}

// ParseDiscovery decodes and checks an openid-configuration document.
// When issuers are given, the document's issuer must be one of them.
// Every endpoint must use https, except on a loopback host, and the
// server must offer what Palaver uses: the code flow, and PKCE S256 when
// it lists its PKCE methods.
func ParseDiscovery(b []byte, issuers ...string) (*Discovery, error) {
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return nil, errors.New("the OpenID configuration is empty")
	case t[0] == '<':
		return nil, errors.New("this is a web page, not an OpenID configuration")
	case t[0] != '{':
		return nil, errors.New("this is not an OpenID configuration (not a JSON object)")
	}
	var d Discovery
	if err := json.Unmarshal(t, &d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("the OpenID configuration is damaged: %s has the wrong type", te.Field)
		}
		return nil, fmt.Errorf("the OpenID configuration is damaged: %v", err)
	}
	if d.Issuer == "" {
		return nil, errors.New("the OpenID configuration names no issuer")
	}
	if len(issuers) > 0 && !slices.ContainsFunc(issuers, func(want string) bool { return sameIssuer(want, d.Issuer) }) {
		return nil, fmt.Errorf("the OpenID configuration belongs to the issuer %q, not %q", clean(d.Issuer, 200), issuers[0])
	}
	if err := checkEndpoint("issuer", d.Issuer); err != nil {
		return nil, err
	}
	if d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" {
		return nil, errors.New("the OpenID configuration lacks the authorization or the token endpoint")
	}
	for _, e := range []struct{ what, u string }{
		{"authorization endpoint", d.AuthorizationEndpoint},
		{"token endpoint", d.TokenEndpoint},
		{"revocation endpoint", d.RevocationEndpoint},
	} {
		if e.u == "" {
			continue
		}
		if err := checkEndpoint(e.what, e.u); err != nil {
			return nil, err
		}
	}
	if len(d.ResponseTypesSupported) > 0 && !slices.Contains(d.ResponseTypesSupported, "code") {
		return nil, errors.New("the provider does not offer the authorization code flow")
	}
	if len(d.GrantTypesSupported) > 0 && !slices.Contains(d.GrantTypesSupported, "authorization_code") {
		return nil, errors.New("the provider does not offer the authorization_code grant")
	}
	if len(d.CodeChallengeMethodsSupported) > 0 && !slices.Contains(d.CodeChallengeMethodsSupported, "S256") {
		return nil, errors.New("the provider does not offer PKCE with S256 (RFC 7636)")
	}
	return &d, nil
}

// sameIssuer compares issuer URLs, ignoring one trailing slash.
func sameIssuer(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// discoveryTarget returns the URL of the openid-configuration for target
// (an issuer or a document URL) and the issuers the document may name.
func discoveryTarget(target string) (docURL string, issuers []string, err error) {
	target = strings.TrimSpace(target)
	if err := checkEndpoint(FieldIssuer, target); err != nil {
		return "", nil, err
	}
	u, _ := url.Parse(target)
	if u.RawQuery != "" || u.ForceQuery {
		return "", nil, &SettingsError{Problem: ProblemIssuerQuery, Value: target, Field: FieldIssuer, msg: fmt.Sprintf("the issuer URL %q must not have a ?query", target)}
	}
	path := u.EscapedPath()
	origin := u.Scheme + "://" + u.Host
	if i := strings.Index(path, "/.well-known/"); i >= 0 {
		// A document URL: the OpenID form issuer + WellKnownPath, or the
		// RFC 8414 §3 form origin + /.well-known/NAME + issuer path.
		switch rest := path[i:]; {
		case rest == WellKnownPath:
			issuers = append(issuers, origin+path[:i])
		case strings.HasPrefix(rest, WellKnownPath+"/") && i == 0:
			issuers = append(issuers, origin+strings.TrimPrefix(rest, WellKnownPath))
		case strings.HasPrefix(rest, "/.well-known/oauth-authorization-server") && i == 0:
			issuers = append(issuers, origin+strings.TrimPrefix(rest, "/.well-known/oauth-authorization-server"))
		default:
			return "", nil, &SettingsError{Problem: ProblemNotIssuerURL, Value: target, Field: FieldIssuer,
				msg: fmt.Sprintf("%q is neither an issuer URL nor an OpenID configuration URL", target)}
		}
		return target, issuers, nil
	}
	issuer := strings.TrimSuffix(target, "/")
	return issuer + WellKnownPath, []string{issuer}, nil
}

// CheckServerIssuer checks an issuer URL that an XMPP server named (the
// openid-configuration of an RFC 7628 error) before it is shown to the
// user: it must be a valid issuer or configuration URL, use https, and
// not name this computer.
//
// Such a URL comes from whoever answers for the XMPP server, not from
// the user, and is the way into a mix-up attack (RFC 9700 §4.4): http
// would let anyone on the path choose the authorization server, and a
// loopback host any program on this computer. Issuers the user types may
// still be http on loopback (see checkEndpoint), for servers run locally.
func CheckServerIssuer(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err == nil && u.Scheme == "http" {
		return fmt.Errorf("the server named the authorization server %q, which does not use https", clean(raw, 200))
	}
	if _, _, err := discoveryTarget(raw); err != nil {
		return err
	}
	if u.Scheme != "https" {
		return fmt.Errorf("the server named the authorization server %q, which does not use https", clean(raw, 200))
	}
	if h := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."); isLoopbackHost(h) || strings.HasSuffix(h, ".localhost") {
		// RFC 6761 §6.3: *.localhost is this computer too.
		return fmt.Errorf("the server named the authorization server %q, which is on this computer", clean(raw, 200))
	}
	return nil
}

// origin returns the origin of an absolute URL (RFC 6454 §4): scheme,
// host in lower case, and port, the scheme's default when none is given.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// checkOrigins refuses the endpoints of d that are on another origin than
// its issuer; configured says which ones the settings give themselves
// ("authorization", "token", "revocation"), and those are not checked.
//
// An openid-configuration naming another site's endpoints is how a
// mix-up attack (RFC 9700 §4.4.1) sends the code, or the refresh token
// at a revocation, to an attacker's server while the user sees the real
// provider's sign-in page. Providers whose endpoints do live elsewhere
// can still be used: type the endpoints into the settings.
func (d *Discovery) checkOrigins(configured ...string) error {
	want := origin(d.Issuer)
	for _, e := range []struct{ name, what, u string }{
		{"authorization", "authorization endpoint", d.AuthorizationEndpoint},
		{"token", "token endpoint", d.TokenEndpoint},
		{"revocation", "revocation endpoint", d.RevocationEndpoint},
	} {
		if e.u == "" || slices.Contains(configured, e.name) || origin(e.u) == want {
			continue
		}
		return fmt.Errorf("the OpenID configuration of %s names the %s %q on another site: Palaver only uses endpoints of the issuer's own site, unless you enter them in the account settings", clean(d.Issuer, 200), e.what, clean(e.u, 200))
	}
	return nil
}
