package views

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
)

func correctedEv(peer, id, body string, out bool, archiveID int64) app.MessageCorrected {
	e := app.MessageCorrected{Peer: peer, ID: id, Body: body, Outgoing: out, ArchiveID: archiveID}
	e.Acct = me
	return e
}

// corrections returns the CorrectMessage calls recorded since mark.
func corrections(h *harness, mark int) []string {
	var out []string
	for _, c := range h.core.Calls()[mark:] {
		if strings.HasPrefix(c, "CorrectMessage") {
			out = append(out, c)
		}
	}
	return out
}

func TestCorrectionUpdatesTheRow(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := sendTwo(t, h, peer)
	in := messageEv(peer, "wherefore art thou romo", now, false)
	in.ArchiveID = 7
	h.apply(in)
	h.settle()
	theirs := c.conv.byArchive[7]
	mine := c.conv.byID["id2"]
	before := rowOf(t, c, mine).body.Text

	// The peer's message, found by its archive row; a longer body makes
	// the row taller.
	long := "wherefore art thou romeo? " + strings.Repeat("deny thy father and refuse thy name; ", 8)
	h.apply(correctedEv(peer, "their-id", long, false, 7))
	h.settle()
	r := rowOf(t, c, theirs)
	if !theirs.edited || theirs.original != "wherefore art thou romo" || theirs.body != long {
		t.Fatalf("corrected message: edited %v, original %q, body %q", theirs.edited, theirs.original, theirs.body)
	}
	if got := strings.ReplaceAll(r.body.Text, "\n", " "); got != strings.TrimSpace(long) && got != long {
		t.Errorf("row shows %q, want the new body", r.body.Text)
	}
	if got := headerText(r); !strings.Contains(got, "15:30  "+editedMark+"  Alice") {
		t.Errorf("header %q does not say edited after the time", got)
	}
	if h0, h1 := c.heights[theirs], r.heightFor(c.width); !h0.measured || h0.h != h1 || h1 < 2*c.lineH {
		t.Errorf("row height %+v, measured now %v (one line %v): not measured anew", h0, h1, c.lineH)
	}

	// The first body is shown on demand, selectable.
	if !r.origBtn.Visible() {
		t.Fatal("no button shows the original")
	}
	test.Tap(r.origBtn)
	top := c.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog shows the original")
	}
	if _, ok := find(top, func(l *widget.Label) bool { return l.Text == "wherefore art thou romo" && l.Selectable }); !ok {
		t.Error("the dialog does not show the original body")
	}
	c.win.Canvas().Overlays().Remove(top)

	// Ours, found by its stanza id; the other rows are untouched.
	h.apply(correctedEv(peer, "id2", "second, fixed", true, 0))
	h.settle()
	if got := rowOf(t, c, mine).body.Text; got != "second, fixed" || !mine.edited {
		t.Errorf("our row shows %q (was %q), edited %v", got, before, mine.edited)
	}
	if first := c.conv.byID["id1"]; first.edited || strings.Contains(headerText(rowOf(t, c, first)), editedMark) || rowOf(t, c, first).origBtn.Visible() {
		t.Error("an uncorrected message says edited")
	}

	// Another conversation's correction, or one of a conversation not
	// held, changes nothing here.
	h.apply(correctedEv("bob@example.org", "id1", "nope", true, 0))
	if c.conv.byID["id1"].body != "first" {
		t.Error("bob's correction changed alice's message")
	}
}

func TestArchivedCorrectionSaysEdited(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "bob@example.org"
	h.apply(resetEv(contact(peer, "Bob")))
	h.core.history = []history.Message{
		{ID: 1, Peer: peer, Time: now.Add(-time.Minute), Body: "see you at nine", Original: "see you at nien"},
	}
	c := openRead(h, peer)
	h.settle()
	m := c.conv.byArchive[1]
	if m == nil || !m.edited || m.original != "see you at nien" || !strings.Contains(headerText(rowOf(t, c, m)), editedMark) {
		t.Fatalf("archived correction not shown as edited: %+v", m)
	}
}

