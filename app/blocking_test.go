package app_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app"
)

var stanzaID = regexp.MustCompile(`id="([^"]*)"`)

// blockingServer starts a fake server that answers disco#info queries
// to itself, with blocking (XEP-0191 §2) among the features when
// supported, and block list requests with items (the <item/> elements).
func blockingServer(t *testing.T, supported bool, items string) *fakeServer {
	t.Helper()
	srv := newFakeServer(t)
	srv.setAnswer(func(iq string) (string, bool) {
		m := stanzaID.FindStringSubmatch(iq)
		if m == nil {
			return "", false
		}
		result := `<iq type="result" id="` + m[1] + `" from="localhost">`
		switch {
		case strings.Contains(iq, "disco#info") && strings.Contains(iq, `to="localhost"`):
			feature := ""
			if supported {
				feature = `<feature var="urn:xmpp:blocking"/>`
			}
			return result + `<query xmlns="http://jabber.org/protocol/disco#info"><identity category="server" type="im"/>` + feature + `</query></iq>`, true
		case supported && strings.Contains(iq, "<blocklist ") && strings.Contains(iq, "urn:xmpp:blocking"):
			return `<iq type="result" id="` + m[1] + `"><blocklist xmlns="urn:xmpp:blocking">` + items + `</blocklist></iq>`, true
		}
		return "", false
	})
	return srv
}

func isBlocked(jid string, onServer bool) func(app.Event) bool {
	return func(e app.Event) bool {
		b, ok := e.(app.Blocked)
		return ok && b.JID == jid && b.OnServer == onServer
	}
}

func isUnblocked(jid string, onServer bool) func(app.Event) bool {
	return func(e app.Event) bool {
		u, ok := e.(app.Unblocked)
		return ok && u.JID == jid && u.OnServer == onServer
	}
}

func isBlockList(e app.Event) bool { _, ok := e.(app.BlockList); return ok }

// TestBlockListFetchedOnSignIn: a new session on a server with blocking
// reads the block list (XEP-0191 §3.2) and emits it as sorted bare JIDs.
func TestBlockListFetchedOnSignIn(t *testing.T) {
	srv := blockingServer(t, true, `<item jid="zed@localhost/phone"/><item jid="eve@localhost"/><item jid="zed@localhost"/>`)
	alice := start(t, "alice", srv.account("alice"), "pw")
	l := alice.wait("block list", isBlockList).(app.BlockList)
	if !l.OnServer || !slices.Equal(l.JIDs, []string{"eve@localhost", "zed@localhost"}) {
		t.Errorf("block list %+v, want eve and zed on the server", l)
	}
}

// TestUnblockWithoutServerBlocking: without server support, Block and
// Unblock change only the core's local list, which the next session's
// BlockList gives back.
func TestUnblockWithoutServerBlocking(t *testing.T) {
	srv := blockingServer(t, false, "")
	alice := start(t, "alice", srv.account("alice"), "pw")
	conn := srv.next(t)
	// The stream error below must end a session that is online, not one
	// still reading its roster.
	alice.waitOnline()
	if l := alice.wait("block list", isBlockList).(app.BlockList); l.OnServer || len(l.JIDs) != 0 {
		t.Errorf("first block list %+v, want an empty local one", l)
	}
	alice.c.Block("eve@localhost/x")
	alice.c.Block("zed@localhost")
	alice.wait("zed blocked", isBlocked("zed@localhost", false))
	mark := alice.mark()
	alice.c.Unblock("zed@localhost")
	alice.waitFrom(mark, "zed unblocked", isUnblocked("zed@localhost", false))

	mark = alice.mark()
	conn.raw(t, `<stream:error><system-shutdown xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error></stream:stream>`)
	alice.waitFrom(mark, "disconnect", isState(app.Waiting))
	srv.next(t)
	l := alice.waitFrom(mark, "second block list", isBlockList).(app.BlockList)
	if l.OnServer || !slices.Equal(l.JIDs, []string{"eve@localhost"}) {
		t.Errorf("second block list %+v, want eve blocked locally", l)
	}
}

// TestBlockPushSenders: the core takes block list pushes only from its
// own server (no from, the account's bare JID or its domain) and answers
// the rest with an error, as RFC 6121 §2.1.6 for roster pushes.
func TestBlockPushSenders(t *testing.T) {
	_, conn, alice := signIn(t)
	tests := []struct {
		from   string
		accept bool
	}{
		{"", true},
		{` from="alice@localhost"`, true},
		{` from="localhost"`, true},
		{` from="alice@localhost/phone"`, false},
		{` from="mallory@localhost"`, false},
		{` from="localhost/x"`, false},
		{` from="evil.example"`, false},
	}
	for i, tt := range tests {
		who := string(rune('a'+i)) + "@blocked.example"
		id := "push" + string(rune('a'+i))
		mark := alice.mark()
		conn.raw(t, `<iq type="set" id="`+id+`"`+tt.from+`><block xmlns="urn:xmpp:blocking"><item jid="`+who+`"/></block></iq>`)
		if !tt.accept {
			conn.expect(t, `id="`+id+`"`, `type="error"`)
			// A push accepted after it proves the refused one was handled.
			conn.raw(t, `<iq type="set" id="sync`+id+`"><block xmlns="urn:xmpp:blocking"><item jid="sync@blocked.example"/></block></iq>`)
			conn.expect(t, `id="sync`+id+`"`, `type="result"`)
			alice.waitFrom(mark, "sync", isBlocked("sync@blocked.example", true))
			if n := countFrom(alice, mark, isBlocked(who, true)); n != 0 {
				t.Errorf("a push from %q was taken", tt.from)
			}
			continue
		}
		conn.expect(t, `id="`+id+`"`, `type="result"`)
		alice.waitFrom(mark, "blocked "+who, isBlocked(who, true))
	}
}

// TestBlockPushes: pushes of blocks and unblocks (XEP-0191 §3.3, §3.4)
// become one event per address; an unblock without items is an empty
// BlockList; a block without items is refused.
func TestBlockPushes(t *testing.T) {
	_, conn, alice := signIn(t)
	mark := alice.mark()
	conn.raw(t, `<iq type="set" id="b1"><block xmlns="urn:xmpp:blocking"><item jid="eve@localhost/x"/><item jid="zed@localhost"/></block></iq>`)
	conn.expect(t, `id="b1"`, `type="result"`)
	alice.waitFrom(mark, "eve", isBlocked("eve@localhost", true))
	alice.waitFrom(mark, "zed", isBlocked("zed@localhost", true))

	conn.raw(t, `<iq type="set" id="b2"><block xmlns="urn:xmpp:blocking"/></iq>`)
	conn.expect(t, `id="b2"`, `type="error"`, "bad-request")

	mark = alice.mark()
	conn.raw(t, `<iq type="set" id="u1"><unblock xmlns="urn:xmpp:blocking"><item jid="zed@localhost"/></unblock></iq>`)
	conn.expect(t, `id="u1"`, `type="result"`)
	alice.waitFrom(mark, "zed unblocked", isUnblocked("zed@localhost", true))

	mark = alice.mark()
	conn.raw(t, `<iq type="set" id="u2"><unblock xmlns="urn:xmpp:blocking"/></iq>`)
	conn.expect(t, `id="u2"`, `type="result"`)
	l := alice.waitFrom(mark, "all unblocked", func(e app.Event) bool {
		l, ok := e.(app.BlockList)
		return ok && l.OnServer
	}).(app.BlockList)
	if len(l.JIDs) != 0 {
		t.Errorf("after unblocking all: %+v", l)
	}
}
