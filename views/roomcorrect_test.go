package views

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// roomReplyCore is a fake core that reacts, and replies in rooms too.
type roomReplyCore struct{ reactCore }

func (f roomReplyCore) SendRoomReply(room, body string, to app.ReplyTo) string {
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("rr%d", f.nextID)
	f.mu.Unlock()
	f.record("SendRoomReply %s %q to %s by %s quote %q", room, body, to.ID, to.Author, to.Quote)
	return id
}

func roomReplySignedIn(t *testing.T) *harness {
	h := newHarness(t, account.Account{JID: me})
	h.wrap = func(c *fakeCore) Core { return roomReplyCore{reactCore{c}} }
	h.ui.Show()
	h.apply(stateEv(app.Online))
	return h
}

// roomCorrectedEv is the core's report of a room line corrected.
func roomCorrectedEv(id, nick, body string, out bool, archiveID int64) app.MessageCorrected {
	e := correctedEv(tea, id, body, out, archiveID)
	e.Room, e.Nick = true, nick
	return e
}

// archived is e with the archive id id.
func archived(e app.RoomMessage, id int64) app.RoomMessage {
	e.ArchiveID = id
	return e
}

// TestUpEditsOurLastRoomLine: Up in a room's empty entry edits our last
// line, even after others spoke, once the room reflected it (before, it
// says why not); Enter sends CorrectMessage with the room and the line's
// id, and the core's report makes the row say edited, with the original.
func TestUpEditsOurLastRoomLine(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	h.apply(roomJoinedEv("me", "bob"))
	c := openRead(h, tea)
	up := &fyne.KeyEvent{Name: fyne.KeyUp}
	enter := &fyne.KeyEvent{Name: fyne.KeyReturn}

	c.entry.SetText("tea at five")
	c.entry.TypedKey(enter)
	ours := c.conv.msgs[len(c.conv.msgs)-1]
	if ours.id == "" || ours.state != history.Pending {
		t.Fatalf("our line: id %q, state %v", ours.id, ours.state)
	}

	// Not reflected yet: Up says so, edits nothing; Esc takes the hint
	// away and leaves the window open.
	mark := len(h.core.Calls())
	c.entry.TypedKey(up)
	if c.editing != nil || c.entry.Text != "" || !c.editBar.Visible() || c.editBar.Text != notReflectedText() {
		t.Fatalf("Up before the reflection: editing %v, entry %q, bar %v %q", c.editing != nil, c.entry.Text, c.editBar.Visible(), c.editBar.Text)
	}
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if c.editBar.Visible() || h.ui.only().chats[tea] != c {
		t.Fatalf("Esc: bar shown %v, window open %v", c.editBar.Visible(), h.ui.only().chats[tea] == c)
	}
	if got := corrections(h, mark); len(got) != 0 {
		t.Fatalf("corrections before the reflection: %q", got)
	}

	// Reflected, and bob said something after it: Up edits our line.
	h.apply(archived(roomLineWithID("me", "tea at five", ours.id, "s1", true), 11), archived(roomLineWithID("bob", "sure", "b1", "s2", false), 12))
	h.settle()
	if len(c.conv.msgs) != 2 || ours.state != history.Sent || ours.archiveID != 11 {
		t.Fatalf("after the reflection: %d lines, state %v, archive id %d", len(c.conv.msgs), ours.state, ours.archiveID)
	}
	c.entry.TypedKey(up)
	if c.editing != ours || c.entry.Text != "tea at five" || !c.editBar.Visible() || c.editBar.Text != editingText() {
		t.Fatalf("Up: editing %v, entry %q, bar %v %q", c.editing == ours, c.entry.Text, c.editBar.Visible(), c.editBar.Text)
	}
	c.entry.SetText("tea at six")
	mark = len(h.core.Calls())
	c.entry.TypedKey(enter)
	want := []string{fmt.Sprintf("CorrectMessage %s %s %q", tea, ours.id, "tea at six")}
	if got := corrections(h, mark); !slices.Equal(got, want) {
		t.Fatalf("corrections %q, want %q", got, want)
	}
	if got := callsSince(h, mark, "SendRoomMessage"); len(got) != 0 {
		t.Fatalf("Enter while editing sent a line: %q", got)
	}
	if c.entry.Text != "" || c.editBar.Visible() || len(c.conv.msgs) != 2 {
		t.Fatalf("after Enter: entry %q, bar %v, %d lines", c.entry.Text, c.editBar.Visible(), len(c.conv.msgs))
	}

	h.apply(roomCorrectedEv(ours.id, "me", "tea at six", true, 11))
	h.settle()
	r := rowOf(t, c, ours)
	if r.body.Text != "tea at six" || !ours.edited || ours.original != "tea at five" {
		t.Fatalf("our corrected line: row %q, edited %v, original %q", r.body.Text, ours.edited, ours.original)
	}
	if got := headerText(r); !strings.Contains(got, editedMark) || !r.origBtn.Visible() {
		t.Errorf("header %q, original button %v", got, r.origBtn.Visible())
	}
	if bob := c.conv.msgs[1]; bob.edited || bob.body != "sure" {
		t.Errorf("bob's line changed: %q edited %v", bob.body, bob.edited)
	}

	// Out of the room, Up edits nothing.
	c.left = true
	c.entry.TypedKey(up)
	if c.editing != nil || c.entry.Text != "" || c.editBar.Visible() {
		t.Errorf("Up out of the room: editing %v, entry %q, bar %v", c.editing != nil, c.entry.Text, c.editBar.Visible())
	}
}

