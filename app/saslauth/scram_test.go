package saslauth_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/app/saslauth"
)

// scramServer is a SCRAM server written out by hand, so that a test can
// make it misbehave at every step.
type scramServer struct {
	mech     string
	password string
	iter     int
	// advertised are the mechanisms the server's hash (XEP-0474) covers;
	// the client sees offered, which a man in the middle may have changed.
	advertised []string
	offered    []string
	// cbXML is an XEP-0440 feature to send, if not empty.
	cbXML string
	// advertisedCB are the channel binding types the hash covers, when
	// they differ from those in cbXML.
	advertisedCB []string
	// ssdp adds XEP-0474's "h" attribute, computed over advertised.
	ssdp bool
	// early answers <auth/> with <success/> carrying the server-first
	// message: a server that never proves anything.
	early bool
	// badProof sends a wrong server signature.
	badProof bool
	// finalAsChallenge sends v= in a <challenge/> and an empty <success/>.
	finalAsChallenge bool
}

func (s scramServer) hash() func() hash.Hash {
	if strings.HasPrefix(s.mech, "SCRAM-SHA-256") {
		return sha256.New
	}
	return sha1.New
}

// sent is what the client wrote, and the outcome, as the server saw it.
type sent struct {
	auth      string
	responses []string
}

var (
	authRe = regexp.MustCompile(`<auth[^>]*mechanism="([^"]+)"[^>]*>([^<]*)</auth>`)
	respRe = regexp.MustCompile(`<response[^>]*>([^<]*)</response>`)
)

func (s scramServer) run(conn net.Conn) <-chan sent {
	done := make(chan sent, 1)
	go func() {
		var got sent
		defer func() { done <- got }()
		r := bufio.NewReader(conn)
		if readHeader(r) != nil {
			return
		}
		var mechs strings.Builder
		for _, m := range s.offered {
			mechs.WriteString("<mechanism>" + m + "</mechanism>")
		}
		io.WriteString(conn, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.org' version='1.0'>`+
			`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>`+mechs.String()+`</mechanisms>`+s.cbXML+`</stream:features>`)
		el, err := readUntil(r, "</auth>")
		got.auth = el
		if err != nil {
			return
		}
		m := authRe.FindStringSubmatch(el)
		if m == nil {
			return
		}
		clientFirst, _ := base64.StdEncoding.DecodeString(m[2])
		// gs2-header "n,," or "p=…,,": the bare message follows the second comma.
		parts := strings.SplitN(string(clientFirst), ",", 3)
		bare := parts[2]
		cnonce := strings.TrimPrefix(strings.Split(bare, ",")[1], "r=")
		salt := []byte("NaCl-salt")
		first := fmt.Sprintf("r=%sSRV,s=%s,i=%d", cnonce, base64.StdEncoding.EncodeToString(salt), s.iter)
		if s.ssdp {
			cbTypes, listed := s.advertisedCB, s.cbXML != ""
			if listed && cbTypes == nil {
				for _, t := range regexp.MustCompile(`type='([^']+)'`).FindAllStringSubmatch(s.cbXML, -1) {
					cbTypes = append(cbTypes, t[1])
				}
			}
			first += ",h=" + saslauth.SSDPHash(s.hash(), s.advertised, cbTypes, listed)
		}
		b64 := base64.StdEncoding.EncodeToString
		if s.early {
			io.WriteString(conn, success64(b64([]byte(first))))
			s.restart(r, conn)
			return
		}
		io.WriteString(conn, challenge(b64([]byte(first))))
		el, err = readUntil(r, "</response>")
		got.responses = append(got.responses, el)
		if err != nil {
			return
		}
		rm := respRe.FindStringSubmatch(el)
		if rm == nil {
			return
		}
		final, _ := base64.StdEncoding.DecodeString(rm[1])
		withoutProof := string(final[:strings.LastIndex(string(final), ",p=")])
		authMessage := bare + "," + first + "," + withoutProof
		fn := s.hash()
		salted, _ := pbkdf2.Key(fn, s.password, salt, s.iter, fn().Size())
		mac := hmac.New(fn, salted)
		mac.Write([]byte("Server Key"))
		serverKey := mac.Sum(nil)
		mac = hmac.New(fn, serverKey)
		mac.Write([]byte(authMessage))
		sig := mac.Sum(nil)
		if s.badProof {
			sig[0] ^= 1
		}
		v := "v=" + b64(sig)
		if s.finalAsChallenge {
			io.WriteString(conn, challenge(b64([]byte(v))))
			el, err = readUntil(r, "</response>")
			got.responses = append(got.responses, el)
			if err != nil {
				return
			}
			io.WriteString(conn, success)
		} else {
			io.WriteString(conn, success64(b64([]byte(v))))
		}
		s.restart(r, conn)
	}()
	return done
}

func success64(b64 string) string {
	return `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>` + b64 + `</success>`
}

