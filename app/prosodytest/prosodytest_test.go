package prosodytest_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app/prosodytest"
)

const (
	streamHeader = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	nsTLS        = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL       = "urn:ietf:params:xml:ns:xmpp-sasl"
)

// conn is a raw XMPP client connection, enough to check the server.
type conn struct {
	t   *testing.T
	c   net.Conn
	buf []byte // read but not yet consumed
}

func dial(t *testing.T, addr string) *conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t: t, c: c}
}

func (c *conn) send(s string) {
	c.t.Helper()
	if err := c.c.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.c.Write([]byte(s)); err != nil {
		c.t.Fatalf("send %q: %v", s, err)
	}
}

// until reads until one of the markers appears and returns everything read
// up to and including it.
func (c *conn) until(markers ...string) string {
	c.t.Helper()
	if err := c.c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		c.t.Fatal(err)
	}
	tmp := make([]byte, 4096)
	for {
		for _, m := range markers {
			if i := bytes.Index(c.buf, []byte(m)); i >= 0 {
				got := string(c.buf[:i+len(m)])
				c.buf = c.buf[i+len(m):]
				return got
			}
		}
		n, err := c.c.Read(tmp)
		c.buf = append(c.buf, tmp[:n]...)
		if err != nil {
			c.t.Fatalf("waiting for %q: %v; got %q", markers, err, c.buf)
		}
	}
}

// startTLS upgrades the connection with the server's certificate as the
// only trusted authority.
func (c *conn) startTLS(s *prosodytest.Server, serverName string) {
	c.t.Helper()
	c.send("<starttls xmlns='" + nsTLS + "'/>")
	if got := c.until("/>"); !strings.Contains(got, "<proceed") {
		c.t.Fatalf("STARTTLS: want <proceed/>, got %q", got)
	}
	tc := tls.Client(c.c, tlsConfig(c.t, s, serverName))
	if err := tc.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		c.t.Fatal(err)
	}
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	c.c, c.buf = tc, nil
}

func tlsConfig(t *testing.T, s *prosodytest.Server, serverName string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pem, s.CertPEM) {
		t.Fatalf("CAFile %s differs from CertPEM", s.CAFile)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", s.CAFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}
}

// features opens a stream and returns its header and features.
func (c *conn) features() string {
	c.t.Helper()
	c.send(streamHeader)
	return c.until("</stream:features>")
}

// authPlain authenticates with SASL PLAIN and returns the server's answer.
func (c *conn) authPlain(user, password string) string {
	c.t.Helper()
	creds := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	c.send("<auth xmlns='" + nsSASL + "' mechanism='PLAIN'>" + creds + "</auth>")
	// <success xmlns='…'/> or <failure xmlns='…'><not-authorized/>…
	return c.until("/>", "</success>", "</failure>")
}

func TestStartServesTheDomainWithRequiredTLS(t *testing.T) {
	s := prosodytest.Start(t)
	if s.Domain != "localhost" || s.Host != "127.0.0.1" {
		t.Errorf("Domain, Host = %q, %q; want localhost, 127.0.0.1", s.Domain, s.Host)
	}
	if want := net.JoinHostPort(s.Host, strconv.Itoa(s.Port)); s.Addr != want || s.Port == 0 {
		t.Errorf("Addr = %q, Port = %d; want %q", s.Addr, s.Port, want)
	}
	if want := net.JoinHostPort(s.Host, strconv.Itoa(s.DirectTLSPort)); s.DirectTLSAddr != want || s.DirectTLSPort == s.Port {
		t.Errorf("DirectTLSAddr = %q, DirectTLSPort = %d; want %q, different from %d", s.DirectTLSAddr, s.DirectTLSPort, want, s.Port)
	}
	s.Register(t, "alice", "correct horse")

	c := dial(t, s.Addr)
	f := c.features()
	for _, want := range []string{"<stream:stream", nsTLS, "<required/>"} {
		if !strings.Contains(f, want) {
			t.Errorf("features before TLS lack %q: %q", want, f)
		}
	}
	if strings.Contains(f, nsSASL) {
		t.Errorf("SASL offered before TLS: %q", f)
	}
	c.startTLS(s, s.Domain)
	f = c.features()
	if !strings.Contains(f, "<mechanism>PLAIN</mechanism>") || !strings.Contains(f, "<mechanism>SCRAM-SHA-1</mechanism>") {
		t.Errorf("features after TLS lack PLAIN and SCRAM-SHA-1: %q", f)
	}
	if got := c.authPlain("alice", "correct horse"); !strings.Contains(got, "<success") {
		t.Errorf("alice's login: got %q, want <success/>", got)
	}
	if log := s.Log(); !strings.Contains(log, "alice@localhost") {
		t.Errorf("the log does not mention alice@localhost:\n%s", log)
	}
}

