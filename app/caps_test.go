package app_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/caps"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// The XEP-0115 §5.2 example: a client and the ver of what it supports.
const (
	exodusNode     = "http://code.google.com/p/exodus"
	exodusVer      = "QgayPKawpkPSDYmwT/WM94uAlu0="
	exodusFeatures = `<identity category="client" name="Exodus 0.9.1" type="pc"/>` +
		`<feature var="http://jabber.org/protocol/caps"/><feature var="http://jabber.org/protocol/disco#info"/>` +
		`<feature var="http://jabber.org/protocol/disco#items"/><feature var="http://jabber.org/protocol/muc"/>`
	// psiFeatures are those of the §5.3 example, which hash otherwise.
	psiFeatures = `<identity category="client" name="Psi" type="pc"/><feature var="http://jabber.org/protocol/chatstates"/>`
)

// capsPresence is an available presence from full announcing ver.
func capsPresence(full, node, ver string) string {
	return `<presence from="` + full + `"><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="` + node + `" ver="` + ver + `"/></presence>`
}

// attr returns the value of the first attribute name in the XML text s.
func attr(s, name string) string {
	m := regexp.MustCompile(` ` + name + `="([^"]*)"`).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

// answerDisco makes conn answer the client's disco#info queries: to the
// addresses in byTo, with a query holding the inner XML given. Others are
// refused (by mellium's server) with service-unavailable.
func answerDisco(conn *fakeConn, byTo map[string]string) {
	conn.mu.Lock()
	defer conn.mu.Unlock()
	conn.answer = func(iq string) (string, bool) {
		to := attr(iq, "to")
		inner, ok := byTo[to]
		if !ok || !strings.Contains(iq, "http://jabber.org/protocol/disco#info") {
			return "", false
		}
		return `<iq type="result" id="` + attr(iq, "id") + `" from="` + to + `"><query xmlns="http://jabber.org/protocol/disco#info" node="` +
			attr(iq, "node") + `">` + inner + `</query></iq>`, true
	}
}

func isFeatures(full string) func(app.Event) bool {
	return func(e app.Event) bool {
		f, ok := e.(app.ContactFeatures)
		return ok && f.JID == full
	}
}

// TestCapsOwnPresenceAndAnswer: every available presence carries
// Palaver's caps (XEP-0115 §4), and a query for node#ver gets the same
// answer as one without a node (§6.2), which hashes to that ver (what a
// peer checks, §5.4); any other node gets item-not-found.
func TestCapsOwnPresenceAndAnswer(t *testing.T) {
	srv := newFakeServer(t)
	alice := start(t, "alice", srv.account("alice"), "pw")
	conn := srv.next(t)
	alice.waitOnline()
	first := conn.expect(t, "<presence")
	// (The fake server's encoder writes xmlns twice.)
	c := []string{`<c xmlns="http://jabber.org/protocol/caps"`, ` hash="sha-1" node="https://palaver.im" ver="` + app.OwnCapsVer + `"></c></presence>`}
	for _, part := range c {
		if !strings.Contains(first, part) {
			t.Fatalf("first presence without our caps %s:\n%s", c, first)
		}
	}
	alice.c.SetPresence(im.Away, "lunch")
	conn.expect(t, append([]string{"<presence", "<show>away</show>"}, c...)...)

	nodeVer := "https://palaver.im#" + app.OwnCapsVer
	for i, q := range []string{``, ` node="` + nodeVer + `"`} {
		id := fmt.Sprintf("q%d", i)
		conn.raw(t, `<iq type="get" id="`+id+`" from="bob@localhost/pc"><query xmlns="http://jabber.org/protocol/disco#info"`+q+`/></iq>`)
		got := conn.expect(t, `id="`+id+`"`, `type="result"`)
		if q != "" && !strings.Contains(got, `node="`+nodeVer+`"`) {
			t.Errorf("answer for node#ver does not echo the node:\n%s", got)
		}
		if ver := verOf(t, got); ver != app.OwnCapsVer {
			t.Errorf("answer %d hashes to %s, presence says %s:\n%s", i, ver, app.OwnCapsVer, got)
		}
	}
	conn.raw(t, `<iq type="get" id="q3" from="bob@localhost/pc"><query xmlns="http://jabber.org/protocol/disco#info" node="https://palaver.im#AAAAAAAAAAAAAAAAAAAAAAAAAAA="/></iq>`)
	conn.expect(t, `id="q3"`, `type="error"`, `item-not-found`)
}

// verOf computes the caps ver of the disco#info answer in an IQ, as a
// peer does.
func verOf(t *testing.T, iq string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(iq))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("no query in %s: %v", iq, err)
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "query" {
			info, err := caps.DecodeInfo(d, &s, caps.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			ver, err := caps.Ver(caps.SHA1, info)
			if err != nil {
				t.Fatal(err)
			}
			return ver
		}
	}
}

