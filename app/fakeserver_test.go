package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/account"
)

// fakeServer is an in-process XMPP server (mellium's server side) on
// loopback, for feeding the client input a real server would never send.
// Features that a real server must prove are tested against Prosody.
type fakeServer struct {
	t      testing.TB
	ln     net.Listener
	tlsCfg *tls.Config
	caFile string
	conns  chan *fakeConn
	// answer, when set before a client connects (setAnswer), is its
	// connection's answer from the start (see fakeConn.answer).
	mu     sync.Mutex
	answer func(iq string) (reply string, ok bool)
}

// setAnswer makes the connections that sign in from now on answer IQ
// gets and sets with answer, before the client can send any.
func (s *fakeServer) setAnswer(answer func(iq string) (reply string, ok bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = answer
}

// fakeConn is one signed-in client connection on the fake server.
type fakeConn struct {
	sess *xmpp.Session
	// got receives every top-level element the client sends after sign-in,
	// as XML text.
	got chan string
	mu  sync.Mutex
	// vcards answers vCard requests: the inner XML of <vCard/> by the
	// address asked. The server answers before its IQ handling would
	// refuse the request.
	vcards map[string]string
	// answer, when set, answers other IQ gets and sets: what the server
	// writes, if ok (before mellium's server refuses the IQ as unhandled).
	answer func(iq string) (reply string, ok bool)
}

// setVCard makes the server answer vCard requests for to with inner.
func (c *fakeConn) setVCard(to, inner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vcards == nil {
		c.vcards = map[string]string{}
	}
	c.vcards[to] = inner
}

// raw writes bytes to the client as they are, bypassing any encoder.
func (c *fakeConn) raw(t testing.TB, s string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.sess.Conn().Write([]byte(s)); err != nil {
		t.Fatalf("writing to client: %v", err)
	}
}

// expect waits for an element the client sent that contains all parts.
func (c *fakeConn) expect(t testing.TB, parts ...string) string {
	t.Helper()
	deadline := time.After(waitTimeout)
	var seen []string
	for {
		select {
		case s := <-c.got:
			seen = append(seen, s)
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(s, p)
			}
			if ok {
				return s
			}
		case <-deadline:
			t.Fatalf("client never sent an element with %q; it sent:\n%s", parts, strings.Join(seen, "\n"))
			return ""
		}
	}
}

func newFakeServer(t testing.TB) *fakeServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return listenFake(t, caFile, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12})
}

// newFakeServerLike starts another fake server with the certificate of
// other: the same domain served from another address.
func newFakeServerLike(t testing.TB, other *fakeServer) *fakeServer {
	t.Helper()
	return listenFake(t, other.caFile, other.tlsCfg)
}

func listenFake(t testing.TB, caFile string, cfg *tls.Config) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{
		t:      t,
		ln:     ln,
		caFile: caFile,
		tlsCfg: cfg,
		conns:  make(chan *fakeConn, 4),
	}
	t.Cleanup(func() { ln.Close() })
	go s.accept()
	return s
}

func (s *fakeServer) accept() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.serve(conn)
	}
}

func (s *fakeServer) serve(conn net.Conn) {
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	sess, err := xmpp.ReceiveClientSession(ctx, jid.MustParse("localhost"), conn,
		xmpp.StartTLS(s.tlsCfg),
		xmpp.SASLServer(func(*sasl.Negotiator) bool { return true }, sasl.Plain),
		xmpp.BindResource(),
	)
	cancel()
	if err != nil {
		return
	}
	s.mu.Lock()
	fc := &fakeConn{sess: sess, got: make(chan string, 64), answer: s.answer}
	s.mu.Unlock()
	s.conns <- fc
	_ = sess.Serve(xmpp.HandlerFunc(func(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
		var sb strings.Builder
		e := xml.NewEncoder(&sb)
		_ = e.EncodeToken(*start)
		_, _ = xmlstream.Copy(e, xmlstream.Inner(t))
		_ = e.EncodeToken(start.End())
		_ = e.Flush()
		// Go's encoder repeats the default namespace on every element.
		text := strings.ReplaceAll(sb.String(), ` xmlns="jabber:client"`, "")
		var id, to string
		for _, a := range start.Attr {
			switch a.Name.Local {
			case "id":
				id = a.Value
			case "to":
				to = a.Value
			}
		}
		get := start.Name.Local == "iq" && strings.Contains(text, `type="get"`)
		// Answer the roster request so that the client goes online.
		if get && strings.Contains(text, "jabber:iq:roster") {
			fc.mu.Lock()
			_, err := sess.Conn().Write([]byte(`<iq type="result" id="` + id + `"><query xmlns="jabber:iq:roster" ver="1"><item jid="bob@localhost" name="Bob" subscription="both"/></query></iq>`))
			fc.mu.Unlock()
			if err != nil {
				return err
			}
		}
		if get && strings.Contains(text, "vcard-temp") {
			fc.mu.Lock()
			inner, ok := fc.vcards[to]
			var err error
			if ok {
				_, err = sess.Conn().Write([]byte(`<iq type="result" id="` + id + `" from="` + to + `"><vCard xmlns="vcard-temp">` + inner + `</vCard></iq>`))
			}
			fc.mu.Unlock()
			if err != nil {
				return err
			}
		}
		set := start.Name.Local == "iq" && strings.Contains(text, `type="set"`)
		if (get || set) && !strings.Contains(text, "jabber:iq:roster") && !strings.Contains(text, "vcard-temp") {
			fc.mu.Lock()
			var err error
			if fc.answer != nil {
				if reply, ok := fc.answer(text); ok {
					_, err = sess.Conn().Write([]byte(reply))
				}
			}
			fc.mu.Unlock()
			if err != nil {
				return err
			}
		}
		select {
		case fc.got <- text:
		default:
		}
		return nil
	}))
}

// next waits for the next client connection to sign in.
func (s *fakeServer) next(t testing.TB) *fakeConn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(waitTimeout):
		t.Fatal("no client signed in to the fake server")
		return nil
	}
}

func (s *fakeServer) account(user string) account.Account {
	addr := s.ln.Addr().(*net.TCPAddr)
	// The fake server speaks only PLAIN (mellium's server has no SCRAM
	// that takes a password): the account allows it.
	return account.Account{JID: user + "@localhost", Host: "127.0.0.1", Port: addr.Port, CAFile: s.caFile, AllowPlain: true}
}
