package app_test

import (
	"context"
	"slices"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
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

// sameAccount runs a client of user@srv with its own resource, as another
// device of the same account, and waits until it is online.
func sameAccount(t *testing.T, srv *prosodytest.Server, user, resource string) *probe {
	t.Helper()
	a := accountFor(srv, user)
	a.Resource = resource
	p := run(t, user+"/"+resource, app.New(a, func(context.Context) (string, error) { return user + "-pw", nil }))
	p.waitOnline()
	return p
}

// serverBlockList waits from mark for the block list read from the
// server.
func serverBlockList(p *probe, mark int) app.BlockList {
	p.t.Helper()
	l := p.waitFrom(mark, p.name+" block list", isBlockList).(app.BlockList)
	if !l.OnServer {
		p.t.Fatalf("%s: block list %+v not from the server", p.name, l)
	}
	return l
}

// TestBlockListSharedByTheAccountsClients: on Prosody (mod_blocklist),
// what one client of an account blocks and unblocks reaches its other
// client as pushes (XEP-0191 §3.3, §3.4), and a restarted client reads
// what is still blocked (§3.2).
func TestBlockListSharedByTheAccountsClients(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	bob, carol := "bob@"+srv.Domain, "carol@"+srv.Domain
	desk := sameAccount(t, srv, "alice", "desk")
	phone := sameAccount(t, srv, "alice", "phone")
	// Each new session reads the list, which also asks Prosody for pushes.
	if l := serverBlockList(desk, 0); len(l.JIDs) != 0 {
		t.Fatalf("a new account blocks %q", l.JIDs)
	}
	serverBlockList(phone, 0)

	mark := phone.mark()
	desk.c.Block(bob + "/somewhere")
	desk.c.Block(carol)
	desk.wait("bob blocked", isBlocked(bob, true))
	desk.wait("carol blocked", isBlocked(carol, true))
	phone.waitFrom(mark, "bob's block pushed", isBlocked(bob, true))
	phone.waitFrom(mark, "carol's block pushed", isBlocked(carol, true))

	mark, deskMark := phone.mark(), desk.mark()
	desk.c.Unblock(bob)
	desk.waitFrom(deskMark, "bob unblocked", isUnblocked(bob, true))
	phone.waitFrom(mark, "bob's unblock pushed", isUnblocked(bob, true))

	desk.stop()
	again := sameAccount(t, srv, "alice", "desk")
	if l := serverBlockList(again, 0); !slices.Equal(l.JIDs, []string{carol}) {
		t.Errorf("after a restart the block list is %q, want only %s", l.JIDs, carol)
	}
}

// TestUnblockUnknownAddressOnTheServer: unblocking an address that is not
// blocked is no error (XEP-0191 §3.4 leaves the list as it is).
func TestUnblockUnknownAddressOnTheServer(t *testing.T) {
	srv := prosodytest.Start(t)
	alice := startUser(t, srv, "alice")
	alice.waitOnline()
	alice.c.Unblock("nobody@" + srv.Domain)
	alice.wait("unblocked", func(e app.Event) bool {
		switch e := e.(type) {
		case app.Unblocked:
			return e.JID == "nobody@"+srv.Domain
		case app.CommandFailed:
			t.Errorf("unblock failed: %v", e.Err)
			return e.Op == app.OpUnblock
		}
		return false
	})
}
