package views

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// reactCore is a fake core that reacts and replies.
type reactCore struct{ *fakeCore }

func (f reactCore) React(peer, id string, emojis []string) {
	f.record("React %s %s %q", peer, id, emojis)
}
func (f reactCore) SendReply(peer, body string, to app.ReplyTo) string {
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("re%d", f.nextID)
	f.mu.Unlock()
	f.record("SendReply %s %q to %s by %s", peer, body, to.ID, to.Author)
	return id
}

func reactSignedIn(t *testing.T) *harness {
	h := newHarness(t, account.Account{JID: me})
	h.wrap = func(c *fakeCore) Core { return reactCore{c} }
	h.ui.Show()
	h.apply(stateEv(app.Online))
	return h
}

func reactionsEv(peer, id, from string, emojis ...string) app.ReactionsChanged {
	e := app.ReactionsChanged{Peer: peer, ID: id, From: from, Emojis: emojis}
	e.Acct = me
	return e
}

// incoming is a message from peer with the stanza id id.
func incoming(peer, id, body string, at time.Time) app.MessageReceived {
	e := messageEv(peer, body, at, false)
	e.Msg.ID = id
	return e
}

func chipTexts(r *messageRow) []string {
	var out []string
	if !r.reacts.box.Visible() {
		return nil
	}
	for _, o := range r.reacts.box.Objects {
		if b, ok := o.(*widget.Button); ok {
			mark := ""
			if b.Importance == widget.MediumImportance {
				mark = "*"
			}
			out = append(out, b.Text+mark)
		}
	}
	return out
}

func TestReactionsShowAndToggle(t *testing.T) {
	now := fixClock(t)
	h := reactSignedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)
	h.apply(incoming(peer, "m1", "hello", now))
	h.settle()
	m := c.conv.msgs[len(c.conv.msgs)-1]
	r := rowOf(t, c, m)
	if !r.more.Visible() {
		t.Fatal("no menu button on a peer's message")
	}
	test.Tap(r.more)
	if c.win.Canvas().Overlays().Top() == nil {
		t.Fatal("the menu did not open")
	}
	c.win.Canvas().Overlays().Remove(c.win.Canvas().Overlays().Top())
	one := r.heightFor(c.width)

	mark := len(h.core.Calls())
	c.toggleReaction(m, "👍")
	if got := callsSince(h, mark, "React"); len(got) != 1 || got[0] != `React alice@example.org m1 ["👍"]` {
		t.Fatalf("calls %q", got)
	}
	// Shown once the core says so: ours, then Alice's two.
	h.apply(reactionsEv(peer, "m1", me, "👍"))
	h.settle()
	r = rowOf(t, c, m)
	if got := chipTexts(r); len(got) != 1 || got[0] != "👍 1*" {
		t.Fatalf("chips %q", got)
	}
	h.apply(reactionsEv(peer, "m1", peer, "👍", "❤️"))
	h.settle()
	r = rowOf(t, c, m)
	if got := strings.Join(chipTexts(r), " "); got != "👍 2* ❤️ 1" {
		t.Fatalf("chips %q", got)
	}
	if got := r.heightFor(c.width); got <= one {
		t.Errorf("row with reactions %v high, without %v", got, one)
	}
	if rh := c.heights[m]; !rh.measured || rh.h <= one {
		t.Errorf("the list was not told the taller row: %+v (was %v)", rh, one)
	}
	// Tapping our chip takes ours back.
	mark = len(h.core.Calls())
	for _, o := range r.reacts.box.Objects {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, "👍") {
			test.Tap(b)
		}
	}
	if got := callsSince(h, mark, "React"); len(got) != 1 || got[0] != `React alice@example.org m1 []` {
		t.Fatalf("calls %q", got)
	}
	h.apply(reactionsEv(peer, "m1", me))
	h.apply(reactionsEv(peer, "m1", peer))
	h.settle()
	if got := chipTexts(rowOf(t, c, m)); got != nil {
		t.Errorf("chips after all taken back: %q", got)
	}
	// A reaction to a message not held changes nothing and breaks nothing.
	h.apply(reactionsEv(peer, "unknown", peer, "😂"))
}