func TestUpEditsTheLastMessage(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := sendTwo(t, h, peer)
	up := &fyne.KeyEvent{Name: fyne.KeyUp}

	// Up, then Esc: nothing is sent, the entry is empty again and the
	// window stays open.
	c.entry.TypedKey(up)
	if c.entry.Text != "second" || !c.editBar.Visible() || c.editBar.Text != editingText() || c.editing != c.conv.byID["id2"] {
		t.Fatalf("Up: entry %q, bar shown %v %q", c.entry.Text, c.editBar.Visible(), c.editBar.Text)
	}
	mark := len(h.core.Calls())
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if c.entry.Text != "" || c.editBar.Visible() || c.editing != nil || h.ui.only().chats[peer] != c {
		t.Fatalf("Esc: entry %q, bar shown %v, window open %v", c.entry.Text, c.editBar.Visible(), h.ui.only().chats[peer] == c)
	}
	if got := h.core.Calls()[mark:]; len(got) != 0 && slices.ContainsFunc(got, func(s string) bool {
		return strings.HasPrefix(s, "CorrectMessage") || strings.HasPrefix(s, "SendMessage")
	}) {
		t.Fatalf("Esc sent %q", got)
	}

	// Up, edit, Enter: the correction of id2 goes to the core, not a new
	// message; the row changes once the core reports it.
	c.entry.TypedKey(up)
	c.entry.SetText("second, corrected")
	mark = len(h.core.Calls())
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	want := []string{`CorrectMessage alice@example.org id2 "second, corrected"`}
	if got := corrections(h, mark); !slices.Equal(got, want) {
		t.Fatalf("corrections %q, want %q", got, want)
	}
	for _, call := range h.core.Calls()[mark:] {
		if strings.HasPrefix(call, "SendMessage") {
			t.Fatalf("Enter while editing sent a new message: %q", call)
		}
	}
	if c.entry.Text != "" || c.editBar.Visible() || len(c.conv.msgs) != 2 {
		t.Fatalf("after Enter: entry %q, bar %v, %d messages", c.entry.Text, c.editBar.Visible(), len(c.conv.msgs))
	}
	h.apply(correctedEv(peer, "id2", "second, corrected", true, 0))
	h.settle()
	if got := rowOf(t, c, c.conv.byID["id2"]).body.Text; got != "second, corrected" {
		t.Errorf("row shows %q after the correction", got)
	}

	// Enter without a change sends nothing; Up in a non-empty entry
	// moves the caret, not into an edit.
	c.entry.TypedKey(up)
	mark = len(h.core.Calls())
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := corrections(h, mark); len(got) != 0 {
		t.Errorf("an unchanged text was sent as %q", got)
	}
	c.entry.SetText("draft")
	c.entry.TypedKey(up)
	if c.editing != nil || c.entry.Text != "draft" {
		t.Errorf("Up in a written entry started editing (entry %q)", c.entry.Text)
	}
	c.entry.SetText("")

	// The last message is the peer's: Up does nothing.
	h.apply(messageEv(peer, "ok!", now, false))
	c.entry.TypedKey(up)
	if c.editing != nil || c.entry.Text != "" || c.editBar.Visible() {
		t.Errorf("Up after the peer's message: editing %v, entry %q", c.editing != nil, c.entry.Text)
	}
}

func TestUpWithoutOwnMessageDoesNothing(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp}) // empty conversation
	h.apply(messageEv(peer, "hi", now, false))
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if c.editing != nil || c.entry.Text != "" || c.editBar.Visible() {
		t.Fatalf("Up without an own last message: editing %v, entry %q", c.editing != nil, c.entry.Text)
	}
}

// TestCorrectionShot draws a chat with a corrected message and one being
// corrected, for a look (PALAVER_SHOTS).
func TestCorrectionShot(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	in := messageEv(peer, "Are you comming tonight?", now.Add(-time.Minute), false)
	in.ArchiveID = 3
	h.apply(in)
	c := sendTwo(t, h, peer)
	h.apply(correctedEv(peer, "x", "Are you coming tonight?", false, 3), msgStateEv(peer, "id2", history.Delivered))
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	h.settle()
	saveImage(t, "chat_correction", c.win.Canvas())
	test.Tap(rowOf(t, c, c.conv.byArchive[3]).origBtn)
	saveImage(t, "chat_correction_original", c.win.Canvas())
}