func TestRegister(t *testing.T) {
	s := prosodytest.Start(t)
	s.Register(t, "bob", "first")
	s.Register(t, "bob", "second") // changes the password
	s.Register(t, "carol", "pässwörd ✓")
	tests := []struct {
		name, user, password string
		ok                   bool
	}{
		{"new password", "bob", "second", true},
		{"old password", "bob", "first", false},
		{"unicode password", "carol", "pässwörd ✓", true},
		{"wrong password", "carol", "password", false},
		{"unknown user", "mallory", "second", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, s.Addr)
			c.features()
			c.startTLS(s, s.Domain)
			c.features()
			got := c.authPlain(tt.user, tt.password)
			if ok := strings.Contains(got, "<success"); ok != tt.ok {
				t.Errorf("login as %s: got %q, want success %v", tt.user, got, tt.ok)
			}
		})
	}
}

func TestDirectTLS(t *testing.T) {
	s := prosodytest.Start(t)
	for _, name := range []string{"localhost", "127.0.0.1"} {
		t.Run(name, func(t *testing.T) {
			nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.DirectTLSAddr, tlsConfig(t, s, name))
			if err != nil {
				t.Fatalf("TLS dial %s as %s: %v", s.DirectTLSAddr, name, err)
			}
			t.Cleanup(func() { nc.Close() })
			c := &conn{t: t, c: nc}
			if f := c.features(); !strings.Contains(f, nsSASL) {
				t.Errorf("features on the direct TLS port lack SASL: %q", f)
			}
		})
	}
}

func TestCertificate(t *testing.T) {
	s := prosodytest.Start(t)
	blk, _ := pem.Decode(s.CertPEM)
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("CertPEM holds no certificate: %q", s.CertPEM)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	if c.Subject.CommonName != "localhost" || !slices.Equal(c.DNSNames, []string{"localhost"}) {
		t.Errorf("CN %q, DNS names %q; want localhost", c.Subject.CommonName, c.DNSNames)
	}
	var ips []string
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	if !slices.Equal(ips, []string{"127.0.0.1", "::1"}) {
		t.Errorf("IP addresses %q, want 127.0.0.1 and ::1", ips)
	}
	if d := c.NotAfter.Sub(c.NotBefore); d < 24*time.Hour || d > 26*time.Hour {
		t.Errorf("valid for %v, want about a day", d)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := c.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	fi, err := os.Stat(filepath.Join(filepath.Dir(s.CAFile), "localhost.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("the private key has mode %v, want no access for group and others", fi.Mode().Perm())
	}
}

// TestListensOnlyOnItsPorts checks that Prosody opens no other port (no
// s2s, no HTTP) and listens on loopback only.
func TestListensOnlyOnItsPorts(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	s := prosodytest.Start(t)
	pid := prosodytest.PID(s)
	got := listening(t, pid)
	want := []string{s.Addr, s.DirectTLSAddr}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("prosody (pid %d) listens on %q, want only %q", pid, got, want)
	}
}

// listening returns the TCP addresses process pid listens on.
func listening(t *testing.T, pid int) []string {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var addrs []string
	for _, table := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue // no IPv6
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A: LISTEN
				continue
			}
			addrs = append(addrs, procAddr(t, f[1]))
		}
	}
	return addrs
}

