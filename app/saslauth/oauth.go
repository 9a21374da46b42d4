package saslauth

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mellium.im/sasl"
)

// The mechanisms below take the OAuth 2.0 access token as the secret of
// Credentials.
// Those that name the user take the identity of Credentials, or, when it is
// empty, the bare JID of the session (user@example.org); the username
// (localpart) is not used.

// Google's namespace for the auth:service attribute of X-OAUTH2.
const nsGoogleAuth = "http://www.google.com/talk/protocol/auth"

// maxBearerJSON bounds the JSON of an OAUTHBEARER error challenge.
const maxBearerJSON = 8 << 10

// now is the clock for the call_id of X-FACEBOOK-PLATFORM.
var now = time.Now

// XMessengerOAuth2 is the X-MESSENGER-OAUTH2 mechanism of Microsoft's Messenger
// XMPP service ("Messenger XMPP reference", MSDN, 2011).
// It sends the access token in <auth/> as it is, not base64-encoded, and
// expects <success/>.
var XMessengerOAuth2 = Mechanism{
	Mechanism: sasl.Mechanism{Name: "X-MESSENGER-OAUTH2", Start: messengerStart, Next: singleStep},
	Raw:       true,
}

func messengerStart(n *sasl.Negotiator) (bool, []byte, interface{}, error) {
	_, token, _ := n.Credentials()
	if err := checkToken("X-MESSENGER-OAUTH2", token); err != nil {
		return false, nil, nil, err
	}
	return false, bytes.Clone(token), nil, nil
}

// XOAuth2 is Google Talk's X-OAUTH2 mechanism ("XMPP OAuth 2.0 Authorization",
// Google Talk for Developers).
// Its initial response is "\x00" + user + "\x00" + token, where user is the
// full address (the bare JID, user@gmail.com), as Google required.
// <auth/> carries auth:service='oauth2' and declares the auth prefix, which
// some servers insist on.
var XOAuth2 = Mechanism{
	Mechanism: sasl.Mechanism{Name: "X-OAUTH2", Start: xOAuth2Start, Next: singleStep},
	Attrs: []xml.Attr{
		{Name: xml.Name{Local: "auth:service"}, Value: "oauth2"},
		{Name: xml.Name{Local: "xmlns:auth"}, Value: nsGoogleAuth},
	},
	bareJID: true,
}

func xOAuth2Start(n *sasl.Negotiator) (bool, []byte, interface{}, error) {
	_, token, user := n.Credentials()
	if err := checkToken("X-OAUTH2", token); err != nil {
		return false, nil, nil, err
	}
	if len(user) == 0 || bytes.IndexByte(user, 0) >= 0 || bytes.IndexByte(token, 0) >= 0 {
		return false, nil, nil, errors.New("X-OAUTH2: the address or token contains a NUL or is empty")
	}
	resp := make([]byte, 0, len(user)+len(token)+2)
	resp = append(resp, 0)
	resp = append(resp, user...)
	resp = append(resp, 0)
	resp = append(resp, token...)
	return false, resp, nil, nil
}

// XFacebookPlatform returns Facebook Chat's X-FACEBOOK-PLATFORM mechanism for
// the Facebook application appID ("Chat API: Authentication", Facebook
// Developers, retired 2015).
// The initial response is empty ("="); the server's challenge is urlencoded
// version=1&method=…&nonce=…, and the answer is urlencoded
// method=…&nonce=…&access_token=…&api_key=appID&call_id=<unix time>&v=1.0.
func XFacebookPlatform(appID string) Mechanism {
	return Mechanism{Mechanism: sasl.Mechanism{
		Name: "X-FACEBOOK-PLATFORM",
		Start: func(n *sasl.Negotiator) (bool, []byte, interface{}, error) {
			_, token, _ := n.Credentials()
			if err := checkToken("X-FACEBOOK-PLATFORM", token); err != nil {
				return false, nil, nil, err
			}
			if appID == "" {
				return false, nil, nil, errors.New("X-FACEBOOK-PLATFORM needs the Facebook app id")
			}
			return true, nil, nil, nil
		},
		Next: func(n *sasl.Negotiator, challenge []byte, _ interface{}) (bool, []byte, interface{}, error) {
			if len(challenge) == 0 {
				// <success/> without data: nothing to check.
				return false, nil, nil, nil
			}
			method, nonce, err := parseFacebookChallenge(challenge)
			if err != nil {
				return false, nil, nil, err
			}
			_, token, _ := n.Credentials()
			var b strings.Builder
			b.WriteString("method=" + url.QueryEscape(method))
			b.WriteString("&nonce=" + url.QueryEscape(nonce))
			b.WriteString("&access_token=" + url.QueryEscape(string(token)))
			b.WriteString("&api_key=" + url.QueryEscape(appID))
			b.WriteString("&call_id=" + strconv.FormatInt(now().Unix(), 10))
			b.WriteString("&v=1.0")
			return false, []byte(b.String()), nil, nil
		},
	}}
}

