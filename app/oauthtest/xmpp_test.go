package oauthtest_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/sasl"

	"github.com/palaver-im/palaver/app/oauthtest"
	"github.com/palaver-im/palaver/app/prosodytest"
)

const (
	nsTLS  = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind = "urn:ietf:params:xml:ns:xmpp-bind"
)

// xmppConn is a minimal raw XMPP client: enough to check what the server
// says to each SASL mechanism.
type xmppConn struct {
	t   *testing.T
	c   net.Conn
	buf []byte // read but not yet consumed
}

// dialXMPP connects to xs, negotiates STARTTLS with xs's certificate as the
// only trusted authority, opens the stream again and returns the
// connection and the stream features.
func dialXMPP(t *testing.T, xs *prosodytest.Server) (*xmppConn, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", xs.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", xs.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	x := &xmppConn{t: t, c: c}
	x.features(xs.Domain)
	x.send("<starttls xmlns='" + nsTLS + "'/>")
	if got := x.until("/>"); !strings.Contains(got, "<proceed") {
		t.Fatalf("STARTTLS: want <proceed/>, got %q", got)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(xs.CertPEM) {
		t.Fatal("no certificate in CertPEM")
	}
	tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: xs.Domain, MinVersion: tls.VersionTLS12})
	if err := tc.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	x.c, x.buf = tc, nil
	return x, x.features(xs.Domain)
}

func (x *xmppConn) send(s string) {
	x.t.Helper()
	if err := x.c.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		x.t.Fatal(err)
	}
	if _, err := x.c.Write([]byte(s)); err != nil {
		x.t.Fatalf("send %q: %v", s, err)
	}
}

// until reads until one of the markers appears and returns everything read
// up to and including it.
func (x *xmppConn) until(markers ...string) string {
	x.t.Helper()
	if err := x.c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		x.t.Fatal(err)
	}
	tmp := make([]byte, 4096)
	for {
		for _, m := range markers {
			if i := bytes.Index(x.buf, []byte(m)); i >= 0 {
				got := string(x.buf[:i+len(m)])
				x.buf = x.buf[i+len(m):]
				return got
			}
		}
		n, err := x.c.Read(tmp)
		x.buf = append(x.buf, tmp[:n]...)
		if err != nil {
			x.t.Fatalf("waiting for %q: %v; got %q", markers, err, x.buf)
		}
	}
}

