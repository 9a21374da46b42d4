package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"net"
	"sync"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/internal/faultproxy"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// Stream management (XEP-0198) in the core, against a real Prosody with
// mod_smacks, through the fault proxy.

// smServer starts a Prosody with stream management where alice and bob
// see each other.
func smServer(t testing.TB) *prosodytest.Server {
	t.Helper()
	srv := prosodytest.StartWith(t, prosodytest.Options{Modules: []string{"smacks"}})
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	srv.SetRoster(t, "alice", []prosodytest.RosterItem{{JID: "bob@" + srv.Domain, Name: "Bob", Subscription: "both"}})
	srv.SetRoster(t, "bob", []prosodytest.RosterItem{{JID: "alice@" + srv.Domain, Name: "Alice", Subscription: "both"}})
	return srv
}

// wirePeer is a bare mellium session that counts, by body, the messages
// it gets on the wire: the core's archive drops repeats, the wire does
// not.
type wirePeer struct {
	sess *xmpp.Session
	mu   sync.Mutex
	seen map[string]int
	more chan struct{}
}

func dialWirePeer(t *testing.T, srv *prosodytest.Server, user string) *wirePeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	// As the core does (app/signin.go, noDeadlines): mellium turns each
	// context into deadlines from a goroutine that may set one in the past
	// after the call returned (mellium session.go, setWriteDeadline), and
	// the peer's next write then failed with "i/o timeout" at random.
	conn := deadlineless{raw}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CertPEM)
	sess, err := xmpp.NewClientSession(ctx, jid.MustParse(user+"@"+srv.Domain), conn,
		xmpp.StartTLS(&tls.Config{RootCAs: pool, ServerName: srv.Domain, MinVersion: tls.VersionTLS12}),
		xmpp.SASL("", user+"-pw", sasl.ScramSha256, sasl.ScramSha1),
		xmpp.BindResource())
	if err != nil {
		conn.Close()
		t.Fatalf("signing in as %s: %v", user, err)
	}
	p := &wirePeer{sess: sess, seen: map[string]int{}, more: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			if start.Name.Local != "message" {
				return nil
			}
			var m struct {
				Body string `xml:"body"`
			}
			if err := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), r)).Decode(&m); err != nil || m.Body == "" {
				return nil
			}
			p.mu.Lock()
			p.seen[m.Body]++
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
			return nil
		}))
	}()
	// Available, so that messages to the bare address reach it.
	if err := sess.Send(ctx, stanza.Presence{}.Wrap(nil)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sess.Close()
		_ = sess.Conn().Close()
		<-done
	})
	return p
}

// deadlineless hides a connection's deadlines from mellium (see
// dialWirePeer).
type deadlineless struct{ net.Conn }

func (deadlineless) SetDeadline(time.Time) error      { return nil }
func (deadlineless) SetReadDeadline(time.Time) error  { return nil }
func (deadlineless) SetWriteDeadline(time.Time) error { return nil }

func (p *wirePeer) count(body string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[body]
}

// wait waits until body arrived.
func (p *wirePeer) wait(t *testing.T, body string) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for p.count(body) == 0 {
		select {
		case <-p.more:
		case <-deadline:
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Fatalf("%q never arrived on the wire; got %v", body, p.seen)
		}
	}
}

func (p *wirePeer) send(t *testing.T, to, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	msg := stanza.Message{To: jid.MustParse(to), Type: stanza.ChatMessage}
	b := xmlstream.Wrap(xmlstream.Token(xml.CharData(body)), xml.StartElement{Name: xml.Name{Local: "body"}})
	if err := p.sess.Send(ctx, msg.Wrap(b)); err != nil {
		t.Fatal(err)
	}
}

func isRosterReset(e app.Event) bool { _, ok := e.(app.RosterReset); return ok }

