package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"reflect"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// rawClient signs user in to srv with a bare mellium session, to send
// what Palaver would not (a stranger's reactions), and closes it at the
// end of the test.
func rawClient(t *testing.T, srv *prosodytest.Server, user string) *xmpp.Session {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CertPEM) {
		t.Fatal("no certificate")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	origin := jid.MustParse(user + "@" + srv.Domain)
	sess, err := xmpp.NewClientSession(ctx, origin, conn,
		xmpp.StartTLS(&tls.Config{RootCAs: pool, ServerName: srv.Domain, MinVersion: tls.VersionTLS12}),
		xmpp.SASL("", user+"-pw", sasl.Plain),
		xmpp.BindResource())
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	go sess.Serve(nil)
	t.Cleanup(func() { sess.Close(); conn.Close() })
	return sess
}

// emojisOf waits from mark for from's reactions to message id with peer
// and fails unless they are want.
func emojisOf(p *probe, mark int, peer, id, from string, want ...string) {
	p.t.Helper()
	r := p.waitFrom(mark, p.name+": reactions of "+from+" to "+id, reacted(peer, id, from)).(app.ReactionsChanged)
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(r.Emojis, want) && !(len(r.Emojis) == 0 && len(want) == 0) {
		p.t.Fatalf("%s: reactions of %s to %s: %q, want %q", p.name, from, id, r.Emojis, want)
	}
}

// TestReactionsOnProsody: alice reacts to bob's message, changes and
// takes back her reaction, and bob sees each set, as does alice's second
// client by carbon; bob reacts to alice's message. A stranger's reaction
// to a message of their conversation reaches neither. After a restart
// alice's archive has the reactions, and those bob sent while this client
// was away (her second one online, so nothing waits in offline storage)
// come from the server's archive.
func TestReactionsOnProsody(t *testing.T) {
	srv := prosodytest.Start(t)
	for _, u := range []string{"alice", "bob", "eve"} {
		srv.Register(t, u, u+"-pw")
	}
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	srv.SetRoster(t, "alice", []prosodytest.RosterItem{{JID: bobJID, Subscription: "both"}})
	srv.SetRoster(t, "bob", []prosodytest.RosterItem{{JID: aliceJID, Subscription: "both"}})
	aliceDir := t.TempDir()
	alice, bob := startIn(t, srv, "alice", aliceDir), startIn(t, srv, "bob", t.TempDir())
	alice.waitOnline()
	bob.waitOnline()
	alice2 := sameAccount(t, srv, "alice", "second")
	carbonsOn(alice)
	carbonsOn(bob)
	carbonsOn(alice2)

	bob.c.SendMessage(aliceJID, "lunch?")
	id := alice.wait("bob's message", got(bobJID, "lunch?")).(app.MessageReceived).Msg.ID
	alice2.wait("bob's message at the second client", got(bobJID, "lunch?"))

	mark, bmark, a2mark := alice.mark(), bob.mark(), alice2.mark()
	alice.c.React(bobJID, id, []string{"👍"})
	emojisOf(alice, mark, bobJID, id, aliceJID, "👍")
	emojisOf(bob, bmark, aliceJID, id, aliceJID, "👍")
	emojisOf(alice2, a2mark, bobJID, id, aliceJID, "👍")

	bmark, a2mark = bob.mark(), alice2.mark()
	alice.c.React(bobJID, id, []string{"🍕", "😋"})
	emojisOf(bob, bmark, aliceJID, id, aliceJID, "🍕", "😋")
	emojisOf(alice2, a2mark, bobJID, id, aliceJID, "🍕", "😋")
	bmark = bob.mark()
	alice.c.React(bobJID, id, nil)
	emojisOf(bob, bmark, aliceJID, id, aliceJID)

	ours := alice.c.SendMessage(bobJID, "sure")
	bob.wait("alice's message", got(aliceJID, "sure"))
	mark = alice.mark()
	bob.c.React(aliceJID, ours, []string{"❤️"})
	emojisOf(alice, mark, bobJID, ours, bobJID, "❤️")

	// A stranger reacts to both messages; then says something, which
	// comes after.
	eve := rawClient(t, srv, "eve")
	mark = alice.mark()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, target := range []string{id, ours} {
		r := im.Message{Message: stanza.Message{ID: "e-" + target, To: jid.MustParse(aliceJID), Type: stanza.ChatMessage},
			Reactions: &im.Reactions{ID: target, Emojis: []string{"💩"}}}
		if err := eve.Send(ctx, r.TokenReader()); err != nil {
			t.Fatal(err)
		}
	}
	after := im.Message{Message: stanza.Message{ID: "e-after", To: jid.MustParse(aliceJID), Type: stanza.ChatMessage}, Body: "hi alice"}
	if err := eve.Send(ctx, after.TokenReader()); err != nil {
		t.Fatal(err)
	}
	alice.waitFrom(mark, "eve's message", got("eve@"+srv.Domain, "hi alice"))
	if n := countFrom(alice, mark, isReactionsChanged); n != 0 {
		t.Fatalf("a stranger's reactions changed %d sets; events:\n%s", n, alice.dump())
	}

	// Away: bob reacts; alice's second client gets it live, so the
	// server keeps it only in its archive.
	alice.stop()
	a2mark = alice2.mark()
	bob.c.React(aliceJID, id, []string{"🎉"})
	emojisOf(alice2, a2mark, bobJID, id, bobJID, "🎉")
	alice = startIn(t, srv, "alice", aliceDir)
	alice.waitOnline()
	emojisOf(alice, 0, bobJID, id, bobJID, "🎉")

	ms, err := alice.c.History(context.Background(), bobJID, history.Cursor{}, 10)
	if err != nil || len(ms) != 2 {
		t.Fatalf("history: %+v, %v", ms, err)
	}
	if want := []history.Reaction{{From: bobJID, Emojis: []string{"🎉"}}}; ms[0].MsgID != id || !reflect.DeepEqual(ms[0].Reactions, want) {
		t.Fatalf("reactions to bob's message after a restart: %+v, want %+v", ms[0], want)
	}
	if want := []history.Reaction{{From: bobJID, Emojis: []string{"❤️"}}}; ms[1].MsgID != ours || !reflect.DeepEqual(ms[1].Reactions, want) {
		t.Fatalf("reactions to alice's message after a restart: %+v, want %+v", ms[1], want)
	}
}

