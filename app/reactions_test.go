package app_test

import (
	"context"
	"encoding/xml"
	"reflect"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// reacted matches the ReactionsChanged of from to message id with peer.
func reacted(peer, id, from string) func(app.Event) bool {
	return func(e app.Event) bool {
		r, ok := e.(app.ReactionsChanged)
		return ok && r.Peer == peer && r.ID == id && r.From == from
	}
}

func isReactionsChanged(e app.Event) bool { _, ok := e.(app.ReactionsChanged); return ok }

func isReactFailed(e app.Event) bool {
	f, ok := e.(app.CommandFailed)
	return ok && f.Op == app.OpReact
}

// decodeSent decodes a message the client sent.
func decodeSent(t *testing.T, s string) im.Message {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	tok, err := d.Token()
	if err != nil {
		t.Fatal(err)
	}
	start := tok.(xml.StartElement)
	m, err := im.DecodeMessage(d, &start)
	if err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return m
}

// page returns the archived conversation with peer.
func page(t *testing.T, p *probe, peer string) []history.Message {
	t.Helper()
	ms, err := p.c.History(context.Background(), peer, history.Cursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestReactions: our reactions go to the peer's bare JID with the id of
// the message reacted to and a store hint, and replace the last set; the
// peer's replace theirs; a stranger's reaction to a message of the
// conversation goes nowhere; a carbon of our other client's reaction
// counts as ours. No reaction shows as a message, and the archive's page
// carries what stands.
func TestReactions(t *testing.T) {
	_, conn, alice := signIn(t)
	const (
		bob = "bob@localhost"
		me  = "alice@localhost"
	)
	conn.raw(t, `<message from="bob@localhost/phone" type="chat" id="m1"><body>lunch?</body></message>`)
	alice.wait("bob's message", isReceived)
	ours := alice.c.SendMessage(bob, "yes")
	conn.expect(t, `id="`+ours+`"`)

	mark := alice.mark()
	alice.c.React(bob, "m1", []string{"👍", " ", "👍", "🍕"})
	sent := decodeSent(t, conn.expect(t, `<reactions xmlns="urn:xmpp:reactions:0"`, `id="m1"`))
	if sent.To.String() != bob || sent.Type != "chat" || sent.Body != "" || sent.ReceiptRequested || sent.ChatState != "" ||
		sent.Reactions == nil || !reflect.DeepEqual(sent.Reactions.Emojis, []string{"👍", "🍕"}) || sent.ID == "" {
		t.Fatalf("sent %+v", sent)
	}
	r := alice.waitFrom(mark, "our reactions", reacted(bob, "m1", me)).(app.ReactionsChanged)
	if !reflect.DeepEqual(r.Emojis, []string{"👍", "🍕"}) {
		t.Fatalf("our reactions: %+v", r)
	}

	// The same set again sends nothing: the next thing sent is the
	// change after it.
	alice.c.React(bob, "m1", []string{"🍕", "👍"})
	alice.c.React(bob, "m1", []string{"🍕"})
	s := conn.expect(t, `<reactions`)
	if !strings.Contains(s, "🍕</reaction></reactions>") || strings.Contains(s, "👍") {
		t.Fatalf("sent %s after the same set", s)
	}

	// Bob reacts to ours, then to his own message, then takes that back.
	mark = alice.mark()
	conn.raw(t, `<message from="bob@localhost/phone" type="chat" id="r1"><reactions xmlns="urn:xmpp:reactions:0" id="`+ours+`"><reaction>❤️</reaction></reactions><store xmlns="urn:xmpp:hints"/></message>`)
	if r := alice.waitFrom(mark, "bob's reaction", reacted(bob, ours, bob)).(app.ReactionsChanged); !reflect.DeepEqual(r.Emojis, []string{"❤️"}) {
		t.Fatalf("bob's reaction: %+v", r)
	}
	conn.raw(t, `<message from="bob@localhost/desk" type="chat" id="r2"><reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>🎉</reaction></reactions></message>`)
	alice.waitFrom(mark, "bob's second reaction", reacted(bob, "m1", bob))
	mark = alice.mark()
	conn.raw(t, `<message from="bob@localhost/desk" type="chat" id="r3"><reactions xmlns="urn:xmpp:reactions:0" id="m1"/></message>`)
	if r := alice.waitFrom(mark, "bob takes it back", reacted(bob, "m1", bob)).(app.ReactionsChanged); len(r.Emojis) != 0 {
		t.Fatalf("taken back: %+v", r)
	}

	// A stranger reacts to messages of the conversation with bob.
	mark = alice.mark()
	conn.raw(t, `<message from="eve@localhost/x" type="chat" id="e1"><reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>💩</reaction></reactions></message>`)
	conn.raw(t, `<message from="eve@localhost/x" type="chat" id="e2"><reactions xmlns="urn:xmpp:reactions:0" id="`+ours+`"><reaction>💩</reaction></reactions></message>`)
	// Our other client reacts (a sent carbon); it comes after eve's.
	conn.raw(t, `<message from="alice@localhost" to="alice@localhost/palaver" type="chat"><sent xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0">`+
		`<message xmlns="jabber:client" from="alice@localhost/phone" to="bob@localhost" type="chat" id="c1"><reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>😂</reaction></reactions></message>`+
		`</forwarded></sent></message>`)
	if r := alice.waitFrom(mark, "our other client's reaction", reacted(bob, "m1", me)).(app.ReactionsChanged); !reflect.DeepEqual(r.Emojis, []string{"😂"}) {
		t.Fatalf("carbon: %+v", r)
	}
	if n := countFrom(alice, mark, isReactionsChanged); n != 1 {
		t.Fatalf("%d reaction changes after the stranger's; events:\n%s", n, alice.dump())
	}
	if n := alice.count(isReceived); n != 1 {
		t.Fatalf("%d messages shown, want bob's only; events:\n%s", n, alice.dump())
	}

	ms := page(t, alice, bob)
	if len(ms) != 2 {
		t.Fatalf("archive: %+v", ms)
	}
	if want := []history.Reaction{{From: me, Emojis: []string{"😂"}}}; !reflect.DeepEqual(ms[0].Reactions, want) {
		t.Fatalf("reactions to m1: %+v, want %+v", ms[0].Reactions, want)
	}
	if want := []history.Reaction{{From: bob, Emojis: []string{"❤️"}}}; !reflect.DeepEqual(ms[1].Reactions, want) {
		t.Fatalf("reactions to ours: %+v, want %+v", ms[1].Reactions, want)
	}
	if ms := page(t, alice, "eve@localhost"); len(ms) != 0 {
		t.Fatalf("eve's conversation: %+v", ms)
	}

	// Named by a full JID, the conversation is the bare one, and so is
	// the recipient.
	mark = alice.mark()
	alice.c.React(bob+"/phone", "m1", []string{"👀"})
	if sent := decodeSent(t, conn.expect(t, `👀`)); sent.To.String() != bob {
		t.Fatalf("sent to %s", sent.To)
	}
	alice.waitFrom(mark, "our reactions", reacted(bob, "m1", me))

	// A message not archived, then offline: refused.
	mark = alice.mark()
	alice.c.React(bob, "nope", []string{"👍"})
	alice.waitFrom(mark, "a reaction to nothing refused", isReactFailed)
	alice.c.Disconnect()
	alice.wait("offline", isState(app.Offline))
	mark = alice.mark()
	alice.c.React(bob, "m1", []string{"👍"})
	alice.waitFrom(mark, "a reaction offline refused", isReactFailed)
}

// TestReplies: our reply's body starts with the quotation, which its
// fallback range covers exactly, and the archive keeps what it answers;
// a received reply is archived with the id it answers and its range.
func TestReplies(t *testing.T) {
	_, conn, alice := signIn(t)
	const bob = "bob@localhost"
	conn.raw(t, `<message from="bob@localhost/phone" type="chat" id="m1"><body>Grüße
aus Köln</body></message>`)
	alice.wait("bob's message", isReceived)

	id := alice.c.SendReply(bob, "danke!", app.ReplyTo{ID: "m1", Author: bob, Quote: "Grüße\naus Köln"})
	sent := decodeSent(t, conn.expect(t, `id="`+id+`"`, `<reply xmlns="urn:xmpp:reply:0"`, `<body`))
	const quote = "> Grüße\n> aus Köln\n"
	if sent.Body != quote+"danke!" || sent.Reply == nil || sent.Reply.ID != "m1" || sent.Reply.To != bob || !sent.ReceiptRequested {
		t.Fatalf("sent %+v, reply %+v", sent, sent.Reply)
	}
	s, e, ok := sent.Reply.FallbackRange(sent.Body)
	if !ok || sent.Body[s:e] != quote || sent.Body[:s]+sent.Body[e:] != "danke!" {
		t.Fatalf("fallback %+v: %q", sent.Reply, sent.Body[s:e])
	}

	mark := alice.mark()
	conn.raw(t, `<message from="bob@localhost/phone" type="chat" id="m2"><body>&gt; danke!
gern</body><reply xmlns="urn:xmpp:reply:0" to="alice@localhost/palaver" id="`+id+`"/>`+
		`<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="9"/></fallback></message>`)
	m := alice.waitFrom(mark, "bob's reply", isReceived).(app.MessageReceived)
	if m.Msg.Reply == nil || m.Msg.Reply.ID != id || !m.Msg.Reply.HasFallback {
		t.Fatalf("bob's reply: %+v", m.Msg.Reply)
	}
	ms := page(t, alice, bob)
	if len(ms) != 3 {
		t.Fatalf("archive: %+v", ms)
	}
	if r := ms[1]; r.ReplyID != "m1" || r.ReplyTo != bob || r.Body != quote+"danke!" || r.Text() != "danke!" {
		t.Fatalf("our reply archived as %+v", r)
	}
	if r := ms[2]; r.ReplyID != id || r.ReplyTo != "alice@localhost/palaver" || r.Text() != "gern" {
		t.Fatalf("bob's reply archived as %+v, text %q", r, r.Text())
	}

	// A reply to nothing quoted has no fallback.
	id = alice.c.SendReply(bob, "ok", app.ReplyTo{ID: "m2"})
	sent = decodeSent(t, conn.expect(t, `id="`+id+`"`))
	if sent.Body != "ok" || sent.Reply == nil || sent.Reply.ID != "m2" || sent.Reply.HasFallback {
		t.Fatalf("reply without quotation: %+v %+v", sent, sent.Reply)
	}
}
