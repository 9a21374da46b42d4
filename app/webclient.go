package app

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/certs"
)

// The https client of an account: for HTTP File Upload and for the files
// and pictures others share. Certificates are verified as for the
// account's XMPP server (system roots, the account's CA file, its pinned
// fingerprints), for the host of each URL; TLS 1.2 at least; only https,
// also after redirects; no proxy unless the environment names one.

// errHTTPSOnly is webClient's refusal of a plain http URL or redirect.
var errHTTPSOnly = ErrNotHTTPS

// Timeouts of the web client: connecting (with the TLS handshake), and
// waiting for response headers. The body may take as long as it needs
// (uploads and downloads are cancelled by their context).
const (
	webDialTimeout   = 15 * time.Second
	webHeaderTimeout = 30 * time.Second
)

// webClient returns an http.Client for a's https requests.
func webClient(a account.Account) *http.Client {
	dialer := &net.Dialer{Timeout: webDialTimeout}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		ForceAttemptHTTP2:     false,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   webDialTimeout,
		ResponseHeaderTimeout: webHeaderTimeout,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			v := &certs.Verifier{ServerName: host, Pinned: a.IsPinned, CAFile: a.CAFile}
			cfg, err := v.Config()
			if err != nil {
				return nil, err
			}
			cfg.NextProtos = []string{"http/1.1"}
			raw, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			conn := tls.Client(raw, cfg)
			if err := conn.HandshakeContext(ctx); err != nil {
				raw.Close()
				var ue *certs.UntrustedError
				if errors.As(err, &ue) {
					return nil, ue
				}
				return nil, err
			}
			return conn, nil
		},
	}
	// A plain http URL never reaches the network: DialContext refuses.
	tr.DialContext = func(context.Context, string, string) (net.Conn, error) { return nil, errHTTPSOnly }
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" {
				return errHTTPSOnly
			}
			return nil
		},
	}
}

// httpsURL parses s and checks that it is an absolute https URL with a
// host and without user information.
func httpsURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil {
		return nil, errHTTPSOnly
	}
	return u, nil
}
