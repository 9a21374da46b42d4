package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
)

func isCorrected(e app.Event) bool { _, ok := e.(app.MessageCorrected); return ok }

func isCorrectFailed(e app.Event) bool {
	f, ok := e.(app.CommandFailed)
	return ok && f.Op == app.OpCorrect
}

func isReceived(e app.Event) bool { _, ok := e.(app.MessageReceived); return ok }

// archivedBodies returns the bodies of the archived conversation with peer.
func archivedBodies(t *testing.T, p *probe, peer string) []string {
	t.Helper()
	ms, err := p.c.History(context.Background(), peer, history.Cursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	var bs []string
	for _, m := range ms {
		bs = append(bs, m.Body)
	}
	return bs
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestForgedCorrectionIsANewMessage: a correction from another resource of
// the sender, of an unknown id, or of one of our messages changes nothing
// and is shown as a new message (XEP-0308 §5, §8); one from the same full
// JID corrects the message.
func TestForgedCorrectionIsANewMessage(t *testing.T) {
	_, conn, alice := signIn(t)
	conn.raw(t, `<message from="bob@localhost/phone" type="chat" id="m1"><body>helo</body></message>`)
	first := alice.wait("first", isReceived).(app.MessageReceived)
	ours := alice.c.SendMessage("bob@localhost", "mine")
	conn.expect(t, `id="`+ours+`"`)

	for i, forged := range []string{
		`<message from="bob@localhost/desk" type="chat" id="f1"><body>forged by desk</body><replace xmlns="urn:xmpp:message-correct:0" id="m1"/></message>`,
		`<message from="bob@localhost/phone" type="chat" id="f2"><body>of nothing</body><replace xmlns="urn:xmpp:message-correct:0" id="nope"/></message>`,
		`<message from="bob@localhost/phone" type="chat" id="f3"><body>of ours</body><replace xmlns="urn:xmpp:message-correct:0" id="` + ours + `"/></message>`,
	} {
		mark := alice.mark()
		conn.raw(t, forged)
		m := alice.waitFrom(mark, "forged correction as a message", isReceived).(app.MessageReceived)
		if m.Msg.Replace == "" || m.ArchiveID == 0 || m.ArchiveID == first.ArchiveID {
			t.Fatalf("forgery %d shown as %+v", i, m)
		}
	}
	mark := alice.mark()
	conn.raw(t, `<message from="bob@localhost/phone" type="chat" id="m2"><body>hello</body><replace xmlns="urn:xmpp:message-correct:0" id="m1"/></message>`)
	c := alice.waitFrom(mark, "correction", isCorrected).(app.MessageCorrected)
	if c.Peer != "bob@localhost" || c.ID != "m1" || c.Body != "hello" || c.Outgoing || c.ArchiveID != first.ArchiveID {
		t.Fatalf("correction: %+v, first archived as %d", c, first.ArchiveID)
	}
	if n := alice.count(isCorrected); n != 1 {
		t.Fatalf("%d corrections applied, want 1", n)
	}
	want := []string{"hello", "mine", "forged by desk", "of nothing", "of ours"}
	if got := archivedBodies(t, alice, "bob@localhost"); !sameStrings(got, want) {
		t.Fatalf("archive %q, want %q", got, want)
	}
	// The same correction again (offline storage, then the server's
	// archive) changes nothing and says nothing.
	mark = alice.mark()
	conn.raw(t, `<message from="bob@localhost/phone" type="chat" id="m2"><body>hello</body><replace xmlns="urn:xmpp:message-correct:0" id="m1"/></message>`)
	conn.raw(t, `<message from="bob@localhost/phone" type="chat" id="m3"><body>after</body></message>`)
	alice.waitFrom(mark, "the next message", isReceived)
	if n := alice.count(isCorrected); n != 1 {
		t.Fatalf("a repeated correction was announced again (%d)", n)
	}
}

// TestCorrectMessage: only our last message to a peer may be corrected;
// the correction is sent with the first message's id, and the archive
// keeps one message with the new body. A carbon of a correction sent by
// another of our clients corrects our message too.
func TestCorrectMessage(t *testing.T) {
	_, conn, alice := signIn(t)
	const bob = "bob@localhost"
	older := alice.c.SendMessage(bob, "one")
	conn.expect(t, `id="`+older+`"`)
	last := alice.c.SendMessage(bob, "tow")
	conn.expect(t, `id="`+last+`"`)

	mark := alice.mark()
	alice.c.CorrectMessage(bob, older, "1")
	f := alice.waitFrom(mark, "refusal", isCorrectFailed).(app.CommandFailed)
	if f.Op != app.OpCorrect || f.JID != bob || f.Err == nil {
		t.Fatalf("refusal: %+v", f)
	}
	mark = alice.mark()
	alice.c.CorrectMessage(bob, "nope", "1")
	if f := alice.waitFrom(mark, "refusal", isCorrectFailed).(app.CommandFailed); f.Op != app.OpCorrect {
		t.Fatalf("refusal: %+v", f)
	}

	mark = alice.mark()
	id := alice.c.CorrectMessage(bob, last, "two")
	sent := conn.expect(t, `id="`+id+`"`, `<body>two</body>`, `<replace xmlns="urn:xmpp:message-correct:0"`, `id="`+last+`"></replace>`)
	if strings.Contains(sent, "urn:xmpp:receipts") {
		t.Errorf("a correction asks for a receipt: %s", sent)
	}
	c := alice.waitFrom(mark, "correction", isCorrected).(app.MessageCorrected)
	if c.Peer != bob || c.ID != last || c.Body != "two" || !c.Outgoing || c.ArchiveID == 0 {
		t.Fatalf("correction: %+v", c)
	}
	// A second correction refers to the first message too.
	id2 := alice.c.CorrectMessage(bob, last, "two!")
	conn.expect(t, `id="`+id2+`"`, `<body>two!</body>`, `id="`+last+`"></replace>`)
	if got, want := archivedBodies(t, alice, bob), []string{"one", "two!"}; !sameStrings(got, want) {
		t.Fatalf("archive %q, want %q", got, want)
	}

	// Another of our clients corrects the last message (a carbon).
	mark = alice.mark()
	conn.raw(t, `<message from="alice@localhost" to="alice@localhost/palaver" type="chat"><sent xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0">`+
		`<message xmlns="jabber:client" from="alice@localhost/phone" to="bob@localhost" type="chat" id="c1"><body>2</body><replace xmlns="urn:xmpp:message-correct:0" id="`+last+`"/></message>`+
		`</forwarded></sent></message>`)
	c = alice.waitFrom(mark, "carbon correction", isCorrected).(app.MessageCorrected)
	if c.ID != last || c.Body != "2" || !c.Outgoing {
		t.Fatalf("carbon correction: %+v", c)
	}
	if got, want := archivedBodies(t, alice, bob), []string{"one", "2"}; !sameStrings(got, want) {
		t.Fatalf("archive %q, want %q", got, want)
	}
	hits, err := alice.c.Search(context.Background(), "tow", 10)
	if err != nil || len(hits) != 0 {
		t.Fatalf("search finds the first body: %+v, %v", hits, err)
	}

	// Offline, a correction is refused.
	alice.c.Disconnect()
	alice.wait("offline", isState(app.Offline))
	mark = alice.mark()
	alice.c.CorrectMessage(bob, last, "late")
	if f := alice.waitFrom(mark, "refusal", isCorrectFailed).(app.CommandFailed); f.Op != app.OpCorrect {
		t.Fatalf("offline: %+v", f)
	}
}
