// Package prosodytest starts a real, throwaway Prosody XMPP server on the
// loopback interface for tests.
//
// Every Start gets its own folder, self-signed certificate, ports and
// process, so tests may start servers in parallel (start-up takes about
// 0.2 s). The server is stopped, and its folder removed, when the test ends.
// Its log is attached to the test output only when the test failed.
//
// The server serves the domain "localhost" on 127.0.0.1 with STARTTLS
// required (Server.Addr) and with XEP-0368 direct TLS (Server.DirectTLSAddr),
// stores everything in its folder and opens no other port: no s2s, and no
// HTTP unless Options.Upload asks for its https file upload service.
//
// Prosody must be installed: `make deps` installs it on Debian, and
// `make test` runs the whole suite. When it is missing, Start skips the test,
// or fails it when the CI environment variable is set.
package prosodytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app/internal/testproc"
)

// Domain is the XMPP domain every test server serves.
const Domain = "localhost"

// startTimeout bounds the wait for a new server to accept connections.
const startTimeout = 10 * time.Second

// defaultModules are the modules every test server loads, besides the ones
// Prosody always loads (presence, message, iq, offline, c2s).
var defaultModules = []string{
	"roster", "saslauth", "tls", "disco", "carbons", "pep", "private",
	"blocklist", "vcard", "version", "ping", "offline", "mam",
}

// Options adjusts the configuration of a server started with StartWith.
type Options struct {
	// Modules are loaded in addition to the default ones
	// (roster saslauth tls disco carbons pep private blocklist vcard version
	// ping offline mam).
	Modules []string
	// Global is Lua configuration added to the end of the global section,
	// e.g. `plugin_paths = { "/path" }`.
	Global string
	// Host is Lua configuration added to the VirtualHost section.
	Host string
	// Plugins are Prosody modules of the test's own: file name (such as
	// "mod_auth_example.lua") to content. They are written to a folder of
	// the server's own (Server.PluginDir), readable by the user that runs
	// Prosody, which becomes the configuration's plugin_paths: do not also
	// set plugin_paths in Global. Load them with Modules, or for an auth
	// provider with `authentication = "example"` in Host.
	Plugins map[string][]byte
	// MUC adds a group chat service (XEP-0045, Prosody's muc component
	// with muc_mam) at Server.MUCDomain, where any user may create rooms,
	// and the admin socket that Server.Shell talks to.
	MUC bool
	// Upload adds an HTTP File Upload service (XEP-0363, Prosody's
	// http_file_share component) at Server.UploadDomain, which serves
	// files over https on Server.UploadAddr with the test certificate.
	Upload bool
	// UploadLimit is the largest file the upload service accepts, in
	// bytes (default 10 MiB); its daily quota per user is ten times that.
	UploadLimit int64
	// UploadURL is the base URL of the slots the service hands out,
	// such as "https://127.0.0.1:PORT/" for a proxy of the test's own in
	// front of Server.UploadAddr; default Server.UploadURL.
	UploadURL string
	// UploadConfig is Lua configuration added to the upload component,
	// e.g. `http_file_share_access = { "bob@localhost" }`.
	UploadConfig string
}

// Server is a running Prosody instance made by Start.
type Server struct {
	// Domain is the XMPP domain the server serves: "localhost".
	Domain string
	// Host is the IP address the server listens on: "127.0.0.1".
	Host string
	// Port is the client-to-server port (STARTTLS, required).
	Port int
	// Addr is Host:Port.
	Addr string
	// DirectTLSPort is the client-to-server port that speaks TLS from the
	// first byte (XEP-0368).
	DirectTLSPort int
	// DirectTLSAddr is Host:DirectTLSPort.
	DirectTLSAddr string
	// CAFile names a PEM file holding the server's self-signed certificate,
	// to be trusted as a certificate authority by clients.
	CAFile string
	// CertPEM is the content of CAFile.
	CertPEM []byte
	// Dir is the server's folder: configuration, certificate, data and logs.
	Dir string
	// ConfigFile names the server's configuration file.
	ConfigFile string
	// PluginDir is the folder that holds Options.Plugins, "" without them.
	PluginDir string
	// MUCDomain is the group chat service's domain with Options.MUC,
	// "conference.localhost"; "" without.
	MUCDomain string
	// UploadDomain is the upload service's address with Options.Upload,
	// "upload.localhost"; "" without.
	UploadDomain string
	// UploadPort is the https port of the upload service, UploadAddr is
	// Host:UploadPort, and UploadURL is the base URL of its slots
	// (https://127.0.0.1:UploadPort/ unless Options.UploadURL says
	// otherwise); all zero without Options.Upload.
	UploadPort int
	UploadAddr string
	UploadURL  string

	prosody, prosodyctl string
	owner               *account // non-nil when running as root
	// socketDir holds the admin socket, short enough for a socket's path
	// (108 bytes), made with Options.MUC.
	socketDir        string
	logFile, outFile string

	mu   sync.Mutex
	proc *testproc.Process
}