// TestCapsHashAskedOnceForAll: three resources announce one hash; one is
// asked (XEP-0115 §6.2), and all three are known to support what it
// means. Chat states then go to the contact before it has sent any.
func TestCapsHashAskedOnceForAll(t *testing.T) {
	_, conn, alice := signIn(t)
	psiVer := shaVer(psiFeatures)
	answerDisco(conn, map[string]string{
		"bob@localhost/a": exodusFeatures, "bob@localhost/b": exodusFeatures, "bob@localhost/c": exodusFeatures,
		"bob@localhost/d": psiFeatures,
	})
	for _, r := range []string{"a", "b", "c"} {
		conn.raw(t, capsPresence("bob@localhost/"+r, exodusNode, exodusVer))
	}
	conn.expect(t, "<iq", `to="bob@localhost/a"`, `node="`+exodusNode+"#"+exodusVer+`"`)
	for _, r := range []string{"a", "b", "c"} {
		f := alice.wait("bob/"+r+" features", isFeatures("bob@localhost/"+r)).(app.ContactFeatures)
		if !slices.Contains(f.Features, "http://jabber.org/protocol/muc") {
			t.Errorf("bob/%s features %v", r, f.Features)
		}
	}
	if n := app.CapsQueries(alice.c); n != 1 {
		t.Errorf("%d disco#info queries for one hash, want 1", n)
	}
	if f, known := alice.c.Features("bob@localhost"); !known || !slices.Contains(f, caps.NS) {
		t.Errorf("Features(bob) = %v, %v", f, known)
	}
	if _, known := alice.c.Features("carol@localhost"); known {
		t.Error("features known for a contact that announced none")
	}
	// Exodus does no chat states: none is sent while typing (the message
	// after it comes from the same goroutine, in order).
	alice.c.ChatActivity("bob@localhost", chatstate.Typed)
	alice.c.SendMessage("bob@localhost", "sentinel")
	for _, el := range conn.until(t, "sentinel") {
		if strings.Contains(el, "composing") {
			t.Errorf("a chat state went to a client without them: %s", el)
		}
	}

	// A new hash saying it does: chat states go out at once.
	conn.raw(t, capsPresence("bob@localhost/d", "http://psi-im.org", psiVer))
	alice.wait("bob/d features", isFeatures("bob@localhost/d"))
	alice.c.ChatActivity("bob@localhost", chatstate.Typed)
	conn.expect(t, "<message", `to="bob@localhost"`, "composing")
}

// until returns what the client sent up to the first element that
// contains marker, that one included.
func (c *fakeConn) until(t *testing.T, marker string) []string {
	t.Helper()
	var seen []string
	deadline := time.After(waitTimeout)
	for {
		select {
		case s := <-c.got:
			seen = append(seen, s)
			if strings.Contains(s, marker) {
				return seen
			}
		case <-deadline:
			t.Fatalf("client never sent %q; it sent:\n%s", marker, strings.Join(seen, "\n"))
			return nil
		}
	}
}

