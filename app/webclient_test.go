package app

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/certs"
)

func TestWebClientVerifiesCertificates(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://"+r.Host+"/plain", http.StatusFound)
			return
		}
		io.WriteString(w, "hello")
	}))
	defer srv.Close()

	// Not trusted: an UntrustedError naming the certificate.
	_, err := webClient(account.Account{}).Get(srv.URL)
	var ue *certs.UntrustedError
	if !errors.As(err, &ue) {
		t.Fatalf("untrusted server: %v, want an UntrustedError", err)
	}

	// Trusted by the account's CA file.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	der := srv.Certificate().Raw
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	c := webClient(account.Account{CAFile: ca})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("trusted server: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" {
		t.Fatalf("body %q", body)
	}

	// A redirect to plain http is refused.
	if _, err := c.Get(srv.URL + "/redirect"); !errors.Is(err, ErrNotHTTPS) {
		t.Fatalf("redirect to http: %v, want ErrNotHTTPS", err)
	}
	// A plain http URL never reaches the network.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("plain http server reached")
	}))
	defer plain.Close()
	if _, err := c.Get(plain.URL); !errors.Is(err, ErrNotHTTPS) {
		t.Fatalf("plain http: %v, want ErrNotHTTPS", err)
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPSURL(t *testing.T) {
	for _, s := range []string{"http://a/b", "https://", "https://u:p@a/b", "file:///etc/passwd", "xmpp:a@b", "//a/b"} {
		if _, err := httpsURL(s); err == nil {
			t.Errorf("httpsURL(%q) accepted", s)
		}
	}
	u, err := httpsURL("https://upload.example/a/b%20c.png")
	if err != nil || !strings.HasSuffix(u.Path, "b c.png") {
		t.Fatalf("httpsURL: %v %v", u, err)
	}
}