// account is the system user that runs Prosody when the tests run as root.
type account struct {
	name     string
	uid, gid int
}

// errPortTaken reports that Prosody could not bind one of its ports, most
// likely because another process took it after freePorts released it.
var errPortTaken = errors.New("a port was taken")

// Start starts a Prosody server for the test and stops it when the test and
// its subtests end. It skips the test when Prosody is not installed, unless
// the CI environment variable is set, in which case it fails the test.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with extra configuration.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{Domain: Domain, Host: "127.0.0.1"}
	if opts.MUC {
		s.MUCDomain = "conference." + Domain
		opts.Modules = append(slices.Clone(opts.Modules), "admin_shell", "admin_socket")
	}
	if opts.Upload {
		s.UploadDomain = "upload." + Domain
	}
	s.prosody, s.prosodyctl = lookBinaries(t)
	if os.Geteuid() == 0 {
		// Prosody refuses to run as root: run it, and prosodyctl, as the
		// system user the Debian package creates.
		u, err := user.Lookup("prosody")
		if err != nil {
			t.Fatalf("prosodytest: running as root needs the system user prosody (made by the Debian package): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.owner = &account{name: u.Username, uid: uid, gid: gid}
	}
	s.Dir = s.makeDir(t)
	s.ConfigFile = filepath.Join(s.Dir, "prosody.cfg.lua")
	s.logFile = filepath.Join(s.Dir, "prosody.log")
	s.outFile = filepath.Join(s.Dir, "prosody.out")
	s.writeCertificate(t)
	s.mkdir(t, filepath.Join(s.Dir, "data"))
	s.writePlugins(t, opts.Plugins)
	if opts.MUC {
		dir, err := os.MkdirTemp("/tmp", "pt-")
		if err != nil {
			t.Fatalf("prosodytest: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		s.own(t, dir)
		s.socketDir = dir
	}

	// Registered after t.TempDir's own clean-up, so it runs before the
	// folder is removed.
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("prosodytest: log of the server on %s (%s):\n%s", s.Addr, s.logFile, s.Log())
			if out := s.console(); out != "" {
				t.Logf("prosodytest: console output of the server on %s:\n%s", s.Addr, out)
			}
		}
	})

	var err error
	for range 3 {
		ports, perr := freePorts(3)
		if perr != nil {
			t.Fatalf("prosodytest: finding free ports: %v", perr)
		}
		s.Port, s.DirectTLSPort = ports[0], ports[1]
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
		s.DirectTLSAddr = net.JoinHostPort(s.Host, strconv.Itoa(s.DirectTLSPort))
		if opts.Upload {
			s.UploadPort = ports[2]
			s.UploadAddr = net.JoinHostPort(s.Host, strconv.Itoa(s.UploadPort))
			s.UploadURL = "https://" + s.UploadAddr + "/"
			if opts.UploadURL != "" {
				s.UploadURL = opts.UploadURL
			}
		}
		s.writeConfig(t, opts)
		if err = s.launch(); !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		t.Fatalf("prosodytest: %v (the server's log follows)", err)
	}
	return s
}

// lookBinaries finds prosody and prosodyctl, or skips or fails the test.
func lookBinaries(t testing.TB) (prosody, prosodyctl string) {
	t.Helper()
	var missing []string
	prosody, err := exec.LookPath("prosody")
	if err != nil {
		missing = append(missing, "prosody")
	}
	prosodyctl, err = exec.LookPath("prosodyctl")
	if err != nil {
		missing = append(missing, "prosodyctl")
	}
	if missing == nil {
		return prosody, prosodyctl
	}
	msg := fmt.Sprintf("prosody not installed (%s not found in PATH): run `make test`, which installs it (Debian: apt-get install prosody)",
		strings.Join(missing, ", "))
	if os.Getenv("CI") != "" {
		t.Fatalf("prosodytest: %s; CI is set, so this is an error", msg)
	}
	t.Skip(msg)
	return "", ""
}

