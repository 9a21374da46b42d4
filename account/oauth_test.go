package account_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
)

func TestProviders(t *testing.T) {
	ps := account.Providers()
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
		if p.Name == "" || p.Mechanism == "" || p.ClientIDLabel == "" {
			t.Errorf("%s: incomplete preset %+v", p.ID, p)
		}
		if !slices.Contains(account.Mechanisms(), p.Mechanism) {
			t.Errorf("%s: unknown mechanism %q", p.ID, p.Mechanism)
		}
		if !p.Discovery {
			for _, u := range []string{p.AuthURL, p.TokenURL} {
				if !strings.HasPrefix(u, "https://") {
					t.Errorf("%s: endpoint %q is not https", p.ID, u)
				}
			}
		}
		got, ok := account.ProviderByID(p.ID)
		if !ok || !reflect.DeepEqual(got, p) {
			t.Errorf("ProviderByID(%s) = %+v, %v", p.ID, got, ok)
		}
	}
	// Your own server's sign-in first: the three services closed years ago.
	if want := []string{"generic", "messenger", "google", "facebook"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("provider IDs %q, want %q", ids, want)
	}
	if _, ok := account.ProviderByID("myspace"); ok {
		t.Error("ProviderByID of an unknown ID")
	}

	// The facts the issue names.
	m, _ := account.ProviderByID(account.ProviderMessenger)
	if m.AuthURL != "https://login.live.com/oauth20_authorize.srf" || m.TokenURL != "https://login.live.com/oauth20_token.srf" ||
		strings.Join(m.Scopes, " ") != "wl.messenger wl.offline_access wl.basic" || m.Mechanism != "X-MESSENGER-OAUTH2" || m.Domain != "messenger.live.com" {
		t.Errorf("Messenger preset %+v", m)
	}
	g, _ := account.ProviderByID(account.ProviderGoogle)
	if strings.Join(g.Scopes, " ") != "https://www.googleapis.com/auth/googletalk" || g.Mechanism != "X-OAUTH2" || g.Server != "talk.google.com:5222" || g.AuthParams["access_type"] != "offline" {
		t.Errorf("Google preset %+v", g)
	}
	fb, _ := account.ProviderByID(account.ProviderFacebook)
	if fb.Mechanism != "X-FACEBOOK-PLATFORM" || fb.Domain != "chat.facebook.com" || fb.ClientIDLabel != "App ID" || !fb.NeedsClientSecret {
		t.Errorf("Facebook preset %+v", fb)
	}
	gen, _ := account.ProviderByID(account.ProviderGeneric)
	if gen.Mechanism != "OAUTHBEARER" || !gen.Discovery || gen.AuthURL != "" {
		t.Errorf("generic preset %+v", gen)
	}

	// Presets are copies.
	ps[0].Scopes[0] = "changed"
	g.AuthParams["access_type"] = "changed"
	if p, _ := account.ProviderByID(ps[0].ID); p.Scopes[0] == "changed" {
		t.Error("changing Providers() changed the preset")
	}
	if p, _ := account.ProviderByID(account.ProviderGoogle); p.AuthParams["access_type"] != "offline" {
		t.Error("changing a ProviderByID result changed the preset")
	}
}

