package sm_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/mux"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/sm"
)

const waitTimeout = 5 * time.Second

const (
	serverHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.org' to='alice@example.org/desk' version='1.0'>`
	bindFeature  = `<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>`
	smFeature    = `<sm xmlns='urn:xmpp:sm:3'><optional/></sm>`
	bound        = "alice@example.org/desk"
)

// el is an element the client sent, as the scripted server read it.
type el struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   string     `xml:",innerxml"`
}

func (e el) attr(local string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (e el) String() string {
	var b strings.Builder
	b.WriteString("<" + e.XMLName.Local)
	for _, a := range e.Attrs {
		fmt.Fprintf(&b, " %s=%q", a.Name.Local, a.Value)
	}
	b.WriteString(">" + e.Inner)
	return b.String()
}

// server plays an XMPP server on one end of a pipe, by script: the test
// writes what the server says and expects what the client says.
type server struct {
	t      *testing.T
	conn   net.Conn
	header chan struct{}
	got    chan el
}

func newServer(t *testing.T, conn net.Conn) *server {
	s := &server{t: t, conn: conn, header: make(chan struct{}, 1), got: make(chan el, 256)}
	go func() {
		defer close(s.got)
		d := xml.NewDecoder(conn)
		depth := 0
		for {
			tok, err := d.Token()
			if err != nil {
				return
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if depth == 0 {
					depth = 1
					s.header <- struct{}{}
					continue
				}
				var e el
				if err := d.DecodeElement(&e, &tok); err != nil {
					return
				}
				s.got <- e
			case xml.EndElement:
				depth--
			}
		}
	}()
	return s
}

// write sends raw XML to the client.
func (s *server) write(x string) {
	s.t.Helper()
	if _, err := s.conn.Write([]byte(x)); err != nil {
		s.t.Errorf("server writing %q: %v", x, err)
	}
}

// open answers the client's stream header with features.
func (s *server) open(features string) {
	s.t.Helper()
	select {
	case <-s.header:
	case <-time.After(waitTimeout):
		s.t.Fatal("the client sent no stream header")
	}
	s.write(serverHeader + `<stream:features>` + features + `</stream:features>`)
}

// expect returns the next element the client sent, which must be named
// local.
func (s *server) expect(local string) el {
	s.t.Helper()
	select {
	case e, ok := <-s.got:
		if !ok {
			s.t.Fatalf("the client closed the stream; expected <%s/>", local)
		}
		if e.XMLName.Local != local {
			s.t.Fatalf("the client sent %s; expected <%s/>", e, local)
		}
		return e
	case <-time.After(waitTimeout):
		s.t.Fatalf("the client sent no <%s/>", local)
	}
	return el{}
}

// quiet checks that the client sends nothing for a while.
func (s *server) quiet(d time.Duration) {
	s.t.Helper()
	select {
	case e, ok := <-s.got:
		if ok {
			s.t.Fatalf("the client sent %s; expected nothing", e)
		}
	case <-time.After(d):
	}
}

// bind answers the client's resource binding.
func (s *server) bind() {
	s.t.Helper()
	iq := s.expect("iq")
	if !strings.Contains(iq.Inner, "xmpp-bind") {
		s.t.Fatalf("expected a bind request, got %s", iq)
	}
	s.write(`<iq type='result' id='` + iq.attr("id") + `'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>` + bound + `</jid></bind></iq>`)
}

// client is a session made by connect, served with sm.Handle.
type client struct {
	sess   *xmpp.Session
	srv    *server
	served chan error
}

// connect starts a session over a new pipe, negotiated by the client
// with sm.Feature around bind and by the server with script (which opens
// the stream and answers binding or resumption). The session is served.
func connect(t *testing.T, st *sm.State, script func(*server)) (*client, error) {
	t.Helper()
	cc, sc := net.Pipe()
	t.Cleanup(func() { cc.Close(); sc.Close() })
	srv := newServer(t, sc)
	type result struct {
		sess *xmpp.Session
		err  error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		sess, err := xmpp.NewSession(ctx, jid.MustParse("example.org"), jid.MustParse("alice@example.org/desk"), noDeadlines{st.Wrap(cc)},
			xmpp.Secure|xmpp.Authn, // TLS and SASL are not what is tested here
			xmpp.NewNegotiator(func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
				return xmpp.StreamConfig{Features: []xmpp.StreamFeature{sm.Feature(st, xmpp.BindResource())}}
			}))
		done <- result{sess, err}
	}()
	script(srv)
	var r result
	select {
	case r = <-done:
	case <-time.After(waitTimeout):
		t.Fatal("the session was not negotiated")
	}
	if r.err != nil {
		return nil, r.err
	}
	c := &client{sess: r.sess, srv: srv, served: make(chan error, 1)}
	go func() { c.served <- r.sess.Serve(mux.New(stanza.NSClient, sm.Handle(st))) }()
	return c, nil
}

