package views

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app/history"
)

// segmentTexts renders segments as text, bold parts in brackets.
func segmentTexts(segs []widget.RichTextSegment) string {
	var b strings.Builder
	for _, s := range segs {
		t := s.(*widget.TextSegment)
		if t.Style.TextStyle.Bold {
			b.WriteString("[" + t.Text + "]")
		} else {
			b.WriteString(t.Text)
		}
		if !t.Style.Inline {
			b.WriteString("¶")
		}
	}
	return b.String()
}

func TestSnippetSegments(t *testing.T) {
	for i, tc := range []struct{ in, want string }{
		0: {"plain", "plain"},
		1: {"\x02Dinner\x03 at eight", "[Dinner] at eight"},
		2: {"a \x02b\x03 c \x02d\x03", "a [b] c [d]"},
		3: {"two\nlines\tand a tab", "two lines and a tab"},
		4: {"\x02unclosed", "[unclosed]"},
		5: {strings.Repeat("x", snippetRunes+10), strings.Repeat("x", snippetRunes) + "…"},
		6: {"", ""},
	} {
		if got := segmentTexts(snippetSegments(tc.in)); got != tc.want {
			t.Errorf("%d: %q, want %q", i, got, tc.want)
		}
	}
}

func TestSearchFindsMessagesAndOpensTheirChat(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice"), contact("bob@example.org", "Bob")))
	h.core.hits = []history.Hit{
		{Message: history.Message{ID: 9, Peer: peer, Time: now.Add(-time.Hour), Body: "Dinner at eight?"},
			Snippet: "\x02Dinner\x03 at eight?"},
		{Message: history.Message{ID: 4, Peer: "bob@example.org", Time: now.Add(-30 * time.Hour), Body: "dinner"},
			Snippet: "\x02dinner\x03"},
	}
	s := h.ui.search

	// Typing a word searches once, after the typing rests.
	for _, q := range []string{"d", "di", "din", "dinner"} {
		s.entry.SetText(q)
	}
	h.runLater()
	h.drain()
	if got := callsWith(h.core, "Search"); !reflect.DeepEqual(got, []string{"Search dinner"}) {
		t.Fatalf("searches: %q", got)
	}
	if !s.results.Visible() || s.under.Visible() {
		t.Fatal("the results do not replace the contact list")
	}
	if n := s.list.Length(); n != 2 {
		t.Fatalf("%d results shown, want 2", n)
	}
	row, ok := find(s.list, func(r *searchRow) bool { return r.Visible() && len(r.title.Segments) > 0 })
	if !ok {
		t.Fatal("no result row is drawn")
	}
	if got := segmentTexts(row.title.Segments) + " / " + segmentTexts(row.snippet.Segments); got != "[Alice]  14:30 / [Dinner] at eight?" {
		t.Fatalf("first row: %q", got)
	}

	// Opening a result opens the chat.
	s.list.Select(0)
	if c := h.ui.only().chats[peer]; c == nil || !c.active {
		t.Fatal("opening a result did not open its chat")
	}

	// Emptying the query brings the contacts back, and a search still
	// under way no longer shows.
	s.entry.SetText("stale")
	h.runLater()
	s.entry.SetText("")
	if s.results.Visible() || !s.under.Visible() {
		t.Fatal("the contact list did not come back")
	}
	h.drain() // the search for "stale" ends
	if s.results.Visible() || s.list.Length() != 0 {
		t.Fatal("a stale search showed its results")
	}
}

// failingSearch is a core whose search fails.
type failingSearch struct{ *fakeCore }

func (failingSearch) Search(_ context.Context, _ string, _ int) ([]history.Hit, error) {
	return nil, errors.New("database is locked")
}

func TestSearchSaysWhenNothingMatches(t *testing.T) {
	h := signedIn(t)
	s := h.ui.search
	s.entry.SetText("nothing")
	h.runLater()
	h.drain()
	if !s.status.Visible() || s.status.Text != "No message matches “nothing”." {
		t.Fatalf("status %q (visible %v)", s.status.Text, s.status.Visible())
	}
	h.ui.only().core = failingSearch{h.core}
	s.entry.SetText("broken")
	h.runLater()
	h.drain()
	if !s.status.Visible() || !strings.Contains(s.status.Text, "database is locked") {
		t.Fatalf("status %q (visible %v)", s.status.Text, s.status.Visible())
	}
}

func TestOpeningAResultShowsTheMessage(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	h.core.history = archive(peer, 120, now)
	target := h.core.history[29] // message 30, two pages back
	h.core.hits = []history.Hit{{Message: target, Snippet: "\x02message\x03 30"}}
	s := h.ui.search
	s.entry.SetText("message")
	h.runLater()
	h.drain()

	s.list.Select(0)
	c := h.ui.only().chats[peer]
	c.win.Resize(fyne.NewSize(480, 560))
	h.runLater() // the first page is read…
	for i := 0; i < 3 && c.target != 0; i++ {
		h.drain() // …and then older ones, until message 30 is there
	}
	if c.target != 0 || len(c.conv.msgs) != 2*historyPage {
		t.Fatalf("reading towards the result: target %d, %d messages", c.target, len(c.conv.msgs))
	}
	if !labelContaining(c.win.Content(), "message 30") {
		t.Fatal("the message found is not in view")
	}
	if labelContaining(c.win.Content(), "message 120") {
		t.Fatal("the view stayed at the newest message")
	}
}

// After "No message matches", results start right under the search box:
// the status line's room goes back to the list.
func TestSearchResultsTakeBackTheStatusLine(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	s := h.ui.search
	s.entry.SetText("zzq")
	h.runLater()
	h.drain()
	if !s.status.Visible() {
		t.Fatal("no status for a search without results")
	}
	h.core.hits = []history.Hit{{Message: history.Message{ID: 1, Peer: "alice@example.org", Time: now, Body: "the end"}, Snippet: "\x02the\x03 end"}}
	s.entry.SetText("the")
	h.runLater()
	h.drain()
	if s.status.Visible() {
		t.Fatal("the status stays over the results")
	}
	if y := s.list.Position().Y; y != 0 {
		t.Errorf("the results start %v below the top of their area, want 0", y)
	}
}