// restart answers the restarted stream with no features.
func (scramServer) restart(r *bufio.Reader, conn net.Conn) {
	if readHeader(r) == nil {
		io.WriteString(conn, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s2' from='example.org' version='1.0'><stream:features/>`)
	}
}

// signIn signs alice in against srv over conn (a pipe or TLS), preferring
// prefs.
// end closes the connections once the client is done (for TLS, the pipes
// underneath: closing a tls.Conn waits up to 5 s to send close_notify).
func signIn(t *testing.T, srv scramServer, client, server net.Conn, end func(), prefs ...sasl.Mechanism) (sent, error) {
	t.Helper()
	got := srv.run(server)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := xmpp.NewSession(ctx, jid.MustParse("example.org"), jid.MustParse("alice@example.org/desk"), client,
		xmpp.Secure,
		xmpp.NewNegotiator(func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			features, _ := saslauth.Features(password(srv.password), saslauth.Wrap(prefs...)...)
			return xmpp.StreamConfig{Features: features}
		}))
	end()
	return <-got, err
}

func pipeSignIn(t *testing.T, srv scramServer, prefs ...sasl.Mechanism) (sent, error) {
	client, server := net.Pipe()
	return signIn(t, srv, client, server, func() { client.Close(); server.Close() }, prefs...)
}

