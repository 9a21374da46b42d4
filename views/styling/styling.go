// Package styling parses the plain-text styling of XEP-0393 (Message
// Styling): preformatted blocks, quotations and the spans *strong*,
// _emphasis_, ~strike~ and `preformatted`. It knows nothing of Fyne: it
// only says which bytes of a body carry which style, so that the body
// itself is shown unchanged, directive characters included (the XEP says
// clients SHOULD keep them visible). Nothing else is ever read as markup.
//
// Parse is linear in the length of the body and never recurses: quotation
// depth is counted per line and capped at MaxDepth.
package styling

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDepth is the deepest quotation Parse recognises; further '>' stay text.
const MaxDepth = 8

// Style is a set of styles that apply to a segment.
type Style uint8

// The styles of a segment. Directive marks the characters that only say how
// the rest is styled (*, _, ~, `, a fence, a quotation's '>'): they keep the
// styles of the spans around them, not of the span they open or close.
const (
	Strong Style = 1 << iota
	Emphasis
	Strike
	Mono
	Directive
	// Quote marks a quotation's markers ('>' and one space), with Directive.
	Quote
)

// Kind says what a block is.
type Kind uint8

// The kinds of block.
const (
	// Line is one line of text (its newline included), with spans.
	Line Kind = iota
	// Pre is a preformatted block, from its opening fence to its closing
	// fence or the end of its quotation or of the body. No spans inside.
	Pre
)

// Segment is the bytes body[Start:End], all with one Style.
type Segment struct {
	Start, End int
	Style      Style
}

// Block is a line or a preformatted block: body[Start:End], inside Depth
// quotations. Its Segments cover body[Start:End] exactly, in order, with
// the quotation markers as Directive segments.
type Block struct {
	Kind       Kind
	Depth      int
	Start, End int
	Segments   []Segment
}

// Parse splits body into blocks. The blocks cover body exactly and in order.
func Parse(body string) []Block {
	p := parser{body: body}
	lines := strings.Count(body, "\n") + 1
	// Each line makes at most three segments besides its spans (quotation
	// markers, text, newline), each directive at most two (itself and
	// the text after it): no regrowth.
	directives := 0
	for _, c := range []string{"*", "_", "~", "`"} {
		directives += strings.Count(body, c)
	}
	p.segs = make([]Segment, 0, 3*lines+2*directives)
	type span struct{ a, b int } // indices into p.segs
	blocks := make([]Block, 0, lines)
	ranges := make([]span, 0, lines)
	pos := 0
	for pos < len(body) {
		lineEnd := lineEndAt(body, pos)
		depth, content := quoteDepth(body, pos, lineEnd, MaxDepth)
		first := len(p.segs)
		p.floor = first
		if strings.HasPrefix(body[content:lineEnd], "```") {
			// A preformatted block: its lines belong to it while they are
			// inside the same quotation, up to a line that is only ```.
			start := pos
			p.quoteMarks(pos, content)
			p.add(content, lineEnd, Mono|Directive)
			p.newline(lineEnd, Mono)
			pos = next(body, lineEnd)
			for pos < len(body) {
				le := lineEndAt(body, pos)
				d, c := quoteDepth(body, pos, le, depth)
				if d < depth {
					break // the quotation ends, and the block with it
				}
				p.quoteMarks(pos, c)
				if body[c:le] == "```" {
					p.add(c, le, Mono|Directive)
					p.newline(le, Mono)
					pos = next(body, le)
					break
				}
				p.add(c, le, Mono)
				p.newline(le, Mono)
				pos = next(body, le)
			}
			blocks = append(blocks, Block{Kind: Pre, Depth: depth, Start: start, End: pos})
			ranges = append(ranges, span{first, len(p.segs)})
			continue
		}
		p.quoteMarks(pos, content)
		p.spans(content, lineEnd)
		p.newline(lineEnd, 0)
		end := next(body, lineEnd)
		blocks = append(blocks, Block{Kind: Line, Depth: depth, Start: pos, End: end})
		ranges = append(ranges, span{first, len(p.segs)})
		pos = end
	}
	for i := range blocks {
		blocks[i].Segments = p.segs[ranges[i].a:ranges[i].b:ranges[i].b]
	}
	return blocks
}

// lineEndAt returns the index of the newline ending the line at pos, or
// len(s).
func lineEndAt(s string, pos int) int {
	if i := strings.IndexByte(s[pos:], '\n'); i >= 0 {
		return pos + i
	}
	return len(s)
}

// next returns where the line after the one ending at lineEnd starts.
func next(s string, lineEnd int) int {
	if lineEnd < len(s) {
		return lineEnd + 1
	}
	return lineEnd
}