// makeDir returns the server's folder, reachable by the user that runs
// Prosody.
func (s *Server) makeDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if s.owner == nil {
		return dir
	}
	// t.TempDir's parent is a per-test folder that the testing package
	// makes with mode 0700: let the prosody user through it (search only).
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	if err := s.searchable(filepath.Dir(dir)); err != nil {
		// TMPDIR is somewhere the prosody user cannot reach (e.g. under
		// /root): fall back to a folder of our own in /tmp.
		alt, aerr := os.MkdirTemp("/tmp", "prosodytest-")
		if aerr != nil {
			t.Fatalf("prosodytest: %v; and %v", err, aerr)
		}
		t.Cleanup(func() { os.RemoveAll(alt) })
		if err := s.searchable(filepath.Dir(alt)); err != nil {
			t.Fatalf("prosodytest: %v (set TMPDIR to a folder the prosody user can reach)", err)
		}
		dir = alt
	}
	s.own(t, dir)
	return dir
}

// searchable reports an error unless every folder from dir up to the root
// can be searched by the user that runs Prosody.
func (s *Server) searchable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if !canSearch(fi, s.owner.uid, s.owner.gid) {
			return fmt.Errorf("the %s user cannot reach %s (%v)", s.owner.name, d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// own gives path to the user that runs Prosody, when that is not us.
func (s *Server) own(t testing.TB, path string) {
	t.Helper()
	if s.owner == nil {
		return
	}
	if err := os.Lchown(path, s.owner.uid, s.owner.gid); err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
}

func (s *Server) mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	s.own(t, dir)
}

func (s *Server) writeFile(t testing.TB, name string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(name, data, mode); err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	s.own(t, name)
}

// writeCertificate makes a self-signed ECDSA certificate for localhost,
// 127.0.0.1 and ::1, valid for a day.
func (s *Server) writeCertificate(t testing.TB) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: Domain, Organization: []string{"Palaver tests"}},
		DNSNames:              []string{Domain},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             now.Add(-time.Hour), // tolerate a little clock skew
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	s.CertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	certs := filepath.Join(s.Dir, "certs")
	s.mkdir(t, certs)
	s.CAFile = filepath.Join(certs, Domain+".crt")
	s.writeFile(t, s.CAFile, s.CertPEM, 0o644)
	s.writeFile(t, filepath.Join(certs, Domain+".key"),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// writePlugins writes the modules in plugins to s.PluginDir.
func (s *Server) writePlugins(t testing.TB, plugins map[string][]byte) {
	t.Helper()
	if len(plugins) == 0 {
		return
	}
	s.PluginDir = filepath.Join(s.Dir, "plugins")
	s.mkdir(t, s.PluginDir)
	for name, data := range plugins {
		if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
			t.Fatalf("prosodytest: plugin file name %q: want a plain file name such as mod_example.lua", name)
		}
		s.writeFile(t, filepath.Join(s.PluginDir, name), data, 0o640)
	}
}