// shaVer is the sha-1 ver of the disco#info inner XML, of any size.
func shaVer(inner string) string {
	d := xml.NewDecoder(strings.NewReader(`<query xmlns="http://jabber.org/protocol/disco#info">` + inner + `</query>`))
	tok, _ := d.Token()
	s := tok.(xml.StartElement)
	info, err := caps.DecodeInfo(d, &s, caps.Limits{Tokens: 1 << 30, Bytes: 1 << 30, Identities: 1 << 30, Features: 1 << 30, Forms: 1 << 30})
	if err != nil {
		panic(err)
	}
	ver, _ := caps.Ver(caps.SHA1, info)
	return ver
}

// TestCapsForgedAnswerIsNotCached: an answer that does not hash to the
// ver asked for (XEP-0115 §5.4) is not believed; another resource that
// announced the hash is asked, and its true answer is kept.
func TestCapsForgedAnswerIsNotCached(t *testing.T) {
	_, conn, alice := signIn(t)
	answerDisco(conn, map[string]string{"bob@localhost/liar": psiFeatures, "bob@localhost/honest": exodusFeatures})
	// Both presences are written at once: the answer to the query the
	// first one causes comes after the second in the stream, so the
	// core knows of both candidates when the forgery arrives.
	conn.raw(t, capsPresence("bob@localhost/liar", exodusNode, exodusVer)+capsPresence("bob@localhost/honest", exodusNode, exodusVer))
	f := alice.wait("features", isFeatures("bob@localhost/liar")).(app.ContactFeatures)
	if slices.Contains(f.Features, chatstate.NS) || !slices.Contains(f.Features, "http://jabber.org/protocol/muc") {
		t.Errorf("bob/liar features %v: the forged answer was kept", f.Features)
	}
	if n := app.CapsQueries(alice.c); n != 2 {
		t.Errorf("%d queries, want 2", n)
	}
}

// TestCapsHugeAnswerIsBounded: a disco#info answer of megabytes is
// refused without being kept, although it hashes to the ver announced,
// and the session goes on.
func TestCapsHugeAnswerIsBounded(t *testing.T) {
	_, conn, alice := signIn(t)
	var huge strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&huge, `<feature var="urn:example:%d"/>`, i)
	}
	ver := shaVer(huge.String())
	answerDisco(conn, map[string]string{"bob@localhost/big": huge.String()})
	conn.raw(t, capsPresence("bob@localhost/big", "urn:big", ver))
	conn.expect(t, "<iq", `to="bob@localhost/big"`, "disco#info")
	for deadline := time.Now().Add(waitTimeout); app.CapsSettled(alice.c) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the huge answer was never handled")
		}
	}
	mark := alice.mark()
	conn.raw(t, `<presence from="bob@localhost/big"><show>dnd</show></presence>`)
	alice.waitFrom(mark, "presence after the huge answer", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.Best.Show == im.DND
	})
	if n := alice.count(isFeatures("bob@localhost/big")); n != 0 {
		t.Errorf("features of a refused answer were told %d times", n)
	}
	if _, known := alice.c.Features("bob@localhost"); known {
		t.Error("features known from a refused answer")
	}
}

// TestCapsFloodIsBounded: thousands of presences, each with a new hash,
// from one contact take up at most a few hashes to ask about a minute
// (and answers never come: the queries time out).
func TestCapsFloodIsBounded(t *testing.T) {
	_, conn, alice := signIn(t)
	const flood = 3000
	var b strings.Builder
	for i := range flood {
		sum := sha1.Sum([]byte(fmt.Sprint(i)))
		b.WriteString(capsPresence(fmt.Sprintf("bob@localhost/r%d", i%5), "urn:flood", base64.StdEncoding.EncodeToString(sum[:])))
	}
	mark := alice.mark()
	conn.raw(t, b.String())
	conn.raw(t, `<presence from="bob@localhost/sentinel"><show>xa</show></presence>`)
	alice.waitWithin(time.Minute, mark, "the sentinel presence", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.Resources == 6 // bob/r0..r4 and the sentinel
	})
	if n := app.CapsAsked(alice.c); n > 4 {
		t.Errorf("%d of %d new hashes taken up to ask about, want at most 4", n, flood)
	}
	if n := app.CapsQueries(alice.c); n > 4 {
		t.Errorf("%d queries for a flood from one contact, want at most 4", n)
	}
}
