package xmllimit

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"errors"
	"io"
	"math/big"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// endlessAttribute writes a stream whose first stanza has an attribute of
// size bytes, until the size is reached or a write fails, and returns how
// much it wrote.
func endlessAttribute(w io.Writer, size int) int64 {
	n, err := io.WriteString(w, header+"<message to='")
	if err != nil {
		return int64(n)
	}
	chunk := []byte(strings.Repeat("a", 32<<10))
	written := int64(n)
	for written < int64(size) {
		k, err := w.Write(chunk)
		written += int64(k)
		if err != nil {
			break
		}
	}
	return written
}

// decodeAll reads tokens from r with encoding/xml until it fails, and
// returns the error and how many bytes were allocated meanwhile.
func decodeAll(r io.Reader) (error, uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d := xml.NewDecoder(r)
	var err error
	for err == nil {
		_, err = d.Token()
	}
	runtime.ReadMemStats(&after)
	return err, after.TotalAlloc - before.TotalAlloc
}

func TestDecoderOverGuardRefusesEndlessAttribute(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	var wrote atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		wrote.Store(endlessAttribute(server, 200<<20))
		server.Close()
	}()

	err, alloc := decodeAll(Wrap(client, DefaultLimits))
	client.Close()
	<-done
	var le *LimitError
	if !errors.As(err, &le) || le.What != WhatValue {
		t.Fatalf("the decoder ended with %v", err)
	}
	t.Logf("refused after %d bytes (%d written), %d KiB allocated", le.Offset, wrote.Load(), alloc>>10)
	if le.Offset != int64(len(header)+len("<message to='")+64<<10) {
		t.Errorf("refused at %d", le.Offset)
	}
	if alloc > 4<<20 {
		t.Errorf("%d MiB allocated while refusing the attribute", alloc>>20)
	}
	if wrote.Load() > 1<<20 {
		t.Errorf("the server wrote %d bytes", wrote.Load())
	}
}

// The measure above can fail: without the guard, the decoder holds the
// whole attribute (a smaller one, to keep the test quick).
func TestDecoderWithoutGuardHoldsEndlessAttribute(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		endlessAttribute(server, 16<<20)
		server.Close()
	}()
	_, alloc := decodeAll(client)
	if alloc < 16<<20 {
		t.Fatalf("only %d MiB allocated without the guard", alloc>>20)
	}
}

// selfSigned returns a certificate for example.net and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "example.net"},
		DNSNames:     []string{"example.net"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// expect reads tokens from d until a start element named local.
func expect(d *xml.Decoder, local string) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local == local {
			return nil
		}
	}
}

// TestStartTLSGuardsTheTLSStream negotiates a real mellium session over
// STARTTLS with a scripted server: the plain guard steps aside for the TLS
// handshake, and the guard StartTLS puts on the TLS connection stops the
// hostile stanza that follows.
func TestStartTLSGuardsTheTLSStream(t *testing.T) {
	cert, pool := selfSigned(t)
	client, server := net.Pipe()
	defer client.Close()
	serverErr := make(chan error, 1)
	go func() {
		defer server.Close()
		serverErr <- func() error {
			d := xml.NewDecoder(server)
			if err := expect(d, "stream"); err != nil {
				return err
			}
			if _, err := io.WriteString(server, header+`<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`); err != nil {
				return err
			}
			if err := expect(d, "starttls"); err != nil {
				return err
			}
			if _, err := io.WriteString(server, `<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`); err != nil {
				return err
			}
			tc := tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}})
			if err := tc.Handshake(); err != nil {
				return err
			}
			d = xml.NewDecoder(tc)
			if err := expect(d, "stream"); err != nil {
				return err
			}
			if _, err := io.WriteString(tc, header+`<stream:features/>`); err != nil {
				return err
			}
			go io.Copy(io.Discard, tc) // the client's </stream:stream>
			io.WriteString(tc, `<message from='romeo@example.net' to='juliet@example.net/balcony'><body>hi</body></message>`)
			io.WriteString(tc, `<message to='`+strings.Repeat("a", 1<<20)+`'/>`)
			return nil
		}()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := &tls.Config{ServerName: "example.net", RootCAs: pool, MinVersion: tls.VersionTLS12}
	inner := Limits{TokenBytes: 1000} // tells the TLS guard from the plain one
	plain := Wrap(client, DefaultLimits)
	sess, err := xmpp.NewClientSession(ctx, jid.MustParse("juliet@example.net/balcony"), plain, StartTLS(cfg, inner))
	if err != nil {
		t.Fatalf("negotiating: %v (server: %v)", err, <-serverErr)
	}
	if !plain.(*conn).bypass.Load() {
		t.Error("the plain guard still reads the TLS records as XML")
	}
	if sess.ConnectionState().Version == 0 {
		t.Error("the session sees no TLS state through the guard")
	}
	if _, ok := sess.Conn().(*conn); !ok {
		t.Errorf("the session reads from a %T, not a guard", sess.Conn())
	}
	var bodies int
	err = sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
		bodies++
		return nil
	}))
	var le *LimitError
	if !errors.As(err, &le) || le.What != WhatValue || le.Limit != 1000 {
		t.Fatalf("the session ended with %v", err)
	}
	if bodies != 1 {
		t.Errorf("%d stanzas handled before the hostile one, want 1", bodies)
	}
}