// writeConfig writes the Prosody configuration for the current ports.
func (s *Server) writeConfig(t testing.TB, opts Options) {
	t.Helper()
	q := LuaString
	path := func(name string) string { return q(filepath.Join(s.Dir, name)) }
	ssl := fmt.Sprintf("{ certificate = %s; key = %s; }", q(s.CAFile), path("certs/"+Domain+".key"))
	component, socket := "", ""
	if s.socketDir != "" {
		socket = fmt.Sprintf("admin_socket = %s\n", q(filepath.Join(s.socketDir, "s")))
	}
	if s.MUCDomain != "" {
		// A test's rooms: anyone may create one (restrict_room_creation),
		// locked until configured (muc_room_locking, XEP-0045 §10.1.1),
		// their messages archived and stamped with stanza-ids (muc_mam).
		component = fmt.Sprintf(`
Component %s "muc"
	modules_enabled = { "muc_mam" }
	restrict_room_creation = false
	muc_room_locking = true
`, q(s.MUCDomain))
	}
	https := "https_ports = { }"
	if s.UploadDomain != "" {
		// The service's URLs name 127.0.0.1, which the test certificate
		// covers (a name such as upload.localhost may not resolve), and
		// the https server serves the component under that name.
		limit := opts.UploadLimit
		if limit <= 0 {
			limit = 10 << 20
		}
		https = fmt.Sprintf("https_interfaces = { %s }\nhttps_ports = { %d }", q(s.Host), s.UploadPort)
		component += fmt.Sprintf(`
Component %s "http_file_share"
	http_host = %s
	http_external_url = %s
	http_file_share_size_limit = %d
	http_file_share_daily_quota = %d
%s
`, q(s.UploadDomain), q(s.Host), q(s.UploadURL), limit, 10*limit, opts.UploadConfig)
	}
	modules := make([]string, 0, len(defaultModules)+len(opts.Modules))
	for _, m := range append(append([]string(nil), defaultModules...), opts.Modules...) {
		modules = append(modules, q(m))
	}
	pluginPaths := ""
	if s.PluginDir != "" {
		pluginPaths = fmt.Sprintf("plugin_paths = { %s }\n", q(s.PluginDir))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `-- Written by prosodytest for one test; see %s.
pidfile = %s
data_path = %s
certificates = %s
log = { debug = %s }
storage = "internal"
authentication = "internal_hashed"
allow_registration = false
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
ssl = %s

-- Listen on loopback only, on ports of our choosing, and on nothing else:
-- every service that might be loaded gets an explicit (possibly empty) list.
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_interfaces = { "127.0.0.1" }
c2s_ports = { %d }
c2s_direct_tls_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = { %d }
legacy_ssl_ports = { }
s2s_ports = { }
s2s_direct_tls_ports = { }
component_ports = { }
http_ports = { }
%s

modules_enabled = { %s }
modules_disabled = { "s2s" }
%s%s%s
VirtualHost %s
	ssl = %s
%s%s
`,
		"github.com/palaver-im/palaver/app/prosodytest",
		path("prosody.pid"), path("data"), path("certs"), q(s.logFile), ssl,
		s.Port, s.DirectTLSPort, https,
		strings.Join(modules, ", "), pluginPaths, opts.Global, socket, q(s.Domain), ssl, opts.Host, component)
	s.writeFile(t, s.ConfigFile, []byte(b.String()), 0o640)
}

// LuaString quotes s as a Lua string literal, for configuration and
// storage files.
func LuaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// freePorts returns n distinct TCP ports that were free on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close() // keep all open until the end, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// command returns a command that runs name as the user that runs Prosody.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	if s.owner == nil {
		return exec.Command(name, args...)
	}
	return exec.Command("setpriv", append([]string{
		"--reuid=" + s.owner.name, "--regid=" + s.owner.name, "--init-groups",
		// Changing user clears the parent-death signal; restore it.
		"--pdeathsig=keep",
		"--", name,
	}, args...)...)
}

// launch starts Prosody and waits until it serves streams on Addr.
func (s *Server) launch() error {
	out, err := os.OpenFile(s.outFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close() // the child has its own copy
	// -F: stay in the foreground (Prosody 0.12 ignores unknown flags such as
	// --version and starts anyway, so keep the command line exact).
	cmd := s.command(s.prosody, "--config", s.ConfigFile, "-F")
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	logStart := fileSize(s.logFile) // Prosody appends to the log of earlier runs
	p, err := testproc.Start(cmd)
	if err != nil {
		return fmt.Errorf("starting %s: %w", cmd, err)
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-p.Done:
			return fmt.Errorf("prosody exited before accepting connections (%v); console output:\n%s", p.Err, s.console())
		default:
		}
		perr := probe(s.Addr, s.Domain)
		// Prosody logs a port it cannot bind and carries on without it.
		if strings.Contains(readFileFrom(s.logFile, logStart), "Failed to open server port") {
			s.Stop()
			return fmt.Errorf("%w: prosody could not listen on %s or %s", errPortTaken, s.Addr, s.DirectTLSAddr)
		}
		if perr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("prosody did not serve streams on %s within %v: %v", s.Addr, startTimeout, perr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// probe opens a stream to addr and waits for the stream features, which
// Prosody sends only once it has started and serves the domain.
func probe(addr, domain string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c, "<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", domain); err != nil {
		return err
	}
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte("</stream:features>")) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return fmt.Errorf("reading the stream features: %w (got %q)", err, got)
		}
	}
	if !bytes.Contains(got, []byte("<stream:stream")) {
		return fmt.Errorf("no stream header in %q", got)
	}
	_, _ = c.Write([]byte("</stream:stream>"))
	return nil
}

// Stop stops the server: SIGTERM, then SIGKILL after 5 s. It is called
// automatically when the test ends; calling it again does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p != nil {
		p.Stop(5 * time.Second)
	}
}