// parseFacebookChallenge returns the method and nonce of an
// X-FACEBOOK-PLATFORM challenge.
func parseFacebookChallenge(challenge []byte) (method, nonce string, err error) {
	v, err := url.ParseQuery(string(challenge))
	if err != nil {
		return "", "", fmt.Errorf("the server's X-FACEBOOK-PLATFORM challenge is malformed: %w", err)
	}
	method, nonce = v.Get("method"), v.Get("nonce")
	switch {
	case method == "":
		return "", "", errors.New("the server's X-FACEBOOK-PLATFORM challenge has no method")
	case nonce == "":
		return "", "", errors.New("the server's X-FACEBOOK-PLATFORM challenge has no nonce")
	}
	return method, nonce, nil
}

// OAuthBearer is the OAUTHBEARER mechanism of RFC 7628, without host and port.
// See OAuthBearerHost.
var OAuthBearer = OAuthBearerHost("", 0)

// OAuthBearerHost returns the OAUTHBEARER mechanism of RFC 7628 that names
// host and port (if not empty and not 0) in its initial response.
//
// The initial response (RFC 7628 §3.1) is
// "n,a=" + authzid + ",\x01auth=Bearer " + token + "\x01" +
// ["host=" + host + "\x01"] + ["port=" + port + "\x01"] + "\x01",
// where authzid is the bare JID, escaped as RFC 5801 §4 requires.
// When the server answers with an error challenge (RFC 7628 §3.2.2), the
// client sends "\x01" and the server's <failure/> is returned as a *Failure
// whose Err is a *BearerError.
func OAuthBearerHost(host string, port uint16) Mechanism {
	return Mechanism{
		Mechanism: sasl.Mechanism{
			Name: "OAUTHBEARER",
			Start: func(n *sasl.Negotiator) (bool, []byte, interface{}, error) {
				_, token, authzid := n.Credentials()
				if err := checkToken("OAUTHBEARER", token); err != nil {
					return false, nil, nil, err
				}
				if hasCtl(token) || hasCtl([]byte(host)) || hasCtl(authzid) {
					return false, nil, nil, errors.New("OAUTHBEARER: the token, address or host contains a control character")
				}
				var b bytes.Buffer
				b.WriteString("n,")
				if len(authzid) > 0 {
					b.WriteString("a=")
					b.WriteString(strings.NewReplacer("=", "=3D", ",", "=2C").Replace(string(authzid)))
				}
				b.WriteString(",\x01auth=Bearer ")
				b.Write(token)
				b.WriteByte(1)
				if host != "" {
					b.WriteString("host=" + host + "\x01")
				}
				if port != 0 {
					b.WriteString("port=" + strconv.Itoa(int(port)) + "\x01")
				}
				b.WriteByte(1)
				// more: the server may still send an error challenge.
				return true, b.Bytes(), nil, nil
			},
			Next: func(n *sasl.Negotiator, challenge []byte, _ interface{}) (bool, []byte, interface{}, error) {
				if len(challenge) == 0 {
					// <success/> (or an empty challenge, which the server will fail).
					return false, nil, nil, nil
				}
				be, err := parseBearerError(challenge)
				if err != nil {
					return false, nil, nil, &finalError{resp: []byte{1}, err: err}
				}
				return false, nil, nil, &finalError{resp: []byte{1}, err: be}
			},
		},
		bareJID: true,
	}
}

// BearerError is the error that an OAUTHBEARER server sends before it fails
// the exchange (RFC 7628 §3.2.2).
// The values are the server's, unchecked: validate OpenIDConfiguration before
// fetching it.
type BearerError struct {
	// Status is the error code, e.g. "invalid_token" (RFC 6750 §3.1).
	Status string `json:"status"`
	// Scope is the scope that the token needs, if the server said so.
	Scope string `json:"scope,omitempty"`
	// OpenIDConfiguration is the URL of the OpenID Connect discovery document
	// of the authorization server, if the server said so.
	OpenIDConfiguration string `json:"openid-configuration,omitempty"`
}

func (e *BearerError) Error() string {
	if e.Scope != "" {
		return "the server rejected the access token: " + e.Status + " (scope " + e.Scope + ")"
	}
	return "the server rejected the access token: " + e.Status
}

// parseBearerError decodes the JSON of an OAUTHBEARER error challenge.
func parseBearerError(challenge []byte) (*BearerError, error) {
	if len(challenge) > maxBearerJSON {
		return nil, fmt.Errorf("the server's OAUTHBEARER error is too large (%d bytes)", len(challenge))
	}
	var be BearerError
	if err := json.Unmarshal(challenge, &be); err != nil {
		return nil, fmt.Errorf("the server's OAUTHBEARER error is malformed: %w", err)
	}
	if be.Status == "" {
		return nil, errors.New("the server's OAUTHBEARER error has no status")
	}
	return &be, nil
}

// singleStep is Next for a mechanism of one message: it accepts <success/>
// without data, and refuses anything else.
func singleStep(_ *sasl.Negotiator, challenge []byte, _ interface{}) (bool, []byte, interface{}, error) {
	if len(challenge) > 0 {
		return false, nil, nil, sasl.ErrTooManySteps
	}
	return false, nil, nil, nil
}

func checkToken(mech string, token []byte) error {
	if len(token) == 0 {
		return errors.New(mech + " needs an access token, and there is none")
	}
	return nil
}

func hasCtl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}
