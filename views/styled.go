package views

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/views/styling"
)

// Message styling (XEP-0393, views/styling): a body with *strong*,
// _emphasis_, `preformatted` spans or ``` blocks is drawn in bold, italics
// and monospace. The directive characters stay visible, in the style of
// the text around them; ~strike~ is drawn plain (Fyne has no strike
// style); quotations keep their '>'. Nothing else is read as markup.

// maxSegments bounds the rich text segments of a body: each costs Fyne a
// text object per line, so a body styled all through (thousands of spans)
// would take a tenth of a second to draw. The rest is drawn plain.
const maxSegments = 256

// styleChars are the bytes without which a text has no styling.
const styleChars = "*_~`"

// parseStyles returns the blocks of text when some of it is styled, else
// nil: rows without styling keep their plain label.
func parseStyles(text string) []styling.Block {
	if !strings.ContainsAny(text, styleChars) {
		return nil
	}
	blocks := styling.Parse(text)
	for _, b := range blocks {
		for _, seg := range b.Segments {
			if seg.Style&(styling.Strong|styling.Emphasis|styling.Mono) != 0 {
				return blocks
			}
		}
	}
	return nil
}

// textStyleOf maps a segment's styles to Fyne's; strike has none.
func textStyleOf(st styling.Style) fyne.TextStyle {
	return fyne.TextStyle{
		Bold:      st&styling.Strong != 0,
		Italic:    st&styling.Emphasis != 0,
		Monospace: st&styling.Mono != 0,
	}
}

// styledSegments returns the rich text segments that draw wrapped, which
// is text as wrapText broke it into lines, with the styles of blocks
// (parsed from text). wrapText only turns spaces into newlines and adds
// newlines inside overlong words, so each byte of text is found again in
// wrapped in order.
func styledSegments(text, wrapped string, blocks []styling.Block) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	add := func(s string, ts fyne.TextStyle) {
		if s == "" {
			return
		}
		if n := len(segs); n > 0 {
			if last := segs[n-1].(*widget.TextSegment); last.Style.TextStyle == ts {
				last.Text += s
				return
			}
		}
		style := widget.RichTextStyleInline
		style.TextStyle = ts
		segs = append(segs, &widget.TextSegment{Text: s, Style: style})
	}
	i, j := 0, 0
	for _, b := range blocks {
		for _, seg := range b.Segments {
			from := j
			for i < seg.End && j < len(wrapped) {
				switch {
				case wrapped[j] == text[i], wrapped[j] == '\n' && text[i] == ' ':
					i++
				case wrapped[j] != '\n':
					// Not what wrapText does: draw it plain.
					return []widget.RichTextSegment{&widget.TextSegment{Text: wrapped, Style: widget.RichTextStyleInline}}
				}
				j++
			}
			add(wrapped[from:j], textStyleOf(seg.Style))
			if len(segs) >= maxSegments {
				add(wrapped[j:], fyne.TextStyle{})
				return segs
			}
		}
	}
	if j < len(wrapped) {
		add(wrapped[j:], fyne.TextStyle{})
	}
	return segs
}