func TestReplyWriteAndShow(t *testing.T) {
	now := fixClock(t)
	h := reactSignedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)
	h.apply(incoming(peer, "m1", "shall we bake a cake?\nor a pie", now))
	h.settle()
	m := c.conv.msgs[len(c.conv.msgs)-1]

	c.startReply(m)
	if !c.editBar.Visible() || !strings.Contains(c.editBar.Text, "Replying to Alice: “shall we bake a cake?”") {
		t.Fatalf("reply bar %v %q", c.editBar.Visible(), c.editBar.Text)
	}
	// Esc cancels; starting again and Enter sends the reply.
	c.escape()
	if c.replying != nil || c.editBar.Visible() {
		t.Fatal("Esc did not cancel the reply")
	}
	c.startReply(m)
	mark := len(h.core.Calls())
	c.entry.SetText("a cake!")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := callsSince(h, mark, "Send"); len(got) != 1 || got[0] != `SendReply alice@example.org "a cake!" to m1 by alice@example.org` {
		t.Fatalf("calls %q", got)
	}
	if c.replying != nil || c.editBar.Visible() {
		t.Error("still replying after sending")
	}
	h.settle()
	out := c.conv.msgs[len(c.conv.msgs)-1]
	r := rowOf(t, c, out)
	if !r.quoteLine.Visible() || r.quoteLine.Text != "» Alice: shall we bake a cake?" || r.body.Text != "a cake!" {
		t.Fatalf("our reply: quote %v %q, body %q", r.quoteLine.Visible(), r.quoteLine.Text, r.body.Text)
	}

	// Alice's reply, with a fallback quotation: the quotation is not in
	// the text, the message answered is named above it.
	body := "> a cake!\nchocolate"
	in := incoming(peer, "m2", body, now.Add(time.Minute))
	in.Msg.Reply = &im.Reply{ID: "re1", To: me, HasFallback: true, FallbackStart: 0, FallbackEnd: 10}
	h.apply(in)
	h.settle()
	theirs := c.conv.msgs[len(c.conv.msgs)-1]
	r = rowOf(t, c, theirs)
	if r.body.Text != "chocolate" || r.quoteLine.Text != "» Me: a cake!" {
		t.Fatalf("their reply: body %q, quote %q", r.body.Text, r.quoteLine.Text)
	}
	// A reply to a message not held shows its fallback.
	in = incoming(peer, "m3", "> long ago\nstill true", now.Add(2*time.Minute))
	in.Msg.Reply = &im.Reply{ID: "gone", HasFallback: true, FallbackStart: 0, FallbackEnd: 11}
	h.apply(in)
	h.settle()
	r = rowOf(t, c, c.conv.msgs[len(c.conv.msgs)-1])
	if r.body.Text != "still true" || r.quoteLine.Text != "» long ago" {
		t.Fatalf("reply to a message not held: body %q, quote %q", r.body.Text, r.quoteLine.Text)
	}
}

func TestArchivedReactionsAndReplies(t *testing.T) {
	now := fixClock(t)
	h := reactSignedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	h.core.history = []history.Message{
		{ID: 1, Peer: peer, Dir: history.In, MsgID: "a1", Time: now.Add(-time.Hour), Body: "cake?", State: history.Received,
			Reactions: []history.Reaction{{From: me, Emojis: []string{"👍"}}}},
		{ID: 2, Peer: peer, Dir: history.Out, MsgID: "b1", Time: now.Add(-50 * time.Minute), Body: "> cake?\nyes", State: history.Sent,
			ReplyID: "a1", ReplyTo: peer, FallbackStart: 0, FallbackEnd: 8},
	}
	c := openRead(h, peer)
	h.settle()
	if len(c.conv.msgs) != 2 {
		t.Fatalf("%d messages read", len(c.conv.msgs))
	}
	r := rowOf(t, c, c.conv.msgs[0])
	if got := chipTexts(r); len(got) != 1 || got[0] != "👍 1*" {
		t.Errorf("archived reactions: %q", got)
	}
	r = rowOf(t, c, c.conv.msgs[1])
	if r.body.Text != "yes" || r.quoteLine.Text != "» Alice: cake?" {
		t.Errorf("archived reply: body %q, quote %q", r.body.Text, r.quoteLine.Text)
	}
	// Reacting to an archived message uses the id it came with.
	mark := len(h.core.Calls())
	c.toggleReaction(c.conv.msgs[0], "👍")
	if got := callsSince(h, mark, "React"); len(got) != 1 || got[0] != `React alice@example.org a1 []` {
		t.Errorf("calls %q", got)
	}
}

func TestNoReactionsInRoomsOrWithoutCore(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t) // a core that cannot react
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)
	h.apply(incoming(peer, "m1", "hello", now))
	h.settle()
	if r := rowOf(t, c, c.conv.msgs[len(c.conv.msgs)-1]); r.more.Visible() {
		t.Error("a menu offers reactions the core cannot send")
	}
}

// roomLineWithID is a line of tea from nick with the stanza id the room
// gave it.
func roomLineWithID(nick, body, id, stanzaID string, outgoing bool) app.RoomMessage {
	e := roomLineEv(nick, body, id, outgoing)
	e.StanzaID = stanzaID
	return e
}

// menuLabels are the labels of m's menu in c.
func menuLabels(c *chatWindow, m *chatMsg) []string {
	var out []string
	for _, it := range c.messageMenuItems(m) {
		if !it.IsSeparator {
			out = append(out, it.Label)
		}
	}
	return out
}