// TestRoomCorrectionFromOthers: the core's report of an occupant's
// correction changes the line it names, by archive id, or for a line
// shown without one by its id and nickname; it never changes another
// nick's line or a line with another archive id.
func TestRoomCorrectionFromOthers(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	h.apply(roomJoinedEv("me", "bob", "ann"))
	c := openRead(h, tea)
	h.apply(
		archived(roomLineEv("bob", "lunch at noom", "b1", false), 5),
		roomLineEv("bob", "or at one?", "b2", false), // shown before the archive had it
		archived(roomLineEv("ann", "fine by me", "a1", false), 7),
	)
	h.settle()
	if len(c.conv.msgs) != 3 {
		t.Fatalf("%d lines", len(c.conv.msgs))
	}
	b1, b2, a1 := c.conv.msgs[0], c.conv.msgs[1], c.conv.msgs[2]

	h.apply(roomCorrectedEv("b1", "bob", "lunch at noon", false, 5))
	h.settle()
	r := rowOf(t, c, b1)
	if r.body.Text != "lunch at noon" || !b1.edited || b1.original != "lunch at noom" || !strings.Contains(headerText(r), editedMark) {
		t.Fatalf("bob's first line: row %q, edited %v, original %q, header %q", r.body.Text, b1.edited, b1.original, headerText(r))
	}

	// By id and nick: another nick's correction of b2 changes nothing,
	// bob's does.
	h.apply(roomCorrectedEv("b2", "ann", "ann was here", false, 9))
	h.settle()
	if b2.edited || b2.body != "or at one?" {
		t.Fatalf("a correction under another nick changed bob's line: %q", b2.body)
	}
	h.apply(roomCorrectedEv("b2", "bob", "or at two?", false, 9))
	h.settle()
	if r := rowOf(t, c, b2); r.body.Text != "or at two?" || !b2.edited || !strings.Contains(headerText(r), editedMark) {
		t.Fatalf("bob's live line: row %q, edited %v", r.body.Text, b2.edited)
	}

	// A correction of another line with ann's id (another archive id)
	// leaves the line held alone.
	h.apply(roomCorrectedEv("a1", "ann", "not this one", false, 8))
	h.settle()
	if a1.edited || a1.body != "fine by me" {
		t.Errorf("ann's line took another line's correction: %q", a1.body)
	}
}