// fresh connects with a new session and enables stream management.
func fresh(t *testing.T, st *sm.State, id string) *client {
	t.Helper()
	c, err := connect(t, st, func(s *server) { s.open(bindFeature + smFeature); s.bind() })
	if err != nil {
		t.Fatal(err)
	}
	c.enable(t, st, id)
	return c
}

// enable enables stream management and waits for the state to say so.
func (c *client) enable(t *testing.T, st *sm.State, id string) {
	t.Helper()
	mark := st.Changed()
	go func() { _ = sm.Enable(context.Background(), c.sess, st) }()
	if e := c.srv.expect("enable"); e.attr("resume") != "true" || e.XMLName.Space != sm.NS {
		t.Fatalf("enable: got %s", e)
	}
	c.srv.write(`<enabled xmlns='urn:xmpp:sm:3' id='` + id + `' resume='true' max='600'/>`)
	waitFor(t, st, mark, "enabled", func(s sm.Status) bool { return s.Enabled && s.ID == id })
}

// send writes a message with id from the client.
func (c *client) send(t *testing.T, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	msg := stanza.Message{ID: id, To: jid.MustParse("bob@example.org"), Type: stanza.ChatMessage}
	if err := c.sess.Send(ctx, msg.Wrap(nil)); err != nil {
		t.Fatalf("sending %s: %v", id, err)
	}
}

// messages returns n messages from the server, with ids prefix1….
func messages(prefix string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `<message from='bob@example.org/x' type='chat' id='%s%d'><body>%d</body></message>`, prefix, i, i)
	}
	return b.String()
}

// waitFor waits, from mark (a Changed channel taken before the action),
// until the state satisfies ok.
func waitFor(t *testing.T, st *sm.State, mark <-chan struct{}, what string, ok func(sm.Status) bool) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case <-mark:
		case <-deadline:
			t.Fatalf("waiting for %s: status %+v", what, st.Status())
		}
		mark = st.Changed()
		if ok(st.Status()) {
			return
		}
	}
}

// now is a mark that has passed: waitFor checks the state at once.
func now() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// askAck has the server request an acknowledgement and returns the h the
// client answers with.
func (c *client) askAck(t *testing.T) string {
	t.Helper()
	c.srv.write(`<r xmlns='urn:xmpp:sm:3'/>`)
	return c.srv.expect("a").attr("h")
}

func TestEnableAndAcknowledge(t *testing.T) {
	st := &sm.State{RequestAfter: 2, RequestIdle: 50 * time.Millisecond}
	c := fresh(t, st, "s1")

	// Inbound: three stanzas handled.
	c.srv.write(messages("in", 3))
	if h := c.askAck(t); h != "3" {
		t.Errorf("after 3 stanzas the client acknowledged h=%s", h)
	}

	// Outbound: RequestAfter stanzas ask for an acknowledgement at once.
	c.send(t, "m1")
	c.send(t, "m2")
	c.srv.expect("message")
	c.srv.expect("message")
	c.srv.expect("r")
	if s := st.Status(); s.Sent != 2 || s.Unacked != 2 {
		t.Errorf("after 2 messages: %+v", s)
	}
	mark := st.Changed()
	c.srv.write(`<a xmlns='urn:xmpp:sm:3' h='2'/>`)
	waitFor(t, st, mark, "acknowledged", func(s sm.Status) bool { return s.Acked == 2 && s.Unacked == 0 })

	// One stanza: the request comes after RequestIdle.
	c.send(t, "m3")
	c.srv.expect("message")
	c.srv.expect("r")
	c.srv.quiet(150 * time.Millisecond) // one request, not one per idle period

	// An IQ mellium answers by itself counts too.
	c.srv.write(`<iq type='get' id='q1' from='example.org'><unknown xmlns='urn:example'/></iq>`)
	if e := c.srv.expect("iq"); e.attr("type") != "error" {
		t.Fatalf("expected mellium's error answer, got %s", e)
	}
	c.srv.expect("r")
	if s := st.Status(); s.Sent != 4 || s.Unacked != 2 || s.Handled != 4 {
		t.Errorf("after the IQ: %+v", s)
	}
	mark = st.Changed()
	c.srv.write(`<a xmlns='urn:xmpp:sm:3' h='4'/>`)
	waitFor(t, st, mark, "acknowledged", func(s sm.Status) bool { return s.Acked == 4 && s.Unacked == 0 })
}

