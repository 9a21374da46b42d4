package saslauth_test

import (
	"bufio"
	"context"
	"encoding/base64"
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

// scripted plays a server: it answers the stream header with the given
// features, then reads the client's <auth/> and writes reply.
func scripted(t *testing.T, conn net.Conn, mechanisms []string, reply string) <-chan string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		defer close(got)
		r := bufio.NewReader(conn)
		if _, err := readUntil(r, ">"); err != nil { // <?xml …?>
			return
		}
		if _, err := readUntil(r, ">"); err != nil { // <stream:stream …>
			return
		}
		var mechs strings.Builder
		for _, m := range mechanisms {
			mechs.WriteString("<mechanism>" + m + "</mechanism>")
		}
		io.WriteString(conn, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.org' version='1.0'>`+
			`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>`+mechs.String()+`</mechanisms></stream:features>`)
		auth, err := readUntil(r, "</auth>")
		if err != nil {
			return
		}
		got <- auth
		io.WriteString(conn, reply)
		conn.Close() // the test ends at the reply
	}()
	return got
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

func negotiate(t *testing.T, offered []string, reply string, prefs ...sasl.Mechanism) (auth string, err error) {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	got := scripted(t, server, offered, reply)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	creds := func() ([]byte, []byte, []byte) { return []byte("alice"), []byte("secret"), nil }
	_, err = xmpp.NewSession(ctx, jid.MustParse("example.org"), jid.MustParse("alice@example.org"), client,
		xmpp.Secure, // the caller has TLS; SASL is only offered inside it
		xmpp.NewNegotiator(func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			return xmpp.StreamConfig{Features: []xmpp.StreamFeature{saslauth.Feature(creds, prefs...)}}
		}))
	return <-got, err
}

func TestPreferenceWinsOverServerOrder(t *testing.T) {
	for i, offered := range [][]string{
		{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"},
		{"SCRAM-SHA-256", "PLAIN", "SCRAM-SHA-1"},
		{"SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"},
	} {
		auth, _ := negotiate(t, offered, `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>`,
			sasl.ScramSha256, sasl.ScramSha1, sasl.Plain)
		if !strings.Contains(auth, `mechanism="SCRAM-SHA-256"`) {
			t.Errorf("%d: offered %v, client sent %s", i, offered, auth)
		}
	}
}

func TestPlainInitialResponseBytes(t *testing.T) {
	auth, _ := negotiate(t, []string{"PLAIN"}, `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`, sasl.ScramSha256, sasl.Plain)
	want := `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">` +
		base64.StdEncoding.EncodeToString([]byte("\x00alice\x00secret")) + `</auth>`
	if auth != want {
		t.Errorf("got  %s\nwant %s", auth, want)
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
		_, err := negotiate(t, []string{"PLAIN"}, tc.reply, sasl.Plain)
		var f *saslauth.Failure
		if !errors.As(err, &f) {
			t.Errorf("%d: err = %v, want a *Failure", i, err)
			continue
		}
		if f.Condition != tc.cond || f.Text != tc.text {
			t.Errorf("%d: got %q %q, want %q %q", i, f.Condition, f.Text, tc.cond, tc.text)
		}
	}
}

func TestNoCommonMechanism(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	scripted(t, server, []string{"X-OAUTH2", "GSSAPI"}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	creds := func() ([]byte, []byte, []byte) { return nil, nil, nil }
	_, err := xmpp.NewSession(ctx, jid.MustParse("example.org"), jid.MustParse("alice@example.org"), client, xmpp.Secure,
		xmpp.NewNegotiator(func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			return xmpp.StreamConfig{Features: []xmpp.StreamFeature{saslauth.Feature(creds, sasl.ScramSha256, sasl.Plain)}}
		}))
	var nm *saslauth.NoMechanismError
	if !errors.As(err, &nm) || !strings.Contains(nm.Error(), "X-OAUTH2, GSSAPI") {
		t.Fatalf("err = %v", err)
	}
}

func TestChoose(t *testing.T) {
	prefs := []sasl.Mechanism{sasl.ScramSha256, sasl.ScramSha1, sasl.Plain}
	for i, tc := range []struct {
		offered []string
		want    string
	}{
		0: {[]string{"PLAIN"}, "PLAIN"},
		1: {[]string{"PLAIN", "SCRAM-SHA-1"}, "SCRAM-SHA-1"},
		2: {[]string{"SCRAM-SHA-1-PLUS", "DIGEST-MD5"}, ""},
		3: {nil, ""},
	} {
		m, ok := saslauth.Choose(tc.offered, prefs)
		if ok != (tc.want != "") || m.Name != tc.want {
			t.Errorf("%d: got %q %v, want %q", i, m.Name, ok, tc.want)
		}
	}
}
