package saslauth_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/app/saslauth"
)

const (
	success     = `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`
	notAuth     = `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>`
	authOpen    = `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism=`
	respOpen    = `<response xmlns="urn:ietf:params:xml:ns:xmpp-sasl">`
	bearerToken = "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg=="
)

func challenge(b64 string) string {
	return `<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>` + b64 + `</challenge>`
}

// scripted plays a server: it answers the stream header with the given
// features, reads the client's <auth/>, then writes the replies in turn and
// reads the client's <response/> between two of them.
// After a final <success/> it answers the restarted stream with no features,
// so that the session is ready.
// It sends every element the client wrote, <auth/> first.
func scripted(t *testing.T, conn net.Conn, mechanisms []string, replies ...string) <-chan []string {
	t.Helper()
	got := make(chan []string, 1)
	go func() {
		var sent []string
		defer func() { got <- sent }()
		r := bufio.NewReader(conn)
		if err := readHeader(r); err != nil {
			return
		}
		var mechs strings.Builder
		for _, m := range mechanisms {
			mechs.WriteString("<mechanism>" + m + "</mechanism>")
		}
		io.WriteString(conn, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.org' version='1.0'>`+
			`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>`+mechs.String()+`</mechanisms></stream:features>`)
		el, err := readUntil(r, "</auth>")
		if err != nil {
			return
		}
		sent = append(sent, el)
		for i, reply := range replies {
			if _, err := io.WriteString(conn, reply); err != nil {
				return
			}
			if i == len(replies)-1 {
				break
			}
			el, err := readUntil(r, "</response>")
			if err != nil {
				return
			}
			sent = append(sent, el)
		}
		if len(replies) > 0 && strings.HasPrefix(replies[len(replies)-1], "<success") {
			if err := readHeader(r); err == nil {
				io.WriteString(conn, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s2' from='example.org' version='1.0'><stream:features/>`)
			}
		}
	}()
	return got
}

// readHeader reads <?xml …?> and <stream:stream …>.
func readHeader(r *bufio.Reader) error {
	for range 2 {
		if _, err := readUntil(r, ">"); err != nil {
			return err
		}
	}
	return nil
}

func readUntil(r *bufio.Reader, end string) (string, error) {
	var b strings.Builder
	for !strings.HasSuffix(b.String(), end) {
		c, err := r.ReadByte()
		if err != nil {
			return b.String(), err
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// session signs alice@example.org in with creds and prefs against a
// scripted server, and returns what the client sent.
func session(t *testing.T, creds saslauth.Credentials, offered []string, prefs []saslauth.Mechanism, replies ...string) (sent []string, err error) {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { server.Close() })
	got := scripted(t, server, offered, replies...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = xmpp.NewSession(ctx, jid.MustParse("example.org"), jid.MustParse("alice@example.org/desk"), client,
		xmpp.Secure, // the caller has TLS; SASL is only offered inside it
		xmpp.NewNegotiator(func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			features, _ := saslauth.Features(creds, prefs...)
			return xmpp.StreamConfig{Features: features}
		}))
	client.Close() // the test is over: unblock a server that waits for more
	return <-got, err
}

func password(secret string) saslauth.Credentials {
	return func() ([]byte, []byte, []byte) { return []byte("alice"), []byte(secret), nil }
}

// token is what the core passes for an OAuth account: the localpart, the
// access token, and no identity.
func token(tok string) saslauth.Credentials { return password(tok) }

func TestPreferenceWinsOverServerOrder(t *testing.T) {
	for i, tc := range []struct {
		offered []string
		prefs   []saslauth.Mechanism
		want    string
	}{
		0: {[]string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"}, saslauth.Wrap(sasl.ScramSha256, sasl.ScramSha1, sasl.Plain), "SCRAM-SHA-256"},
		1: {[]string{"SCRAM-SHA-256", "PLAIN", "SCRAM-SHA-1"}, saslauth.Wrap(sasl.ScramSha256, sasl.ScramSha1, sasl.Plain), "SCRAM-SHA-256"},
		2: {[]string{"SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"}, saslauth.Wrap(sasl.ScramSha256, sasl.ScramSha1, sasl.Plain), "SCRAM-SHA-256"},
		3: {[]string{"PLAIN", "X-OAUTH2", "OAUTHBEARER", "X-MESSENGER-OAUTH2"}, []saslauth.Mechanism{saslauth.OAuthBearer, saslauth.XOAuth2}, "OAUTHBEARER"},
		4: {[]string{"OAUTHBEARER", "X-MESSENGER-OAUTH2", "X-OAUTH2", "PLAIN"}, []saslauth.Mechanism{saslauth.XOAuth2, saslauth.OAuthBearer}, "X-OAUTH2"},
		5: {[]string{"X-OAUTH2", "X-FACEBOOK-PLATFORM", "X-MESSENGER-OAUTH2"}, []saslauth.Mechanism{saslauth.XMessengerOAuth2}, "X-MESSENGER-OAUTH2"},
		6: {[]string{"X-MESSENGER-OAUTH2", "X-FACEBOOK-PLATFORM"}, []saslauth.Mechanism{saslauth.XFacebookPlatform("1"), saslauth.XMessengerOAuth2}, "X-FACEBOOK-PLATFORM"},
	} {
		sent, _ := session(t, token("secret"), tc.offered, tc.prefs,
			`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>`)
		if len(sent) == 0 || !strings.HasPrefix(sent[0], authOpen+`"`+tc.want+`"`) {
			t.Errorf("%d: offered %v, client sent %q", i, tc.offered, sent)
		}
	}
}

// TestWire checks the exact bytes of <auth/> and of every <response/>.
func TestWire(t *testing.T) {
	restore := saslauth.SetNow(func() time.Time { return time.Unix(1300000000, 0) })
	defer restore()
	for i, tc := range []struct {
		creds   saslauth.Credentials
		mech    saslauth.Mechanism
		replies []string
		want    []string
	}{
		// PLAIN is unchanged: "\x00alice\x00secret".
		0: {password("secret"), saslauth.Wrap(sasl.Plain)[0], []string{success}, []string{
			authOpen + `"PLAIN">AGFsaWNlAHNlY3JldA==</auth>`,
		}},
		// X-MESSENGER-OAUTH2: the token as is, not base64-encoded.
		1: {token("EwBwAq1DBAAUlbRWyAJjK5w968Ru3Cyt/6GvwXwAAQ8cW8rA!Ek"), saslauth.XMessengerOAuth2, []string{success}, []string{
			authOpen + `"X-MESSENGER-OAUTH2">EwBwAq1DBAAUlbRWyAJjK5w968Ru3Cyt/6GvwXwAAQ8cW8rA!Ek</auth>`,
		}},
		// A raw token is escaped as XML text, never encoded otherwise.
		2: {token(`t&k<n>"`), saslauth.XMessengerOAuth2, []string{success}, []string{
			authOpen + `"X-MESSENGER-OAUTH2">t&amp;k&lt;n&gt;&#34;</auth>`,
		}},
		// X-OAUTH2: base64("\x00alice@example.org\x00ya29.a0AfH6SMB"), the
		// auth:service attribute and its namespace declared.
		3: {token("ya29.a0AfH6SMB"), saslauth.XOAuth2, []string{success}, []string{
			authOpen + `"X-OAUTH2" auth:service="oauth2" xmlns:auth="http://www.google.com/talk/protocol/auth">AGFsaWNlQGV4YW1wbGUub3JnAHlhMjkuYTBBZkg2U01C</auth>`,
		}},
		// An identity from Credentials wins over the session's address:
		// base64("\x00alice@gmail.com\x00ya29.a0AfH6SMB").
		4: {func() ([]byte, []byte, []byte) {
			return []byte("alice"), []byte("ya29.a0AfH6SMB"), []byte("alice@gmail.com")
		}, saslauth.XOAuth2, []string{success}, []string{
			authOpen + `"X-OAUTH2" auth:service="oauth2" xmlns:auth="http://www.google.com/talk/protocol/auth">AGFsaWNlQGdtYWlsLmNvbQB5YTI5LmEwQWZINlNNQg==</auth>`,
		}},
		// X-FACEBOOK-PLATFORM: empty initial response; the challenge
		// "version=1&method=auth.xmpp_login&nonce=AA4EFEE16F2AB64B131EEFFE6EACDDB8"
		// is answered with "method=auth.xmpp_login&nonce=AA4EFEE16F2AB64B131EEFFE6EACDDB8
		// &access_token=EAAB%2Bx&api_key=123456789012345&call_id=1300000000&v=1.0".
		5: {token("EAAB+x"), saslauth.XFacebookPlatform("123456789012345"), []string{
			challenge("dmVyc2lvbj0xJm1ldGhvZD1hdXRoLnhtcHBfbG9naW4mbm9uY2U9QUE0RUZFRTE2RjJBQjY0QjEzMUVFRkZFNkVBQ0REQjg="),
			success,
		}, []string{
			authOpen + `"X-FACEBOOK-PLATFORM">=</auth>`,
			respOpen + `bWV0aG9kPWF1dGgueG1wcF9sb2dpbiZub25jZT1BQTRFRkVFMTZGMkFCNjRCMTMxRUVGRkU2RUFDRERCOCZhY2Nlc3NfdG9rZW49RUFBQiUyQngmYXBpX2tleT0xMjM0NTY3ODkwMTIzNDUmY2FsbF9pZD0xMzAwMDAwMDAwJnY9MS4w</response>`,
		}},
		// OAUTHBEARER: base64("n,a=alice@example.org,\x01auth=Bearer vF9…==\x01\x01"),
		// the bare JID as authzid although the session has a resource.
		6: {token(bearerToken), saslauth.OAuthBearer, []string{success}, []string{
			authOpen + `"OAUTHBEARER">bixhPWFsaWNlQGV4YW1wbGUub3JnLAFhdXRoPUJlYXJlciB2RjlkZnQ0cW1UYzJOdmIzUmxja0JoZEhSaGRtbHpkR0V1WTI5dENnPT0BAQ==</auth>`,
		}},
		// With host and port: "…\x01auth=Bearer vF9…==\x01host=xmpp.example.org\x01port=5222\x01\x01".
		7: {token(bearerToken), saslauth.OAuthBearerHost("xmpp.example.org", 5222), []string{success}, []string{
			authOpen + `"OAUTHBEARER">bixhPWFsaWNlQGV4YW1wbGUub3JnLAFhdXRoPUJlYXJlciB2RjlkZnQ0cW1UYzJOdmIzUmxja0JoZEhSaGRtbHpkR0V1WTI5dENnPT0BaG9zdD14bXBwLmV4YW1wbGUub3JnAXBvcnQ9NTIyMgEB</auth>`,
		}},
		// The authzid is escaped (RFC 5801): "n,a=a=2Cb=3Dc@example.org,…".
		8: {func() ([]byte, []byte, []byte) {
			return []byte("a,b=c"), []byte(bearerToken), []byte("a,b=c@example.org")
		}, saslauth.OAuthBearer, []string{success}, []string{
			authOpen + `"OAUTHBEARER">bixhPWE9MkNiPTNEY0BleGFtcGxlLm9yZywBYXV0aD1CZWFyZXIgdkY5ZGZ0NHFtVGMyTnZiM1JsY2tCaGRIUmhkbWx6ZEdFdVkyOXRDZz09AQE=</auth>`,
		}},
		// The error challenge is answered with a single \x01 ("AQ==").
		9: {token(bearerToken), saslauth.OAuthBearer, []string{
			challenge("eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJ4bXBwIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2F1dGguZXhhbXBsZS5vcmcvLndlbGwta25vd24vb3BlbmlkLWNvbmZpZ3VyYXRpb24ifQ=="),
			notAuth,
		}, []string{
			authOpen + `"OAUTHBEARER">bixhPWFsaWNlQGV4YW1wbGUub3JnLAFhdXRoPUJlYXJlciB2RjlkZnQ0cW1UYzJOdmIzUmxja0JoZEhSaGRtbHpkR0V1WTI5dENnPT0BAQ==</auth>`,
			respOpen + `AQ==</response>`,
		}},
	} {
		sent, err := session(t, tc.creds, []string{"PLAIN", tc.mech.Name}, []saslauth.Mechanism{tc.mech}, tc.replies...)
		if !equal(sent, tc.want) {
			t.Errorf("%d: got\n%s\nwant\n%s", i, strings.Join(sent, "\n"), strings.Join(tc.want, "\n"))
		}
		wantOK := tc.replies[len(tc.replies)-1] == success
		if (err == nil) != wantOK {
			t.Errorf("%d: err = %v", i, err)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestXOAuth2Namespace parses what went on the wire: auth:service must be in
// Google's namespace, so the prefix is declared.
func TestXOAuth2Namespace(t *testing.T) {
	sent, err := session(t, token("ya29.a0AfH6SMB"), []string{"X-OAUTH2"}, []saslauth.Mechanism{saslauth.XOAuth2}, success)
	if err != nil || len(sent) != 1 {
		t.Fatalf("sent %q, err %v", sent, err)
	}
	tok, err := xml.NewDecoder(strings.NewReader(sent[0])).Token()
	if err != nil {
		t.Fatal(err)
	}
	var service string
	for _, a := range tok.(xml.StartElement).Attr {
		if a.Name == (xml.Name{Space: "http://www.google.com/talk/protocol/auth", Local: "service"}) {
			service = a.Value
		}
	}
	if service != "oauth2" {
		t.Errorf("no auth:service in Google's namespace in %s", sent[0])
	}
}

func TestOAuthBearerError(t *testing.T) {
	for i, tc := range []struct {
		challenge string
		bearer    *saslauth.BearerError // nil: none expected
		errText   string
	}{
		0: { // {"status":"invalid_token","scope":"xmpp","openid-configuration":"https://auth.example.org/.well-known/openid-configuration"}
			"eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJ4bXBwIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2F1dGguZXhhbXBsZS5vcmcvLndlbGwta25vd24vb3BlbmlkLWNvbmZpZ3VyYXRpb24ifQ==",
			&saslauth.BearerError{Status: "invalid_token", Scope: "xmpp", OpenIDConfiguration: "https://auth.example.org/.well-known/openid-configuration"},
			"invalid_token",
		},
		1: { // {"status":"invalid_token",
			"eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiw=", nil, "malformed",
		},
		2: { // {"scope":"xmpp"}
			"eyJzY29wZSI6InhtcHAifQ==", nil, "no status",
		},
		3: { // {"status":42}
			"eyJzdGF0dXMiOjQyfQ==", nil, "malformed",
		},
	} {
		sent, err := session(t, token(bearerToken), []string{"OAUTHBEARER"}, []saslauth.Mechanism{saslauth.OAuthBearer},
			challenge(tc.challenge), notAuth)
		if len(sent) != 2 || sent[1] != respOpen+`AQ==</response>` {
			t.Errorf("%d: sent %q, want the \\x01 reply", i, sent)
		}
		var fail *saslauth.Failure
		if !errors.As(err, &fail) || fail.Condition != "not-authorized" {
			t.Errorf("%d: err = %v, want a *Failure not-authorized", i, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.errText) {
			t.Errorf("%d: err = %v, want it to say %q", i, err, tc.errText)
		}
		var be *saslauth.BearerError
		switch {
		case tc.bearer == nil && errors.As(err, &be):
			t.Errorf("%d: unexpected %#v", i, be)
		case tc.bearer != nil && (!errors.As(err, &be) || *be != *tc.bearer):
			t.Errorf("%d: BearerError %#v, want %#v", i, be, tc.bearer)
		}
	}
}

// TestOAuthBearerOversizedError: a huge error JSON is refused, the exchange
// still ends with the \x01 reply and the server's failure.
func TestOAuthBearerOversizedError(t *testing.T) {
	big := `{"status":"invalid_token","scope":"` + strings.Repeat("x", 9000) + `"}`
	sent, err := session(t, token(bearerToken), []string{"OAUTHBEARER"}, []saslauth.Mechanism{saslauth.OAuthBearer},
		challenge(b64(big)), notAuth)
	var fail *saslauth.Failure
	var be *saslauth.BearerError
	if len(sent) != 2 || !errors.As(err, &fail) || errors.As(err, &be) || !strings.Contains(err.Error(), "too large") {
		t.Errorf("sent %d elements, err = %v", len(sent), err)
	}
}

// TestOAuthBearerSuccessAfterError: a server that accepts after its own
// error challenge is not believed.
func TestOAuthBearerSuccessAfterError(t *testing.T) {
	_, err := session(t, token(bearerToken), []string{"OAUTHBEARER"}, []saslauth.Mechanism{saslauth.OAuthBearer},
		challenge(b64(`{"status":"invalid_token"}`)), success)
	var be *saslauth.BearerError
	if !errors.As(err, &be) || be.Status != "invalid_token" {
		t.Errorf("err = %v", err)
	}
}

func TestFacebookChallengeErrors(t *testing.T) {
	for i, tc := range []struct {
		challenge, want string
	}{
		0: {"version=1&method=auth.xmpp_login", "no nonce"},
		1: {"version=1&nonce=AA4E", "no method"},
		2: {"method=%zz&nonce=1", "malformed"},
		3: {"method=&nonce=1", "no method"},
		4: {"method=auth.xmpp_login&nonce=1;x=2", "malformed"},
	} {
		sent, err := session(t, token("EAAB"), []string{"X-FACEBOOK-PLATFORM"}, []saslauth.Mechanism{saslauth.XFacebookPlatform("1")},
			challenge(b64(tc.challenge)), success)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "X-FACEBOOK-PLATFORM") {
			t.Errorf("%d: err = %v, want %q", i, err, tc.want)
		}
		if len(sent) != 1 {
			t.Errorf("%d: the client answered a bad challenge: %q", i, sent)
		}
	}
}

// TestMechanismErrors: nothing goes on the wire when a mechanism lacks what
// it needs.
func TestMechanismErrors(t *testing.T) {
	for i, tc := range []struct {
		creds saslauth.Credentials
		mech  saslauth.Mechanism
		want  string
	}{
		0: {token(""), saslauth.XMessengerOAuth2, "needs an access token"},
		1: {token(""), saslauth.OAuthBearer, "needs an access token"},
		2: {token(""), saslauth.XOAuth2, "needs an access token"},
		3: {token("t"), saslauth.XFacebookPlatform(""), "app id"},
		4: {token("a\x01b"), saslauth.OAuthBearer, "control character"},
		5: {token("a\x00b"), saslauth.XOAuth2, "NUL"},
		6: {token("t"), saslauth.Mechanism{Mechanism: sasl.Plain, Attrs: []xml.Attr{{Name: xml.Name{Space: "xmlns", Local: "auth"}, Value: "urn:x"}}}, "qualified name"},
	} {
		sent, err := session(t, tc.creds, []string{tc.mech.Name}, []saslauth.Mechanism{tc.mech}, success)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d: err = %v, want %q", i, err, tc.want)
		}
		if len(sent) != 0 {
			t.Errorf("%d: sent %q", i, sent)
		}
	}
}

func TestFailureIsTyped(t *testing.T) {
	for i, tc := range []struct {
		reply, cond, text string
	}{
		0: {`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>`, "not-authorized", ""},
		1: {`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><account-disabled/><text xml:lang='en'>Call us</text></failure>`, "account-disabled", "Call us"},
		2: {`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><text>odd server</text></failure>`, "not-authorized", "odd server"},
	} {
		for _, mech := range []saslauth.Mechanism{saslauth.Wrap(sasl.Plain)[0], saslauth.XMessengerOAuth2, saslauth.XOAuth2} {
			_, err := session(t, password("secret"), []string{mech.Name}, []saslauth.Mechanism{mech}, tc.reply)
			var f *saslauth.Failure
			if !errors.As(err, &f) {
				t.Errorf("%d %s: err = %v, want a *Failure", i, mech.Name, err)
				continue
			}
			if f.Condition != tc.cond || f.Text != tc.text || f.Err != nil {
				t.Errorf("%d %s: got %q %q %v, want %q %q", i, mech.Name, f.Condition, f.Text, f.Err, tc.cond, tc.text)
			}
		}
	}
}

func TestNoCommonMechanism(t *testing.T) {
	_, err := session(t, password(""), []string{"X-OAUTH2", "GSSAPI"}, saslauth.Wrap(sasl.ScramSha256, sasl.Plain))
	var nm *saslauth.NoMechanismError
	if !errors.As(err, &nm) || !strings.Contains(nm.Error(), "X-OAUTH2, GSSAPI") {
		t.Fatalf("err = %v", err)
	}
}

func TestChoose(t *testing.T) {
	prefs := append(saslauth.Wrap(sasl.ScramSha256, sasl.ScramSha1), saslauth.OAuthBearer, saslauth.Wrap(sasl.Plain)[0])
	for i, tc := range []struct {
		offered []string
		want    string
	}{
		0: {[]string{"PLAIN"}, "PLAIN"},
		1: {[]string{"PLAIN", "SCRAM-SHA-1"}, "SCRAM-SHA-1"},
		2: {[]string{"SCRAM-SHA-1-PLUS", "DIGEST-MD5"}, ""},
		3: {nil, ""},
		4: {[]string{"PLAIN", "OAUTHBEARER"}, "OAUTHBEARER"},
	} {
		m, ok := saslauth.Choose(tc.offered, prefs)
		if ok != (tc.want != "") || m.Name != tc.want {
			t.Errorf("%d: got %q %v, want %q", i, m.Name, ok, tc.want)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
