package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/internal/faultproxy"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// Network faults between a client and a real Prosody: the client's account
// points at a fault proxy (only Host and Port change, TLS stays end to end
// and the certificate is still checked by the domain), and the proxy drops,
// stalls, delays or cuts the connection while the core runs.

// faultRig is a server where alice and bob see each other's presence, with
// a fault proxy in front of it.
type faultRig struct {
	srv              *prosodytest.Server
	px               *faultproxy.Proxy
	aliceJID, bobJID string
}

func newFaultRig(t *testing.T) *faultRig {
	t.Helper()
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	srv.SetRoster(t, "alice", []prosodytest.RosterItem{{JID: "bob@" + srv.Domain, Name: "Bob", Subscription: "both"}})
	srv.SetRoster(t, "bob", []prosodytest.RosterItem{{JID: "alice@" + srv.Domain, Name: "Alice", Subscription: "both"}})
	return &faultRig{
		srv: srv, px: faultproxy.Start(t, srv.Addr),
		aliceJID: "alice@" + srv.Domain, bobJID: "bob@" + srv.Domain,
	}
}

// alice runs alice's client through the proxy with the given resource
// ("" lets the server choose); tune, if not nil, adjusts the client
// before it runs.
func (r *faultRig) alice(t *testing.T, resource string, tune func(*app.Client)) *probe {
	t.Helper()
	acct := accountFor(r.srv, "alice")
	acct.Host, acct.Port, acct.Resource = r.px.Host(), r.px.Port(), resource
	c := app.New(acct, func(context.Context) (string, error) { return "alice-pw", nil })
	if tune != nil {
		tune(c)
	}
	name := "alice"
	if resource != "" {
		name += "/" + resource
	}
	return run(t, name, c)
}

// bob runs bob's client straight to the server.
func (r *faultRig) bob(t *testing.T) *probe {
	t.Helper()
	return start(t, "bob", accountFor(r.srv, "bob"), "bob-pw")
}

// got matches an incoming message (not a carbon of our own) from peer.
func got(peer, body string) func(app.Event) bool {
	return func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && !m.Outgoing && m.Peer == peer && m.Msg.Body == body
	}
}

// carbon matches a copy of a message our other device sent to peer.
func carbon(peer, body string) func(app.Event) bool {
	return func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Outgoing && m.Peer == peer && m.Msg.Body == body
	}
}

// seen matches a presence of jid, available or not.
func seen(jid string, available bool) func(app.Event) bool {
	return func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == jid && p.Best.IsAvailable() == available
	}
}

// bothDevices matches the presence of jid with two resources available.
func bothDevices(jid string) func(app.Event) bool {
	return func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == jid && p.Resources == 2
	}
}

func failedID(id string) func(app.Event) bool {
	return func(e app.Event) bool {
		f, ok := e.(app.MessageFailed)
		return ok && f.ID == id
	}
}

// delivered waits until receiver has the message body from sender's
// account. A MessageFailed for id at the sender ends the wait at once:
// the message was dropped instead of waiting in the outbox.
func delivered(t *testing.T, sender *probe, id string, receiver *probe, body string) {
	t.Helper()
	deliveredOr(t, sender, id, receiver, body, "lost, or the outbox / server archive catch-up is missing")
}

