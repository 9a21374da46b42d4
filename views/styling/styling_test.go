package styling

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// show writes the blocks of body compactly: each block as "L<depth>:" or
// "P<depth>:" then its segments, plain ones as text, styled ones in
// brackets with their style letters (s strong, e emphasis, x strike,
// m mono, d directive).
func show(body string) string {
	var b strings.Builder
	for i, blk := range Parse(body) {
		if i > 0 {
			b.WriteString(" | ")
		}
		if blk.Kind == Pre {
			b.WriteByte('P')
		} else {
			b.WriteByte('L')
		}
		b.WriteByte(byte('0' + blk.Depth))
		b.WriteByte(':')
		for _, seg := range blk.Segments {
			if seg.Style == 0 {
				b.WriteString(seg.Text(body))
				continue
			}
			b.WriteByte('[')
			for _, f := range []struct {
				s Style
				c byte
			}{{Strong, 's'}, {Emphasis, 'e'}, {Strike, 'x'}, {Mono, 'm'}, {Directive, 'd'}, {Quote, 'q'}} {
				if seg.Style&f.s != 0 {
					b.WriteByte(f.c)
				}
			}
			b.WriteByte(' ')
			b.WriteString(seg.Text(body))
			b.WriteByte(']')
		}
	}
	return strings.ReplaceAll(b.String(), "\n", "⏎")
}

func TestParse(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"", ""},
		{"plain text", "L0:plain text"},
		// Section 5.2, the spans.
		{"I am *strong*", "L0:I am [d *][s strong][d *]"},
		{"_emphasis_ here", "L0:[d _][e emphasis][d _] here"},
		{"~strike~", "L0:[d ~][x strike][d ~]"},
		{"`pre *not strong*`", "L0:[d `][m pre *not strong*][d `]"},
		// Nested spans, opening right after another opener.
		{"*_strong emph_*", "L0:[d *][sd _][se strong emph][sd _][d *]"},
		{"_*x*_", "L0:[d _][ed *][se x][ed *][d _]"},
		{"*strong `and code`*", "L0:[d *][s strong ][sd `][sm and code][sd `][d *]"},
		// Not spans: closer after whitespace, opener before whitespace,
		// opener inside a word, empty, across lines, no closer.
		{"*not strong *", "L0:*not strong *"},
		{"* item *", "L0:* item *"},
		{"a*b*c", "L0:a*b*c"},
		{"**", "L0:**"},
		{"*strong\nnot*", "L0:*strong⏎ | L0:not*"},
		{"*unclosed", "L0:*unclosed"},
		{"snake_case_name", "L0:snake_case_name"},
		// The first closer ends the span; a child closing later is text.
		{"*a*b*", "L0:[d *][s a][d *]b*"},
		{"*a _b* c_", "L0:[d *][s a _b][d *] c_"},
		{"a `*b*` c", "L0:a [d `][m *b*][d `] c"},
		// Section 5.1, quotations, nested, and ending.
		{"> quoted\nnot", "L1:[dq > ]quoted⏎ | L0:not"},
		{"> one\n>> two\n> *one*", "L1:[dq > ]one⏎ | L2:[dq >> ]two⏎ | L1:[dq > ][d *][s one][d *]"},
		{"> > two", "L2:[dq > > ]two"},
		{">no space", "L1:[dq >]no space"},
		{">>>>>>>>>>deep", "L8:[dq >>>>>>>>]>>deep"},
		// Preformatted blocks: the rest of the opening line is ignored,
		// no spans inside, ended by ``` alone, the parent's end, or the body.
		{"```go\ncode *x*\n```\nafter *y*", "P0:[md ```go][m ⏎code *x*⏎][md ```][m ⏎] | L0:after [d *][s y][d *]"},
		{"```\n> not a quote\n", "P0:[md ```][m ⏎> not a quote⏎]"},
		{"```\nnever closed", "P0:[md ```][m ⏎never closed]"},
		{"> ```\n> code\nafter", "P1:[dq > ][md ```][m ⏎][dq > ][m code⏎] | L0:after"},
		{"> ```\n>> code\n> ```\n> *q*", "P1:[dq > ][md ```][m ⏎][dq >][m > code⏎][dq > ][md ```][m ⏎] | L1:[dq > ][d *][s q][d *]"},
		{"```\n``` not closing\n```", "P0:[md ```][m ⏎``` not closing⏎][md ```]"},
		{"a ```b```", "L0:a ```b```"},
		// Test vectors of mellium.im/xmpp/styling.
		{"***", "L0:***"},
		{"****", "L0:****"},
		{"**a**", "L0:**a**"},
		{"*strong*plain*", "L0:[d *][s strong][d *]plain*"},
		{"* plain *strong*", "L0:* plain [d *][s strong][d *]"},
		{"*this cannot _overlap*_", "L0:[d *][s this cannot _overlap][d *]_"},
		{"_no pre `with *children*`_", "L0:[d _][e no pre ][ed `][em with *children*][ed `][d _]"},
		{"*not *strong", "L0:*not *strong"},
	} {
		if got := show(c.body); got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.body, got, c.want)
		}
	}
}

