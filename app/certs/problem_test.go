package certs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app/certs"
)

// issued returns a certificate for name valid from notBefore to notAfter,
// signed by ca (self-signed when ca is nil).
func issued(t *testing.T, name string, notBefore, notAfter time.Time, ca *cert) cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(8), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: ca == nil, BasicConstraintsValid: true,
	}
	parent, signer := tmpl, key
	if ca != nil {
		p, err := x509.ParseCertificate(ca.der)
		if err != nil {
			t.Fatal(err)
		}
		parent, signer = p, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return cert{der, key}
}

// TestProblem: a refused certificate says why as a Problem, for the views
// to word, besides the English Reason.
func TestProblem(t *testing.T) {
	now := time.Now()
	ca := issued(t, "Some CA", now.Add(-time.Hour), now.Add(time.Hour), nil)
	for name, tc := range map[string]struct {
		c    cert
		v    *certs.Verifier
		want certs.Problem
		host string
	}{
		"self-signed": {issued(t, "example.org", now.Add(-time.Hour), now.Add(time.Hour), nil),
			&certs.Verifier{ServerName: "example.org"}, certs.SelfSigned, ""},
		"unknown authority": {issued(t, "example.org", now.Add(-time.Hour), now.Add(time.Hour), &ca),
			&certs.Verifier{ServerName: "example.org"}, certs.UnknownAuthority, ""},
		"wrong name": {issued(t, "other.example", now.Add(-time.Hour), now.Add(time.Hour), &ca),
			&certs.Verifier{ServerName: "example.org", CAFile: writeCA(t, ca)}, certs.WrongName, "example.org"},
		"expired": {issued(t, "example.org", now.Add(-2*time.Hour), now.Add(-time.Hour), &ca),
			&certs.Verifier{ServerName: "example.org", CAFile: writeCA(t, ca)}, certs.Expired, ""},
		"not yet valid": {issued(t, "example.org", now.Add(time.Hour), now.Add(2*time.Hour), &ca),
			&certs.Verifier{ServerName: "example.org", CAFile: writeCA(t, ca)}, certs.NotYetValid, ""},
	} {
		err := handshake(t, tc.c, tc.v)
		var ue *certs.UntrustedError
		if !errors.As(err, &ue) {
			t.Errorf("%s: err = %v, want an UntrustedError", name, err)
			continue
		}
		if ue.Info.Problem != tc.want || ue.Info.Host != tc.host {
			t.Errorf("%s: Problem %d, Host %q; want %d, %q (reason %q)", name, ue.Info.Problem, ue.Info.Host, tc.want, tc.host, ue.Info.Reason)
		}
		if ue.Info.Reason == "" {
			t.Errorf("%s: no Reason for the logs", name)
		}
	}
}
