package account_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/account"
)

// discoveryServer serves documents by path; {{ISSUER}} in a document is
// replaced with the server's URL.
func discoveryServer(t *testing.T, docs map[string]func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for p, h := range docs {
		mux.HandleFunc(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func jsonDoc(issuerPath string, extra map[string]any) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		iss := "http://" + r.Host + issuerPath
		doc := map[string]any{
			"issuer":                 iss,
			"authorization_endpoint": iss + "/auth",
			"token_endpoint":         iss + "/token",
		}
		for k, v := range extra {
			doc[k] = v
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(doc)
	}
}

func TestDiscover(t *testing.T) {
	srv := discoveryServer(t, map[string]func(w http.ResponseWriter, r *http.Request){
		"/.well-known/openid-configuration": jsonDoc("", map[string]any{
			"code_challenge_methods_supported": []string{"plain", "S256"},
		}),
		"/tenant/.well-known/openid-configuration":        jsonDoc("/tenant", nil),
		"/.well-known/openid-configuration/tenant2":       jsonDoc("/tenant2", nil),
		"/.well-known/oauth-authorization-server/tenant3": jsonDoc("/tenant3", nil),
		"/other/.well-known/openid-configuration":         jsonDoc("/tenant", nil), // names another issuer
		"/trailing/.well-known/openid-configuration":      jsonDoc("/trailing/", nil),
		"/moved/.well-known/openid-configuration": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/tenant/.well-known/openid-configuration", http.StatusFound)
		},
		"/away/.well-known/openid-configuration": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://op.example/x", http.StatusFound)
		},
		"/html/.well-known/openid-configuration":    func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<!doctype html><title>Login</title>")) },
		"/garbage/.well-known/openid-configuration": func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("\x00\x01garbage")) },
		"/huge/.well-known/openid-configuration": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"x":"` + strings.Repeat("a", account.MaxDiscoverySize) + `"}`))
		},
		"/broken/.well-known/openid-configuration":      func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
		"/no-pkce/.well-known/openid-configuration":     jsonDoc("/no-pkce", map[string]any{"code_challenge_methods_supported": []string{"plain"}}),
		"/insecure/.well-known/openid-configuration":    jsonDoc("/insecure", map[string]any{"token_endpoint": "http://op.example/token"}),
		"/wrong-types/.well-known/openid-configuration": jsonDoc("/wrong-types", map[string]any{"scopes_supported": "openid"}),
		"/no-token-endpoint/.well-known/openid-configuration": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"issuer":"http://` + r.Host + `/no-token-endpoint","authorization_endpoint":"http://` + r.Host + `/a"}`))
		},
	})
	base := srv.URL
	tests := []struct {
		name       string
		target     string
		wantIssuer string
		wantErr    string
	}{
		{name: "issuer", target: base, wantIssuer: base},
		{name: "issuer with slash", target: base + "/", wantIssuer: base},
		{name: "issuer with path", target: base + "/tenant", wantIssuer: base + "/tenant"},
		{name: "document URL", target: base + "/tenant/.well-known/openid-configuration", wantIssuer: base + "/tenant"},
		{name: "RFC 8414 form", target: base + "/.well-known/openid-configuration/tenant2", wantIssuer: base + "/tenant2"},
		{name: "RFC 8414 metadata", target: base + "/.well-known/oauth-authorization-server/tenant3", wantIssuer: base + "/tenant3"},
		{name: "issuer with a trailing slash in the document", target: base + "/trailing", wantIssuer: base + "/trailing/"},
		{name: "redirect within", target: base + "/moved/.well-known/openid-configuration", wantErr: `belongs to the issuer "` + base + `/tenant", not "` + base + `/moved"`},
		{name: "redirect to plain http elsewhere", target: base + "/away", wantErr: "must use https"},
		{name: "another issuer", target: base + "/other", wantErr: "belongs to the issuer"},
		{name: "HTML", target: base + "/html", wantErr: "is a web page, not an OpenID configuration"},
		{name: "garbage", target: base + "/garbage", wantErr: "not a JSON object"},
		{name: "huge", target: base + "/huge", wantErr: "larger than 256 KiB"},
		{name: "server error", target: base + "/broken", wantErr: "no OpenID configuration at " + base + "/broken/.well-known/openid-configuration (HTTP 500"},
		{name: "not found", target: base + "/nothing", wantErr: "(HTTP 404 Not Found): check the issuer URL"},
		{name: "no PKCE", target: base + "/no-pkce", wantErr: "PKCE with S256"},
		{name: "plain http endpoint", target: base + "/insecure", wantErr: `token endpoint "http://op.example/token" must use https`},
		{name: "wrong types", target: base + "/wrong-types", wantErr: "scopes_supported has the wrong type"},
		{name: "no token endpoint", target: base + "/no-token-endpoint", wantErr: "lacks the authorization or the token endpoint"},
		{name: "down", target: strings.TrimSuffix(httptest503URL(t), "/token"), wantErr: "cannot fetch the OpenID configuration"},
		{name: "plain http issuer", target: "http://op.example", wantErr: "must use https"},
		{name: "not a URL", target: "op example", wantErr: "has no host"},
		{name: "query", target: base + "?x=1", wantErr: "must not have a ?query"},
		{name: "other well-known", target: base + "/.well-known/webfinger", wantErr: "neither an issuer URL nor an OpenID configuration URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := account.Discover(t.Context(), nil, tt.target)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Discover(%s) = %+v, %v; want an error saying %q", tt.target, d, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Discover(%s): %v", tt.target, err)
			}
			if d.Issuer != tt.wantIssuer || d.TokenEndpoint != strings.TrimSuffix(tt.wantIssuer, "/")+"/token" && d.TokenEndpoint != tt.wantIssuer+"/token" {
				t.Errorf("Discover(%s) = %+v", tt.target, d)
			}
		})
	}
}