// check asserts what every parse must hold: blocks and their segments cover
// body exactly and in order, no segment is empty, depths are bounded, and a
// line's newline is its last byte.
func check(t *testing.T, body string) {
	t.Helper()
	at := 0
	for _, blk := range Parse(body) {
		if blk.Start != at || blk.End <= blk.Start || blk.End > len(body) {
			t.Fatalf("block [%d,%d) after %d in %.80q", blk.Start, blk.End, at, body)
		}
		if blk.Depth < 0 || blk.Depth > MaxDepth {
			t.Fatalf("depth %d", blk.Depth)
		}
		segAt := blk.Start
		for _, seg := range blk.Segments {
			if seg.Start != segAt || seg.End <= seg.Start {
				t.Fatalf("segment [%d,%d) after %d in %.80q", seg.Start, seg.End, segAt, body)
			}
			segAt = seg.End
		}
		if segAt != blk.End {
			t.Fatalf("segments end at %d, block at %d in %.80q", segAt, blk.End, body)
		}
		if blk.Kind == Line {
			if i := strings.IndexByte(body[blk.Start:blk.End], '\n'); i >= 0 && blk.Start+i != blk.End-1 {
				t.Fatalf("line block holds a newline inside: %.80q", body[blk.Start:blk.End])
			}
		}
		at = blk.End
	}
	if at != len(body) {
		t.Fatalf("blocks end at %d of %d in %.80q", at, len(body), body)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "*strong* _emph_ ~strike~ `code`", "*_both_*", "> quote\n>> nested\n> ```\n> code\nend",
		"```lang\ncode\n```\n", ">>>>>>>>>>>>>>x", "* a *b* c*", "a`b`c `*x*`", "*\n*", "``````",
		"é*ü*\u00a0_x_\u2003~y~", "\xff*\xfe*",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		check(t, body)
	})
}

func TestCheckLong(t *testing.T) {
	check(t, bigBody())
	check(t, strings.Repeat("*a ", 100000))
	check(t, strings.Repeat(">", 100000)+"x")
}

// bigBody is about 1 MB of lines mixing every construct.
func bigBody() string {
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString("Hello *world*, _this_ is ~old~ and `code *x*` here\n> quoted *line*\n>> deeper _one_\n```go\nfunc main() {}\n```\nsnake_case_word a*b*c * not *\n")
	}
	return b.String()
}

func BenchmarkParse1MB(b *testing.B) {
	for _, c := range []struct {
		name, body string
	}{
		{"mixed", bigBody()},
		{"oneLineOpeners", strings.Repeat("*a _b ~c `d ", 1<<20/12)},
		{"oneLineSpans", strings.Repeat("*a* ", 1<<18)},
	} {
		b.Run(c.name, func(b *testing.B) {
			if !utf8.ValidString(c.body) {
				b.Fatal("invalid")
			}
			b.SetBytes(int64(len(c.body)))
			for i := 0; i < b.N; i++ {
				Parse(c.body)
			}
		})
	}
}
