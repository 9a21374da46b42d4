package app_test

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// These tests run against a real Prosody started on loopback by
// prosodytest; CI installs it, so they never skip there.

// startUser registers user on srv and runs a client that trusts srv's CA.
func startUser(t testing.TB, srv *prosodytest.Server, user string) *probe {
	t.Helper()
	srv.Register(t, user, user+"-pw")
	return start(t, user, accountFor(srv, user), user+"-pw")
}

func accountFor(srv *prosodytest.Server, user string) account.Account {
	return account.Account{
		JID:    user + "@" + srv.Domain,
		Host:   srv.Host,
		Port:   srv.Port,
		CAFile: srv.CAFile,
	}
}

// twoUsers starts a server with alice and bob signed in.
func twoUsers(t *testing.T) (*prosodytest.Server, *probe, *probe) {
	t.Helper()
	srv := prosodytest.Start(t)
	alice := startUser(t, srv, "alice")
	bob := startUser(t, srv, "bob")
	alice.waitOnline()
	bob.waitOnline()
	return srv, alice, bob
}

func TestSignInFetchesRoster(t *testing.T) {
	srv := prosodytest.Start(t)
	alice := startUser(t, srv, "alice")
	on := alice.waitOnline()
	if !strings.HasPrefix(on.Bound, "alice@"+srv.Domain+"/") {
		t.Errorf("bound JID = %q", on.Bound)
	}
	if on.Account() != "alice@"+srv.Domain {
		t.Errorf("event account = %q", on.Account())
	}
	reset := alice.wait("roster", func(e app.Event) bool { _, ok := e.(app.RosterReset); return ok }).(app.RosterReset)
	if len(reset.Contacts) != 0 {
		t.Errorf("new account has contacts: %+v", reset.Contacts)
	}
}

func TestTwoUsersSubscribeSeePresenceAndChat(t *testing.T) {
	srv, alice, bob := twoUsers(t)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain

	// Alice adds Bob: the roster push shows him pending.
	alice.c.AddContact(bobJID, "Bob", []string{"Friends"})
	alice.wait("bob added, pending", func(e app.Event) bool {
		u, ok := e.(app.ContactUpdated)
		return ok && u.Contact.JID == bobJID && u.Contact.Name == "Bob" && slices.Equal(u.Contact.Groups, []string{"Friends"}) && u.Contact.Pending
	})

	// Bob is asked, approves, and asks back; Alice approves.
	req := bob.wait("request from alice", func(e app.Event) bool {
		r, ok := e.(app.SubscriptionRequest)
		return ok && r.From == aliceJID
	}).(app.SubscriptionRequest)
	bob.c.Approve(req.From)
	alice.wait("request from bob", func(e app.Event) bool {
		r, ok := e.(app.SubscriptionRequest)
		return ok && r.From == bobJID
	})
	alice.c.Approve(bobJID)

	alice.wait("subscription both", func(e app.Event) bool {
		u, ok := e.(app.ContactUpdated)
		return ok && u.Contact.JID == bobJID && u.Contact.Subscription == "both"
	})
	alice.wait("bob available", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == bobJID && p.Best.Show == im.Available && p.Resources == 1
	})
	bob.wait("alice available", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == aliceJID && p.Best.IsAvailable()
	})

	// Status changes travel.
	bob.c.SetPresence(im.Away, "at lunch")
	alice.wait("bob away at lunch", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == bobJID && p.Best.Show == im.Away && p.Best.Status == "at lunch"
	})
	bob.c.SetPresence(im.DND, "busy")
	alice.wait("bob dnd", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == bobJID && p.Best.Show == im.DND && p.Best.Status == "busy"
	})

	// Messages both ways, multi-line and with markup characters.
	alice.c.SendMessage(bobJID, "hello <Bob> & co\nline two")
	m := bob.wait("message from alice", func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Peer == aliceJID
	}).(app.MessageReceived)
	if m.Msg.Body != "hello <Bob> & co\nline two" || m.Msg.Delay.IsZero() == false {
		t.Errorf("bob got %q (delay %v)", m.Msg.Body, m.Msg.Delay)
	}
	if time.Since(m.Time) > time.Minute {
		t.Errorf("message time %v is not now", m.Time)
	}
	bob.c.SendMessage(aliceJID, "hi alice")
	alice.wait("message from bob", func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Peer == bobJID && m.Msg.Body == "hi alice"
	})

	// Bob signs out: Alice sees him offline with his last status.
	bob.c.SetPresence(im.Offline, "gone home")
	alice.wait("bob offline", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == bobJID && p.Best.Show == im.Offline && p.Resources == 0 && p.Best.Status == "gone home"
	})
	bob.wait("bob offline state", isState(app.Offline))
}

