package account_test

// Mix-up defences (RFC 9700 §4.4): the issuer an XMPP server names must
// be https and not this computer, discovered endpoints must be on the
// issuer's origin, and the redirect's iss parameter (RFC 9207) must name
// the issuer the sign-in started at.

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/account"
)

func TestCheckServerIssuer(t *testing.T) {
	tests := []struct {
		issuer  string
		wantErr string
	}{
		0:  {issuer: "https://auth.example.org"},
		1:  {issuer: "https://auth.example.org/realms/xmpp/.well-known/openid-configuration"},
		2:  {issuer: "https://auth.example.org:8443/tenant"},
		3:  {issuer: "http://auth.example.org", wantErr: "does not use https"},
		4:  {issuer: "http://127.0.0.1:8080", wantErr: "does not use https"},
		5:  {issuer: "https://127.0.0.1:8443", wantErr: "on this computer"},
		6:  {issuer: "https://[::1]/x", wantErr: "on this computer"},
		7:  {issuer: "https://localhost", wantErr: "on this computer"},
		8:  {issuer: "https://LocalHost./", wantErr: "on this computer"},
		9:  {issuer: "https://auth.localhost", wantErr: "on this computer"},
		10: {issuer: "https://127.1.2.3", wantErr: "on this computer"},
		11: {issuer: "ftp://auth.example.org", wantErr: "must be an https URL"},
		12: {issuer: "https://auth.example.org/?x=1", wantErr: "?query"},
		13: {issuer: "https://user:pw@auth.example.org", wantErr: "user name or password"},
		14: {issuer: "", wantErr: "no host"},
		15: {issuer: "https://auth.example.org\n\u202eevil", wantErr: "not a valid URL"},
	}
	for i, tt := range tests {
		err := account.CheckServerIssuer(tt.issuer)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%d: CheckServerIssuer(%q) = %v", i, tt.issuer, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%d: CheckServerIssuer(%q) = %v, want an error saying %q", i, tt.issuer, err, tt.wantErr)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\u202e") {
			t.Errorf("%d: the error %q holds control or bidi characters", i, err)
		}
	}
}

