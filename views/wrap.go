package views

import (
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
)

// wrapText breaks s into lines no wider than width, at spaces where it can
// and inside overlong words where it must.
//
// Message bodies are wrapped here rather than by Fyne's TextWrapWord,
// whose cost grows with the square of the text length (a 4000-character
// paragraph takes seconds to lay out). This greedy wrapper measures each
// word once.
func wrapText(s string, width, size float32, style fyne.TextStyle) string {
	if width <= 0 {
		return s
	}
	measure := func(t string) float32 { return fyne.MeasureText(t, size, style).Width }
	space := measure(" ")
	var b strings.Builder
	b.Grow(len(s) + len(s)/40)
	for i, para := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		var x float32
		for j, word := range strings.Split(para, " ") {
			w := measure(word)
			if j > 0 {
				if x > 0 && x+space+w > width {
					b.WriteByte('\n')
					x = 0
				} else {
					b.WriteByte(' ')
					x += space
				}
			}
			if w <= width-x {
				b.WriteString(word)
				x += w
				continue
			}
			// A word longer than a line is cut where it overflows.
			for _, r := range word {
				rw := measure(string(r))
				if x > 0 && x+rw > width {
					b.WriteByte('\n')
					x = 0
				}
				b.WriteRune(r)
				x += rw
			}
		}
	}
	return b.String()
}

// clipRunes cuts s to at most n runes, marking the cut with an ellipsis,
// so that a hostile status text cannot make a row slow to lay out.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…" // not translated: a character, not words
		}
		i++
	}
	return s
}