// procAddr decodes an address of /proc/net/tcp{,6}: hex IP (in host
// order, 32-bit words) and hex port.
func procAddr(t *testing.T, s string) string {
	t.Helper()
	hexIP, hexPort, _ := strings.Cut(s, ":")
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	var ip net.IP
	for i := 0; i+8 <= len(hexIP); i += 8 {
		w, err := strconv.ParseUint(hexIP[i:i+8], 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		ip = append(ip, byte(w), byte(w>>8), byte(w>>16), byte(w>>24)) // little endian
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10))
}

func TestParallelServers(t *testing.T) {
	var mu sync.Mutex
	ports := map[int]string{}
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			s := prosodytest.Start(t)
			mu.Lock()
			for _, p := range []int{s.Port, s.DirectTLSPort} {
				if other, dup := ports[p]; dup {
					t.Errorf("port %d used by %s too", p, other)
				}
				ports[p] = t.Name()
			}
			mu.Unlock()
			s.Register(t, "user", "pw")
			c := dial(t, s.Addr)
			if f := c.features(); !strings.Contains(f, nsTLS) {
				t.Errorf("features: %q", f)
			}
		})
	}
}

func TestStopAndRestart(t *testing.T) {
	s := prosodytest.Start(t)
	s.Register(t, "dave", "pw")
	s.Stop()
	if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", s.Addr)
	}
	s.Stop() // again: nothing happens
	s.Restart(t)
	c := dial(t, s.Addr)
	c.features()
	c.startTLS(s, s.Domain)
	c.features()
	if got := c.authPlain("dave", "pw"); !strings.Contains(got, "<success") {
		t.Errorf("dave's login after the restart: %q", got)
	}
}

// Kill is a crash: open connections die with the process (no closing
// </stream:stream>), and Restart brings the server back on the same port
// with its accounts.
func TestKillAndRestart(t *testing.T) {
	s := prosodytest.Start(t)
	s.Register(t, "erin", "pw")
	held := dial(t, s.Addr)
	held.features()
	s.Kill()
	if prosodytest.PID(s) != 0 {
		t.Error("the server still has a process after Kill")
	}
	_ = held.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(held.c)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the open connection survived the kill (%q)", rest)
	}
	if strings.Contains(string(rest), "</stream:stream>") {
		t.Errorf("a killed server closed its stream politely: %q", rest)
	}
	if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Kill", s.Addr)
	}
	s.Kill() // again: nothing happens
	s.Restart(t)
	c := dial(t, s.Addr)
	c.features()
	c.startTLS(s, s.Domain)
	c.features()
	if got := c.authPlain("erin", "pw"); !strings.Contains(got, "<success") {
		t.Errorf("erin's login after the restart: %q", got)
	}
}