func TestResolveRefusesEndpointsOnOtherOrigins(t *testing.T) {
	// Another origin: another host, or the same host on another port.
	other := "http://127.0.0.2:9"
	tests := []struct {
		name     string
		doc      map[string]any // replaces the endpoints of jsonDoc
		settings account.OAuthSettings
		wantErr  string // "" means Resolve succeeds
		want     func(t *testing.T, srv string, c account.OAuthConfig)
	}{
		{name: "token endpoint elsewhere", doc: map[string]any{"token_endpoint": other + "/token"},
			wantErr: "names the token endpoint \"" + other + "/token\" on another site"},
		{name: "authorization endpoint elsewhere", doc: map[string]any{"authorization_endpoint": other + "/auth"},
			wantErr: "authorization endpoint"},
		{name: "revocation endpoint elsewhere", doc: map[string]any{"revocation_endpoint": other + "/revoke"},
			wantErr: "revocation endpoint"},
		{name: "same host, other port", doc: map[string]any{"token_endpoint": "PORT+1"},
			wantErr: "on another site"},
		{name: "token endpoint elsewhere but typed in the settings", doc: map[string]any{"token_endpoint": other + "/token"},
			settings: account.OAuthSettings{TokenURL: "https://typed.example/token"},
			want: func(t *testing.T, srv string, c account.OAuthConfig) {
				if c.TokenURL != "https://typed.example/token" || c.AuthURL != srv+"/auth" {
					t.Errorf("Resolve = %+v", c)
				}
			}},
		{name: "revocation elsewhere but typed in the settings", doc: map[string]any{"revocation_endpoint": other + "/revoke"},
			settings: account.OAuthSettings{RevocationURL: other + "/mine"},
			want: func(t *testing.T, srv string, c account.OAuthConfig) {
				if c.RevocationURL != other+"/mine" {
					t.Errorf("RevocationURL = %q", c.RevocationURL)
				}
			}},
		{name: "all on the issuer's origin, with RFC 9207",
			doc: map[string]any{"revocation_endpoint": "SELF/revoke", "authorization_response_iss_parameter_supported": true},
			want: func(t *testing.T, srv string, c account.OAuthConfig) {
				if c.Issuer != srv || !c.RequireIss || c.RevocationURL != srv+"/revoke" {
					t.Errorf("Resolve = %+v: want the issuer, iss required, the revocation endpoint", c)
				}
			}},
		{name: "without RFC 9207", doc: map[string]any{},
			want: func(t *testing.T, srv string, c account.OAuthConfig) {
				if c.Issuer != srv || c.RequireIss {
					t.Errorf("Resolve = %+v: want the issuer, iss not required", c)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := discoveryServer(t, map[string]func(w http.ResponseWriter, r *http.Request){
				"/.well-known/openid-configuration": func(w http.ResponseWriter, r *http.Request) {
					self := "http://" + r.Host
					u, _ := url.Parse(self)
					doc := map[string]any{}
					for k, v := range tt.doc {
						if s, ok := v.(string); ok {
							s = strings.Replace(s, "SELF", self, 1)
							if s == "PORT+1" {
								s = "http://" + u.Hostname() + ":1/token"
							}
							v = s
						}
						doc[k] = v
					}
					jsonDoc("", doc)(w, r)
				},
			})
			s := tt.settings
			s.Provider, s.ClientID, s.Issuer = account.ProviderGeneric, "cid", srv.URL
			c, err := s.Resolve(t.Context(), nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "unless you enter them in the account settings") {
					t.Fatalf("Resolve = %+v, %v; want an error saying %q and what to do", c, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want(t, srv.URL, c)
		})
	}

	// Endpoints typed by hand with their issuer: no discovery, but the
	// issuer is known, so a wrong iss can be refused.
	c, err := account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "cid", Issuer: "https://op.example/tenant/",
		AuthURL: "https://op.example/a", TokenURL: "https://op.example/t"}.Resolve(t.Context(), nil)
	if err != nil || c.Issuer != "https://op.example/tenant" || c.RequireIss {
		t.Errorf("Resolve with typed endpoints = %+v, %v; want the issuer, iss not required", c, err)
	}
}

// issBrowser comes back to the redirect URI with a code, the right state
// and the given iss values (none: no iss parameter).
func issBrowser(t *testing.T, as *authServer, iss ...string) *browser {
	b := newBrowser(t, as)
	b.visit = func(b *browser, req authRequest) browserResult {
		q := url.Values{"code": {req.code}, "state": {req.query.Get("state")}}
		for _, v := range iss {
			q.Add("iss", v)
		}
		return b.get(req.redirectWith(q))
	}
	return b
}

func TestAuthorizeChecksIss(t *testing.T) {
	const issuer = "https://as.example/tenant"
	tests := []struct {
		name     string
		issuer   string // Config.Issuer
		required bool   // Config.RequireIss
		iss      []string
		wantErr  string // "" means signed in
	}{
		{name: "right iss", issuer: issuer, required: true, iss: []string{issuer}},
		{name: "right iss with a trailing slash", issuer: issuer, required: true, iss: []string{issuer + "/"}},
		{name: "wrong iss", issuer: issuer, required: true, iss: []string{"https://evil.example/tenant"}, wantErr: `names the issuer "https://evil.example/tenant", not "` + issuer + `"`},
		{name: "wrong iss, not promised", issuer: issuer, iss: []string{"https://evil.example"}, wantErr: "names the issuer"},
		{name: "iss missing though promised", issuer: issuer, required: true, wantErr: "names no issuer although " + issuer + " always does"},
		{name: "two iss", issuer: issuer, required: true, iss: []string{issuer, issuer}, wantErr: "carried 2 issuers"},
		{name: "iss missing, not promised", issuer: issuer},
		{name: "issuer unknown", iss: []string{"https://whoever.example"}},
		{name: "wrong iss hides control characters", issuer: issuer, iss: []string{"https://evil.example\n\u0007"}, wantErr: `"https://evil.example"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := newAuthServer(t)
			conf := as.config()
			conf.Issuer, conf.RequireIss = tt.issuer, tt.required
			b := issBrowser(t, as, tt.iss...)
			tok, err, _ := authorize(t, t.Context(), account.Flow{Config: conf, Open: b.open}, b)
			res := b.result(t)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Authorize: %v", err)
				}
				wantPage(t, res, http.StatusOK, "Sign-in received")
				return
			}
			if err == nil {
				t.Fatalf("Authorize = %+v, want an error", tok)
			}
			t.Logf("error: %v", err)
			if !errors.Is(err, account.ErrIssuerMismatch) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q: want ErrIssuerMismatch saying %q", err, tt.wantErr)
			}
			wantPage(t, res, http.StatusBadRequest, "Sign-in failed")
			// RFC 9207 §2.4: the code is not used.
			if n := len(as.tokenRequests()); n != 0 {
				t.Errorf("%d token requests: the code of a refused response was used", n)
			}
		})
	}
}
