package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// featuresOf matches the ContactFeatures of a resource of bare that
// include receipts and chat states, as Palaver's do.
func featuresOf(bare string) func(app.Event) bool {
	return func(e app.Event) bool {
		f, ok := e.(app.ContactFeatures)
		return ok && strings.HasPrefix(f.JID, bare+"/") &&
			slices.Contains(f.Features, im.NSReceipts) && slices.Contains(f.Features, chatstate.NS)
	}
}

// TestCapsBetweenTwoCores: through a real Prosody, each core sees the
// other's caps in its presence and learns its features by one disco#info
// query (XEP-0115 §6.2), which the other answers. After a restart, the
// cache on disk answers and nothing is asked. Prosody itself (mod_pep)
// asks each core for its node#ver and gets an answer it takes.
func TestCapsBetweenTwoCores(t *testing.T) {
	srv := prosodytest.Start(t)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	srv.SetRoster(t, "alice", []prosodytest.RosterItem{{JID: bobJID, Subscription: "both"}})
	srv.SetRoster(t, "bob", []prosodytest.RosterItem{{JID: aliceJID, Subscription: "both"}})
	aliceDir := t.TempDir()
	alice := startIn(t, srv, "alice", aliceDir)
	bob := startIn(t, srv, "bob", t.TempDir())
	alice.waitOnline()
	bob.waitOnline()
	alice.wait("bob's features", featuresOf(bobJID))
	bob.wait("alice's features", featuresOf(aliceJID))
	if f, known := alice.c.Features(bobJID); !known || !slices.Contains(f, im.NSReceipts) {
		t.Errorf("alice: Features(bob) = %v, %v", f, known)
	}

	// A presence change later carries the same hash: nothing more is
	// asked. The away presence reaches alice after the one before.
	mark := alice.mark()
	bob.c.SetPresence(im.Away, "tea")
	alice.waitFrom(mark, "bob away", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == bobJID && p.Best.Show == im.Away
	})
	if n := app.CapsQueries(alice.c); n != 1 {
		t.Errorf("alice sent %d disco#info queries for bob's caps, want 1", n)
	}
	if n := app.CapsQueries(bob.c); n != 1 {
		t.Errorf("bob sent %d disco#info queries for alice's caps, want 1", n)
	}

	// Prosody's mod_pep asked each core for its caps (XEP-0163 §4.2,
	// id 'disco'), got a result, hashed it (util.caps) and logged no
	// trouble: a disco#info it cannot hash is a Lua error in its log.
	answered := false
	for _, line := range strings.Split(srv.Log(), "\n") {
		if strings.Contains(line, "Received[c2s]: <iq") && strings.Contains(line, "id='disco'") && strings.Contains(line, "type='result'") {
			answered = true
		}
		l := strings.ToLower(line)
		if strings.Contains(l, "\terror\t") || strings.Contains(l, "traceback") ||
			(strings.Contains(l, "\twarn\t") && (strings.Contains(l, "disco") || strings.Contains(l, "caps") || strings.Contains(l, "pep"))) {
			t.Errorf("Prosody complained: %s", line)
		}
	}
	if !answered {
		t.Errorf("no answer to Prosody's caps query in its log:\n%s", srv.Log())
	}

	// Alice restarts: bob's hash comes from her cache.
	alice.stop()
	mark = bob.mark()
	alice2 := startIn(t, srv, "alice", aliceDir)
	alice2.waitOnline()
	alice2.wait("bob's features from the cache", featuresOf(bobJID))
	bob.waitFrom(mark, "alice back", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == aliceJID && p.Best.IsAvailable()
	})
	if n := app.CapsQueries(alice2.c); n != 0 {
		t.Errorf("alice asked %d disco#info queries after a restart, want 0", n)
	}
	if n := app.CapsQueries(bob.c); n != 1 {
		t.Errorf("bob asked %d queries in all, want 1: alice's hash did not change", n)
	}
}
