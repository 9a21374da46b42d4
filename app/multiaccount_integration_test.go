package app_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// Several accounts online at once in one process (issue 10 §4), each on a
// real Prosody of its own: the core must keep their events, their messages
// and their archives apart, and one server's failure must not touch the
// other account.
//
// Every prosodytest server serves the one domain "localhost" (its Domain is
// a constant and its certificate names only that), so the two accounts'
// servers differ by port, and the accounts by user: their bare JIDs, which
// every event names, differ. The servers have no s2s, so nothing can cross
// from one to the other on the network: whatever one account sees of the
// other's traffic came through the process. The third party of each
// account is a contact on the account's own server, signed in with a bare
// mellium session (wirePeer) rather than an app.Client, so that the only
// cores in the process are the accounts under test.

// network is one account's service: its server, its client (with a data
// folder of its own) and a contact on the same server.
type network struct {
	srv                 *prosodytest.Server
	dir                 string
	acct                *probe
	contact, contactJID string
	peer                *wirePeer
	// online is a mark taken when acct first came online.
	online int
}

// newNetwork gets srv ready for user's account (which the caller
// registers): contact is registered, and the two have each other in their
// rosters, so that presence flows too.
func newNetwork(t *testing.T, srv *prosodytest.Server, user, contact string) *network {
	t.Helper()
	srv.Register(t, contact, contact+"-pw")
	userJID, contactJID := user+"@"+srv.Domain, contact+"@"+srv.Domain
	srv.SetRoster(t, user, []prosodytest.RosterItem{{JID: contactJID, Name: contact, Subscription: "both"}})
	srv.SetRoster(t, contact, []prosodytest.RosterItem{{JID: userJID, Name: user, Subscription: "both"}})
	return &network{srv: srv, dir: t.TempDir(), contact: contact, contactJID: contactJID}
}

// passwordNetwork starts a Prosody of its own for user's password account,
// with contact on it, and runs user's client.
func passwordNetwork(t *testing.T, user, contact string) *network {
	t.Helper()
	srv := prosodytest.Start(t)
	srv.Register(t, user, user+"-pw")
	n := newNetwork(t, srv, user, contact)
	n.acct = startIn(t, srv, user, n.dir)
	n.peer = dialWirePeer(t, srv, contact)
	return n
}

// waitOnline waits until the account is online and sees its contact
// available.
func (n *network) waitOnline() app.StateChanged {
	n.acct.t.Helper()
	on := n.acct.waitOnline()
	n.acct.wait(n.contactJID+" available", seen(n.contactJID, true))
	n.online = n.acct.mark()
	return on
}

// talk has the contact send the account a message with word in it, and the
// account answer with the word too; it waits until both arrived.
func (n *network) talk(t *testing.T, word string) {
	t.Helper()
	me := n.acct.c.Account()
	in := word + " from " + n.contactJID + " to " + me
	mark := n.acct.mark()
	n.peer.send(t, me, in)
	n.acct.waitFrom(mark, in, got(n.contactJID, in))
	out := "re " + word + " from " + me
	n.acct.c.SendMessage(n.contactJID, out)
	n.peer.wait(t, out)
}

