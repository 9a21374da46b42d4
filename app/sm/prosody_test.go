package sm_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/mux"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/internal/faultproxy"
	"github.com/palaver-im/palaver/app/prosodytest"
	"github.com/palaver-im/palaver/app/sm"
)

// These tests run against a real Prosody (mod_smacks, in Prosody 0.12's
// own modules) started by prosodytest; it skips them when Prosody is
// missing, but fails them when CI is set.

// noDeadlines hides deadlines from mellium, as the app does (see
// app/signin.go): mellium can set a past deadline just after a call
// returned and cut the next TLS write.
type noDeadlines struct{ net.Conn }

func (noDeadlines) SetDeadline(time.Time) error      { return nil }
func (noDeadlines) SetReadDeadline(time.Time) error  { return nil }
func (noDeadlines) SetWriteDeadline(time.Time) error { return nil }

// peer is a served session that records the ids of the messages it gets.
type peer struct {
	sess   *xmpp.Session
	got    chan string
	served chan error    // Serve's result
	done   chan struct{} // closed when Serve returned
}

// dialPeer signs user in at addr (Prosody or a proxy in front of it).
// With st, the session counts for stream management: both the plain and
// the TLS connection are wrapped, and binding is sm.Feature's.
func dialPeer(t *testing.T, srv *prosodytest.Server, addr, user string, st *sm.State) *peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CertPEM)
	starttls := xmpp.StartTLS(&tls.Config{RootCAs: pool, ServerName: srv.Domain, MinVersion: tls.VersionTLS12})
	bind := xmpp.BindResource()
	var conn net.Conn = raw
	if st != nil {
		conn = st.Wrap(raw)
		negotiate := starttls.Negotiate
		starttls.Negotiate = func(ctx context.Context, s *xmpp.Session, data any) (xmpp.SessionState, io.ReadWriter, error) {
			mask, rw, err := negotiate(ctx, s, data)
			if c, ok := rw.(net.Conn); ok && err == nil {
				rw = noDeadlines{st.Wrap(c)}
			}
			return mask, rw, err
		}
		bind = sm.Feature(st, bind)
	}
	features := []xmpp.StreamFeature{starttls, xmpp.SASL("", user+"-pw", sasl.ScramSha256, sasl.ScramSha1), bind}
	sess, err := xmpp.NewSession(ctx, jid.MustParse(srv.Domain), jid.MustParse(user+"@"+srv.Domain), noDeadlines{conn}, 0,
		xmpp.NewNegotiator(func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			return xmpp.StreamConfig{Features: features}
		}))
	if err != nil {
		raw.Close()
		t.Fatalf("signing in as %s: %v", user, err)
	}
	p := &peer{sess: sess, got: make(chan string, 64), served: make(chan error, 1), done: make(chan struct{})}
	var smMux *mux.ServeMux
	if st != nil {
		smMux = mux.New(stanza.NSClient, sm.Handle(st))
	}
	go func() {
		defer close(p.done)
		p.served <- sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			switch {
			case start.Name.Space == sm.NS && smMux != nil:
				return smMux.HandleXMPP(r, start)
			case start.Name.Local == "message":
				for _, a := range start.Attr {
					if a.Name.Local == "id" {
						p.got <- a.Value
					}
				}
			}
			return nil
		}))
	}()
	t.Cleanup(func() {
		_ = sess.Close()
		_ = sess.Conn().Close()
		<-p.done
	})
	return p
}

// send writes a chat message with id to to.
func (p *peer) send(t *testing.T, to jid.JID, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	msg := stanza.Message{ID: id, To: to, Type: stanza.ChatMessage}
	body := xmlstream.Wrap(xmlstream.Token(xml.CharData(id)), xml.StartElement{Name: xml.Name{Local: "body"}})
	if err := p.sess.Send(ctx, msg.Wrap(body)); err != nil {
		t.Fatalf("sending %s: %v", id, err)
	}
}

// until collects message ids until last arrives, and returns them all.
func (p *peer) until(t *testing.T, last string) []string {
	t.Helper()
	var ids []string
	deadline := time.After(10 * time.Second)
	for {
		select {
		case id := <-p.got:
			ids = append(ids, id)
			if id == last {
				return ids
			}
		case <-deadline:
			t.Fatalf("%s never arrived; got %q", last, ids)
		}
	}
}

