package app_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// Tests of issue 9's authentication items: who gets the password, and when
// a session may start.

func TestResourceIsBound(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	acct := accountFor(srv, "alice")
	acct.Resource = "laptop"
	alice := start(t, "alice", acct, "alice-pw")
	on := alice.waitOnline()
	// mellium v0.23.0's bind sent an empty <resource/>, and Prosody chose
	// a random one.
	if want := "alice@" + srv.Domain + "/laptop"; on.Bound != want {
		t.Errorf("bound %q, want %q", on.Bound, want)
	}
	if !strings.HasPrefix(on.Mechanism, "SCRAM-") {
		t.Errorf("signed in with %q, want SCRAM", on.Mechanism)
	}
}

// TestPlainOnlyWhenAllowed: the fake server offers only PLAIN. A password
// account sends its password there only when the user allowed PLAIN for it,
// and never once SCRAM signed it in.
func TestPlainOnlyWhenAllowed(t *testing.T) {
	for i, tc := range []struct {
		allow, pinned bool
		cond          string // "" when signing in works
	}{
		0: {allow: true},
		1: {cond: app.ConditionPlainNotAllowed},
		2: {allow: true, pinned: true, cond: app.ConditionPlainAfterSCRAM},
	} {
		srv := newFakeServer(t)
		acct := srv.account("alice")
		acct.AllowPlain, acct.SCRAMPinned = tc.allow, tc.pinned
		p := start(t, "alice", acct, "secret")
		if tc.cond == "" {
			if on := p.waitOnline(); on.Mechanism != "PLAIN" {
				t.Errorf("%d: mechanism %q", i, on.Mechanism)
			}
			p.stop()
			continue
		}
		f := p.wait("auth failed", func(e app.Event) bool { _, ok := e.(app.AuthFailed); return ok }).(app.AuthFailed)
		if f.Condition != tc.cond {
			t.Errorf("%d: condition %q, want %q", i, f.Condition, tc.cond)
		}
		p.stop()
		if n := p.count(func(e app.Event) bool { s, ok := e.(app.StateChanged); return ok && s.State == app.Online }); n != 0 {
			t.Errorf("%d: went online %d times", i, n)
		}
	}
}

// rawServer accepts TLS connections (or plain TCP when cfg is nil) and
// plays script on each; it counts the connections.
type rawServer struct {
	ln    net.Listener
	conns atomic.Int32
}

func listenRaw(t *testing.T, cfg *tls.Config, script func(r *bufio.Reader, w io.Writer)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	s := &rawServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				script(bufio.NewReader(c), c)
			}()
		}
	}()
	return s
}

