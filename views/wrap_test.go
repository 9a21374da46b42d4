package views

import (
	"strings"
	"testing"
	"time"

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

func TestWrapTextIsFast(t *testing.T) {
	test.NewTempApp(t)
	in := strings.Repeat("0123456789 ", previewBytes/11)
	start := time.Now()
	wrapText(in, 450, 14, fyne.TextStyle{})
	if d := time.Since(start); d > time.Second {
		t.Fatalf("wrapping %d bytes took %v", len(in), d)
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
