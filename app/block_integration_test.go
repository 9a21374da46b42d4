package app_test

import (
	"testing"

	"github.com/palaver-im/palaver/app"
)

// TestBlockOnTheServer: Block uses XEP-0191 on a server that offers it;
// the blocked sender's messages no longer arrive.
func TestBlockOnTheServer(t *testing.T) {
	srv, alice, bob := twoUsers(t)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	bob.c.Block(aliceJID + "/somewhere")
	b := bob.wait("blocked", func(e app.Event) bool { _, ok := e.(app.Blocked); return ok }).(app.Blocked)
	if !b.OnServer || b.JID != aliceJID {
		t.Fatalf("blocked %+v, want %s on the server", b, aliceJID)
	}
	mark := bob.mark()
	alice.c.SendMessage(bobJID, "blocked?")
	alice.c.SendMessage(bobJID+"x", "sync") // a bounce proves the first was handled
	alice.wait("bounce", func(e app.Event) bool { _, ok := e.(app.MessageFailed); return ok })
	if n := countFrom(bob, mark, func(e app.Event) bool { _, ok := e.(app.MessageReceived); return ok }); n != 0 {
		t.Errorf("bob received %d messages from a blocked sender", n)
	}
}