func TestRosterRenameMoveRemove(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "carol", "x")
	alice := startUser(t, srv, "alice")
	alice.waitOnline()
	carol := "carol@" + srv.Domain

	alice.c.AddContact(carol, "Carol", []string{"Work"})
	alice.wait("carol added", func(e app.Event) bool {
		u, ok := e.(app.ContactUpdated)
		return ok && u.Contact.JID == carol && u.Contact.Name == "Carol"
	})
	alice.c.UpdateContact(carol, "Caroline", []string{"Friends", "Climbing"})
	alice.wait("carol renamed and moved", func(e app.Event) bool {
		u, ok := e.(app.ContactUpdated)
		// Groups are a set; the core sorts them.
		return ok && u.Contact.Name == "Caroline" && slices.Equal(u.Contact.Groups, []string{"Climbing", "Friends"})
	})
	alice.c.RemoveContact(carol)
	alice.wait("carol removed", func(e app.Event) bool {
		r, ok := e.(app.ContactRemoved)
		return ok && r.JID == carol
	})

	// Signing in again fetches the (versioned) roster: carol stays gone,
	// a new contact is there.
	alice.c.AddContact("dave@"+srv.Domain, "", nil)
	alice.wait("dave added", func(e app.Event) bool {
		u, ok := e.(app.ContactUpdated)
		return ok && u.Contact.JID == "dave@"+srv.Domain
	})
	alice.c.Disconnect()
	alice.wait("offline", isState(app.Offline))
	mark := alice.mark()
	alice.c.Connect()
	reset := alice.waitFrom(mark, "roster after reconnect", func(e app.Event) bool { _, ok := e.(app.RosterReset); return ok }).(app.RosterReset)
	if len(reset.Contacts) != 1 || reset.Contacts[0].JID != "dave@"+srv.Domain {
		t.Errorf("roster after reconnect = %+v", reset.Contacts)
	}
}

func TestInvalidAddressesAreRefused(t *testing.T) {
	srv := prosodytest.Start(t)
	alice := startUser(t, srv, "alice")
	alice.waitOnline()
	alice.c.AddContact("not a jid@@", "", nil)
	f := alice.wait("command failed", func(e app.Event) bool { _, ok := e.(app.CommandFailed); return ok }).(app.CommandFailed)
	if f.Err == nil || !strings.Contains(f.Err.Error(), "invalid address") {
		t.Errorf("error = %v", f.Err)
	}
	id := alice.c.SendMessage("@@@", "x")
	alice.wait("message failed", func(e app.Event) bool {
		m, ok := e.(app.MessageFailed)
		return ok && m.ID == id
	})
	// The session survives both.
	alice.c.SendMessage("alice@"+srv.Domain, "to myself")
	alice.wait("own message", func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Msg.Body == "to myself"
	})
}

func TestErrorReplyIsMatchedToMessage(t *testing.T) {
	srv := prosodytest.Start(t)
	alice := startUser(t, srv, "alice")
	alice.waitOnline()
	// Nobody is registered as ghost: the server bounces the message.
	id := alice.c.SendMessage("ghost@"+srv.Domain, "anyone there?")
	f := alice.wait("bounce", func(e app.Event) bool {
		m, ok := e.(app.MessageFailed)
		return ok && m.ID == id
	}).(app.MessageFailed)
	if f.Peer != "ghost@"+srv.Domain || f.Err == nil {
		t.Errorf("failure = %+v", f)
	}
}

func TestWrongPasswordGivesAuthErrorAndNoRetry(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "right")
	alice := start(t, "alice", accountFor(srv, "alice"), "wrong")
	af := alice.wait("auth failure", func(e app.Event) bool { _, ok := e.(app.AuthFailed); return ok }).(app.AuthFailed)
	if af.Condition != "not-authorized" {
		t.Errorf("condition = %q", af.Condition)
	}
	if af.Condition != "not-authorized" {
		t.Errorf("condition = %q (%s)", af.Condition, af.Text)
	}
	alice.wait("offline", func(e app.Event) bool {
		s, ok := e.(app.StateChanged)
		return ok && s.State == app.Offline && s.Err != nil
	})
	// No retry loop: the backoff would have retried within ~1 s.
	time.Sleep(3 * time.Second)
	if n := alice.count(isState(app.Connecting)); n != 1 {
		t.Errorf("connecting %d times after a wrong password, want 1", n)
	}
}

func TestUntrustedCertificateThenPinned(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "pw")
	acct := accountFor(srv, "alice")
	acct.CAFile = "" // the self-signed certificate is now unknown
	alice := start(t, "alice", acct, "pw")

	ev := alice.wait("untrusted", func(e app.Event) bool { _, ok := e.(app.CertUntrusted); return ok }).(app.CertUntrusted)
	want := fingerprintOf(t, srv.CAFile)
	if ev.Cert.SHA256 != want {
		t.Fatalf("fingerprint = %s, want %s", ev.Cert.SHA256, want)
	}
	if ev.Cert.Reason == "" || !strings.Contains(ev.Cert.Describe(), "SHA-256") {
		t.Errorf("explanation = %q", ev.Cert.Describe())
	}
	s := alice.wait("offline", func(e app.Event) bool {
		s, ok := e.(app.StateChanged)
		return ok && s.State == app.Offline && s.Err != nil
	}).(app.StateChanged)
	var ue *certs.UntrustedError
	if !errors.As(s.Err, &ue) {
		t.Errorf("state error = %v, want an untrusted certificate", s.Err)
	}

	acct.Pin(ev.Cert.SHA256)
	alice.c.SetAccount(acct)
	alice.c.Connect()
	alice.waitOnline()
}

