package app_test

import (
	"testing"

	"github.com/palaver-im/palaver/app"
)

// carbonsOn waits until p's session has enabled Message Carbons: the
// archive preferences are read only after that answer (afterOnline).
func carbonsOn(p *probe) {
	p.t.Helper()
	p.wait(p.name+" archive preferences", func(e app.Event) bool { _, ok := e.(app.ArchivePrefs); return ok })
}

// TestCorrectionOnProsody: alice corrects her last message and bob's
// archive has one message with the new body. Bob's second device sends,
// his first corrects that message: the carbon corrects it on the second
// device too (same account, any resource), but alice, who got the message
// from the second device's full JID, is not fooled and shows the
// correction as a new message.
func TestCorrectionOnProsody(t *testing.T) {
	srv, alice, bob := twoUsers(t)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	carbonsOn(alice)
	carbonsOn(bob)

	id := alice.c.SendMessage(bobJID, "helo bob")
	first := bob.wait("alice's message", got(aliceJID, "helo bob")).(app.MessageReceived)
	if first.Msg.ID != id {
		t.Fatalf("bob got id %q, alice sent %q", first.Msg.ID, id)
	}
	mark, bobMark := alice.mark(), bob.mark()
	alice.c.CorrectMessage(bobJID, id, "hello bob")
	if c := alice.waitFrom(mark, "alice's own correction", isCorrected).(app.MessageCorrected); c.ID != id || !c.Outgoing || c.Body != "hello bob" {
		t.Fatalf("alice: %+v", c)
	}
	c := bob.waitFrom(bobMark, "correction at bob", isCorrected).(app.MessageCorrected)
	if c.Peer != aliceJID || c.ID != id || c.Body != "hello bob" || c.Outgoing || c.ArchiveID != first.ArchiveID {
		t.Fatalf("bob: %+v, first archived as %d", c, first.ArchiveID)
	}
	if got := archivedBodies(t, bob, aliceJID); !sameStrings(got, []string{"hello bob"}) {
		t.Fatalf("bob's archive: %q", got)
	}
	if got := archivedBodies(t, alice, bobJID); !sameStrings(got, []string{"hello bob"}) {
		t.Fatalf("alice's archive: %q", got)
	}

	bob2 := sameAccount(t, srv, "bob", "second")
	carbonsOn(bob2)
	mark, bobMark = alice.mark(), bob.mark()
	id2 := bob2.c.SendMessage(aliceJID, "from the second")
	alice.waitFrom(mark, "bob's second device", got(bobJID, "from the second"))
	bob.waitFrom(bobMark, "carbon at bob", carbon(aliceJID, "from the second"))

	mark, bobMark, bob2Mark := alice.mark(), bob.mark(), bob2.mark()
	bob.c.CorrectMessage(aliceJID, id2, "fixed by the first")
	if c := bob.waitFrom(bobMark, "bob's correction", isCorrected).(app.MessageCorrected); c.ID != id2 || !c.Outgoing {
		t.Fatalf("bob: %+v", c)
	}
	if c := bob2.waitFrom(bob2Mark, "carbon of the correction", isCorrected).(app.MessageCorrected); c.ID != id2 || !c.Outgoing || c.Body != "fixed by the first" || c.Peer != aliceJID {
		t.Fatalf("bob's second device: %+v", c)
	}
	m := alice.waitFrom(mark, "correction from another resource", got(bobJID, "fixed by the first")).(app.MessageReceived)
	if m.Msg.Replace != id2 {
		t.Fatalf("alice got %+v", m.Msg)
	}
	if n := countFrom(alice, mark, isCorrected); n != 0 {
		t.Fatalf("alice applied %d corrections from another resource", n)
	}
	want := []string{"hello bob", "from the second", "fixed by the first"}
	if got := archivedBodies(t, alice, bobJID); !sameStrings(got, want) {
		t.Fatalf("alice's archive %q, want %q", got, want)
	}
	if got := archivedBodies(t, bob2, aliceJID); !sameStrings(got, []string{"fixed by the first"}) {
		t.Fatalf("bob's second archive %q", got)
	}
}

// TestRoomPrivateCorrection: a private message through a room is
// corrected like a 1:1 one, the occupant JID being the peer and the
// sender.
func TestRoomPrivateCorrection(t *testing.T) {
	srv := mucServer(t)
	room := "whisper@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	alice.join(room, "Alice", "")
	amark := alice.mark()
	bob.join(room, "Bob", "")
	alice.waitFrom(amark, "bob in", entered(room, "Bob"))

	id := alice.c.SendMessage(room+"/Bob", "pst")
	first := bob.wait("the private message", privateFrom(room+"/Alice", "pst")).(app.MessageReceived)
	bmark := bob.mark()
	alice.c.CorrectMessage(room+"/Bob", id, "psst")
	c := bob.waitFrom(bmark, "the correction", isCorrected).(app.MessageCorrected)
	if c.Peer != room+"/Alice" || c.ID != id || c.Body != "psst" || c.Outgoing || c.ArchiveID != first.ArchiveID {
		t.Fatalf("bob: %+v, first archived as %d", c, first.ArchiveID)
	}
	if got := archivedBodies(t, bob, room+"/Alice"); !sameStrings(got, []string{"psst"}) {
		t.Fatalf("bob's archive: %q", got)
	}
	if got := archivedBodies(t, alice, room+"/Bob"); !sameStrings(got, []string{"psst"}) {
		t.Fatalf("alice's archive: %q", got)
	}
}