// TestRoomReactions: in a room, a line with the stanza id the room gave
// it offers reactions (no Reply) and is reacted to by that id; a line
// without one offers nothing; chips count occupants' reactions and mark
// ours (from the account's JID); our own line is reacted to once its
// reflection brings the stanza id.
func TestRoomReactions(t *testing.T) {
	fixClock(t)
	h := reactSignedIn(t)
	h.apply(roomJoinedEv("me", "bob", "ann"))
	c := openRead(h, tea)
	h.apply(roomLineWithID("bob", "tea?", "b1", "s1", false), roomLineEv("ann", "no id", "a1", false))
	h.settle()
	if len(c.conv.msgs) != 2 {
		t.Fatalf("%d lines", len(c.conv.msgs))
	}
	bobs, anns := c.conv.msgs[0], c.conv.msgs[1]
	if !rowOf(t, c, bobs).more.Visible() {
		t.Fatal("no menu on a room line with a stanza id")
	}
	if rowOf(t, c, anns).more.Visible() {
		t.Error("a menu on a room line without a stanza id")
	}
	if got := menuLabels(c, bobs); len(got) != len(quickReactions) || slices.Contains(got, "Reply") {
		t.Errorf("room line's menu %q", got)
	}

	mark := len(h.core.Calls())
	c.toggleReaction(bobs, "👍")
	if got := callsSince(h, mark, "React"); len(got) != 1 || got[0] != `React `+tea+` s1 ["👍"]` {
		t.Fatalf("calls %q", got)
	}
	h.apply(reactionsEv(tea, "s1", me, "👍"), reactionsEv(tea, "s1", tea+"/ann", "👍", "🎉"),
		reactionsEv(tea, "s1", tea+"/bob", "🎉"))
	h.settle()
	if got := strings.Join(chipTexts(rowOf(t, c, bobs)), " "); got != "👍 2* 🎉 2" {
		t.Fatalf("chips %q", got)
	}
	h.apply(reactionsEv(tea, "s1", tea+"/ann"))
	h.settle()
	if got := strings.Join(chipTexts(rowOf(t, c, bobs)), " "); got != "👍 1* 🎉 1" {
		t.Fatalf("chips after ann took hers back %q", got)
	}
	// By the line's own id, nothing: rooms name lines by stanza id.
	h.apply(reactionsEv(tea, "b1", tea+"/ann", "😂"))
	h.settle()
	if got := strings.Join(chipTexts(rowOf(t, c, bobs)), " "); got != "👍 1* 🎉 1" {
		t.Fatalf("chips after a reaction by the line's own id %q", got)
	}

	// Our line: no menu while sending, then reacted to by the stanza id
	// its reflection brought.
	c.sendText("milk?")
	h.settle()
	ours := c.conv.msgs[len(c.conv.msgs)-1]
	if rowOf(t, c, ours).more.Visible() {
		t.Error("a menu on our line before the room gave it a stanza id")
	}
	h.apply(roomLineWithID("me", "milk?", ours.id, "s2", true))
	h.settle()
	if len(c.conv.msgs) != 3 || ours.stanzaID != "s2" || !rowOf(t, c, ours).more.Visible() {
		t.Fatalf("our reflected line: %d lines, stanza id %q", len(c.conv.msgs), ours.stanzaID)
	}
	h.apply(reactionsEv(tea, "s2", tea+"/bob", "❤️"))
	h.settle()
	if got := chipTexts(rowOf(t, c, ours)); len(got) != 1 || got[0] != "❤️ 1" {
		t.Errorf("chips on our line %q", got)
	}
}

// TestArchivedRoomReactions: a room's archived line is reacted to by its
// stanza id and shows its reactions; a 1:1 chat still offers Reply.
func TestArchivedRoomReactions(t *testing.T) {
	now := fixClock(t)
	h := reactSignedIn(t)
	h.apply(roomJoinedEv("me", "bob"))
	h.core.history = []history.Message{
		{ID: 1, Peer: tea, Room: true, Nick: "bob", Dir: history.In, MsgID: "b1", StanzaID: "s1", Time: now.Add(-time.Hour),
			Body: "scones?", State: history.Received,
			Reactions: []history.Reaction{{From: tea + "/ann", Emojis: []string{"👍"}}, {From: me, Emojis: []string{"👍"}}}},
	}
	c := openRead(h, tea)
	h.settle()
	if len(c.conv.msgs) != 1 {
		t.Fatalf("%d lines read", len(c.conv.msgs))
	}
	m := c.conv.msgs[0]
	if got := chipTexts(rowOf(t, c, m)); len(got) != 1 || got[0] != "👍 2*" {
		t.Errorf("archived room reactions: %q", got)
	}
	mark := len(h.core.Calls())
	c.toggleReaction(m, "👍")
	if got := callsSince(h, mark, "React"); len(got) != 1 || got[0] != `React `+tea+` s1 []` {
		t.Errorf("calls %q", got)
	}

	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	d := openRead(h, peer)
	h.apply(incoming(peer, "m1", "hello", now))
	h.settle()
	if got := menuLabels(d, d.conv.msgs[len(d.conv.msgs)-1]); !slices.Contains(got, "Reply") {
		t.Errorf("1:1 menu %q", got)
	}
}