func TestOAuthSettingsValidate(t *testing.T) {
	tests := []struct {
		name    string
		s       account.OAuthSettings
		wantErr string
	}{
		{name: "messenger", s: account.OAuthSettings{Provider: "messenger", ClientID: "0000000040"}},
		{name: "google", s: account.OAuthSettings{Provider: "google", ClientID: "x.apps.googleusercontent.com", ClientSecret: "not secret"}},
		{name: "facebook", s: account.OAuthSettings{Provider: "facebook", ClientID: "1234", ClientSecret: "abcd"}},
		{name: "generic issuer", s: account.OAuthSettings{Provider: "generic", ClientID: "c", Issuer: "https://op.example"}},
		{name: "generic document", s: account.OAuthSettings{Provider: "generic", ClientID: "c", Issuer: "https://op.example/.well-known/openid-configuration"}},
		{name: "generic endpoints", s: account.OAuthSettings{Provider: "generic", ClientID: "c", AuthURL: "https://op.example/a", TokenURL: "http://127.0.0.1:9/t"}},
		{name: "generic other mechanism", s: account.OAuthSettings{Provider: "generic", ClientID: "c", Issuer: "https://op.example", Mechanism: "X-MESSENGER-OAUTH2", Scopes: []string{"openid", "xmpp:login"}}},
		{name: "no provider", s: account.OAuthSettings{ClientID: "c"}, wantErr: "choose an OAuth provider"},
		{name: "unknown provider", s: account.OAuthSettings{Provider: "aol", ClientID: "c"}, wantErr: `unknown OAuth provider "aol"`},
		{name: "no client ID", s: account.OAuthSettings{Provider: "messenger"}, wantErr: "the client ID is empty: register Palaver with Microsoft Messenger"},
		{name: "blank client ID", s: account.OAuthSettings{Provider: "google", ClientID: " "}, wantErr: "client ID is empty"},
		{name: "no app ID", s: account.OAuthSettings{Provider: "facebook"}, wantErr: "the app ID is empty"},
		{name: "no app secret", s: account.OAuthSettings{Provider: "facebook", ClientID: "1"}, wantErr: "also needs the secret"},
		{name: "generic without endpoints asks the server", s: account.OAuthSettings{Provider: "generic", ClientID: "c"}},
		{name: "generic with one endpoint", s: account.OAuthSettings{Provider: "generic", ClientID: "c", AuthURL: "https://op.example/a"}, wantErr: "enter both the authorization and the token endpoint"},
		{name: "http issuer", s: account.OAuthSettings{Provider: "generic", ClientID: "c", Issuer: "http://op.example"}, wantErr: "must use https"},
		{name: "http endpoint", s: account.OAuthSettings{Provider: "generic", ClientID: "c", AuthURL: "https://op.example/a", TokenURL: "http://op.example/t"}, wantErr: "token endpoint"},
		{name: "ftp endpoint", s: account.OAuthSettings{Provider: "messenger", ClientID: "c", RevocationURL: "ftp://op.example/r"}, wantErr: "must be an https URL"},
		{name: "fragment", s: account.OAuthSettings{Provider: "generic", ClientID: "c", AuthURL: "https://op.example/a#x", TokenURL: "https://op.example/t"}, wantErr: "#fragment"},
		{name: "unknown mechanism", s: account.OAuthSettings{Provider: "generic", ClientID: "c", Issuer: "https://op.example", Mechanism: "PLAIN"}, wantErr: `unknown SASL mechanism "PLAIN"`},
		{name: "scopes in one string", s: account.OAuthSettings{Provider: "generic", ClientID: "c", Issuer: "https://op.example", Scopes: []string{"openid offline_access"}}, wantErr: "list them one by one"},
		{name: "empty scope", s: account.OAuthSettings{Provider: "generic", ClientID: "c", Issuer: "https://op.example", Scopes: []string{""}}, wantErr: "a scope is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestResolvePresets(t *testing.T) {
	c, err := account.OAuthSettings{Provider: "google", ClientID: " cid "}.Resolve(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := account.OAuthConfig{
		Provider: "google", ClientID: "cid",
		AuthURL: "https://accounts.google.com/o/oauth2/auth", TokenURL: "https://oauth2.googleapis.com/token",
		RevocationURL: "https://oauth2.googleapis.com/revoke",
		Scopes:        []string{"https://www.googleapis.com/auth/googletalk"},
		AuthParams:    map[string]string{"access_type": "offline"},
		Mechanism:     "X-OAUTH2", AuthStyle: oauth2.AuthStyleInParams,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Resolve = %+v\nwant %+v", c, want)
	}
	if !c.CanRevoke() {
		t.Error("Google cannot revoke?")
	}

	// Typed settings replace the preset's.
	c, err = account.OAuthSettings{Provider: "messenger", ClientID: "cid", TokenURL: "https://proxy.example/token", Scopes: []string{"wl.messenger"}, Mechanism: "OAUTHBEARER"}.Resolve(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenURL != "https://proxy.example/token" || c.AuthURL != "https://login.live.com/oauth20_authorize.srf" ||
		!reflect.DeepEqual(c.Scopes, []string{"wl.messenger"}) || c.Mechanism != "OAUTHBEARER" || c.CanRevoke() {
		t.Errorf("Resolve with overrides = %+v", c)
	}

	oc := c.OAuth2Config("http://127.0.0.1:5/callback")
	if oc.Endpoint.AuthStyle != oauth2.AuthStyleInParams || oc.RedirectURL != "http://127.0.0.1:5/callback" || oc.ClientID != "cid" {
		t.Errorf("OAuth2Config = %+v", oc)
	}
	if oc := (account.OAuthConfig{}).OAuth2Config(""); oc.Endpoint.AuthStyle != oauth2.AuthStyleInParams {
		t.Errorf("a zero AuthStyle became %v, want in params (never auto-detect)", oc.Endpoint.AuthStyle)
	}

	if _, err := (account.OAuthSettings{Provider: "facebook", ClientID: "1"}).Resolve(t.Context(), nil); err == nil {
		t.Error("Resolve of invalid settings: no error")
	}
}

func TestResolveDiscovery(t *testing.T) {
	as := newAuthServer(t)
	c, err := account.OAuthSettings{Provider: "generic", ClientID: "cid", Issuer: as.srv.URL}.Resolve(t.Context(), as.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	want := account.OAuthConfig{
		Provider: "generic", ClientID: "cid",
		AuthURL: as.srv.URL + "/authorize", TokenURL: as.srv.URL + "/token", RevocationURL: as.srv.URL + "/revoke",
		Scopes:     []string{"openid", "offline_access"},
		AuthParams: map[string]string{"prompt": "consent"},
		Mechanism:  "OAUTHBEARER", AuthStyle: oauth2.AuthStyleInParams,
		Issuer: as.srv.URL,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Resolve = %+v\nwant %+v", c, want)
	}

	// Typed endpoints win and need no discovery: the issuer is not asked.
	c, err = account.OAuthSettings{Provider: "generic", ClientID: "cid", Issuer: "https://unreachable.invalid",
		AuthURL: "https://op.example/a", TokenURL: "https://op.example/t", Scopes: []string{"xmpp"}}.Resolve(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AuthURL != "https://op.example/a" || c.RevocationURL != "" || !reflect.DeepEqual(c.Scopes, []string{"xmpp"}) || c.AuthParams != nil {
		t.Errorf("Resolve = %+v", c)
	}

	// A server that knows none of the default scopes: none are asked for.
	srv := discoveryServer(t, map[string]func(w http.ResponseWriter, r *http.Request){
		"/.well-known/openid-configuration": jsonDoc("", map[string]any{
			"scopes_supported":                      []string{"xmpp"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		}),
	})
	c, err = account.OAuthSettings{Provider: "generic", ClientID: "cid", ClientSecret: "s", Issuer: srv.URL}.Resolve(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Scopes) != 0 || c.AuthStyle != oauth2.AuthStyleInHeader || c.AuthParams != nil {
		t.Errorf("Resolve = %+v: want no scopes, the secret in the header, no prompt", c)
	}

	if _, err := (account.OAuthSettings{Provider: "generic", ClientID: "cid", Issuer: strings.TrimSuffix(httptest503URL(t), "/token")}).Resolve(t.Context(), nil); err == nil ||
		!strings.Contains(err.Error(), "cannot fetch the OpenID configuration") {
		t.Errorf("Resolve with the issuer down = %v", err)
	}
}

func TestAccountAuthValidate(t *testing.T) {
	tests := []struct {
		name    string
		a       account.Account
		wantErr string
	}{
		{name: "password by default", a: account.Account{JID: "a@b"}},
		{name: "password", a: account.Account{JID: "a@b", Auth: "password"}},
		{name: "password keeps OAuth settings", a: account.Account{JID: "a@b", Auth: "password", OAuth: account.OAuthSettings{Provider: "nonsense"}}},
		{name: "oauth", a: account.Account{JID: "a@messenger.live.com", Auth: "oauth", OAuth: account.OAuthSettings{Provider: "messenger", ClientID: "c"}}},
		{name: "oauth without settings", a: account.Account{JID: "a@b", Auth: "oauth"}, wantErr: "choose an OAuth provider"},
		{name: "unknown", a: account.Account{JID: "a@b", Auth: "kerberos"}, wantErr: `unknown sign-in method "kerberos"`},
		{name: "JID first", a: account.Account{JID: "b", Auth: "kerberos"}, wantErr: "has no user name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
	if (account.Account{}).UsesOAuth() || !(account.Account{Auth: "oauth"}).UsesOAuth() {
		t.Error("UsesOAuth")
	}
}

func TestSettingsFileWithOAuth(t *testing.T) {
	dir := t.TempDir()
	want := &account.Config{Accounts: []account.Account{
		{JID: "alice@example.org", RememberPassword: true},
		{JID: "bob@messenger.live.com", Auth: account.AuthOAuth, OAuth: account.OAuthSettings{
			Provider: "generic", ClientID: "palaver", ClientSecret: "public-anyway", Issuer: "https://op.example",
			AuthURL: "https://op.example/a", TokenURL: "https://op.example/t", RevocationURL: "https://op.example/r",
			Scopes: []string{"openid", "xmpp"}, Mechanism: "X-MESSENGER-OAUTH2",
		}},
	}}
	if err := want.Save(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, account.FileName))
	if err != nil {
		t.Fatal(err)
	}
	// A password account writes nothing about OAuth.
	first := string(b[:strings.Index(string(b), "bob@")])
	if strings.Contains(first, "oauth") || strings.Contains(first, `"auth"`) {
		t.Errorf("a password account wrote OAuth fields:\n%s", b)
	}
	for _, w := range []string{`"auth": "oauth"`, `"client_id": "palaver"`, `"issuer": "https://op.example"`, `"mechanism": "X-MESSENGER-OAUTH2"`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("settings file lacks %s:\n%s", w, b)
		}
	}
	for _, w := range []string{"token\":", "refresh", "access_token"} {
		if strings.Contains(string(b), w) {
			t.Errorf("settings file holds %q:\n%s", w, b)
		}
	}
	got, err := account.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load after Save:\n got %+v\nwant %+v", got, want)
	}
}

func TestLoadSettingsFromBeforeOAuth(t *testing.T) {
	dir := t.TempDir()
	old := `{"version":1,"accounts":[{"jid":"alice@example.org","host":"xmpp.example.org","remember_password":true}]}`
	if err := os.WriteFile(filepath.Join(dir, account.FileName), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := account.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Accounts[0]
	if a.UsesOAuth() || a.Auth != "" || !reflect.DeepEqual(a.OAuth, account.OAuthSettings{}) || a.Validate() != nil {
		t.Errorf("old account loaded as %+v", a)
	}
}

func TestResolveWithoutIssuerAsksTheServer(t *testing.T) {
	_, err := account.OAuthSettings{Provider: "generic", ClientID: "cid"}.Resolve(t.Context(), nil)
	if !errors.Is(err, account.ErrNoIssuer) {
		t.Fatalf("Resolve = %v, want ErrNoIssuer", err)
	}
	// Presets with fixed endpoints never need the server's help.
	if _, err := (account.OAuthSettings{Provider: "google", ClientID: "cid"}).Resolve(t.Context(), nil); err != nil {
		t.Fatalf("Resolve of a preset = %v", err)
	}
}