// TestRoomReply: a room line with a stanza id offers Reply; the reply
// goes through SendRoomReply by that stanza id and the author's occupant
// JID, shows the line answered above it, and its reflection adds no line;
// a reply received shows its quote line and not its fallback.
func TestRoomReply(t *testing.T) {
	fixClock(t)
	h := roomReplySignedIn(t)
	h.apply(roomJoinedEv("me", "bob", "ann"))
	c := openRead(h, tea)
	h.apply(roomLineWithID("bob", "tea?\nor coffee", "b1", "s1", false), roomLineEv("ann", "no id", "a1", false))
	h.settle()
	bobs, anns := c.conv.msgs[0], c.conv.msgs[1]
	if got := menuLabels(c, bobs); !slices.Contains(got, "Reply") {
		t.Fatalf("room line's menu %q has no Reply", got)
	}
	if rowOf(t, c, anns).more.Visible() || c.canReply(anns) {
		t.Error("a line without a stanza id offers a menu or Reply")
	}

	// Reply from the menu: the bar names bob; Enter sends the reply.
	for _, it := range c.messageMenuItems(bobs) {
		if it.Label == "Reply" {
			it.Action()
		}
	}
	if c.replying != bobs || !c.editBar.Visible() || !strings.Contains(c.editBar.Text, "Replying to bob: “tea?”") {
		t.Fatalf("reply bar %v %q", c.editBar.Visible(), c.editBar.Text)
	}
	mark := len(h.core.Calls())
	c.entry.SetText("tea!")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	want := fmt.Sprintf("SendRoomReply %s %q to s1 by %s/bob quote %q", tea, "tea!", tea, "tea?\nor coffee")
	if got := callsSince(h, mark, "Send"); len(got) != 1 || got[0] != want {
		t.Fatalf("calls %q, want %q", got, want)
	}
	if c.replying != nil || c.editBar.Visible() {
		t.Error("still replying after sending")
	}
	h.settle()
	ours := c.conv.msgs[len(c.conv.msgs)-1]
	r := rowOf(t, c, ours)
	if ours.id == "" || ours.state != history.Pending || r.body.Text != "tea!" || !r.quoteLine.Visible() || r.quoteLine.Text != "» bob: tea?" {
		t.Fatalf("our reply: id %q, state %v, body %q, quote %v %q", ours.id, ours.state, r.body.Text, r.quoteLine.Visible(), r.quoteLine.Text)
	}

	// The room reflects it, quotation and all: no new line, now sent.
	quote := "> bob: tea?\n"
	refl := roomLineWithID("me", quote+"tea!", ours.id, "s3", true)
	refl.Reply = &im.Reply{ID: "s1", To: tea + "/bob", HasFallback: true, FallbackEnd: len([]rune(quote))}
	h.apply(refl)
	h.settle()
	if len(c.conv.msgs) != 3 || ours.state != history.Sent || ours.stanzaID != "s3" || ours.body != "tea!" {
		t.Fatalf("after the reflection: %d lines, state %v, stanza id %q, body %q", len(c.conv.msgs), ours.state, ours.stanzaID, ours.body)
	}

	// A reply to our own line names us under the nick it went under.
	c.startReply(ours)
	mark = len(h.core.Calls())
	c.entry.SetText("me again")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := callsSince(h, mark, "SendRoomReply"); len(got) != 1 || !strings.Contains(got[0], " to s3 by "+tea+"/me ") {
		t.Fatalf("reply to our line: %q", got)
	}

	// Ann's reply to bob's line: the quotation is not in the text, the
	// line answered is named above it.
	quote = "> bob: tea?\n"
	in := roomLineWithID("ann", quote+"with milk", "a2", "s4", false)
	in.Reply = &im.Reply{ID: "s1", To: tea + "/bob", HasFallback: true, FallbackEnd: len([]rune(quote))}
	// And one to a line not held: its fallback is the quote.
	gone := "> long ago\n"
	old := roomLineWithID("bob", gone+"still true", "b3", "s5", false)
	old.Reply = &im.Reply{ID: "s0", HasFallback: true, FallbackEnd: len([]rune(gone))}
	h.apply(in, old)
	h.settle()
	n := len(c.conv.msgs)
	r = rowOf(t, c, c.conv.msgs[n-2])
	if r.body.Text != "with milk" || r.quoteLine.Text != "» bob: tea?" || !r.quoteLine.Visible() {
		t.Fatalf("ann's reply: body %q, quote %v %q", r.body.Text, r.quoteLine.Visible(), r.quoteLine.Text)
	}
	r = rowOf(t, c, c.conv.msgs[n-1])
	if r.body.Text != "still true" || r.quoteLine.Text != "» long ago" {
		t.Fatalf("reply to a line not held: body %q, quote %q", r.body.Text, r.quoteLine.Text)
	}
}

// TestArchivedRoomReply: a room's archived reply shows the line it
// answers, and is answered by its stanza id and author's nick.
func TestArchivedRoomReply(t *testing.T) {
	now := fixClock(t)
	h := roomReplySignedIn(t)
	h.apply(roomJoinedEv("me", "bob"))
	h.core.history = []history.Message{
		{ID: 1, Peer: tea, Room: true, Nick: "bob", Dir: history.In, MsgID: "b1", StanzaID: "s1", Time: now.Add(-2 * time.Minute),
			Body: "scones?", State: history.Received},
		{ID: 2, Peer: tea, Room: true, Nick: "ann", Dir: history.In, MsgID: "a1", StanzaID: "s2", Time: now.Add(-time.Minute),
			Body: "> scones?\nyes", State: history.Received, ReplyID: "s1", ReplyTo: tea + "/bob", FallbackStart: 0, FallbackEnd: 10},
	}
	c := openRead(h, tea)
	h.settle()
	if len(c.conv.msgs) != 2 {
		t.Fatalf("%d lines read", len(c.conv.msgs))
	}
	if r := rowOf(t, c, c.conv.msgs[1]); r.body.Text != "yes" || r.quoteLine.Text != "» bob: scones?" {
		t.Errorf("archived room reply: body %q, quote %q", r.body.Text, r.quoteLine.Text)
	}
	c.startReply(c.conv.msgs[1])
	mark := len(h.core.Calls())
	c.entry.SetText("with cream")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := callsSince(h, mark, "SendRoomReply"); len(got) != 1 || !strings.Contains(got[0], " to s2 by "+tea+"/ann ") {
		t.Fatalf("reply to an archived line: %q", got)
	}
}
