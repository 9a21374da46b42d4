package oauthtest

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app/prosodytest"
)

// The SASL mechanisms that the XMPP server of StartProsody offers besides
// the password ones (SCRAM-SHA-1, PLAIN).
const (
	// OAuthBearer is RFC 7628's mechanism: "n,a=user@domain," \x01
	// "auth=Bearer TOKEN" \x01 \x01, base64-encoded in <auth/>. A refused
	// token gets a challenge with RFC 7628's JSON error; the client answers
	// "\x01" and then gets <failure><not-authorized/>.
	OAuthBearer = "OAUTHBEARER"
	// XOAuth2 is Google Talk's mechanism: base64("\x00" user "\x00" token).
	XOAuth2 = "X-OAUTH2"
	// XMessengerOAuth2 is Windows Live Messenger's mechanism: the access
	// token as is, not base64-encoded, in <auth/>.
	XMessengerOAuth2 = "X-MESSENGER-OAUTH2"
)

// Mechanisms are the OAuth mechanisms of StartProsody's server.
var Mechanisms = []string{OAuthBearer, XOAuth2, XMessengerOAuth2}

// AuthModule is the name of the Prosody authentication provider that
// StartProsody loads (its file is prosody/mod_auth_palaver_oauth.lua).
const AuthModule = "palaver_oauth"

//go:embed prosody/mod_auth_palaver_oauth.lua
var authModuleSource []byte

// AuthModuleSource returns the Lua source of mod_auth_palaver_oauth.
func AuthModuleSource() []byte {
	return slices.Clone(authModuleSource)
}

// ProsodyOptions returns opts (see prosodytest.StartWith) with
// mod_auth_palaver_oauth added and configured to accept the access tokens
// of as: it becomes the host's authentication provider, introspects with
// as's introspection client, and requires the scope XMPPScope.
func ProsodyOptions(as *Server, opts prosodytest.Options) prosodytest.Options {
	plugins := maps.Clone(opts.Plugins)
	if plugins == nil {
		plugins = map[string][]byte{}
	}
	plugins["mod_auth_"+AuthModule+".lua"] = AuthModuleSource()
	opts.Plugins = plugins
	var b strings.Builder
	b.WriteString(opts.Host)
	fmt.Fprintf(&b, `
	-- oauthtest: password accounts as before, plus OAuth tokens of %s.
	authentication = %s
	palaver_oauth_introspection_url = %s
	palaver_oauth_client_id = %s
	palaver_oauth_client_secret = %s
	palaver_oauth_scope = %s
	palaver_oauth_issuer = %s
`, as.Issuer, prosodytest.LuaString(AuthModule), prosodytest.LuaString(as.IntrospectionURL),
		prosodytest.LuaString(as.IntrospectionClientID), prosodytest.LuaString(as.IntrospectionClientSecret),
		prosodytest.LuaString(XMPPScope), prosodytest.LuaString(as.Issuer))
	opts.Host = b.String()
	return opts
}

// StartProsody starts a Prosody server for the test (prosodytest.StartWith
// with ProsodyOptions) that accepts the access tokens of as, and registers
// every current account of as there with the same password, so that each
// user can sign in with a token or with the password. Accounts added to as
// later must be registered with the returned server's Register.
func StartProsody(t testing.TB, as *Server, opts prosodytest.Options) *prosodytest.Server {
	t.Helper()
	xs := prosodytest.StartWith(t, ProsodyOptions(as, opts))
	users := as.Users()
	for _, name := range slices.Sorted(maps.Keys(users)) {
		xs.Register(t, name, users[name])
	}
	return xs
}