func (s *rawServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// readHeader reads the client's <?xml?> and <stream:stream>.
func readHeader(r *bufio.Reader) bool {
	for {
		tag, err := r.ReadString('>')
		if err != nil {
			return false
		}
		if strings.Contains(tag, "<stream:stream") {
			return true
		}
	}
}

const serverHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>`

// TestEmptyFeaturesAfterTLS: a server that lists no feature right after
// TLS must not get a session that sends presence, roster requests or the
// outbox: it is neither authenticated nor bound.
func TestEmptyFeaturesAfterTLS(t *testing.T) {
	fake := newFakeServer(t) // for its certificate
	var sent atomic.Int32
	srv := listenRaw(t, fake.tlsCfg, func(r *bufio.Reader, w io.Writer) {
		if !readHeader(r) {
			return
		}
		io.WriteString(w, serverHeader+`<stream:features/>`)
		// Whatever the client sends now would go to an unauthenticated
		// stream.
		buf := make([]byte, 1)
		for {
			if _, err := r.Read(buf); err != nil {
				return
			}
			if buf[0] == '<' {
				sent.Add(1)
			}
		}
	})
	acct := fake.account("alice")
	acct.Port, acct.DirectTLS = srv.port(), true
	p := start(t, "alice", acct, "secret")
	p.c.SendMessage("bob@localhost", "for bob only")
	f := p.wait("auth failed", func(e app.Event) bool { _, ok := e.(app.AuthFailed); return ok }).(app.AuthFailed)
	if f.Condition != app.ConditionServerNotVerified {
		t.Errorf("condition %q (%s)", f.Condition, f.Text)
	}
	if !errors.Is(f.Err, app.ErrSessionNotSignedIn) || f.Text != "the server started the session without signing in" {
		t.Errorf("error %v, text %q", f.Err, f.Text)
	}
	time.Sleep(200 * time.Millisecond)
	p.stop()
	if n := p.count(func(e app.Event) bool { s, ok := e.(app.StateChanged); return ok && s.State == app.Online }); n != 0 {
		t.Errorf("went online %d times", n)
	}
	if n := sent.Load(); n > 1 { // the closing </stream:stream> at most
		t.Errorf("the client sent %d elements on an unauthenticated stream", n)
	}
	// Waiting for the user, not retrying.
	if n := srv.conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestSeeOtherHostBeforeTLSIsRefused: before STARTTLS anyone on the path
// can write a see-other-host error; it is not followed.
func TestSeeOtherHostBeforeTLSIsRefused(t *testing.T) {
	fake := newFakeServer(t)
	target := listenRaw(t, nil, func(r *bufio.Reader, w io.Writer) {})
	srv := listenRaw(t, nil, func(r *bufio.Reader, w io.Writer) {
		if !readHeader(r) {
			return
		}
		io.WriteString(w, serverHeader+`<stream:error><see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">`+
			target.ln.Addr().String()+`</see-other-host></stream:error></stream:stream>`)
	})
	acct := fake.account("alice")
	acct.Port = srv.port()
	p := start(t, "alice", acct, "secret")
	w := p.wait("waiting", func(e app.Event) bool { s, ok := e.(app.StateChanged); return ok && s.State == app.Waiting }).(app.StateChanged)
	if w.Err == nil || !strings.Contains(w.Err.Error(), "before the connection was encrypted") {
		t.Errorf("error %v", w.Err)
	}
	p.stop()
	if n := target.conns.Load(); n != 0 {
		t.Errorf("followed the redirect: %d connections to the target", n)
	}
}

// TestChannelBindingFailureFallsBackOnce: a server that offers
// SCRAM-*-PLUS without listing its binding types, then fails the binding,
// gets one more attempt without channel binding, unless binding worked for
// the account before (a man in the middle could cause that failure).
func TestChannelBindingFailureFallsBackOnce(t *testing.T) {
	fake := newFakeServer(t) // for its certificate
	for i, tc := range []struct {
		pinned bool
		cbXML  string
		want   []string
	}{
		0: {want: []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}},
		1: {pinned: true, want: []string{"SCRAM-SHA-256-PLUS"}},
		// The server listed tls-exporter: its refusal is the password's.
		2: {cbXML: `<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/></sasl-channel-binding>`,
			want: []string{"SCRAM-SHA-256-PLUS"}},
	} {
		var mu sync.Mutex
		var tried []string
		srv := listenRaw(t, fake.tlsCfg, func(r *bufio.Reader, w io.Writer) {
			if !readHeader(r) {
				return
			}
			io.WriteString(w, serverHeader+`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>`+
				`<mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-256-PLUS</mechanism></mechanisms>`+tc.cbXML+`</stream:features>`)
			auth, err := r.ReadString('>')
			if err != nil {
				return
			}
			if m := regexp.MustCompile(`mechanism=["']([^"']+)`).FindStringSubmatch(auth); m != nil {
				mu.Lock()
				tried = append(tried, m[1])
				mu.Unlock()
			}
			io.WriteString(w, `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>`)
			r.ReadString('>')
		})
		acct := fake.account("alice")
		acct.Port, acct.DirectTLS, acct.ChannelBindingPinned = srv.port(), true, tc.pinned
		p := start(t, "alice", acct, "secret")
		f := p.wait("auth failed", func(e app.Event) bool { _, ok := e.(app.AuthFailed); return ok }).(app.AuthFailed)
		if f.Condition != "not-authorized" {
			t.Errorf("%d: condition %q", i, f.Condition)
		}
		p.stop()
		mu.Lock()
		if !slices.Equal(tried, tc.want) {
			t.Errorf("%d: tried %q, want %q", i, tried, tc.want)
		}
		mu.Unlock()
	}
}
