package bind_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/bind"
)

var reqRe = regexp.MustCompile(`<iq[^>]*id="([^"]+)"[^>]*>(.*)</iq>`)

// server answers the stream header with a bind feature, reads the client's
// request, sends it on got, and answers with reply(id).
func server(t *testing.T, conn net.Conn, reply func(id string) string) <-chan string {
	got := make(chan string, 1)
	go func() {
		defer close(got)
		r := bufio.NewReader(conn)
		for range 2 {
			if _, err := r.ReadString('>'); err != nil {
				return
			}
		}
		io.WriteString(conn, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.org' version='1.0'>`+
			`<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`)
		var b strings.Builder
		for !strings.HasSuffix(b.String(), "</iq>") {
			c, err := r.ReadByte()
			if err != nil {
				return
			}
			b.WriteByte(c)
		}
		got <- b.String()
		m := reqRe.FindStringSubmatch(b.String())
		if m == nil {
			return
		}
		io.WriteString(conn, reply(m[1]))
	}()
	return got
}

func TestBind(t *testing.T) {
	result := func(j string) func(string) string {
		return func(id string) string {
			return `<iq type='result' id='` + id + `'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>` + j + `</jid></bind></iq>`
		}
	}
	for i, tc := range []struct {
		origin  string
		reply   func(string) string
		request string // inner XML of the request
		bound   string // "" when an error is expected
		cond    stanza.Condition
	}{
		// The resource goes out as asked (mellium v0.23.0 sent it empty).
		0: {"alice@example.org/laptop", result("alice@example.org/laptop"),
			`<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>laptop</resource></bind>`, "alice@example.org/laptop", ""},
		// The server may pick another one (RFC 6120 §7.7.2.2).
		1: {"alice@example.org/laptop", result("alice@example.org/laptop-4f2a"),
			`<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>laptop</resource></bind>`, "alice@example.org/laptop-4f2a", ""},
		// No resource: the server chooses.
		2: {"alice@example.org", result("alice@example.org/x7"),
			`<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"></bind>`, "alice@example.org/x7", ""},
		// Markup in a resource is text.
		3: {"alice@example.org/a<b", result("alice@example.org/a&lt;b"),
			`<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>a&lt;b</resource></bind>`, "alice@example.org/a<b", ""},
		4: {"alice@example.org/laptop", func(id string) string {
			return `<iq type='error' id='` + id + `'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`
		}, "", "", stanza.Conflict},
		// Hostile or broken answers.
		5: {"alice@example.org/laptop", result("mallory@evil.example/laptop"), "", "", ""},
		6: {"alice@example.org/laptop", result("example.org"), "", "", ""},
		7: {"alice@example.org/laptop", result("not a jid@@/"), "", "", ""},
		8: {"alice@example.org/laptop", func(string) string {
			return `<iq type='result' id='other'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.org/laptop</jid></bind></iq>`
		}, "", "", ""},
	} {
		client, srv := net.Pipe()
		got := server(t, srv, tc.reply)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		sess, err := xmpp.NewSession(ctx, jid.MustParse("example.org"), jid.MustParse(tc.origin), client,
			xmpp.Secure|xmpp.Authn,
			xmpp.NewNegotiator(func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
				return xmpp.StreamConfig{Features: []xmpp.StreamFeature{bind.Feature()}}
			}))
		cancel()
		req := <-got
		client.Close()
		srv.Close()
		if tc.request != "" && !strings.Contains(req, tc.request) {
			t.Errorf("%d: request %q, want %q in it", i, req, tc.request)
		}
		if tc.bound == "" {
			var se stanza.Error
			switch {
			case err == nil:
				t.Errorf("%d: bound %s, want an error", i, sess.LocalAddr())
			case tc.cond != "" && (!errors.As(err, &se) || se.Condition != tc.cond):
				t.Errorf("%d: got %v, want %s", i, err, tc.cond)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if got := sess.LocalAddr().String(); got != tc.bound {
			t.Errorf("%d: bound %s, want %s", i, got, tc.bound)
		}
		if sess.State()&xmpp.Ready == 0 {
			t.Errorf("%d: session not ready", i)
		}
	}
}
