package account

import (
	"maps"
	"slices"
)

// Provider preset identifiers, the values of OAuthSettings.Provider.
const (
	ProviderMessenger = "messenger"
	ProviderGoogle    = "google"
	ProviderFacebook  = "facebook"
	ProviderGeneric   = "generic"
)

// SASL mechanism names an OAuth account can use.
// The mechanisms themselves live in the core; here they are only names.
const (
	MechanismMessenger   = "X-MESSENGER-OAUTH2"  // the raw access token
	MechanismGoogle      = "X-OAUTH2"            // Google Talk's form
	MechanismFacebook    = "X-FACEBOOK-PLATFORM" // Facebook Chat's challenge
	MechanismOAuthBearer = "OAUTHBEARER"         // RFC 7628
)

// Mechanisms lists the SASL mechanism names an OAuth account may use.
func Mechanisms() []string {
	return []string{MechanismOAuthBearer, MechanismGoogle, MechanismMessenger, MechanismFacebook}
}

// Provider is a preset for one network that signs in with OAuth 2.0.
//
// A preset only fills in endpoints, scopes and the SASL mechanism: every
// provider goes through the same loopback redirect with PKCE (RFC 8252,
// RFC 7636), even the historical ones whose documentation predates them.
// The redirect URI to register with a provider is
// http://127.0.0.1/callback with any port (RFC 8252 §7.3), or
// http://[::1]/callback where IPv4 loopback is unavailable.
type Provider struct {
	// ID is the value of OAuthSettings.Provider.
	ID string
	// Name is what the account dialog shows, e.g. "Google Talk".
	Name string
	// AuthURL and TokenURL are the authorization and token endpoints
	// (RFC 6749 §3); empty for the generic provider.
	AuthURL, TokenURL string
	// RevocationURL is the RFC 7009 revocation endpoint, "" when the
	// provider has none.
	RevocationURL string
	// Scopes are requested unless the settings name others.
	Scopes []string
	// AuthParams are extra parameters of the authorization request.
	AuthParams map[string]string
	// Mechanism is the SASL mechanism name to sign in with.
	Mechanism string
	// Domain is the domain of the network's addresses, "" for any.
	Domain string
	// Server is the host:port to connect to when DNS gives nothing,
	// "" to rely on DNS.
	Server string
	// NeedsClientSecret is set for providers that insisted on a client
	// secret even for installed applications.
	// Such a secret is not secret: anyone can read it from the program or
	// the settings file.
	NeedsClientSecret bool
	// ClientIDLabel names the client ID the way the provider did,
	// e.g. "App ID" for Facebook.
	ClientIDLabel string
	// Discovery is set when the endpoints come from the user: typed in,
	// or discovered from an issuer (see Discover).
	Discovery bool
}

// providers is the list behind Providers, in the order the dialog shows.
var providers = []Provider{
	{
		// Any RFC 6749 authorization server in front of a modern XMPP
		// server, first: the others are services that closed years ago.
		// offline_access asks an OpenID provider for a refresh token
		// (OpenID Connect Core §11).
		ID:            ProviderGeneric,
		Name:          "OAuth (your server's sign-in)",
		Scopes:        []string{"openid", "offline_access"},
		Mechanism:     MechanismOAuthBearer,
		ClientIDLabel: "Client ID",
		Discovery:     true,
	},
	{
		// Windows Live Messenger's XMPP service (2011-2018) used Live
		// Connect; wl.offline_access is what gives a refresh token.
		ID:            ProviderMessenger,
		Name:          "Microsoft Messenger",
		AuthURL:       "https://login.live.com/oauth20_authorize.srf",
		TokenURL:      "https://login.live.com/oauth20_token.srf",
		Scopes:        []string{"wl.messenger", "wl.offline_access", "wl.basic"},
		Mechanism:     MechanismMessenger,
		Domain:        "messenger.live.com",
		Server:        "xmpp.messenger.live.com:5222",
		ClientIDLabel: "Client ID",
	},
	{
		// Google hands out a refresh token only with access_type=offline.
		ID:            ProviderGoogle,
		Name:          "Google Talk",
		AuthURL:       "https://accounts.google.com/o/oauth2/auth",
		TokenURL:      "https://oauth2.googleapis.com/token",
		RevocationURL: "https://oauth2.googleapis.com/revoke",
		Scopes:        []string{"https://www.googleapis.com/auth/googletalk"},
		AuthParams:    map[string]string{"access_type": "offline"},
		Mechanism:     MechanismGoogle,
		Domain:        "gmail.com",
		Server:        "talk.google.com:5222",
		ClientIDLabel: "Client ID",
	},
	{
		// Facebook Chat (until about 2015): the app ID doubles as the
		// api_key of X-FACEBOOK-PLATFORM, and the token endpoint wanted
		// the app secret. It gave no refresh tokens.
		ID:                ProviderFacebook,
		Name:              "Facebook Chat",
		AuthURL:           "https://www.facebook.com/dialog/oauth",
		TokenURL:          "https://graph.facebook.com/oauth/access_token",
		Scopes:            []string{"xmpp_login"},
		Mechanism:         MechanismFacebook,
		Domain:            "chat.facebook.com",
		Server:            "chat.facebook.com:5222",
		NeedsClientSecret: true,
		ClientIDLabel:     "App ID",
	},
}

// Providers returns the provider presets, in the order to show them.
// The result is a copy: changing it changes nothing else.
func Providers() []Provider {
	out := make([]Provider, len(providers))
	for i, p := range providers {
		out[i] = p.clone()
	}
	return out
}

// ProviderByID returns the preset with the given ID.
func ProviderByID(id string) (Provider, bool) {
	for _, p := range providers {
		if p.ID == id {
			return p.clone(), true
		}
	}
	return Provider{}, false
}

func (p Provider) clone() Provider {
	p.Scopes = slices.Clone(p.Scopes)
	p.AuthParams = maps.Clone(p.AuthParams)
	return p
}
