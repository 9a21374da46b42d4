package views

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
)

// segText lists segs as "text|bim" (bold, italic, monospace).
func segText(segs []widget.RichTextSegment) []string {
	var out []string
	for _, s := range segs {
		ts := s.(*widget.TextSegment)
		f := ""
		if ts.Style.TextStyle.Bold {
			f += "b"
		}
		if ts.Style.TextStyle.Italic {
			f += "i"
		}
		if ts.Style.TextStyle.Monospace {
			f += "m"
		}
		out = append(out, ts.Text+"|"+f)
	}
	return out
}

func TestStyledSegmentsFollowWrapping(t *testing.T) {
	text := "*aaaa* bb `c d`"
	// wrapText turns spaces into newlines and cuts overlong words.
	wrapped := "*aa\naa*\nbb `c\nd`"
	got := strings.Join(segText(styledSegments(text, wrapped, parseStyles(text))), " / ")
	want := "*| / aa\naa|b / *\nbb `| / c\nd|m / `|"
	if got != want {
		t.Fatalf("segments %q, want %q", got, want)
	}
	// A body styled all through is styled up to maxSegments, then plain.
	text = strings.Repeat("*a* ", 1000)
	segs := styledSegments(text, text, parseStyles(text))
	var all strings.Builder
	for _, s := range segs {
		all.WriteString(s.(*widget.TextSegment).Text)
	}
	if len(segs) > maxSegments+1 || all.String() != text {
		t.Fatalf("%d segments, text kept %v", len(segs), all.String() == text)
	}
}

func TestStyledMessage(t *testing.T) {
	h := signedIn(t)
	peer := "bob@example.org"
	h.apply(resetEv(contact(peer, "Bob")))
	body := "*bold* and _italic_ and `code *not bold*` and ~strike~\n> quoted *strong*\n```go\nfunc main() {}\n```"
	h.apply(messageEv(peer, body, clock.now(), false), messageEv(peer, "snake_case a*b* plain", clock.now(), false),
		messageEv(peer, "/me *waves*", clock.now(), false))
	c := h.ui.only().chats[peer]
	c.win.Resize(fyne.NewSize(520, 560))
	c.refresh(false)
	h.settle()
	styled, plain, action := c.conv.msgs[0], c.conv.msgs[1], c.conv.msgs[2]
	r, ok := find(c.win.Content(), func(r *messageRow) bool { return r.msg == styled })
	if !ok || !r.rich.Visible() || r.body.Visible() {
		t.Fatal("the styled message is not drawn as rich text")
	}
	segs := segText(r.rich.Segments)
	var all strings.Builder
	for _, s := range r.rich.Segments {
		all.WriteString(s.(*widget.TextSegment).Text)
	}
	if all.String() != r.wrapped || strings.ReplaceAll(all.String(), "\n", " ") != strings.ReplaceAll(body, "\n", " ") {
		t.Fatalf("the rich text shows %q, not the body with its directives %q", all.String(), body)
	}
	for _, want := range []string{"bold|b", "italic|i", "code *not bold*|m", "strong|b", "```go\nfunc main() {}\n```|m"} {
		if !containsSeg(segs, want) {
			t.Errorf("no segment %q among %q", want, segs)
		}
	}
	for _, s := range segs {
		if strings.Contains(s, "strike") && !strings.HasSuffix(s, "|") {
			t.Errorf("strike is drawn with a style: %q", s)
		}
	}
	for _, m := range []*chatMsg{plain, action} {
		r, ok := find(c.win.Content(), func(r *messageRow) bool { return r.msg == m })
		if !ok || r.rich.Visible() || !r.body.Visible() {
			t.Errorf("%q is not drawn as a plain label", m.preview)
		}
	}
	saveImage(t, "styling", c.win.Canvas())
}

func containsSeg(segs []string, want string) bool {
	for _, s := range segs {
		if s == want {
			return true
		}
	}
	return false
}

// BenchmarkHugeStyledMessage opens a chat whose message is styled all
// through: its 10 kB preview becomes thousands of rich text segments.
// BenchmarkHugeStyledMessage/plain is the same with no styling.
func BenchmarkHugeStyledMessage(b *testing.B) {
	u := benchUI(b)
	u.only().apply([]app.Event{stateEv(app.Online)})
	for _, c := range []struct{ name, unit string }{{"styled", "*a* _b_ `c` "}, {"plain", " a   b   c  "}} {
		b.Run(c.name, func(b *testing.B) { openHuge(b, u, strings.Repeat(c.unit, 100_000)) })
	}
}

func openHuge(b *testing.B, u *UI, body string) {
	i := 0
	for b.Loop() {
		i++
		peer := fmt.Sprintf("peer%d-%s@example.org", i, b.Name()[len(b.Name())-5:])
		u.only().apply([]app.Event{resetEv(contact(peer, "Peer")), messageEv(peer, body, time.Now(), false)})
		u.only().openChat(peer)
		c := u.only().chats[peer]
		c.win.Resize(fyne.NewSize(480, 560))
		c.refresh(false)
		if i == 1 {
			r, ok := find(c.list, func(r *messageRow) bool { return r.msg != nil && r.Visible() })
			if !ok || r.rich.Visible() != strings.Contains(body, "*") || len(r.wrapped) < 9000 {
				b.Fatalf("the row is not drawn as expected (found %v, %d messages)", ok, len(c.conv.msgs))
			}
			if r.rich.Visible() {
				b.ReportMetric(float64(len(r.rich.Segments)), "segments")
			}
		}
	}
}

// FuzzStyledSegments checks that the rich text of a styled body, wrapped
// as wrapText does (spaces become newlines, newlines cut long words),
// shows exactly the wrapped text, and never panics.
func FuzzStyledSegments(f *testing.F) {
	for _, s := range []string{"*a* _b_ `c d` ~e~", "> *q*\n```\ncode\n```", "*long_word_here* x", "é *ü* `\xff`"} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, text string, every uint8) {
		if every == 0 {
			every = 1
		}
		// Every every-th space becomes a newline; a newline goes in
		// after every every-th letter of a word.
		var w strings.Builder
		n := 0
		for _, r := range text {
			n++
			switch {
			case r == ' ' && n%int(every) == 0:
				w.WriteByte('\n')
			case r != ' ' && r != '\n' && n%int(every) == 0:
				w.WriteByte('\n')
				w.WriteRune(r)
			default:
				w.WriteRune(r)
			}
		}
		wrapped := w.String()
		if !utf8.ValidString(text) {
			return // wrapText's ranging rewrites invalid bytes; bodies are valid
		}
		blocks := parseStyles(text)
		if blocks == nil {
			return
		}
		var all strings.Builder
		for _, s := range styledSegments(text, wrapped, blocks) {
			all.WriteString(s.(*widget.TextSegment).Text)
		}
		if all.String() != wrapped {
			t.Fatalf("shows %q, wrapped %q", all.String(), wrapped)
		}
	})
}