// quoteDepth counts the quotation markers ('>' and one optional space) at
// the start of s[pos:end], at most max, and returns where the rest starts.
func quoteDepth(s string, pos, end, max int) (depth, content int) {
	for depth < max && pos < end && s[pos] == '>' {
		pos++
		if pos < end && s[pos] == ' ' {
			pos++
		}
		depth++
	}
	return depth, pos
}

type parser struct {
	body  string
	segs  []Segment
	floor int // segments before this index belong to earlier blocks
}

// add appends body[a:b] with style st, merged with the last segment when
// they touch and share the style.
func (p *parser) add(a, b int, st Style) {
	if a >= b {
		return
	}
	if n := len(p.segs); n > p.floor && p.segs[n-1].End == a && p.segs[n-1].Style == st {
		p.segs[n-1].End = b
		return
	}
	p.segs = append(p.segs, Segment{Start: a, End: b, Style: st})
}

func (p *parser) quoteMarks(a, b int) { p.add(a, b, Quote|Directive) }

// newline appends the newline at lineEnd, if there is one.
func (p *parser) newline(lineEnd int, st Style) {
	if lineEnd < len(p.body) {
		p.add(lineEnd, lineEnd+1, st)
	}
}

// styleOf maps a span directive to its style.
func styleOf(c byte) Style {
	switch c {
	case '*':
		return Strong
	case '_':
		return Emphasis
	case '~':
		return Strike
	case '`':
		return Mono
	}
	return 0
}

// kinds indexes the closer cursors.
func kindIndex(c byte) int {
	switch c {
	case '*':
		return 0
	case '_':
		return 1
	case '~':
		return 2
	}
	return 3
}

// spans styles the line body[a:b] (no newline inside).
//
// A span opens at a directive at the start of the line, after whitespace or
// right after another opening directive, when a non-whitespace character
// other than the same directive follows it and a closing directive of the same kind (one not preceded by
// whitespace) comes later on the line, leaving the span non-empty and
// inside the span around it. The first such closer ends it. A preformatted
// span holds no spans. Openers are tried left to right, so the search for
// each kind's next closer only moves forward: linear time.
func (p *parser) spans(a, b int) {
	s := p.body
	var cursor [4]int // per kind: no closer of it lies in [a+?, cursor)
	for k := range cursor {
		cursor[k] = a
	}
	nextCloser := func(c byte, from int) int {
		k := kindIndex(c)
		if cursor[k] < from {
			cursor[k] = from
		}
		for j := cursor[k]; j < b; j++ {
			if s[j] == c {
				r, _ := utf8.DecodeLastRuneInString(s[a:j])
				if !unicode.IsSpace(r) {
					cursor[k] = j
					return j
				}
			}
		}
		cursor[k] = b
		return -1
	}
	type open struct {
		style Style
		close int
	}
	var stack [4]open
	depth := 0
	var cur Style // the styles of the open spans
	textFrom := a
	flush := func(to int) {
		p.add(textFrom, to, cur)
		textFrom = to
	}
	openedAt := -1 // index just after the last opening directive
	for i := a; i < b; i++ {
		c := s[i]
		if depth > 0 && stack[depth-1].close == i {
			flush(i)
			depth--
			cur &^= stack[depth].style
			p.add(i, i+1, cur|Directive)
			textFrom = i + 1
			continue
		}
		st := styleOf(c)
		if st == 0 || cur&st != 0 || i+1 >= b || s[i+1] == c {
			// Not a directive, one open already, or at the end; a
			// doubled directive ("**", "***") opens nothing.
			continue
		}
		if i > a && i != openedAt {
			r, _ := utf8.DecodeLastRuneInString(s[a:i])
			if !unicode.IsSpace(r) {
				continue
			}
		}
		if r, _ := utf8.DecodeRuneInString(s[i+1 : b]); unicode.IsSpace(r) {
			continue
		}
		j := nextCloser(c, i+2)
		if j < 0 || (depth > 0 && j >= stack[depth-1].close) {
			continue
		}
		flush(i)
		p.add(i, i+1, cur|Directive)
		if st == Mono {
			// No spans inside: straight to its closer.
			p.add(i+1, j, cur|Mono)
			p.add(j, j+1, cur|Directive)
			textFrom = j + 1
			i = j
			continue
		}
		stack[depth] = open{style: st, close: j}
		depth++
		cur |= st
		textFrom = i + 1
		openedAt = i + 1
	}
	flush(b)
}

// Text returns the bytes of body that seg covers.
func (seg Segment) Text(body string) string { return body[seg.Start:seg.End] }
