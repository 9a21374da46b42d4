// Package certs verifies server certificates for an account and explains
// the ones it cannot trust.
//
// Verification is the standard one (system roots plus an optional CA file,
// host name checked), with one addition: a certificate whose SHA-256
// fingerprint the user has pinned for the account is accepted as it is.
package certs

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Info describes a certificate to the user.
type Info struct {
	Subject string
	Issuer  string
	// Names are the DNS names and IP addresses the certificate is for
	// (subject alternative names, RFC 5280 §4.2.1.6), each once, in the
	// certificate's order.
	Names     []string
	NotBefore time.Time
	NotAfter  time.Time
	// SHA256 is the fingerprint of the DER certificate, lower-case hex.
	SHA256 string
	// Reason says why it was not trusted, in English (for logs).
	Reason string
	// Problem says why it was not trusted, for the views to word.
	Problem Problem
	// Host is the name the certificate was checked for, with
	// WrongName.
	Host string
}

// Problem is why a certificate was not trusted.
type Problem int

// The problems of Info.
const (
	// OtherProblem: another reason; Reason says which.
	OtherProblem Problem = iota
	// NoCertificate: the server sent no certificate.
	NoCertificate
	// SelfSigned: the certificate is self-signed, and no trusted
	// authority vouches for it.
	SelfSigned
	// UnknownAuthority: an authority that is not trusted issued it.
	UnknownAuthority
	// WrongName: it is not valid for Host.
	WrongName
	// Expired: its validity ended.
	Expired
	// NotYetValid: its validity has not begun.
	NotYetValid
)

// Fingerprint returns SHA256 as colon-separated upper-case pairs.
func (i Info) Fingerprint() string {
	var b strings.Builder
	for n := 0; n+1 < len(i.SHA256); n += 2 {
		if n > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(i.SHA256[n : n+2]))
	}
	return b.String()
}

// Describe returns several lines for a trust dialog.
func (i Info) Describe() string {
	names := strings.Join(i.Names, ", ")
	if names == "" {
		names = "(none)"
	}
	return fmt.Sprintf("Why: %s\nIssued to: %s\nNames: %s\nIssued by: %s\nValid: %s to %s\nSHA-256: %s",
		i.Reason, i.Subject, names, i.Issuer,
		i.NotBefore.Format("2006-01-02"), i.NotAfter.Format("2006-01-02"), i.Fingerprint())
}

// UntrustedError is the error of a TLS handshake whose certificate could
// not be verified.
type UntrustedError struct {
	Info Info
}

func (e *UntrustedError) Error() string {
	return "the server's certificate is not trusted: " + e.Info.Reason
}

// Fingerprint returns the SHA-256 fingerprint of a DER certificate.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// Describe returns the Info of cert.
func Describe(cert *x509.Certificate, reason string) Info {
	return Info{
		Subject:   cert.Subject.String(),
		Issuer:    cert.Issuer.String(),
		Names:     sanNames(cert),
		NotBefore: cert.NotBefore,
		NotAfter:  cert.NotAfter,
		SHA256:    Fingerprint(cert.Raw),
		Reason:    reason,
	}
}

// sanNames returns the DNS names and IP addresses of cert, each once (DNS
// names compared without case).
func sanNames(cert *x509.Certificate) []string {
	var names []string
	seen := make(map[string]bool)
	add := func(n string) {
		if k := strings.ToLower(n); !seen[k] {
			seen[k] = true
			names = append(names, n)
		}
	}
	for _, n := range cert.DNSNames {
		add(n)
	}
	for _, ip := range cert.IPAddresses {
		add(ip.String())
	}
	return names
}

// Verifier builds TLS configurations for one account and remembers the
// last certificate it refused.
type Verifier struct {
	// ServerName is the name the certificate must carry (the JID's domain).
	ServerName string
	// Pinned reports whether a fingerprint is trusted for the account.
	Pinned func(sha256hex string) bool
	// CAFile is an optional PEM file of extra trusted authorities.
	CAFile string

	mu       sync.Mutex
	rejected *UntrustedError
}

// Config returns a TLS 1.2+ configuration that verifies as described in the
// package documentation.
func (v *Verifier) Config() (*tls.Config, error) {
	roots, err := v.roots()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		ServerName: v.ServerName,
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"xmpp-client"},
		// Verification is done in VerifyConnection below, which also accepts
		// pinned certificates; it is never skipped.
		InsecureSkipVerify: true, // #nosec G402
		VerifyConnection: func(cs tls.ConnectionState) error {
			return v.verify(cs, roots)
		},
	}, nil
}

func (v *Verifier) roots() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if v.CAFile == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(v.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading the CA file: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the CA file %s holds no PEM certificate", v.CAFile)
	}
	return pool, nil
}

func (v *Verifier) verify(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return v.reject(&UntrustedError{Info: Info{Reason: "the server sent no certificate", Problem: NoCertificate}})
	}
	leaf := cs.PeerCertificates[0]
	if v.Pinned != nil && v.Pinned(Fingerprint(leaf.Raw)) {
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		DNSName:       v.ServerName,
		Roots:         roots,
		Intermediates: inter,
	})
	if err == nil {
		return nil
	}
	info := Describe(leaf, explain(err))
	info.Problem, info.Host = problem(err, leaf, time.Now())
	return v.reject(&UntrustedError{Info: info})
}

func (v *Verifier) reject(e *UntrustedError) error {
	v.mu.Lock()
	v.rejected = e
	v.mu.Unlock()
	return e
}

// Rejected returns the last refusal, if any, and forgets it.
func (v *Verifier) Rejected() *UntrustedError {
	v.mu.Lock()
	defer v.mu.Unlock()
	e := v.rejected
	v.rejected = nil
	return e
}

func explain(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknown):
		if unknown.Cert != nil && unknown.Cert.Subject.String() == unknown.Cert.Issuer.String() {
			return "it is self-signed, and no authority you trust vouches for it"
		}
		return "it was issued by an authority you do not trust"
	case errors.As(err, &hostname):
		return "it is not valid for " + hostname.Host
	case errors.As(err, &invalid):
		switch invalid.Reason {
		case x509.Expired:
			return "it has expired or is not valid yet"
		}
		return invalid.Error()
	}
	return err.Error()
}

// problem classifies a verification error of cert at now; host is the
// name checked, with WrongName.
func problem(err error, cert *x509.Certificate, now time.Time) (p Problem, host string) {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknown):
		if unknown.Cert != nil && unknown.Cert.Subject.String() == unknown.Cert.Issuer.String() {
			return SelfSigned, ""
		}
		return UnknownAuthority, ""
	case errors.As(err, &hostname):
		return WrongName, hostname.Host
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		c := invalid.Cert
		if c == nil {
			c = cert
		}
		if c != nil && now.Before(c.NotBefore) {
			return NotYetValid, ""
		}
		return Expired, ""
	}
	return OtherProblem, ""
}