func TestSCRAMServerMustProveItself(t *testing.T) {
	all := []string{"SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"}
	for i, tc := range []struct {
		srv    scramServer
		reason saslauth.VerifyReason // 0: success
	}{
		0: {srv: scramServer{mech: "SCRAM-SHA-256", iter: 4096}},
		1: {srv: scramServer{mech: "SCRAM-SHA-1", iter: 10000, finalAsChallenge: true, offered: []string{"SCRAM-SHA-1"}}},
		// <success/> at once, with the server-first message in it: the
		// server proved nothing.
		2: {srv: scramServer{mech: "SCRAM-SHA-256", iter: 4096, early: true}, reason: saslauth.NoServerProof},
		3: {srv: scramServer{mech: "SCRAM-SHA-256", iter: 4096, badProof: true}, reason: saslauth.BadServerProof},
		4: {srv: scramServer{mech: "SCRAM-SHA-1", iter: 4096, badProof: true, finalAsChallenge: true, offered: []string{"SCRAM-SHA-1"}}, reason: saslauth.BadServerProof},
		// Iteration counts out of bounds.
		5: {srv: scramServer{mech: "SCRAM-SHA-256", iter: 1}, reason: saslauth.BadIterations},
		6: {srv: scramServer{mech: "SCRAM-SHA-256", iter: 4095}, reason: saslauth.BadIterations},
		7: {srv: scramServer{mech: "SCRAM-SHA-256", iter: 1<<31 - 1}, reason: saslauth.BadIterations},
		8: {srv: scramServer{mech: "SCRAM-SHA-256", iter: saslauth.MaxIterations + 1}, reason: saslauth.BadIterations},
		9: {srv: scramServer{mech: "SCRAM-SHA-1", iter: saslauth.MaxIterations, offered: []string{"SCRAM-SHA-1", "PLAIN"}}},
		// XEP-0474: the hash covers what the server advertised.
		10: {srv: scramServer{mech: "SCRAM-SHA-256", iter: 4096, ssdp: true, advertised: all}},
		11: {srv: scramServer{mech: "SCRAM-SHA-256", iter: 4096, ssdp: true, advertised: all,
			cbXML: `<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-server-end-point'/><channel-binding type='tls-exporter'/></sasl-channel-binding>`}},
		// A man in the middle removed SCRAM-SHA-256: the client uses
		// SCRAM-SHA-1, and the server's hash gives it away.
		12: {srv: scramServer{mech: "SCRAM-SHA-1", iter: 4096, ssdp: true, advertised: all, offered: []string{"SCRAM-SHA-1", "PLAIN"}}, reason: saslauth.Downgrade},
		// … or removed the channel binding types.
		13: {srv: scramServer{mech: "SCRAM-SHA-256", iter: 4096, ssdp: true, advertised: all, offered: all,
			cbXML:        `<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-server-end-point'/></sasl-channel-binding>`,
			advertisedCB: []string{"tls-server-end-point", "tls-exporter"}}, reason: saslauth.Downgrade},
	} {
		srv := tc.srv
		srv.password = "pencil"
		if srv.offered == nil {
			srv.offered = all
		}
		if srv.advertised == nil {
			srv.advertised = srv.offered
		}
		start := time.Now()
		got, err := pipeSignIn(t, srv, sasl.ScramSha256, sasl.ScramSha1, sasl.Plain)
		if !strings.Contains(got.auth, `mechanism="`+srv.mech+`"`) {
			t.Errorf("%d: client sent %q, want mechanism %s", i, got.auth, srv.mech)
			continue
		}
		var ve *saslauth.VerifyError
		switch {
		case tc.reason == 0 && err != nil:
			t.Errorf("%d: %v", i, err)
		case tc.reason != 0 && !errors.As(err, &ve):
			t.Errorf("%d: got %v, want a VerifyError with reason %d", i, err, tc.reason)
		case tc.reason != 0 && ve.Reason != tc.reason:
			t.Errorf("%d: got reason %d (%v), want %d", i, ve.Reason, err, tc.reason)
		}
		if tc.reason == saslauth.BadIterations || tc.reason == saslauth.Downgrade {
			// Refused before any proof was computed or sent.
			if len(got.responses) > 0 && strings.Contains(got.responses[0], "</response>") && !strings.Contains(got.responses[0], `">=</response>`) {
				if final, _ := base64.StdEncoding.DecodeString(respRe.FindStringSubmatch(got.responses[0])[1]); strings.Contains(string(final), ",p=") {
					t.Errorf("%d: the client sent its proof: %q", i, final)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%d: took %v", i, d)
			}
		}
	}
}

// TestChannelBinding signs in over real TLS: SCRAM-*-PLUS is preferred when
// the server offers it and supports the binding type, and skipped when the
// server's XEP-0440 list lacks that type.
func TestChannelBinding(t *testing.T) {
	cert := selfSigned(t)
	for i, tc := range []struct {
		maxVersion uint16
		cbXML      string
		want       string
		gs2        string
	}{
		0: {tls.VersionTLS13, "", "SCRAM-SHA-256-PLUS", "p=tls-exporter,,"},
		1: {tls.VersionTLS12, "", "SCRAM-SHA-256-PLUS", "p=tls-unique,,"},
		2: {tls.VersionTLS13, `<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/></sasl-channel-binding>`, "SCRAM-SHA-256-PLUS", "p=tls-exporter,,"},
		// Only tls-server-end-point, which mellium lacks: no -PLUS, and no
		// failure that would look like a wrong password.
		3: {tls.VersionTLS13, `<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-server-end-point'/></sasl-channel-binding>`, "SCRAM-SHA-256", "n,,"},
		4: {tls.VersionTLS12, `<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/></sasl-channel-binding>`, "SCRAM-SHA-256", "n,,"},
	} {
		c, s := net.Pipe()
		client := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MaxVersion: tc.maxVersion})
		server := tls.Server(s, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tc.maxVersion})
		go client.Handshake()
		if err := server.Handshake(); err != nil {
			t.Fatal(err)
		}
		srv := scramServer{mech: tc.want, iter: 4096, password: "pencil", cbXML: tc.cbXML,
			offered: []string{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1"}}
		got, _ := signIn(t, srv, client, server, func() { c.Close(); s.Close() }, sasl.ScramSha256Plus, sasl.ScramSha256, sasl.ScramSha1)
		m := authRe.FindStringSubmatch(got.auth)
		if m == nil || m[1] != tc.want {
			t.Errorf("%d: client sent %q, want %s", i, got.auth, tc.want)
			continue
		}
		first, _ := base64.StdEncoding.DecodeString(m[2])
		if !strings.HasPrefix(string(first), tc.gs2) {
			t.Errorf("%d: client-first %q, want gs2 header %q", i, first, tc.gs2)
		}
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example.org"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"example.org"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestSSDPHashExample(t *testing.T) {
	// XEP-0474 §4.3: SHA-1 of
	// "SCRAM-SHA-1\x1eSCRAM-SHA-1-PLUS\x1ftls-exporter\x1etls-server-end-point".
	got := saslauth.SSDPHash(sha1.New, []string{"SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"}, []string{"tls-server-end-point", "tls-exporter"}, true)
	if got != "G6k/rBLDqgOhRRaCuuatSDFkJ08=" {
		t.Errorf("got %s", got)
	}
}

// FuzzServerFirst feeds arbitrary SCRAM server-first messages to the check
// that runs before mellium's client derives a key: no panic, and whatever
// passes has an iteration count within bounds.
func FuzzServerFirst(f *testing.F) {
	f.Add([]byte("r=abcSRV,s=c2FsdA==,i=4096"))
	f.Add([]byte("r=abcSRV,s=c2FsdA==,i=1"))
	f.Add([]byte("r=abcSRV,s=c2FsdA==,i=2147483647,h=G6k/rBLDqgOhRRaCuuatSDFkJ08="))
	f.Add([]byte("m=x,r=a,s=,i=-5,h="))
	f.Add([]byte(",,,i=,i=4096,i=99999999999999999999"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		err := saslauth.CheckServerFirst("SCRAM-SHA-256", msg, []string{"SCRAM-SHA-256"}, nil, false)
		if err != nil {
			var ve *saslauth.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		var iter int
		for _, field := range strings.Split(string(msg), ",") {
			if strings.HasPrefix(field, "i=") {
				iter, _ = strconv.Atoi(field[2:])
			}
		}
		if iter < saslauth.MinIterations || iter > saslauth.MaxIterations {
			t.Fatalf("accepted %q", msg)
		}
	})
}