// keepsApart checks, once all talk is over, that everything the account
// holds is its own: every event names the account, no message carries a
// word of the other accounts (foreign), and its archive (searched by word)
// finds its own words in conversations with its contact only, and no
// foreign word at all.
func (n *network) keepsApart(t *testing.T, own, foreign []string) {
	t.Helper()
	p, me := n.acct, n.acct.c.Account()
	p.mu.Lock()
	for i, e := range p.events {
		if e.Account() != me {
			t.Errorf("%s: event %d %T %+v names the account %q", p.name, i, e, e, e.Account())
		}
		if m, ok := e.(app.MessageReceived); ok {
			for _, w := range foreign {
				if strings.Contains(m.Msg.Body, w) {
					t.Errorf("%s: got another account's message %q (from %s)", p.name, m.Msg.Body, m.Peer)
				}
			}
		}
	}
	p.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for _, w := range own {
		// Our message and our answer. The answer is written to the
		// archive by the core's archiver as it is queued, which may be a
		// moment after the peer already has it: wait for it.
		var hits []history.Hit
		for {
			var err error
			if hits, err = p.c.Search(ctx, w, 10); err != nil {
				t.Fatalf("%s: searching the archive for %q: %v", p.name, w, err)
			}
			if len(hits) >= 2 || ctx.Err() != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(hits) != 2 {
			t.Errorf("%s: searching the archive for %q found %d messages, want 2: %+v", p.name, w, len(hits), hits)
		}
		for _, h := range hits {
			if h.Peer != n.contactJID {
				t.Errorf("%s: archive hit for %q is with %s, want %s", p.name, w, h.Peer, n.contactJID)
			}
		}
	}
	for _, w := range foreign {
		hits, err := p.c.Search(ctx, w, 10)
		if err != nil {
			t.Fatalf("%s: searching the archive for %q: %v", p.name, w, err)
		}
		if len(hits) != 0 {
			t.Errorf("%s: the archive holds another account's messages: searching %q found %+v", p.name, w, hits)
		}
	}
	// The archive is on disk in the account's own folder, not in memory
	// nor in a folder shared with the other account.
	if files, err := os.ReadDir(n.dir); err != nil || len(files) == 0 {
		t.Errorf("%s: nothing in the account's data folder %s (%v)", p.name, n.dir, err)
	}
}

// stayedOnline checks that the account never left Online since it first
// came online.
func (n *network) stayedOnline(t *testing.T) {
	t.Helper()
	changed := func(e app.Event) bool { _, ok := e.(app.StateChanged); return ok }
	if k := countFrom(n.acct, n.online, changed); k != 0 {
		t.Errorf("%s: the connection state changed %d times while the account should have stayed online; events:\n%s",
			n.acct.name, k, n.acct.dump())
	}
}

// TestTwoAccountsOnline: two password accounts on two servers, both
// online in one process; a message to each (and an answer from each)
// reaches the right client only, and each archive, in its own data folder,
// holds only its own account's messages.
func TestTwoAccountsOnline(t *testing.T) {
	a := passwordNetwork(t, "alice", "carol")
	b := passwordNetwork(t, "bob", "dave")
	a.waitOnline()
	b.waitOnline()

	// Both messages are on their way before either is awaited, so that a
	// core that handed one account's stanzas to the other would be caught
	// in the act.
	ma, mb := a.acct.mark(), b.acct.mark()
	a.peer.send(t, a.acct.c.Account(), "kumquat for alice")
	b.peer.send(t, b.acct.c.Account(), "quince for bob")
	a.acct.waitFrom(ma, "kumquat", got(a.contactJID, "kumquat for alice"))
	b.acct.waitFrom(mb, "quince", got(b.contactJID, "quince for bob"))
	a.acct.c.SendMessage(a.contactJID, "re kumquat from alice")
	b.acct.c.SendMessage(b.contactJID, "re quince from bob")
	a.peer.wait(t, "re kumquat from alice")
	b.peer.wait(t, "re quince from bob")
	if n := a.peer.count("re quince from bob") + b.peer.count("re kumquat from alice"); n != 0 {
		t.Errorf("%d answers went out through the other account", n)
	}

	a.keepsApart(t, []string{"kumquat"}, []string{"quince"})
	b.keepsApart(t, []string{"quince"}, []string{"kumquat"})
	a.stayedOnline(t)
	b.stayedOnline(t)
}

// TestOneServerDownOtherStays: with two accounts online, the server of one
// dies. That account waits to retry; the other stays online all along and
// keeps chatting; when the server is back the first account comes back by
// itself (no Connect) and gets a message sent after the restart.
func TestOneServerDownOtherStays(t *testing.T) {
	a := passwordNetwork(t, "alice", "carol")
	b := passwordNetwork(t, "bob", "dave")
	a.waitOnline()
	b.waitOnline()

	ma := a.acct.mark()
	a.srv.Kill()
	w := a.acct.waitFrom(ma, "waiting after the server died", isState(app.Waiting)).(app.StateChanged)
	if w.Err == nil || w.RetryAt.IsZero() {
		t.Errorf("waiting without a reason or a retry time: %+v", w)
	}

	// B chats while A's server is down.
	b.talk(t, "walnut")
	if k := countFrom(a.acct, ma, isState(app.Online)); k != 0 {
		t.Fatalf("alice online %d times while her server was down; events:\n%s", k, a.acct.dump())
	}

	a.srv.Restart(t)
	a.acct.waitFrom(ma, "online again, by itself", isState(app.Online))
	// The contact's session died with the server: sign it in again.
	a.peer = dialWirePeer(t, a.srv, a.contact)
	a.talk(t, "hazelnut")

	b.stayedOnline(t)
	a.keepsApart(t, []string{"hazelnut"}, []string{"walnut"})
	b.keepsApart(t, []string{"walnut"}, []string{"hazelnut"})
}

// TestOAuthBesidePassword: an OAuth account (OAUTHBEARER, tokens from the
// real authorization server, checked by its Prosody by introspection) and a
// password account on a server of its own, online at once; a message to
// each reaches the right client only.
func TestOAuthBesidePassword(t *testing.T) {
	rig := startOAuthRig(t, 0)
	acct := rig.account(account.MechanismOAuthBearer)
	a := newNetwork(t, rig.xmpp, "alice", "carol")
	c := app.NewOAuth(acct, rig.signIn(t, acct, "alice", "alice-secret"))
	c.SetDataDir(a.dir)
	a.acct = run(t, "alice (OAuth)", c)
	a.peer = dialWirePeer(t, rig.xmpp, a.contact)
	b := passwordNetwork(t, "bob", "dave")

	if on := a.waitOnline(); on.Mechanism != account.MechanismOAuthBearer {
		t.Errorf("alice signed in with %q, want %s", on.Mechanism, account.MechanismOAuthBearer)
	}
	if on := b.waitOnline(); !strings.HasPrefix(on.Mechanism, "SCRAM-") {
		t.Errorf("bob signed in with %q, want SCRAM", on.Mechanism)
	}
	a.talk(t, "mango")
	b.talk(t, "papaya")

	a.keepsApart(t, []string{"mango"}, []string{"papaya"})
	b.keepsApart(t, []string{"papaya"}, []string{"mango"})
	a.stayedOnline(t)
	b.stayedOnline(t)
}