// TestProsodyResumption cuts the link of a session with stream
// management while messages go both ways, resumes it, and checks that
// every message arrives exactly once: the one the client wrote into the
// dead link is resent, the one the server could not deliver comes with
// the resumption, and those delivered before are not repeated.
func TestProsodyResumption(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{
		Modules: []string{"smacks"},
		Global:  "smacks_hibernation_time = 60\n",
	})
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	px := faultproxy.Start(t, srv.Addr)
	bob := dialPeer(t, srv, srv.Addr, "bob", nil)
	st := &sm.State{}

	alice := dialPeer(t, srv, px.Addr(), "alice", st)
	mark := st.Changed()
	if err := sm.Enable(context.Background(), alice.sess, st); err != nil {
		t.Fatal(err)
	}
	waitFor(t, st, mark, "enabled", func(s sm.Status) bool { return s.Enabled && s.Resumable })
	aliceJID := alice.sess.LocalAddr()

	bob.send(t, aliceJID, "b1")
	bob.send(t, aliceJID, "b2")
	if got := alice.until(t, "b2"); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Fatalf("alice got %q", got)
	}

	// The link goes silent, then dies: b3 cannot reach alice, a1 cannot
	// reach the server.
	px.Stall(true)
	bob.send(t, aliceJID, "b3")
	alice.send(t, bob.sess.LocalAddr(), "a1")
	px.DropAll()
	select {
	case <-alice.served:
	case <-time.After(waitTimeout):
		t.Fatal("alice's session outlived its connection")
	}
	px.Stall(false)
	if s := st.Status(); s.Unacked == 0 || s.ID == "" {
		t.Fatalf("nothing to resume: %+v", s)
	}

	alice2 := dialPeer(t, srv, px.Addr(), "alice", st)
	if s := st.Status(); !s.Resumed || !s.Enabled {
		t.Fatalf("not resumed: %+v", s)
	}
	if got := alice2.sess.LocalAddr(); !got.Equal(aliceJID) {
		t.Errorf("resumed as %s, was %s", got, aliceJID)
	}

	// Marks: a2 after a1, b4 after b3; each side sees exactly what it was
	// sent, once.
	alice2.send(t, bob.sess.LocalAddr(), "a2")
	if got := bob.until(t, "a2"); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Errorf("bob got %q, want a1 and a2 once each", got)
	}
	bob.send(t, aliceJID, "b4")
	if got := alice2.until(t, "b4"); !slices.Equal(got, []string{"b3", "b4"}) {
		t.Errorf("alice got %q after resuming, want b3 and b4 once each", got)
	}
	// Prosody acknowledges what alice sent (it asks for acks itself and
	// answers ours): the queue empties.
	waitFor(t, st, now(), "acknowledged", func(s sm.Status) bool { return s.Unacked == 0 })
}

// TestProsodyRefusesUnknownSession resumes a session the server does not
// know (it restarted): the client binds a fresh one.
func TestProsodyRefusesUnknownSession(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{Modules: []string{"smacks"}})
	srv.Register(t, "alice", "alice-pw")
	st := &sm.State{}
	alice := dialPeer(t, srv, srv.Addr, "alice", st)
	mark := st.Changed()
	if err := sm.Enable(context.Background(), alice.sess, st); err != nil {
		t.Fatal(err)
	}
	waitFor(t, st, mark, "enabled", func(s sm.Status) bool { return s.Enabled })
	old := st.Status().ID

	srv.Restart(t)
	select {
	case <-alice.served:
	case <-time.After(waitTimeout):
		t.Fatal("alice's session outlived the server")
	}
	alice2 := dialPeer(t, srv, srv.Addr, "alice", st)
	if s := st.Status(); s.Resumed || s.Failed != "item-not-found" {
		t.Fatalf("after a restart of the server: %+v", s)
	}
	if alice2.sess.LocalAddr().Resourcepart() == "" {
		t.Error("no resource bound")
	}
	mark = st.Changed()
	if err := sm.Enable(context.Background(), alice2.sess, st); err != nil {
		t.Fatal(err)
	}
	waitFor(t, st, mark, "enabled", func(s sm.Status) bool { return s.Enabled && s.ID != old })
}
