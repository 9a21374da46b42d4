package certs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app/certs"
)

type cert struct {
	der []byte
	key *ecdsa.PrivateKey
}

func selfSigned(t *testing.T, name string, notAfter time.Time) cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return cert{der, key}
}

// handshake runs a TLS handshake between a server with c and a client
// configured by v.
func handshake(t *testing.T, c cert, v *certs.Verifier) error {
	t.Helper()
	cfg, err := v.Config()
	if err != nil {
		return err
	}
	// A real loopback socket: TLS 1.3 writes from both sides at once, which
	// a synchronous net.Pipe would deadlock.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{c.der}, PrivateKey: c.key}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			_ = conn.(*tls.Conn).Handshake()
			conn.Close()
		}
	}()
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	return tls.Client(conn, cfg).Handshake()
}

func writeCA(t *testing.T, c cert) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerify(t *testing.T) {
	good := selfSigned(t, "example.org", time.Now().Add(24*time.Hour))
	expired := selfSigned(t, "example.org", time.Now().Add(-24*time.Hour))
	other := selfSigned(t, "other.example", time.Now().Add(24*time.Hour))
	pinned := func(c cert) func(string) bool {
		return func(fp string) bool { return fp == certs.Fingerprint(c.der) }
	}
	for i, tc := range []struct {
		c      cert
		v      *certs.Verifier
		reason string // "" means trusted
	}{
		0: {good, &certs.Verifier{ServerName: "example.org"}, "self-signed"},
		1: {good, &certs.Verifier{ServerName: "example.org", CAFile: writeCA(t, good)}, ""},
		2: {good, &certs.Verifier{ServerName: "example.org", Pinned: pinned(good)}, ""},
		3: {good, &certs.Verifier{ServerName: "example.org", Pinned: pinned(other)}, "self-signed"},
		4: {other, &certs.Verifier{ServerName: "example.org", CAFile: writeCA(t, other)}, "not valid for example.org"},
		5: {expired, &certs.Verifier{ServerName: "example.org", CAFile: writeCA(t, expired)}, "expired"},
		// A pin trusts that exact certificate even for another name: the
		// user saw and accepted it for this account.
		6: {other, &certs.Verifier{ServerName: "example.org", Pinned: pinned(other)}, ""},
	} {
		err := handshake(t, tc.c, tc.v)
		rej := tc.v.Rejected()
		if tc.reason == "" {
			if err != nil || rej != nil {
				t.Errorf("%d: err = %v, rejected = %v, want trusted", i, err, rej)
			}
			continue
		}
		var ue *certs.UntrustedError
		if !errors.As(err, &ue) {
			t.Errorf("%d: err = %v, want an UntrustedError", i, err)
			continue
		}
		if rej == nil || rej.Info.SHA256 != certs.Fingerprint(tc.c.der) {
			t.Errorf("%d: Rejected() = %v", i, rej)
		}
		if !strings.Contains(ue.Info.Reason, tc.reason) {
			t.Errorf("%d: reason %q, want it to mention %q", i, ue.Info.Reason, tc.reason)
		}
		if tc.v.Rejected() != nil {
			t.Errorf("%d: Rejected must forget after reading", i)
		}
	}
}

func TestConfigIsTLS12Plus(t *testing.T) {
	cfg, err := (&certs.Verifier{ServerName: "x"}).Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion < tls.VersionTLS12 || cfg.VerifyConnection == nil {
		t.Errorf("min version %x, verify %v", cfg.MinVersion, cfg.VerifyConnection != nil)
	}
}

func TestBadCAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "junk.pem")
	os.WriteFile(p, []byte("not pem"), 0o600)
	if _, err := (&certs.Verifier{CAFile: p}).Config(); err == nil || !strings.Contains(err.Error(), "no PEM") {
		t.Errorf("err = %v", err)
	}
	if _, err := (&certs.Verifier{CAFile: p + ".missing"}).Config(); err == nil {
		t.Error("a missing CA file must be an error")
	}
}

func TestInfoText(t *testing.T) {
	i := certs.Info{SHA256: "ab01ff", Subject: "CN=x", Reason: "because"}
	if i.Fingerprint() != "AB:01:FF" {
		t.Errorf("fingerprint = %q", i.Fingerprint())
	}
	d := i.Describe()
	for _, want := range []string{"because", "CN=x", "AB:01:FF"} {
		if !strings.Contains(d, want) {
			t.Errorf("description lacks %q:\n%s", want, d)
		}
	}
}

// TestNamesIncludeIPsOnce: the names shown for a certificate are its DNS
// names and IP addresses, each once.
func TestNamesIncludeIPsOnce(t *testing.T) {
	c := &x509.Certificate{
		DNSNames:    []string{"example.org", "localhost", "Example.org"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("127.0.0.1")},
		Raw:         []byte{1},
	}
	got := certs.Describe(c, "").Names
	want := []string{"example.org", "localhost", "127.0.0.1", "::1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("names %q, want %q", got, want)
	}
}