func TestPinDoesNotTrustAnotherCertificate(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "pw")
	acct := accountFor(srv, "alice")
	acct.CAFile = ""
	acct.Pin(strings.Repeat("ab", 32))
	alice := start(t, "alice", acct, "pw")
	alice.wait("untrusted", func(e app.Event) bool { _, ok := e.(app.CertUntrusted); return ok })
}

func TestServerGoneMeansWaitingToRetry(t *testing.T) {
	srv := prosodytest.Start(t)
	alice := startUser(t, srv, "alice")
	alice.waitOnline()
	mark := alice.mark()
	srv.Stop()
	s := alice.waitFrom(mark, "waiting", isState(app.Waiting)).(app.StateChanged)
	if s.Err == nil || s.RetryAt.IsZero() {
		t.Errorf("waiting without reason or retry time: %+v", s)
	}
}

func fingerprintOf(t *testing.T, pemFile string) string {
	t.Helper()
	b, err := os.ReadFile(pemFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("no PEM block in CA file")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return certs.Fingerprint(c.Raw)
}

func TestDirectTLS(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "pw")
	acct := accountFor(srv, "alice")
	acct.Port, acct.DirectTLS = srv.DirectTLSPort, true
	alice := start(t, "alice", acct, "pw")
	alice.waitOnline()
}

func TestReconnectsAfterServerRestart(t *testing.T) {
	srv, alice, bob := twoUsers(t)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	alice.c.AddContact(bobJID, "", nil)
	bob.wait("request", func(e app.Event) bool { _, ok := e.(app.SubscriptionRequest); return ok })
	bob.c.Approve(aliceJID)
	alice.wait("request back", func(e app.Event) bool { _, ok := e.(app.SubscriptionRequest); return ok })
	alice.c.Approve(bobJID)
	bob.c.SetPresence(im.Away, "before restart")
	alice.wait("bob away", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == bobJID && p.Best.Show == im.Away
	})

	mark := alice.mark()
	// Killed, so that nobody says bob left: a server shutting down
	// gracefully closes the sessions one by one, and may tell alice that
	// bob went ("Disconnected: Received SIGTERM") before closing hers,
	// which made this test fail now and then.
	srv.Kill()
	srv.Restart(t)
	// Nobody said bob left: he is shown as last seen, not offline.
	alice.waitFrom(mark, "bob last seen while the server is down", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == bobJID && p.Stale && p.Best.Show == im.Away
	})
	alice.waitFrom(mark, "waiting", isState(app.Waiting))
	alice.waitFrom(mark, "online again", isState(app.Online))
	// Bob's client came back too and restored his away status.
	alice.waitFrom(mark, "bob away again", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == bobJID && !p.Stale && p.Best.Show == im.Away && p.Best.Status == "before restart"
	})
}

func TestStoredRosterArrives(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	srv.SetRoster(t, "alice", []prosodytest.RosterItem{
		{JID: "bob@" + srv.Domain, Name: `Bob "the builder"`, Subscription: "both", Groups: []string{"Work", "Friends"}},
		{JID: "carol@" + srv.Domain, Subscription: "to"},
	})
	alice := start(t, "alice", accountFor(srv, "alice"), "alice-pw")
	reset := alice.wait("roster", func(e app.Event) bool { _, ok := e.(app.RosterReset); return ok }).(app.RosterReset)
	if len(reset.Contacts) != 2 {
		t.Fatalf("contacts = %+v", reset.Contacts)
	}
	bob := reset.Contacts[0]
	if bob.Name != `Bob "the builder"` || bob.Subscription != "both" || !slices.Equal(bob.Groups, []string{"Friends", "Work"}) {
		t.Errorf("bob = %+v", bob)
	}
}

// Roster commands are carried out in the order they were given: an add
// (roster set, then a subscription request) must not be overtaken by the
// remove that follows it, or the request would bring the contact back.
func TestRosterCommandsKeepTheirOrder(t *testing.T) {
	srv := prosodytest.Start(t)
	alice := startUser(t, srv, "alice")
	alice.waitOnline()
	for i := range 5 {
		who := fmt.Sprintf("erin%d@%s", i, srv.Domain)
		alice.c.AddContact(who, "Erin", nil)
		alice.c.RemoveContact(who)
	}
	frank := "frank@" + srv.Domain
	alice.c.AddContact(frank, "Frank", nil)
	alice.wait("frank added", func(e app.Event) bool {
		u, ok := e.(app.ContactUpdated)
		return ok && u.Contact.JID == frank && u.Contact.Pending
	})
	alice.c.Disconnect()
	alice.wait("offline", isState(app.Offline))
	mark := alice.mark()
	alice.c.Connect()
	reset := alice.waitFrom(mark, "roster", func(e app.Event) bool { _, ok := e.(app.RosterReset); return ok }).(app.RosterReset)
	if len(reset.Contacts) != 1 || reset.Contacts[0].JID != frank {
		t.Errorf("roster = %+v, want only frank", reset.Contacts)
	}
}