// XEP-0198 §4: counts are modulo 2^32.
func TestCountsWrapAround(t *testing.T) {
	st := &sm.State{RequestAfter: 1000, RequestIdle: time.Hour}
	c := fresh(t, st, "s1")
	sm.SetCounts(st, 1<<32-2, 1<<32-1)

	c.srv.write(messages("in", 3))
	if h := c.askAck(t); h != "1" {
		t.Errorf("2^32-2 + 3 stanzas: the client acknowledged h=%s, want 1", h)
	}
	for _, id := range []string{"m1", "m2", "m3"} {
		c.send(t, id)
		c.srv.expect("message")
	}
	if s := st.Status(); s.Sent != 2 || s.Unacked != 3 {
		t.Errorf("2^32-1 + 3 sent: %+v", s)
	}
	mark := st.Changed()
	c.srv.write(`<a xmlns='urn:xmpp:sm:3' h='0'/>`)
	waitFor(t, st, mark, "h=0", func(s sm.Status) bool { return s.Acked == 0 && s.Unacked == 2 })
	mark = st.Changed()
	c.srv.write(`<a xmlns='urn:xmpp:sm:3' h='2'/>`)
	waitFor(t, st, mark, "h=2", func(s sm.Status) bool { return s.Acked == 2 && s.Unacked == 0 })
}

// A server acknowledging what was never sent, or sending an unreadable
// count, ends the session with an error, and nothing panics.
func TestHostileAcknowledgement(t *testing.T) {
	var count *sm.CountError
	var malformed *sm.MalformedError
	for i, tc := range []struct {
		a    string
		want any
	}{
		0: {`<a xmlns='urn:xmpp:sm:3' h='2'/>`, &count},
		1: {`<a xmlns='urn:xmpp:sm:3' h='4294967295'/>`, &count},
		2: {`<a xmlns='urn:xmpp:sm:3' h='4294967296'/>`, &malformed},
		3: {`<a xmlns='urn:xmpp:sm:3' h='-1'/>`, &malformed},
		4: {`<a xmlns='urn:xmpp:sm:3' h='x'/>`, &malformed},
		5: {`<a xmlns='urn:xmpp:sm:3'/>`, &malformed},
		6: {`<enabled xmlns='urn:xmpp:sm:3' id='x' resume='maybe'/>`, &malformed},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			st := &sm.State{RequestIdle: time.Hour}
			c := fresh(t, st, "s1")
			c.send(t, "m1")
			c.srv.expect("message")
			c.srv.write(tc.a)
			select {
			case err := <-c.served:
				if !errors.As(err, tc.want) {
					t.Errorf("session ended with %v, want %T", err, tc.want)
				}
			case <-time.After(waitTimeout):
				t.Fatal("the session went on")
			}
		})
	}
}

