package views

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestWrapText(t *testing.T) {
	test.NewTempApp(t)
	const size = 14
	style := fyne.TextStyle{}
	for i, in := range []string{
		"short",
		strings.Repeat("words of different length ", 20),
		"line one\n\nline three after an empty one",
		strings.Repeat("x", 300) + " tail", // an overlong word
	} {
		const width = 200
		out := wrapText(in, width, size, style)
		for _, line := range strings.Split(out, "\n") {
			if w := fyne.MeasureText(line, size, style).Width; w > width+1 {
				t.Errorf("%d: line %q is %v wide, more than %v", i, line, w, width)
			}
		}
		// Only spaces became line breaks, or breaks were added in a word.
		if strings.ReplaceAll(strings.ReplaceAll(out, "\n", ""), " ", "") != strings.ReplaceAll(strings.ReplaceAll(in, "\n", ""), " ", "") {
			t.Errorf("%d: wrapping changed the text:\n%q\n%q", i, in, out)
		}
	}
}

// BenchmarkWrapText wraps a full preview (Fyne's own wrapping took minutes
// on text this long; ours well under a millisecond).
func BenchmarkWrapText(b *testing.B) {
	test.NewTempApp(b)
	in := strings.Repeat("0123456789 ", previewBytes/11)
	for b.Loop() {
		wrapText(in, 450, 14, fyne.TextStyle{})
	}
}

func TestClipRunes(t *testing.T) {
	if got := clipRunes("héllo", 3); got != "hél…" {
		t.Fatalf("got %q", got)
	}
	if got := clipRunes("héllo", 5); got != "héllo" {
		t.Fatalf("got %q", got)
	}
}
