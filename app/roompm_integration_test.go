package app_test

import (
	"context"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
)

// privateFrom matches a MessageReceived from peer with body.
func privateFrom(peer, body string) func(app.Event) bool {
	return func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Peer == peer && m.Msg.Body == body && !m.Outgoing
	}
}

// TestRoomPrivateMessages: alice writes to bob through the room (XEP-0045
// §7.5); bob gets it from alice's occupant JID, answers there, and both
// lines are in alice's archive under bob's occupant JID, none under the
// room's.
func TestRoomPrivateMessages(t *testing.T) {
	srv := mucServer(t)
	room := "whisper@" + srv.MUCDomain
	alice, bob := online(t, srv, "alice", nil), online(t, srv, "bob", nil)
	alice.join(room, "Alice", "")
	amark := alice.mark()
	bob.join(room, "Bob", "")
	alice.waitFrom(amark, "bob in", entered(room, "Bob"))

	id := alice.c.SendMessage(room+"/Bob", "psst")
	got := bob.wait("the private message", privateFrom(room+"/Alice", "psst")).(app.MessageReceived)
	if got.Msg.From.String() != room+"/Alice" {
		t.Errorf("from %s", got.Msg.From)
	}
	alice.wait("sent", func(e app.Event) bool {
		s, ok := e.(app.MessageStateChanged)
		return ok && s.ID == id && s.Peer == room+"/Bob" && s.State == history.Sent
	})
	bob.c.SendMessage(got.Peer, "psst back")
	alice.wait("the answer", privateFrom(room+"/Bob", "psst back"))

	ctx := context.Background()
	msgs, err := alice.c.History(ctx, room+"/Bob", history.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Body != "psst" || msgs[0].Dir != history.Out || msgs[1].Body != "psst back" || msgs[1].Dir != history.In || msgs[0].Room {
		t.Errorf("alice's archive with bob: %+v", msgs)
	}
	msgs, err = bob.c.History(ctx, room+"/Alice", history.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Errorf("bob's archive with alice: %+v", msgs)
	}
	for _, p := range []*probe{alice, bob} {
		msgs, err := p.c.History(ctx, room, history.Cursor{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 0 {
			t.Errorf("%s: private lines under the room: %+v", p.name, msgs)
		}
	}

	// Out of the room, alice's next line is refused by the room, and the
	// refusal reaches the conversation with bob.
	amark = alice.mark()
	alice.c.LeaveRoom(room)
	id = alice.c.SendMessage(room+"/Bob", "still there?")
	f := alice.waitFrom(amark, "refused", func(e app.Event) bool {
		f, ok := e.(app.MessageFailed)
		return ok && f.ID == id
	}).(app.MessageFailed)
	if f.Peer != room+"/Bob" {
		t.Errorf("refusal for %s", f.Peer)
	}
}
