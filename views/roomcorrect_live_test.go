package views

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// TestRoomCorrectAndReplyLive: in a room on a real Prosody, alice (the
// views on the real core) corrects her line with Up and answers bob's
// line with Reply; bob (a core of his own) sees both, and his own
// correction and reply show in alice's window.
func TestRoomCorrectAndReplyLive(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{MUC: true})
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	room := "tea@" + srv.MUCDomain
	acct := account.Account{JID: "alice@" + srv.Domain, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile}
	bobAcct := acct
	bobAcct.JID = "bob@" + srv.Domain

	h := newHarness(t, acct)
	h.ui.start = realCore("alice-pw")
	h.ui.Show()
	s := h.ui.only()
	h.until("alice online", func() bool { return s.State.State == app.Online })
	s.Joining(room, "alice")
	s.core.JoinRoom(room, "alice", "")
	s.openChat(room)
	h.until("alice in the room", func() bool { r := s.Rooms[room]; return r != nil && r.Joined })
	bob := startLiveCore(t, bobAcct, "bob-pw")
	bob.wait("bob online", func(e app.Event) bool { st, ok := e.(app.StateChanged); return ok && st.State == app.Online })
	bob.c.JoinRoom(room, "bob", "")
	bob.wait("bob in the room", func(e app.Event) bool { j, ok := e.(app.RoomJoined); return ok && j.Room == room })
	h.until("bob in alice's room", func() bool { _, ok := s.Rooms[room].Occupants["bob"]; return ok })
	c := s.chats[room]

	// Alice's line, then its correction with Up, once the room has it.
	c.entry.SetText("tea at fiev")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	ours := c.conv.msgs[len(c.conv.msgs)-1]
	h.until("alice's line reflected", func() bool { return ours.state == history.Sent && ours.stanzaID != "" })
	line := bob.wait("alice's line at bob", func(e app.Event) bool {
		m, ok := e.(app.RoomMessage)
		return ok && m.Nick == "alice" && m.Body == "tea at fiev"
	}).(app.RoomMessage)
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if c.editing != ours || c.entry.Text != "tea at fiev" {
		t.Fatalf("Up: editing our line %v, entry %q", c.editing == ours, c.entry.Text)
	}
	c.entry.SetText("tea at five")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.until("alice's line corrected in her window", func() bool { return ours.edited && ours.body == "tea at five" })
	got := bob.wait("alice's correction at bob", func(e app.Event) bool {
		m, ok := e.(app.MessageCorrected)
		return ok && m.Room && m.Peer == room
	}).(app.MessageCorrected)
	if got.Nick != "alice" || got.ID != line.ID || got.Body != "tea at five" || got.Outgoing {
		t.Errorf("bob's correction event %+v, alice's line was %q", got, line.ID)
	}
	if n := len(talk(c)); n != 1 {
		t.Errorf("alice's window has %d lines after her correction", n)
	}

	// Bob's line: alice replies to it from its menu.
	bob.c.SendRoomMessage(room, "scones?")
	var bobs *chatMsg
	h.until("bob's line at alice, with its stanza id", func() bool {
		if m := c.conv.msgs[len(c.conv.msgs)-1]; m.nick == "bob" && m.stanzaID != "" {
			bobs = m
		}
		return bobs != nil
	})
	replied := false
	for _, it := range c.messageMenuItems(bobs) {
		if it.Label == "Reply" {
			it.Action()
			replied = true
		}
	}
	if !replied {
		t.Fatalf("bob's line offers no Reply: %q", menuLabels(c, bobs))
	}
	c.entry.SetText("with cream")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	rep := bob.wait("alice's reply at bob", func(e app.Event) bool {
		m, ok := e.(app.RoomMessage)
		return ok && m.Nick == "alice" && strings.HasSuffix(m.Body, "with cream")
	}).(app.RoomMessage)
	if rep.Reply == nil || rep.Reply.ID != bobs.stanzaID || rep.Reply.To != room+"/bob" {
		t.Errorf("alice's reply at bob: %+v, bob's line's stanza id %q", rep.Reply, bobs.stanzaID)
	}

	// Bob corrects his line (live, still there: applied), and answers
	// alice's first line.
	bob.c.CorrectMessage(room, bobs.id, "scones!")
	h.until("bob's correction in alice's window", func() bool { return bobs.edited && bobs.body == "scones!" })
	bob.c.SendRoomReply(room, "see you", app.ReplyTo{ID: line.StanzaID, Author: room + "/alice", Quote: "tea at five"})
	var theirs *chatMsg
	h.until("bob's reply in alice's window", func() bool {
		if m := c.conv.msgs[len(c.conv.msgs)-1]; m.nick == "bob" && m.replyID != "" {
			theirs = m
		}
		return theirs != nil
	})
	h.settle()
	r := rowOf(t, c, theirs)
	if r.body.Text != "see you" || !r.quoteLine.Visible() || r.quoteLine.Text != "» Me: tea at five" {
		t.Errorf("bob's reply: body %q, quote %v %q", r.body.Text, r.quoteLine.Visible(), r.quoteLine.Text)
	}
	if rb := rowOf(t, c, bobs); !strings.Contains(headerText(rb), editedMark) || rb.body.Text != "scones!" {
		t.Errorf("bob's corrected line: header %q, body %q", headerText(rb), rb.body.Text)
	}
}

// talk returns c's lines but the room's notices.
func talk(c *chatWindow) []*chatMsg {
	var out []*chatMsg
	for _, m := range c.conv.msgs {
		if !m.notice {
			out = append(out, m)
		}
	}
	return out
}