func TestStartWithOptions(t *testing.T) {
	s := prosodytest.StartWith(t, prosodytest.Options{
		Modules: []string{"uptime"},
		Global:  `-- global marker`,
		Host:    `	-- host marker`,
	})
	cfg, err := os.ReadFile(s.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"uptime"`, "-- global marker", "-- host marker"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	if !strings.Contains(s.Log(), "uptime") {
		t.Errorf("mod_uptime was not loaded:\n%s", s.Log())
	}
}

func TestStartWithPlugins(t *testing.T) {
	s := prosodytest.StartWith(t, prosodytest.Options{
		Modules: []string{"palaver_marker"},
		Plugins: map[string][]byte{
			"mod_palaver_marker.lua": []byte(`module:log("info", "palaver marker loaded from %s", module:get_directory());` + "\n"),
		},
	})
	if s.PluginDir == "" || filepath.Dir(s.PluginDir) != s.Dir {
		t.Fatalf("PluginDir = %q, want a folder in %q", s.PluginDir, s.Dir)
	}
	cfg, err := os.ReadFile(s.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "plugin_paths = { " + prosodytest.LuaString(s.PluginDir) + " }"; !strings.Contains(string(cfg), want) {
		t.Errorf("config lacks %q:\n%s", want, cfg)
	}
	if want := "palaver marker loaded from " + s.PluginDir; !strings.Contains(s.Log(), want) {
		t.Errorf("log lacks %q:\n%s", want, s.Log())
	}
	// Without plugins, no plugin_paths.
	if s := prosodytest.Start(t); s.PluginDir != "" {
		t.Errorf("PluginDir = %q without plugins", s.PluginDir)
	}
}

// fakeTB records what Start does with a test when Prosody is missing.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestMissingProsody(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	tests := []struct {
		ci         string
		skip, fail bool
	}{
		{ci: "", skip: true},
		{ci: "true", fail: true},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			f := &fakeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				prosodytest.Start(f)
				t.Error("Start returned without prosody")
			}()
			<-done
			if (f.skipped != "") != tt.skip || (f.fatal != "") != tt.fail {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", f.skipped, f.fatal, tt.skip, tt.fail)
			}
			if msg := f.skipped + f.fatal; !strings.Contains(msg, "prosody not installed") || !strings.Contains(msg, "make test") {
				t.Errorf("message %q does not say what to do", msg)
			}
		})
	}
}

func TestLuaString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"/tmp/x y/prosody.log", `"/tmp/x y/prosody.log"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"line\nbreak\x7f", `"line\010break\127"`},
		{"ünïcode", `"ünïcode"`},
	}
	for _, tt := range tests {
		if got := prosodytest.LuaString(tt.in); got != tt.want {
			t.Errorf("luaString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRegisterFailure(t *testing.T) {
	s := prosodytest.Start(t)
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Register(f, "no spaces allowed", "pw")
	}()
	<-done
	if !strings.Contains(f.fatal, "prosodyctl register") {
		t.Errorf("Register of an invalid user name: fatal %q, want an error naming prosodyctl register", f.fatal)
	}
}

func TestStartFailure(t *testing.T) {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		prosodytest.StartWith(f, prosodytest.Options{Global: "this is not Lua"})
	}()
	<-done
	if !strings.Contains(f.fatal, "prosody exited before accepting connections") {
		t.Errorf("Start with a broken config: fatal %q", f.fatal)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Start took %v to notice that prosody exited", d)
	}
}

// TestMUCOptionAndShell: Options.MUC serves a group chat component that
// the admin shell can reload (what a test of "the service restarted"
// needs).
func TestMUCOptionAndShell(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{MUC: true})
	if srv.MUCDomain != "conference."+srv.Domain {
		t.Fatalf("MUCDomain = %q", srv.MUCDomain)
	}
	if out := srv.Shell(t, `module:reload("muc", `+prosodytest.LuaString(srv.MUCDomain)+`)`); !strings.Contains(out, "Module reloaded on 1 host") {
		t.Fatalf("reloading the muc component: %s", out)
	}
}

// TestUploadOption: the upload service listens on its own https port (and
// on nothing else besides the XMPP ports), with the test certificate for
// 127.0.0.1, and its limit and base URL are the ones asked for.
func TestUploadOption(t *testing.T) {
	s := prosodytest.StartWith(t, prosodytest.Options{Upload: true, UploadLimit: 12345})
	if s.UploadDomain != "upload.localhost" || s.UploadAddr == "" || s.UploadURL != "https://"+s.UploadAddr+"/" {
		t.Fatalf("domain %q addr %q url %q", s.UploadDomain, s.UploadAddr, s.UploadURL)
	}
	if runtime.GOOS == "linux" {
		got := listening(t, prosodytest.PID(s))
		want := []string{s.Addr, s.DirectTLSAddr, s.UploadAddr}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("listens on %q, want %q", got, want)
		}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CertPEM)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(s.UploadURL + "file_share/nothing/here.txt")
	if err != nil {
		t.Fatalf("https to the upload service: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a slot that does not exist: %s", resp.Status)
	}
	cfg, err := os.ReadFile(s.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Component "upload.localhost" "http_file_share"`, "http_file_share_size_limit = 12345", `http_external_url = "` + s.UploadURL + `"`} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}

	proxied := prosodytest.StartWith(t, prosodytest.Options{Upload: true, UploadURL: "https://127.0.0.1:1/"})
	if proxied.UploadURL != "https://127.0.0.1:1/" {
		t.Errorf("UploadURL %q", proxied.UploadURL)
	}
}