func TestParseDiscovery(t *testing.T) {
	good := `{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","token_endpoint":"https://op.example/t",
		"revocation_endpoint":"https://op.example/r","scopes_supported":["openid"],"response_types_supported":["code","id_token"],
		"grant_types_supported":["authorization_code","refresh_token"],"code_challenge_methods_supported":["S256"],
		"token_endpoint_auth_methods_supported":["none","client_secret_basic"],"unknown":{"nested":[1,2]}}`
	d, err := account.ParseDiscovery([]byte(good), "https://op.example/")
	if err != nil {
		t.Fatal(err)
	}
	want := account.Discovery{
		Issuer: "https://op.example", AuthorizationEndpoint: "https://op.example/a", TokenEndpoint: "https://op.example/t",
		RevocationEndpoint: "https://op.example/r", ScopesSupported: []string{"openid"}, ResponseTypesSupported: []string{"code", "id_token"},
		GrantTypesSupported: []string{"authorization_code", "refresh_token"}, CodeChallengeMethodsSupported: []string{"S256"},
		TokenEndpointAuthMethodsSupported: []string{"none", "client_secret_basic"},
	}
	if got, _ := json.Marshal(d); string(got) != string(must(json.Marshal(want))) {
		t.Errorf("ParseDiscovery = %s\nwant %s", got, must(json.Marshal(want)))
	}

	bad := []struct{ name, doc, want string }{
		{"empty", "", "is empty"},
		{"blank", " \n", "is empty"},
		{"array", "[]", "not a JSON object"},
		{"null", "null", "not a JSON object"},
		{"HTML", "<html>", "web page"},
		{"truncated", `{"issuer":"https://op.example"`, "damaged"},
		{"no issuer", `{"authorization_endpoint":"https://a/a","token_endpoint":"https://a/t"}`, "names no issuer"},
		{"issuer is a number", `{"issuer":5}`, "issuer has the wrong type"},
		{"relative endpoint", `{"issuer":"https://op.example","authorization_endpoint":"/a","token_endpoint":"https://op.example/t"}`, "has no host"},
		{"javascript endpoint", `{"issuer":"https://op.example","authorization_endpoint":"javascript:alert(1)","token_endpoint":"https://op.example/t"}`, "has no host"},
		{"revocation over http", `{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","token_endpoint":"https://op.example/t","revocation_endpoint":"http://op.example/r"}`, "revocation endpoint"},
		{"no code flow", `{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","token_endpoint":"https://op.example/t","response_types_supported":["token"]}`, "authorization code flow"},
		{"no code grant", `{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","token_endpoint":"https://op.example/t","grant_types_supported":["implicit"]}`, "authorization_code grant"},
		{"issuer with credentials", `{"issuer":"https://u:p@op.example","authorization_endpoint":"https://op.example/a","token_endpoint":"https://op.example/t"}`, "user name or password"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			d, err := account.ParseDiscovery([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseDiscovery(%q) = %+v, %v; want an error saying %q", tt.doc, d, err, tt.want)
			}
		})
	}
	if _, err := account.ParseDiscovery([]byte(good), "https://other.example"); err == nil || !strings.Contains(err.Error(), `belongs to the issuer "https://op.example", not "https://other.example"`) {
		t.Errorf("issuer mismatch: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// FuzzParseDiscovery checks that the decoder never panics and that what
// it accepts is safe to use: the expected issuer, and endpoints that are
// https or loopback http URLs.
func FuzzParseDiscovery(f *testing.F) {
	for _, s := range []string{
		`{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","token_endpoint":"https://op.example/t"}`,
		`{"issuer":"https://op.example/","authorization_endpoint":"http://127.0.0.1:8080/a","token_endpoint":"http://[::1]/t","revocation_endpoint":"https://op.example/r","code_challenge_methods_supported":["S256"]}`,
		`{"issuer":"http://localhost","authorization_endpoint":"http://localhost/a","token_endpoint":"http://localhost/t","scopes_supported":null}`,
		`{"issuer":5}`, `[]`, `<html>`, ``, `{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a#x"}`,
		"{\"issuer\":\"https://op.example\",\"token_endpoint\":\"https://op.example/\u0000\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := account.ParseDiscovery(b, "https://op.example", "http://localhost", "https://op.example/")
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if d.Issuer != "https://op.example" && d.Issuer != "https://op.example/" && d.Issuer != "http://localhost" && d.Issuer != "http://localhost/" {
			t.Fatalf("accepted the issuer %q", d.Issuer)
		}
		if d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" {
			t.Fatalf("accepted a document without endpoints: %+v", d)
		}
		for _, e := range []string{d.AuthorizationEndpoint, d.TokenEndpoint, d.RevocationEndpoint} {
			if e == "" {
				continue
			}
			u, err := url.Parse(e)
			if err != nil {
				t.Fatalf("accepted the endpoint %q: %v", e, err)
			}
			h := u.Hostname()
			loopback := strings.EqualFold(h, "localhost") || (net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback())
			if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
				t.Fatalf("accepted the endpoint %q", e)
			}
			if h == "" || u.User != nil || u.Fragment != "" || strings.Contains(e, "#") {
				t.Fatalf("accepted the endpoint %q", e)
			}
		}
	})
}