// Kill kills the server at once (SIGKILL where there is one), as a crash
// or a power cut would: no stream is closed, nothing is flushed. Start it
// again on the same ports and data with Restart. Killing a stopped server
// does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p != nil {
		_ = p.Cmd.Process.Kill()
		<-p.Done
	}
}

// Restart stops the server, if it runs, and starts it again on the same
// ports with the same accounts and data, e.g. to test reconnection (also
// after Kill).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.launch(); err != nil {
		t.Fatalf("prosodytest: restarting: %v (the server's log follows)", err)
	}
}

// Register creates the account user@Domain with the given password, or
// changes its password if it exists.
func (s *Server) Register(t testing.TB, user, password string) {
	t.Helper()
	cmd := s.command(s.prosodyctl, "--config", s.ConfigFile, "register", user, s.Domain, password)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("prosodytest: prosodyctl register %s %s: %v\n%s", user, s.Domain, err, out)
	}
}

// Shell runs a command of Prosody's admin shell (prosodyctl shell) in the
// running server, such as `module:reload("muc", "conference.localhost")`,
// and returns its output. It needs Options.MUC (which loads the admin
// socket).
func (s *Server) Shell(t testing.TB, command string) string {
	t.Helper()
	cmd := s.command(s.prosodyctl, "--config", s.ConfigFile, "shell", command)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("prosodytest: prosodyctl shell %q: %v\n%s", command, err, out)
	}
	return string(out)
}

// Log returns what the server has logged so far (at debug level: every
// stanza is there).
func (s *Server) Log() string {
	return readFile(s.logFile)
}

// console returns what Prosody printed on its standard output and error,
// without the notice that Debian's Prosody 0.12 prints on every start
// ("Prosody was unable to find lua-unbound": s2s is off, DNS is not used).
func (s *Server) console() string {
	const rule = "**************************"
	var keep []string
	for _, block := range strings.Split(readFileFrom(s.outFile, 0), rule) {
		if !strings.Contains(block, "lua-unbound") && strings.TrimSpace(block) != "" {
			keep = append(keep, strings.TrimSpace(block))
		}
	}
	return strings.Join(keep, "\n")
}

// fileSize returns the size of the file name, 0 if it does not exist.
func fileSize(name string) int64 {
	fi, err := os.Stat(name)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readFileFrom returns the content of the file name from offset off on.
func readFileFrom(name string, off int64) string {
	f, err := os.Open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

func readFile(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}

// RosterItem is a contact written straight into a user's stored roster.
type RosterItem struct {
	JID          string
	Name         string
	Subscription string // none, to, from or both
	Groups       []string
}

// ManyContacts returns n contacts on the server's domain for SetRoster, as
// a large account has them: subscribed both ways, named, in 50 groups.
func (s *Server) ManyContacts(n int) []RosterItem {
	items := make([]RosterItem, n)
	for i := range items {
		items[i] = RosterItem{
			JID:          fmt.Sprintf("contact%04d@%s", i, s.Domain),
			Name:         fmt.Sprintf("Contact %04d", i),
			Subscription: "both",
			Groups:       []string{fmt.Sprintf("Group %02d", i%50)},
		}
	}
	return items
}

// SetRoster replaces the stored roster of user@Domain in Prosody's internal
// storage, to give an account thousands of contacts without thousands of
// requests. Prosody reads it at the user's next sign-in.
func (s *Server) SetRoster(t testing.TB, user string, items []RosterItem) {
	t.Helper()
	var b strings.Builder
	b.WriteString("return {\n\t[false] = { version = 1; pending = {}; };\n")
	for _, it := range items {
		fmt.Fprintf(&b, "\t[%s] = { subscription = %s; ", LuaString(it.JID), LuaString(it.Subscription))
		if it.Name != "" {
			fmt.Fprintf(&b, "name = %s; ", LuaString(it.Name))
		}
		b.WriteString("groups = { ")
		for _, g := range it.Groups {
			fmt.Fprintf(&b, "[%s] = true; ", LuaString(g))
		}
		b.WriteString("}; };\n")
	}
	b.WriteString("};\n")
	dir := filepath.Join(s.Dir, "data", Domain, "roster")
	if _, err := os.Stat(dir); err != nil {
		for _, d := range []string{filepath.Join(s.Dir, "data", Domain), dir} {
			if _, err := os.Stat(d); err != nil {
				s.mkdir(t, d)
			}
		}
	}
	s.writeFile(t, filepath.Join(dir, user+".dat"), []byte(b.String()), 0o640)
}