// deliveredOr is delivered with the explanation to give when the message
// never arrives.
func deliveredOr(t *testing.T, sender *probe, id string, receiver *probe, body, missing string) {
	t.Helper()
	match := got(sender.c.Account(), body)
	deadline := time.Now().Add(waitTimeout)
	for receiver.count(match) == 0 {
		if sender.count(failedID(id)) > 0 {
			t.Fatalf("%s: the message %q failed instead of waiting in the outbox to be sent after reconnecting "+
				"(the outbox is missing); events:\n%s", sender.name, body, sender.dump())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never got %q from %s (%s)\n%s's events:\n%s\n%s's events:\n%s",
				receiver.name, body, sender.name, missing, sender.name, sender.dump(), receiver.name, receiver.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exchange sends a message each way and waits for both: a barrier after
// which anything that was in flight before has arrived.
func exchange(t *testing.T, a, b *probe, tag string) {
	t.Helper()
	ab, ba := tag+": "+a.name+" to "+b.name, tag+": "+b.name+" to "+a.name
	id := a.c.SendMessage(b.c.Account(), ab)
	delivered(t, a, id, b, ab)
	id = b.c.SendMessage(a.c.Account(), ba)
	delivered(t, b, id, a, ba)
}

// once checks that receiver got each body from peer exactly once.
func once(t *testing.T, receiver *probe, peer string, bodies ...string) {
	t.Helper()
	for _, body := range bodies {
		if n := receiver.count(got(peer, body)); n != 1 {
			t.Errorf("%s got %q from %s %d times, want exactly once (duplicates must be suppressed)", receiver.name, body, peer, n)
		}
	}
}

// bodiesFrom lists the bodies of the messages receiver got from peer, in
// the order they came.
func bodiesFrom(receiver *probe, peer string) []string {
	receiver.mu.Lock()
	defer receiver.mu.Unlock()
	var out []string
	for _, e := range receiver.events {
		if m, ok := e.(app.MessageReceived); ok && !m.Outgoing && m.Peer == peer {
			out = append(out, m.Msg.Body)
		}
	}
	return out
}

// archived returns the bodies of p's archive of the conversation with peer,
// oldest first.
func archived(t *testing.T, p *probe, peer string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var out []string
	before := history.Cursor{}
	for {
		page, err := p.c.History(ctx, peer, before, history.MaxPage)
		if err != nil {
			t.Fatalf("%s: reading the archive: %v", p.name, err)
		}
		out = append(slices.Collect(func(yield func(string) bool) {
			for _, m := range page {
				if !yield(m.Body) {
					return
				}
			}
		}), out...)
		if len(page) < history.MaxPage {
			return out
		}
		before = page[0].At()
	}
}

// archivedOnce checks that p's archive of the conversation with peer holds
// each body exactly once.
func archivedOnce(t *testing.T, p *probe, peer string, bodies ...string) {
	t.Helper()
	all := archived(t, p, peer)
	for _, body := range bodies {
		if n := countOf(all, body); n != 1 {
			t.Errorf("%s's archive holds %q %d times, want exactly once; archive: %q", p.name, body, n, all)
		}
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestFaultDropReconnectsAndKeepsMessages: the connection is reset under
// a chatting alice. She reconnects by herself, her presence comes back,
// the message she typed while disconnected goes out once, and the one bob
// sent meanwhile reaches her once.
func TestFaultDropReconnectsAndKeepsMessages(t *testing.T) {
	r := newFaultRig(t)
	alice, bob := r.alice(t, "", nil), r.bob(t)
	alice.waitOnline()
	bob.waitOnline()
	bob.wait("alice available", seen(r.aliceJID, true))
	exchange(t, alice, bob, "before the drop")

	mark, bmark := alice.mark(), bob.mark()
	// Refuse keeps her away until bob's message is on the server.
	r.px.Refuse(true)
	r.px.DropAll()
	s := alice.waitFrom(mark, "waiting after the drop", isState(app.Waiting)).(app.StateChanged)
	if s.Err == nil || s.RetryAt.IsZero() {
		t.Errorf("waiting without a reason or a retry time: %+v", s)
	}
	typed := alice.c.SendMessage(r.bobJID, "typed while disconnected")
	bob.waitFrom(bmark, "alice unavailable after the drop", seen(r.aliceJID, false))
	bmark = bob.mark()
	sentAway := bob.c.SendMessage(r.aliceJID, "sent while alice was away")
	r.px.Refuse(false)

	alice.waitFrom(mark, "online again, by herself", isState(app.Online))
	bob.waitFrom(bmark, "alice available again", seen(r.aliceJID, true))
	delivered(t, alice, typed, bob, "typed while disconnected")
	delivered(t, bob, sentAway, alice, "sent while alice was away")

	exchange(t, alice, bob, "after the drop")
	once(t, bob, r.aliceJID, "typed while disconnected")
	once(t, alice, r.bobJID, "sent while alice was away")
	if n := alice.count(func(e app.Event) bool { _, ok := e.(app.AuthFailed); return ok }); n != 0 {
		t.Errorf("%d authentication failures after a network drop", n)
	}
}

// TestFaultStallIsNoticedByPing: the network goes silent without closing
// anything. Alice notices by herself (the ping goes unanswered), and once
// the network is back she reconnects and chats.
func TestFaultStallIsNoticedByPing(t *testing.T) {
	r := newFaultRig(t)
	alice := r.alice(t, "", func(c *app.Client) { app.SetLiveness(c, time.Second, time.Second) })
	bob := r.bob(t)
	alice.waitOnline()
	bob.waitOnline()
	exchange(t, alice, bob, "before the stall")

	mark := alice.mark()
	r.px.Stall(true)
	s := alice.waitFrom(mark, "waiting after the stall", isState(app.Waiting)).(app.StateChanged)
	if s.Err == nil {
		t.Fatal("waiting without a reason after a stall")
	}
	if msg := strings.ToLower(s.Err.Error()); !strings.Contains(msg, "ping") && !strings.Contains(msg, "stall") {
		t.Errorf("reason %q does not say that the ping went unanswered", s.Err)
	}
	r.px.Stall(false)
	alice.waitFrom(mark, "online again", isState(app.Online))
	exchange(t, alice, bob, "after the stall")
}

// TestFaultStanzaCutInHalf: the connection dies in the middle of a message
// to alice. The session ends with an error, she reconnects, and the message
// reaches her exactly once (the server wrote it to the dead connection, so
// only its archive still has it).
func TestFaultStanzaCutInHalf(t *testing.T) {
	r := newFaultRig(t)
	alice, bob := r.alice(t, "", nil), r.bob(t)
	alice.waitOnline()
	bob.waitOnline()
	alice.wait("bob available", seen(r.bobJID, true))
	// Let sign-in traffic (own vCard, presences) settle, so that the next
	// bytes to alice are bob's message.
	exchange(t, alice, bob, "before the cut")

	mark := alice.mark()
	r.px.CutNext(faultproxy.ServerToClient, 40)
	id := bob.c.SendMessage(r.aliceJID, "cut in half")
	s := alice.waitFrom(mark, "waiting after the cut", isState(app.Waiting)).(app.StateChanged)
	if s.Err == nil {
		t.Error("the session ended without an error")
	}
	alice.waitFrom(mark, "online again", isState(app.Online))
	deliveredOr(t, bob, id, alice, "cut in half", "the server wrote it to the dead connection, so only its archive has it: "+
		"fetching the server archive after reconnecting (XEP-0313 MAM catch-up) is missing")
	exchange(t, alice, bob, "after the cut")
	once(t, alice, r.bobJID, "cut in half")
	archivedOnce(t, alice, r.bobJID, "cut in half")
}

// TestFaultSlowNetwork: everything comes 2 s late (1 s each way, a 2 s
// round trip). Sign-in, roster, presence and a message round trip all
// work, and the default liveness times do not mistake slowness for a dead
// connection. (At 2 s each way, sign-in's ~8 round trips take about 32 s,
// right at the core's 30 s connect timeout.)
func TestFaultSlowNetwork(t *testing.T) {
	r := newFaultRig(t)
	r.px.Delay(time.Second)
	alice, bob := r.alice(t, "", nil), r.bob(t)
	bob.waitOnline()
	alice.waitWithin(90*time.Second, 0, "online through a slow network", isState(app.Online))
	reset := alice.wait("roster", func(e app.Event) bool { _, ok := e.(app.RosterReset); return ok }).(app.RosterReset)
	if len(reset.Contacts) != 1 || reset.Contacts[0].JID != r.bobJID {
		t.Errorf("roster = %+v", reset.Contacts)
	}
	alice.waitWithin(30*time.Second, 0, "bob available", seen(r.bobJID, true))
	bob.waitWithin(30*time.Second, 0, "alice available", seen(r.aliceJID, true))

	alice.c.SendMessage(r.bobJID, "slowly")
	bob.waitWithin(30*time.Second, 0, "alice's message", got(r.aliceJID, "slowly"))
	bob.c.SendMessage(r.aliceJID, "slow reply")
	alice.waitWithin(30*time.Second, 0, "bob's reply", got(r.bobJID, "slow reply"))
	if n := alice.count(isState(app.Waiting)); n != 0 {
		t.Errorf("alice dropped the slow connection %d times:\n%s", n, alice.dump())
	}
	if n := alice.count(isState(app.Connecting)); n != 1 {
		t.Errorf("alice connected %d times, want once", n)
	}
}

// TestFaultServerKilledMidConversation: the server dies (SIGKILL) and comes
// back on the same ports with its data. Alice reconnects by herself; what
// she typed during the outage goes out afterwards, in order; what bob sent
// her while she was away arrives; nothing is lost or duplicated, on either
// side or in her archive.
func TestFaultServerKilledMidConversation(t *testing.T) {
	r := newFaultRig(t)
	alice, bob := r.alice(t, "", nil), r.bob(t)
	alice.waitOnline()
	bob.waitOnline()
	bob.wait("alice available", seen(r.aliceJID, true))
	alice.c.SendMessage(r.bobJID, "a1")
	bob.wait("a1", got(r.aliceJID, "a1"))
	bob.c.SendMessage(r.aliceJID, "b1")
	alice.wait("b1", got(r.bobJID, "b1"))

	// Alice loses the network first (the proxy refuses her until the
	// server is back), so bob's next messages wait for her on the server.
	mark, bmark := alice.mark(), bob.mark()
	r.px.Refuse(true)
	r.px.DropAll()
	alice.waitFrom(mark, "waiting after losing the network", isState(app.Waiting))
	bob.waitFrom(bmark, "alice unavailable", seen(r.aliceJID, false))
	b2 := bob.c.SendMessage(r.aliceJID, "b2")
	b3 := bob.c.SendMessage(r.aliceJID, "b3")
	// A message to himself, in order after b2 and b3 on his stream: once
	// it is back, the server has stored them.
	bob.c.SendMessage(r.bobJID, "bob's own marker")
	bob.waitFrom(bmark, "bob's marker", got(r.bobJID, "bob's own marker"))
	a2 := alice.c.SendMessage(r.bobJID, "a2")
	a3 := alice.c.SendMessage(r.bobJID, "a3")

	r.srv.Kill()
	bob.waitFrom(bmark, "bob waiting while the server is down", isState(app.Waiting))
	a4 := alice.c.SendMessage(r.bobJID, "a4")
	r.srv.Restart(t)
	r.px.Refuse(false)

	alice.waitFrom(mark, "alice online again, by herself", isState(app.Online))
	bob.waitFrom(bmark, "bob online again", isState(app.Online))
	delivered(t, alice, a2, bob, "a2")
	delivered(t, alice, a3, bob, "a3")
	delivered(t, alice, a4, bob, "a4")
	delivered(t, bob, b2, alice, "b2")
	delivered(t, bob, b3, alice, "b3")
	exchange(t, alice, bob, "end")

	if got, want := bodiesFrom(bob, r.aliceJID), []string{"a1", "a2", "a3", "a4", "end: alice to bob"}; !slices.Equal(got, want) {
		t.Errorf("bob got from alice %q, want %q (in order, each once)", got, want)
	}
	if got, want := bodiesFrom(alice, r.bobJID), []string{"b1", "b2", "b3", "end: bob to alice"}; !slices.Equal(got, want) {
		t.Errorf("alice got from bob %q, want %q (each once)", got, want)
	}
	archivedOnce(t, alice, r.bobJID, "a1", "b1", "b2", "b3", "a2", "a3", "a4", "end: alice to bob", "end: bob to alice")
	if all := archived(t, alice, r.bobJID); len(all) != 9 {
		t.Errorf("alice's archive with bob has %d messages, want 9: %q", len(all), all)
	}
}

// TestFaultTwoDevicesSeeEachOthersMessages: alice is signed in on her
// laptop and her phone. Each device shows what the other sent (Message
// Carbons), and both get bob's message to her bare address, once each.
func TestFaultTwoDevicesSeeEachOthersMessages(t *testing.T) {
	r := newFaultRig(t)
	laptop, phone, bob := r.alice(t, "laptop", nil), r.alice(t, "phone", nil), r.bob(t)
	for _, p := range []*probe{laptop, phone, bob} {
		p.waitOnline()
	}
	// Each device has signed in completely once it sees the other: two
	// resources of alice's, not only its own presence reflected back
	// (RFC 6121 §4.2.2), which comes first.
	laptop.wait("the phone's presence", bothDevices(r.aliceJID))
	phone.wait("the laptop's presence", bothDevices(r.aliceJID))
	bob.wait("alice available", seen(r.aliceJID, true))

	id := laptop.c.SendMessage(r.bobJID, "from the laptop")
	delivered(t, laptop, id, bob, "from the laptop")
	phone.wait("carbon of the laptop's message (Message Carbons, XEP-0280)", carbon(r.bobJID, "from the laptop"))
	id = phone.c.SendMessage(r.bobJID, "from the phone")
	delivered(t, phone, id, bob, "from the phone")
	laptop.wait("carbon of the phone's message (Message Carbons, XEP-0280)", carbon(r.bobJID, "from the phone"))

	bob.c.SendMessage(r.aliceJID, "to both")
	laptop.wait("bob's message on the laptop", got(r.bobJID, "to both"))
	phone.wait("bob's message on the phone", got(r.bobJID, "to both"))

	// A last round on each device, then count.
	bob.c.SendMessage(r.aliceJID, "last")
	laptop.wait("bob's last message on the laptop", got(r.bobJID, "last"))
	phone.wait("bob's last message on the phone", got(r.bobJID, "last"))
	for _, dev := range []*probe{laptop, phone} {
		once(t, dev, r.bobJID, "to both", "last")
		for _, body := range []string{"from the laptop", "from the phone"} {
			own := (dev == laptop) == (body == "from the laptop")
			want := 1
			if own {
				want = 0 // a device's own message comes back to it as nothing
			}
			if n := dev.count(carbon(r.bobJID, body)); n != want {
				t.Errorf("%s shows %q as sent %d times, want %d", dev.name, body, n, want)
			}
		}
	}
	once(t, bob, r.aliceJID, "from the laptop", "from the phone")
	// The carbons are in each device's archive too, as outgoing.
	for _, dev := range []*probe{laptop, phone} {
		archivedOnce(t, dev, r.bobJID, "from the laptop", "from the phone", "to both", "last")
	}
}

// TestFaultRevokedGrantWhileOnlineStopsForGood: the OAuth grant is revoked
// while alice is online; when the connection then drops, the reconnection
// finds the authorization gone: SignInRequired once, Offline, no retry
// loop.
func TestFaultRevokedGrantWhileOnlineStopsForGood(t *testing.T) {
	rig := startOAuthRig(t, 0)
	px := faultproxy.Start(t, rig.xmpp.Addr)
	acct := rig.account(account.MechanismOAuthBearer)
	acct.Host, acct.Port = px.Host(), px.Port()
	alice := run(t, "alice", app.NewOAuth(acct, rig.signIn(t, acct, "alice", "alice-secret")))
	alice.waitOnline()

	rig.as.Revoke(t, "alice")
	mark := alice.mark()
	px.DropAll()
	ev := alice.waitFrom(mark, "sign in again", func(e app.Event) bool { _, ok := e.(app.SignInRequired); return ok }).(app.SignInRequired)
	if ev.Err == nil {
		t.Errorf("no reason given: %+v", ev)
	}
	alice.waitFrom(mark, "offline", func(e app.Event) bool {
		s, ok := e.(app.StateChanged)
		return ok && s.State == app.Offline && s.Err != nil
	})
	// Several backoff periods (1 s, 2 s, …) pass: no further attempt.
	time.Sleep(4 * time.Second)
	var connecting, signIn, waitingAfter int
	var offline bool
	alice.mu.Lock()
	for _, e := range alice.events[mark:] {
		switch e := e.(type) {
		case app.SignInRequired:
			signIn++
		case app.StateChanged:
			switch e.State {
			case app.Connecting:
				connecting++
			case app.Offline:
				offline = true
			case app.Waiting:
				if offline {
					waitingAfter++
				}
			}
		}
	}
	alice.mu.Unlock()
	if signIn != 1 {
		t.Errorf("SignInRequired %d times, want once", signIn)
	}
	if connecting != 1 {
		t.Errorf("connecting %d times after the revocation, want once (no retry loop):\n%s", connecting, alice.dump())
	}
	// One connection to sign in, and at most two for the attempt after
	// the drop (the refused token, then a refreshed one).
	if waitingAfter != 0 || px.Accepted() > 1+2*connecting {
		t.Errorf("still retrying after asking to sign in again: %d waits, %d connections to the server in all",
			waitingAfter, px.Accepted())
	}
	if n := alice.count(isState(app.Online)); n != 1 {
		t.Errorf("online %d times, want once (before the revocation)", n)
	}
}
