package app_test

import (
	"context"
	"encoding/xml"
	"testing"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
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

// rawRoomPresence has the raw session join room as nick, or change its
// nick there (XEP-0045 §7.2.1, §7.6).
func rawRoomPresence(t *testing.T, sess *xmpp.Session, room, nick string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	to := jid.MustParse(room + "/" + nick)
	x := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: muc.NS, Local: "x"}})
	if err := sess.Send(ctx, stanza.Presence{To: to}.Wrap(x)); err != nil {
		t.Fatal(err)
	}
}

// rawRoomCorrection has the raw session send room a correction of line id.
func rawRoomCorrection(t *testing.T, sess *xmpp.Session, room, id, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := im.Message{Message: stanza.Message{ID: app.NewID(), To: jid.MustParse(room), Type: stanza.GroupChatMessage}, Body: body, Replace: id}
	if err := sess.Send(ctx, m.TokenReader()); err != nil {
		t.Fatal(err)
	}
}

// TestRoomCorrectionOnProsody: in a room on Prosody (no occupant ids:
// Debian's Prosody ships no mod_muc_occupant_id), alice corrects her
// last line; bob's archive has the line with the new body, and alice's
// own has it once, not shown again by the room's copy. Mallory's
// corrections of alice's line are new lines: under her own nick (at
// alice and bob), and under alice's, taken once alice left (at bob).
// Bob's reply to alice's line names it by the room's stanza id.
func TestRoomCorrectionOnProsody(t *testing.T) {
	srv := mucServer(t)
	room := "fixes@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	srv.Register(t, "mallory", "mallory-pw")
	mallory := rawClient(t, srv, "mallory")
	alice.join(room, "alice", "")
	bob.join(room, "bob", "")

	amark, bmark := alice.mark(), bob.mark()
	id := alice.c.SendRoomMessage(room, "helo")
	line := bob.waitFrom(bmark, "alice's line", roomLine(room, "alice", "helo")).(app.RoomMessage)
	own := alice.waitFrom(amark, "alice's own line", roomLine(room, "alice", "helo")).(app.RoomMessage)
	if line.ID != id || own.ID != id {
		t.Fatalf("bob has the line as %q, alice as %q; sent as %q", line.ID, own.ID, id)
	}

	amark, bmark = alice.mark(), bob.mark()
	alice.c.CorrectMessage(room, id, "hello")
	if c := alice.waitFrom(amark, "alice's correction", roomCorrected(room, id)).(app.MessageCorrected); !c.Outgoing || !c.Room || c.Body != "hello" || c.ArchiveID != own.ArchiveID {
		t.Fatalf("alice: %+v, line archived as %d", c, own.ArchiveID)
	}
	c := bob.waitFrom(bmark, "the correction at bob", roomCorrected(room, id)).(app.MessageCorrected)
	if c.Outgoing || !c.Room || c.Nick != "alice" || c.Body != "hello" || c.ArchiveID != line.ArchiveID {
		t.Fatalf("bob: %+v, line archived as %d", c, line.ArchiveID)
	}
	// The room's copy of the correction has reached alice before bob's
	// next line.
	bob.c.SendRoomMessage(room, "sync")
	alice.waitFrom(amark, "bob's line", roomLine(room, "bob", "sync"))
	if n := countFrom(alice, amark, roomCorrected(room, id)); n != 1 {
		t.Fatalf("alice's correction announced %d times", n)
	}
	if n := countFrom(alice, amark, roomLine(room, "alice", "hello")); n != 0 {
		t.Fatalf("the room's copy of alice's correction showed as a line")
	}

	// Bob answers alice's line, named by the room's stanza id.
	if line.StanzaID == "" || line.StanzaID != own.StanzaID {
		t.Fatalf("stanza ids: bob %q, alice %q", line.StanzaID, own.StanzaID)
	}
	bob.c.SendRoomReply(room, "welcome", app.ReplyTo{ID: line.StanzaID, Author: room + "/alice", Quote: "hello"})
	r := alice.waitFrom(amark, "bob's reply", roomLine(room, "bob", "> hello\nwelcome")).(app.RoomMessage)
	if r.Reply == nil || r.Reply.ID != own.StanzaID || r.Reply.To != room+"/alice" {
		t.Fatalf("bob's reply at alice: %+v", r)
	}
	if ms := page(t, alice, room); len(ms) != 3 || ms[2].ReplyID != own.StanzaID || ms[2].Text() != "welcome" {
		t.Fatalf("alice's archive: %+v", ms)
	}

	// Mallory, under her own nick, then under alice's.
	bmark = bob.mark()
	rawRoomPresence(t, mallory, room, "mallory")
	bob.waitFrom(bmark, "mallory in", entered(room, "mallory"))
	rawRoomCorrection(t, mallory, room, id, "forged by mallory")
	bob.waitFrom(bmark, "mallory's forgery", roomLine(room, "mallory", "forged by mallory"))
	alice.waitFrom(amark, "mallory's forgery at alice", roomLine(room, "mallory", "forged by mallory"))
	alice.c.LeaveRoom(room)
	bob.waitFrom(bmark, "alice out", left(room, "alice"))
	rawRoomPresence(t, mallory, room, "alice")
	bob.waitFrom(bmark, "mallory is alice", func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Room == room && o.Occupant.Nick == "mallory" && o.NewNick == "alice"
	})
	rawRoomCorrection(t, mallory, room, id, "forged as alice")
	bob.waitFrom(bmark, "the forgery under alice's nick", roomLine(room, "alice", "forged as alice"))
	if n := countFrom(bob, bmark, func(e app.Event) bool { _, ok := e.(app.MessageCorrected); return ok }); n != 0 {
		t.Fatalf("bob applied %d forged corrections", n)
	}
	if got, want := roomBodies(t, bob, room), []string{"hello", "sync", "> hello\nwelcome", "forged by mallory", "forged as alice"}; !sameStrings(got, want) {
		t.Fatalf("bob's archive %q, want %q", got, want)
	}
	// Alice, still in the room then, saw the first forgery as a line too.
	if got, want := roomBodies(t, alice, room), []string{"hello", "sync", "> hello\nwelcome", "forged by mallory"}; !sameStrings(got, want) {
		t.Fatalf("alice's archive %q, want %q", got, want)
	}
	if n := countFrom(alice, 0, func(e app.Event) bool { _, ok := e.(app.MessageCorrected); return ok }); n != 1 {
		t.Fatalf("alice applied %d corrections, want her own", n)
	}
}