// TestRepliesOnProsody: alice answers bob's message; bob gets the reply
// with what it answers and a fallback range that covers exactly the
// quotation alice's body starts with; bob answers her reply, and both
// archives keep what each reply answers, with the text said.
func TestRepliesOnProsody(t *testing.T) {
	srv, alice, bob := twoUsers(t)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	bob.c.SendMessage(aliceJID, "Grüße\naus Köln")
	first := alice.wait("bob's message", got(bobJID, "Grüße\naus Köln")).(app.MessageReceived)

	const quote = "> Grüße\n> aus Köln\n"
	id := alice.c.SendReply(bobJID, "danke!", app.ReplyTo{ID: first.Msg.ID, Author: bobJID, Quote: first.Msg.Body})
	r := bob.wait("alice's reply", got(aliceJID, quote+"danke!")).(app.MessageReceived)
	if r.Msg.ID != id || r.Msg.Reply == nil || r.Msg.Reply.ID != first.Msg.ID || r.Msg.Reply.To != bobJID {
		t.Fatalf("alice's reply at bob: %+v, reply %+v", r.Msg, r.Msg.Reply)
	}
	s, e, ok := r.Msg.Reply.FallbackRange(r.Msg.Body)
	if !ok || r.Msg.Body[s:e] != quote || r.Msg.Body[:s]+r.Msg.Body[e:] != "danke!" {
		t.Fatalf("fallback %+v of %q", r.Msg.Reply, r.Msg.Body)
	}

	mark := alice.mark()
	bob.c.SendReply(aliceJID, "gern", app.ReplyTo{ID: id, Author: aliceJID, Quote: "danke!"})
	back := alice.waitFrom(mark, "bob's reply", got(bobJID, "> danke!\ngern")).(app.MessageReceived)
	if back.Msg.Reply == nil || back.Msg.Reply.ID != id || !back.Msg.Reply.HasFallback {
		t.Fatalf("bob's reply at alice: %+v", back.Msg.Reply)
	}

	ms := page(t, alice, bobJID)
	if len(ms) != 3 || ms[1].ReplyID != first.Msg.ID || ms[1].Text() != "danke!" || ms[2].ReplyID != id || ms[2].Text() != "gern" {
		t.Fatalf("alice's archive: %+v", ms)
	}
	ms = page(t, bob, aliceJID)
	if len(ms) != 3 || ms[1].ReplyID != first.Msg.ID || ms[1].ReplyTo != bobJID || ms[1].Text() != "danke!" || ms[2].ReplyID != id || ms[2].Text() != "gern" {
		t.Fatalf("bob's archive: %+v", ms)
	}
}

// TestRoomPrivateReaction: in a private chat through a room, reactions
// and replies work as in a 1:1 chat, the occupant JID being the peer and
// who reacted.
func TestRoomPrivateReaction(t *testing.T) {
	srv := mucServer(t)
	room := "whisper@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	alice.join(room, "Alice", "")
	amark := alice.mark()
	bob.join(room, "Bob", "")
	alice.waitFrom(amark, "bob in", entered(room, "Bob"))

	id := alice.c.SendMessage(room+"/Bob", "pst")
	bob.wait("the private message", privateFrom(room+"/Alice", "pst"))
	amark = alice.mark()
	bob.c.React(room+"/Alice", id, []string{"🤫"})
	emojisOf(alice, amark, room+"/Bob", id, room+"/Bob", "🤫")
	emojisOf(bob, 0, room+"/Alice", id, "bob@"+srv.Domain, "🤫")
	if ms := page(t, alice, room+"/Bob"); len(ms) != 1 || len(ms[0].Reactions) != 1 || ms[0].Reactions[0].From != room+"/Bob" {
		t.Fatalf("alice's archive: %+v", ms)
	}

	amark = alice.mark()
	bob.c.SendReply(room+"/Alice", "ok", app.ReplyTo{ID: id, Author: room + "/Alice", Quote: "pst"})
	r := alice.waitFrom(amark, "bob's reply", privateFrom(room+"/Bob", "> pst\nok")).(app.MessageReceived)
	if r.Msg.Reply == nil || r.Msg.Reply.ID != id {
		t.Fatalf("bob's reply: %+v", r.Msg.Reply)
	}
	if ms := page(t, alice, room+"/Bob"); len(ms) != 2 || ms[1].ReplyID != id || ms[1].Text() != "ok" {
		t.Fatalf("alice's archive: %+v", ms)
	}
}