// TestStreamManagementResumes cuts alice's link while messages go both
// ways: her core resumes the session (no new roster fetch), the message
// she typed into the dead link reaches bob exactly once on the wire, and
// bob's message that could not reach her arrives.
func TestStreamManagementResumes(t *testing.T) {
	srv := smServer(t)
	px := faultproxy.Start(t, srv.Addr)
	bob := dialWirePeer(t, srv, "bob")
	acct := accountFor(srv, "alice")
	acct.Host, acct.Port = px.Host(), px.Port()
	alice := start(t, "alice", acct, "alice-pw")
	alice.waitOnline()
	bobJID, aliceJID := "bob@"+srv.Domain, "alice@"+srv.Domain

	// A round trip each way: stream management is enabled before Online,
	// so its answer came before bob's message.
	bob.send(t, aliceJID, "b1")
	alice.wait("b1", got(bobJID, "b1"))
	alice.c.SendMessage(bobJID, "a1")
	bob.wait(t, "a1")

	px.Stall(true)
	bob.send(t, aliceJID, "b2")
	m := alice.mark()
	alice.c.SendMessage(bobJID, "a2")
	// The core writes it within milliseconds (no event says so): then
	// only stream management's resend can deliver it, since the outbox
	// does not write again what the resumed session carries. Were it not
	// written yet, the outbox would send it after the resumption: once
	// all the same.
	time.Sleep(300 * time.Millisecond)
	px.DropAll()
	alice.waitFrom(m, "the drop noticed", func(e app.Event) bool {
		s, ok := e.(app.StateChanged)
		return ok && s.State != app.Online
	})
	px.Stall(false)
	alice.waitFrom(m, "online again", isState(app.Online))

	bob.wait(t, "a2")
	alice.wait("b2", got(bobJID, "b2"))
	// Barrier: a3 comes after anything written before it.
	alice.c.SendMessage(bobJID, "a3")
	bob.wait(t, "a3")
	for _, body := range []string{"a1", "a2", "a3"} {
		if n := bob.count(body); n != 1 {
			t.Errorf("bob got %q %d times on the wire, want once", body, n)
		}
	}
	if n := alice.count(isRosterReset); n != 1 {
		t.Errorf("alice fetched the roster %d times; a resumed session keeps it", n)
	}
	if n := alice.count(isState(app.Online)); n != 2 {
		t.Errorf("alice went online %d times, want 2", n)
	}
	// Bob's presence, marked last seen while the link was down, is live
	// again: the resumed session keeps it and the server sends it no more.
	var last app.PresenceChanged
	alice.mu.Lock()
	for _, e := range alice.events {
		if p, ok := e.(app.PresenceChanged); ok && p.JID == bobJID {
			last = p
		}
	}
	alice.mu.Unlock()
	if !last.Best.IsAvailable() || last.Stale {
		t.Errorf("bob's presence after the resumption: %+v, want available and live", last)
	}
}

// TestStreamManagementRefusedStartsFresh restarts the server: the session
// to resume is gone, so the core binds a new one, fetches the roster again
// and sends the message typed meanwhile once.
func TestStreamManagementRefusedStartsFresh(t *testing.T) {
	srv := smServer(t)
	alice := start(t, "alice", accountFor(srv, "alice"), "alice-pw")
	alice.waitOnline()
	bobJID := "bob@" + srv.Domain

	m := alice.mark()
	srv.Stop()
	alice.waitFrom(m, "the stop noticed", func(e app.Event) bool {
		s, ok := e.(app.StateChanged)
		return ok && s.State != app.Online
	})
	alice.c.SendMessage(bobJID, "while down")
	srv.Restart(t)
	alice.waitFrom(m, "online again", isState(app.Online))
	bob := dialWirePeer(t, srv, "bob")
	alice.c.SendMessage(bobJID, "after")
	bob.wait(t, "after")
	if n := alice.count(isRosterReset); n != 2 {
		t.Errorf("alice fetched the roster %d times, want 2: a new session needs it", n)
	}
	// "while down" went to bob while he was offline: it is stored for him
	// and came with his sign-in, once.
	if n := bob.count("while down"); n != 1 {
		t.Errorf("bob got the message typed while the server was down %d times, want once", n)
	}
}

// BenchmarkSignIn5000ContactsSM is BenchmarkSignIn5000Contacts with stream
// management on (Prosody's mod_smacks): the server asks for an
// acknowledgement after its stanzas, and the core answers each <r/>.
func BenchmarkSignIn5000ContactsSM(b *testing.B) {
	benchSignIn5000(b, prosodytest.StartWith(b, prosodytest.Options{Modules: []string{"smacks"}}))
}