func TestResumeResendsExactlyTheUnacknowledged(t *testing.T) {
	st := &sm.State{RequestIdle: time.Hour}
	c := fresh(t, st, "s1")
	c.srv.write(messages("in", 3))
	if h := c.askAck(t); h != "3" {
		t.Fatalf("h=%s", h)
	}
	for _, id := range []string{"m1", "m2", "m3"} {
		c.send(t, id)
		c.srv.expect("message")
	}
	mark := st.Changed()
	c.srv.write(`<a xmlns='urn:xmpp:sm:3' h='1'/>`)
	waitFor(t, st, mark, "h=1", func(s sm.Status) bool { return s.Acked == 1 })
	// Two more arrive that the client never answers for: the link dies.
	c.srv.write(messages("late", 2))
	handled(t, st, 5)
	c.sess.Conn().Close()
	<-c.served

	// The server got m1 and m2 (h=2); the client got 5 stanzas.
	c2, err := connect(t, st, func(s *server) {
		s.open(bindFeature + smFeature)
		r := s.expect("resume")
		if r.attr("previd") != "s1" || r.attr("h") != "5" {
			t.Errorf("resume: got %s, want previd s1 and h=5", r)
		}
		s.write(`<resumed xmlns='urn:xmpp:sm:3' h='2' previd='s1'/>`)
		if m := s.expect("message"); m.attr("id") != "m3" {
			t.Errorf("resent %s, want only m3", m)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c2.sess.LocalAddr().String(); got != bound {
		t.Errorf("resumed session's address %q, want %q", got, bound)
	}
	s := st.Status()
	if !s.Resumed || !s.Enabled || s.Sent != 3 || s.Unacked != 1 || s.Acked != 2 {
		t.Errorf("after resumption: %+v", s)
	}
	// Enable does nothing on a resumed session; nothing else was resent.
	if err := sm.Enable(context.Background(), c2.sess, st); err != nil {
		t.Error(err)
	}
	c2.srv.quiet(100 * time.Millisecond)
	select {
	case err := <-c2.served:
		t.Fatalf("the resumed session ended: %v", err)
	default:
	}
	// The server resends what the client had not acknowledged: counted
	// from the client's h, once.
	c2.srv.write(messages("again", 1))
	if h := c2.askAck(t); h != "6" {
		t.Errorf("after one more stanza the client acknowledged h=%s, want 6", h)
	}
	mark = st.Changed()
	c2.srv.write(`<a xmlns='urn:xmpp:sm:3' h='3'/>`)
	waitFor(t, st, mark, "h=3", func(s sm.Status) bool { return s.Acked == 3 && s.Unacked == 0 })
}

func TestResumeRefusedStartsFresh(t *testing.T) {
	st := &sm.State{RequestIdle: time.Hour}
	c := fresh(t, st, "s1")
	c.send(t, "m1")
	c.srv.expect("message")
	c.sess.Conn().Close()
	<-c.served

	c2, err := connect(t, st, func(s *server) {
		s.open(bindFeature + smFeature)
		s.expect("resume")
		s.write(`<failed xmlns='urn:xmpp:sm:3' h='0'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`)
		s.bind()
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := st.Status(); s.Resumed || s.Enabled || s.ID != "" || s.Unacked != 0 || s.Failed != "item-not-found" {
		t.Errorf("after a refused resumption: %+v", s)
	}
	// Nothing of the old session is written on the new one.
	c2.srv.quiet(100 * time.Millisecond)
	c2.enable(t, st, "s2")
	c2.send(t, "m2")
	if m := c2.srv.expect("message"); m.attr("id") != "m2" {
		t.Errorf("sent %s", m)
	}
	if s := st.Status(); s.Sent != 1 || s.Unacked != 1 || s.Failed != "" {
		t.Errorf("new session: %+v", s)
	}
}

func TestNoResumption(t *testing.T) {
	for i, tc := range []struct {
		name     string
		features string
		setup    func(*sm.State)
	}{
		0: {"not offered", bindFeature, nil},
		1: {"lost longer than max ago", bindFeature + smFeature, func(st *sm.State) { sm.SetLost(st, time.Now().Add(-11*time.Minute)) }},
		2: {"forgotten", bindFeature + smFeature, (*sm.State).Forget},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			st := &sm.State{RequestIdle: time.Hour}
			c := fresh(t, st, "s1")
			c.send(t, "m1")
			c.srv.expect("message")
			c.sess.Conn().Close()
			<-c.served
			if tc.setup != nil {
				tc.setup(st)
			}
			// bind expects the bind request first: no <resume/>.
			c2, err := connect(t, st, func(s *server) { s.open(tc.features); s.bind() })
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if s := st.Status(); s.Resumed || s.Unacked != 0 {
				t.Errorf("%s: %+v", tc.name, s)
			}
			if tc.features == bindFeature {
				if err := sm.Enable(context.Background(), c2.sess, st); !errors.Is(err, sm.ErrUnsupported) {
					t.Errorf("Enable without the feature: %v", err)
				}
			}
		})
	}
}

func TestResumedCountTooHigh(t *testing.T) {
	st := &sm.State{RequestIdle: time.Hour}
	c := fresh(t, st, "s1")
	c.send(t, "m1")
	c.srv.expect("message")
	c.sess.Conn().Close()
	<-c.served

	_, err := connect(t, st, func(s *server) {
		s.open(bindFeature + smFeature)
		s.expect("resume")
		s.write(`<resumed xmlns='urn:xmpp:sm:3' h='2' previd='s1'/>`)
	})
	var count *sm.CountError
	if !errors.As(err, &count) || count.H != 2 || count.Sent != 1 {
		t.Fatalf("got %v, want a CountError for h=2 with 1 sent", err)
	}
	if s := st.Status(); s.ID != "" || s.Unacked != 0 {
		t.Errorf("the state was kept: %+v", s)
	}
}

func TestEnableRefused(t *testing.T) {
	st := &sm.State{RequestIdle: 10 * time.Millisecond}
	c, err := connect(t, st, func(s *server) { s.open(bindFeature + smFeature); s.bind() })
	if err != nil {
		t.Fatal(err)
	}
	mark := st.Changed()
	go func() { _ = sm.Enable(context.Background(), c.sess, st) }()
	c.srv.expect("enable")
	c.srv.write(`<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`)
	waitFor(t, st, mark, "failed", func(s sm.Status) bool { return s.Failed == "unexpected-request" })
	c.send(t, "m1")
	c.srv.expect("message")
	c.srv.quiet(100 * time.Millisecond) // no <r/>
	if s := st.Status(); s.Enabled || s.Sent != 0 || s.Unacked != 0 {
		t.Errorf("without stream management: %+v", s)
	}
}

// XEP-0198 §5: a preferred location for resumption is kept only when it
// is the account's own domain (or a host below it).
func TestLocation(t *testing.T) {
	for i, tc := range []struct{ location, want string }{
		0: {"example.org", "example.org"},
		1: {"xmpp.example.org:5222", "xmpp.example.org:5222"},
		2: {"[2001:db8::1]:5222", ""},
		3: {"evil.example:5222", ""},
		4: {"example.org.evil.example", ""},
		5: {"badexample.org", ""},
	} {
		st := &sm.State{RequestIdle: time.Hour}
		c, err := connect(t, st, func(s *server) { s.open(bindFeature + smFeature); s.bind() })
		if err != nil {
			t.Fatal(err)
		}
		mark := st.Changed()
		go func() { _ = sm.Enable(context.Background(), c.sess, st) }()
		c.srv.expect("enable")
		c.srv.write(`<enabled xmlns='urn:xmpp:sm:3' id='x' resume='1' location='` + tc.location + `'/>`)
		waitFor(t, st, mark, "enabled", func(s sm.Status) bool { return s.Enabled })
		if got := st.Status().Location; got != tc.want {
			t.Errorf("%d: location %q kept as %q, want %q", i, tc.location, got, tc.want)
		}
	}
}

// The wrapper passes bytes through unchanged, whatever the chunking.
func TestWrapIsTransparent(t *testing.T) {
	st := &sm.State{}
	cc, sc := net.Pipe()
	defer cc.Close()
	defer sc.Close()
	w := st.Wrap(cc)
	in := serverHeader + messages("x", 50) + `<r xmlns='urn:xmpp:sm:3'/>`
	go func() {
		for i := 0; i < len(in); i += 37 {
			_, _ = sc.Write([]byte(in[i:min(i+37, len(in))]))
		}
	}()
	got := make([]byte, 0, len(in))
	buf := make([]byte, 100)
	for len(got) < len(in) {
		n, err := w.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != in {
		t.Errorf("read %q", got)
	}
}

// handled waits until the client counted n stanzas received (counts of
// received stanzas do not signal Changed).
func handled(t *testing.T, st *sm.State, n uint32) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for st.Status().Handled != n {
		if time.Now().After(deadline) {
			t.Fatalf("handled %d stanzas, want %d", st.Status().Handled, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Beyond MaxQueue unacknowledged stanzas the client keeps none: the
// session is not resumed (nothing could be resent), the next connection
// binds afresh, and the counts still hold until then.
func TestQueueOverflowGivesUpResumption(t *testing.T) {
	st := &sm.State{RequestAfter: 1 << 30, RequestIdle: time.Hour}
	c := fresh(t, st, "s1")
	drained := make(chan int)
	go func() {
		n := 0
		for e := range c.srv.got {
			if e.XMLName.Local == "message" {
				n++
				if n == sm.MaxQueue+1 {
					break
				}
			}
		}
		drained <- n
	}()
	for i := range sm.MaxQueue + 1 {
		c.send(t, fmt.Sprint("m", i))
	}
	<-drained
	if s := st.Status(); s.Unacked != 0 || s.Sent != sm.MaxQueue+1 {
		t.Errorf("after %d stanzas: %+v", sm.MaxQueue+1, s)
	}
	mark := st.Changed()
	c.srv.write(fmt.Sprintf(`<a xmlns='urn:xmpp:sm:3' h='%d'/>`, sm.MaxQueue+1))
	waitFor(t, st, mark, "acknowledged", func(s sm.Status) bool { return s.Acked == sm.MaxQueue+1 })
	c.sess.Conn().Close()
	<-c.served
	if _, err := connect(t, st, func(s *server) { s.open(bindFeature + smFeature); s.bind() }); err != nil {
		t.Fatal(err)
	}
	if s := st.Status(); s.Resumed {
		t.Errorf("resumed after an overflow: %+v", s)
	}
}