// features opens a stream and returns its features.
func (x *xmppConn) features(domain string) string {
	x.t.Helper()
	x.send("<?xml version='1.0'?><stream:stream to='" + domain + "' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
	return x.until("</stream:features>")
}

// saslReply is the server's next SASL element.
type saslReply struct {
	Name string // success, failure or challenge
	Data []byte // decoded content of challenge or success
	Cond string // the failure's condition
	Raw  string
}

var (
	saslRE      = regexp.MustCompile(`(?s)<(success|failure|challenge)\b[^>]*?(?:/>|>(.*?)</(?:success|failure|challenge)>)`)
	conditionRE = regexp.MustCompile(`<([a-z-]+)\s*/>`)
)

// reply reads the next <success/>, <failure/> or <challenge/>.
func (x *xmppConn) reply() saslReply {
	x.t.Helper()
	raw := x.until("/>", "</success>", "</failure>", "</challenge>")
	// <failure ...><not-authorized/><text>…</text></failure>: read to the end.
	if strings.Contains(raw, "<failure") && !strings.HasSuffix(raw, "</failure>") && !regexp.MustCompile(`<failure[^>]*/>$`).MatchString(raw) {
		raw += x.until("</failure>")
	}
	m := saslRE.FindStringSubmatch(raw)
	if m == nil {
		x.t.Fatalf("no SASL reply in %q", raw)
	}
	r := saslReply{Name: m[1], Raw: raw}
	switch r.Name {
	case "failure":
		if c := conditionRE.FindStringSubmatch(m[2]); c != nil {
			r.Cond = c[1]
		}
	default:
		if m[2] != "" && m[2] != "=" {
			data, err := base64.StdEncoding.DecodeString(m[2])
			if err != nil {
				x.t.Fatalf("%s: bad base64 %q: %v", r.Name, m[2], err)
			}
			r.Data = data
		}
	}
	return r
}

// auth sends <auth/> with the content as is and returns the reply.
func (x *xmppConn) auth(mechanism, content string, attrs ...string) saslReply {
	x.t.Helper()
	x.send("<auth xmlns='" + nsSASL + "' mechanism='" + mechanism + "'" + strings.Join(attrs, "") + ">" + content + "</auth>")
	return x.reply()
}

// respond sends <response/> with data base64-encoded.
func (x *xmppConn) respond(data []byte) saslReply {
	x.t.Helper()
	x.send("<response xmlns='" + nsSASL + "'>" + base64.StdEncoding.EncodeToString(data) + "</response>")
	return x.reply()
}

// bind restarts the stream after <success/>, binds a resource and returns
// the bound JID.
func (x *xmppConn) bind(domain string) string {
	x.t.Helper()
	if f := x.features(domain); !strings.Contains(f, nsBind) {
		x.t.Fatalf("no bind feature after success: %q", f)
	}
	x.send("<iq type='set' id='b1'><bind xmlns='" + nsBind + "'><resource>test</resource></bind></iq>")
	got := x.until("</iq>")
	m := regexp.MustCompile(`<jid>([^<]+)</jid>`).FindStringSubmatch(got)
	if m == nil {
		x.t.Fatalf("bind: %q", got)
	}
	return m[1]
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// oauthbearer returns RFC 7628's initial client response.
func oauthbearer(authzid, token string) string {
	gs2 := "n,,"
	if authzid != "" {
		gs2 = "n,a=" + strings.NewReplacer("=", "=3D", ",", "=2C").Replace(authzid) + ","
	}
	return gs2 + "\x01host=localhost\x01port=5222\x01auth=Bearer " + token + "\x01\x01"
}

// xmppServers starts an authorization server with alice and bob and an XMPP
// server that accepts its tokens, and signs alice and bob in through the
// authorization code flow.
func xmppServers(t *testing.T) (as *oauthtest.Server, xs *prosodytest.Server, alice, bob string) {
	t.Helper()
	as = oauthtest.Start(t, "alice", "alice-pw", "bob", "bob-pw")
	xs = oauthtest.StartProsody(t, as, prosodytest.Options{})
	l := listen(t, "tcp", "127.0.0.1:0")
	alice = signIn(t, as, l, "alice", "alice-pw").AccessToken
	bob = signIn(t, as, l, "bob", "bob-pw").AccessToken
	return as, xs, alice, bob
}

func TestXMPPMechanisms(t *testing.T) {
	t.Parallel()
	as, xs, alice, bob := xmppServers(t)

	t.Run("offered", func(t *testing.T) {
		_, features := dialXMPP(t, xs)
		for _, m := range append([]string{"SCRAM-SHA-1", "PLAIN"}, oauthtest.Mechanisms...) {
			if !strings.Contains(features, "<mechanism>"+m+"</mechanism>") {
				t.Errorf("mechanism %s not offered: %q", m, features)
			}
		}
	})

	accept := []struct {
		name, mechanism, content string
		attrs                    []string
	}{
		{"OAUTHBEARER with a full JID", oauthtest.OAuthBearer, b64(oauthbearer("alice@localhost", alice)), nil},
		{"OAUTHBEARER with a localpart", oauthtest.OAuthBearer, b64(oauthbearer("alice", alice)), nil},
		{"OAUTHBEARER without authzid", oauthtest.OAuthBearer, b64(oauthbearer("", alice)), nil},
		{"X-OAUTH2", oauthtest.XOAuth2, b64("\x00alice\x00" + alice),
			[]string{" auth:service='oauth2' xmlns:auth='http://www.google.com/talk/protocol/auth'"}},
		{"X-OAUTH2 with a full JID", oauthtest.XOAuth2, b64("\x00alice@localhost\x00" + alice), nil},
		{"X-MESSENGER-OAUTH2", oauthtest.XMessengerOAuth2, alice, nil},
	}
	for _, c := range accept {
		t.Run(c.name, func(t *testing.T) {
			x, _ := dialXMPP(t, xs)
			if r := x.auth(c.mechanism, c.content, c.attrs...); r.Name != "success" {
				t.Fatalf("want <success/>, got %s", r.Raw)
			}
			if jid := x.bind(xs.Domain); jid != "alice@localhost/test" {
				t.Errorf("bound %q, want alice@localhost/test", jid)
			}
		})
	}

	// OAUTHBEARER refuses with RFC 7628's error challenge, waits for the
	// client's \x01, then fails.
	noXMPP := as.SignIn(t, "alice", "alice-pw", "openid").AccessToken
	// dave has an account on the authorization server only.
	as.AddUser(t, "dave", "dave-pw")
	dave := as.SignIn(t, "dave", "dave-pw").AccessToken
	aliceRefresh := as.SignIn(t, "alice", "alice-pw").RefreshToken
	bearerRefusals := []struct {
		name, authzid, token, status string
	}{
		{"token of another user", "alice@localhost", bob, "invalid_token"},
		{"garbage token", "alice@localhost", "garbage", "invalid_token"},
		{"token without the xmpp scope", "alice@localhost", noXMPP, "insufficient_scope"},
		{"user without an XMPP account", "", dave, "invalid_token"},
	}
	for _, c := range bearerRefusals {
		t.Run("OAUTHBEARER "+c.name, func(t *testing.T) {
			x, _ := dialXMPP(t, xs)
			r := x.auth(oauthtest.OAuthBearer, b64(oauthbearer(c.authzid, c.token)))
			if r.Name != "challenge" {
				t.Fatalf("want the error challenge, got %s", r.Raw)
			}
			var e map[string]string
			if err := json.Unmarshal(r.Data, &e); err != nil {
				t.Fatalf("challenge %q: %v", r.Data, err)
			}
			if e["status"] != c.status || e["scope"] != oauthtest.XMPPScope || e["openid-configuration"] != as.OpenIDConfiguration() {
				t.Errorf("error challenge = %q", r.Data)
			}
			if r := x.respond([]byte{1}); r.Name != "failure" || r.Cond != "not-authorized" {
				t.Errorf("after \\x01: want <failure><not-authorized/>, got %s", r.Raw)
			}
			// The stream is still usable: sign in properly.
			if r := x.auth(oauthtest.OAuthBearer, b64(oauthbearer("alice@localhost", alice))); r.Name != "success" {
				t.Errorf("retry with a good token: %s", r.Raw)
			}
		})
	}

	failures := []struct {
		name, mechanism, content, cond string
	}{
		{"OAUTHBEARER malformed", oauthtest.OAuthBearer, b64("n,,auth=Bearer " + alice), "malformed-request"},
		{"OAUTHBEARER channel binding", oauthtest.OAuthBearer, b64("p=tls-unique,," + "\x01auth=Bearer " + alice + "\x01\x01"), "malformed-request"},
		{"OAUTHBEARER authzid of another domain", oauthtest.OAuthBearer, b64(oauthbearer("alice@example.com", alice)), "invalid-authzid"},
		{"X-OAUTH2 token of another user", oauthtest.XOAuth2, b64("\x00alice\x00" + bob), "not-authorized"},
		{"X-OAUTH2 garbage token", oauthtest.XOAuth2, b64("\x00alice\x00garbage"), "not-authorized"},
		{"X-OAUTH2 without the xmpp scope", oauthtest.XOAuth2, b64("\x00alice\x00" + noXMPP), "not-authorized"},
		{"X-OAUTH2 malformed", oauthtest.XOAuth2, b64(alice), "malformed-request"},
		{"X-MESSENGER-OAUTH2 garbage token", oauthtest.XMessengerOAuth2, "garbage", "not-authorized"},
		{"X-MESSENGER-OAUTH2 token base64-encoded again", oauthtest.XMessengerOAuth2, b64(alice), "not-authorized"},
		{"X-MESSENGER-OAUTH2 empty", oauthtest.XMessengerOAuth2, "", "malformed-request"},
		{"X-MESSENGER-OAUTH2 refresh token", oauthtest.XMessengerOAuth2, aliceRefresh, "not-authorized"},
		{"X-MESSENGER-OAUTH2 user without an XMPP account", oauthtest.XMessengerOAuth2, dave, "not-authorized"},
		{"PLAIN wrong password", "PLAIN", b64("\x00alice\x00wrong"), "not-authorized"},
		{"PLAIN token as password", "PLAIN", b64("\x00alice\x00" + alice), "not-authorized"},
	}
	for _, c := range failures {
		t.Run(c.name, func(t *testing.T) {
			x, _ := dialXMPP(t, xs)
			if r := x.auth(c.mechanism, c.content); r.Name != "failure" || r.Cond != c.cond {
				t.Errorf("want <failure><%s/>, got %s", c.cond, r.Raw)
			}
		})
	}

	t.Run("reasons in the log", func(t *testing.T) {
		for _, want := range []string{
			`OAUTHBEARER refused: token belongs to "bob", not "alice"`,
			`OAUTHBEARER refused: no account "dave" on localhost`,
			`OAUTHBEARER refused: token lacks scope "xmpp" (has "openid")`,
			`OAUTHBEARER refused: token is not active`,
			`X-MESSENGER-OAUTH2 refused: not an access token (token_type nil)`,
			`X-OAUTH2 refused: token belongs to "bob", not "alice"`,
		} {
			if !strings.Contains(xs.Log(), want) {
				t.Errorf("the server's log lacks %q", want)
			}
		}
	})

	t.Run("OAUTHBEARER without initial response", func(t *testing.T) {
		x, _ := dialXMPP(t, xs)
		r := x.auth(oauthtest.OAuthBearer, "")
		if r.Name != "challenge" || len(r.Data) != 0 {
			t.Fatalf("want an empty challenge, got %s", r.Raw)
		}
		if r := x.respond([]byte(oauthbearer("alice@localhost", alice))); r.Name != "success" {
			t.Fatalf("want <success/>, got %s", r.Raw)
		}
	})

	t.Run("X-MESSENGER-OAUTH2 identity comes from the token", func(t *testing.T) {
		x, _ := dialXMPP(t, xs)
		if r := x.auth(oauthtest.XMessengerOAuth2, bob); r.Name != "success" {
			t.Fatalf("want <success/>, got %s", r.Raw)
		}
		if jid := x.bind(xs.Domain); jid != "bob@localhost/test" {
			t.Errorf("bound %q, want bob@localhost/test", jid)
		}
	})

	t.Run("PLAIN", func(t *testing.T) {
		x, _ := dialXMPP(t, xs)
		if r := x.auth("PLAIN", b64("\x00alice\x00alice-pw")); r.Name != "success" {
			t.Fatalf("want <success/>, got %s", r.Raw)
		}
		if jid := x.bind(xs.Domain); jid != "alice@localhost/test" {
			t.Errorf("bound %q", jid)
		}
	})

	t.Run("SCRAM-SHA-1", func(t *testing.T) {
		for _, c := range []struct {
			password string
			ok       bool
		}{{"alice-pw", true}, {"wrong", false}} {
			x, _ := dialXMPP(t, xs)
			if got := scram(t, x, "alice", c.password); got != c.ok {
				t.Errorf("SCRAM-SHA-1 with password %q: success = %v, want %v", c.password, got, c.ok)
			}
			if c.ok {
				if jid := x.bind(xs.Domain); jid != "alice@localhost/test" {
					t.Errorf("bound %q", jid)
				}
			}
		}
	})

	t.Run("revoked token", func(t *testing.T) {
		bob2 := as.SignIn(t, "bob", "bob-pw").AccessToken
		x, _ := dialXMPP(t, xs)
		if r := x.auth(oauthtest.XMessengerOAuth2, bob2); r.Name != "success" {
			t.Fatalf("before Revoke: %s", r.Raw)
		}
		as.Revoke(t, "bob")
		x, _ = dialXMPP(t, xs)
		if r := x.auth(oauthtest.XMessengerOAuth2, bob2); r.Name != "failure" || r.Cond != "not-authorized" {
			t.Errorf("after Revoke: %s", r.Raw)
		}
	})
}

// scram signs in with SCRAM-SHA-1 (mellium.im/sasl) and reports success.
func scram(t *testing.T, x *xmppConn, user, password string) bool {
	t.Helper()
	c := sasl.NewClient(sasl.ScramSha1, sasl.Credentials(func() ([]byte, []byte, []byte) {
		return []byte(user), []byte(password), nil
	}))
	_, resp, err := c.Step(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := x.auth("SCRAM-SHA-1", base64.StdEncoding.EncodeToString(resp))
	for r.Name == "challenge" {
		_, resp, err = c.Step(r.Data)
		if err != nil {
			t.Fatalf("SCRAM step: %v", err)
		}
		r = x.respond(resp)
	}
	if r.Name == "success" {
		// Check the server's signature.
		if _, _, err := c.Step(r.Data); err != nil {
			t.Errorf("server signature: %v", err)
		}
		return true
	}
	if r.Cond != "not-authorized" {
		t.Errorf("SCRAM failure: %s", r.Raw)
	}
	return false
}

func TestXMPPTokenExpiry(t *testing.T) {
	t.Parallel()
	as := oauthtest.StartWith(t, oauthtest.Options{
		Users:          map[string]string{"alice": "alice-pw"},
		AccessTokenTTL: 2 * time.Second, // 1 s may be over at once: see Options
	})
	xs := oauthtest.StartProsody(t, as, prosodytest.Options{})
	l := listen(t, "tcp", "127.0.0.1:0")
	tok := signIn(t, as, l, "alice", "alice-pw")
	x, _ := dialXMPP(t, xs)
	if r := x.auth(oauthtest.XMessengerOAuth2, tok.AccessToken); r.Name != "success" {
		t.Fatalf("fresh token: %s", r.Raw)
	}
	time.Sleep(time.Until(tok.Expiry) + 1100*time.Millisecond)
	x, _ = dialXMPP(t, xs)
	r := x.auth(oauthtest.OAuthBearer, b64(oauthbearer("alice@localhost", tok.AccessToken)))
	if r.Name != "challenge" || !strings.Contains(string(r.Data), `"invalid_token"`) {
		t.Fatalf("expired token: want the invalid_token challenge, got %s", r.Raw)
	}
	x.respond([]byte{1})
	next, err := refresh(as.Config(l.URL), tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if r := x.auth(oauthtest.OAuthBearer, b64(oauthbearer("alice@localhost", next.AccessToken))); r.Name != "success" {
		t.Errorf("refreshed token: %s", r.Raw)
	}
}

func TestXMPPWithAuthorizationServerDown(t *testing.T) {
	t.Parallel()
	as, xs, alice, _ := xmppServers(t)
	as.Stop()
	for _, c := range []struct{ mechanism, content string }{
		{oauthtest.OAuthBearer, b64(oauthbearer("alice@localhost", alice))},
		{oauthtest.XOAuth2, b64("\x00alice\x00" + alice)},
		{oauthtest.XMessengerOAuth2, alice},
	} {
		x, _ := dialXMPP(t, xs)
		if r := x.auth(c.mechanism, c.content); r.Name != "failure" || r.Cond != "temporary-auth-failure" {
			t.Errorf("%s with the authorization server down: want <failure><temporary-auth-failure/>, got %s", c.mechanism, r.Raw)
		}
	}
	// Passwords still work.
	x, _ := dialXMPP(t, xs)
	if r := x.auth("PLAIN", b64("\x00alice\x00alice-pw")); r.Name != "success" {
		t.Errorf("PLAIN: %s", r.Raw)
	}
}

func TestXMPPIntrospectionTimeout(t *testing.T) {
	t.Parallel()
	// An authorization server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	hanging := &oauthtest.Server{
		Issuer:                    "http://" + ln.Addr().String(),
		IntrospectionURL:          "http://" + ln.Addr().String() + "/token/introspection",
		IntrospectionClientID:     "xmpp-server",
		IntrospectionClientSecret: "secret",
	}
	xs := prosodytest.StartWith(t, oauthtest.ProsodyOptions(hanging, prosodytest.Options{Host: "\tpalaver_oauth_timeout = 1\n"}))
	x, _ := dialXMPP(t, xs)
	start := time.Now()
	if r := x.auth(oauthtest.OAuthBearer, b64(oauthbearer("", "token"))); r.Name != "failure" || r.Cond != "temporary-auth-failure" {
		t.Errorf("want <failure><temporary-auth-failure/>, got %s", r.Raw)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("the failure came after %v, want about 1 s", d)
	}
	if !strings.Contains(xs.Log(), "timed out after 1 s") {
		t.Errorf("the log does not tell of the timeout:\n%s", xs.Log())
	}
}

func TestProsodyOptions(t *testing.T) {
	as := &oauthtest.Server{
		Issuer:                    "http://127.0.0.1:1",
		IntrospectionURL:          "http://127.0.0.1:1/token/introspection",
		IntrospectionClientID:     "xmpp-server",
		IntrospectionClientSecret: `se"cret`,
	}
	opts := oauthtest.ProsodyOptions(as, prosodytest.Options{Host: "\t-- mine", Plugins: map[string][]byte{"mod_x.lua": nil}})
	for _, want := range []string{"-- mine", `authentication = "palaver_oauth"`, `palaver_oauth_client_secret = "se\"cret"`,
		`palaver_oauth_introspection_url = "http://127.0.0.1:1/token/introspection"`} {
		if !strings.Contains(opts.Host, want) {
			t.Errorf("Host lacks %q:\n%s", want, opts.Host)
		}
	}
	if _, ok := opts.Plugins["mod_x.lua"]; !ok {
		t.Error("the caller's plugin is gone")
	}
	if !bytes.Contains(opts.Plugins["mod_auth_palaver_oauth.lua"], []byte(`module:provides("auth", provider)`)) {
		t.Error("the auth module is missing")
	}
}
