package model

import (
	"strings"
	"unicode"
)

// Text that others write (contacts' names and groups, statuses, messages)
// is kept clean of what could forge text on screen: control characters
// and Unicode bidi controls. See views/sanitize.go for the places it is
// shown and what each needs besides.

// IsBidiControl reports whether r is one of the explicit directional
// formatting characters of Unicode Standard Annex #9 (section 2): the
// embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, and
// the marks LRM, RLM and ALM. They reorder the text around them without
// showing themselves ("Trojan Source", CVE-2021-42574).
func IsBidiControl(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return r == 0x200e || r == 0x200f || r == 0x061c
}

// IsLineBreak reports whether r ends a line: the mandatory breaks of
// Unicode Standard Annex #14 (section 5.1: BK, CR, LF, NL), which text
// renderers may honour whatever the widget means to show.
func IsLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// PlainText returns s fit for a label that may show several lines: every
// line break (CR LF included) becomes "\n", tabs stay, and other control
// characters and bidi controls are dropped. Invalid UTF-8 becomes U+FFFD.
func PlainText(s string) string {
	if isPlain(s, true) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prevCR := false
	for _, r := range s {
		cr := r == '\r'
		switch {
		case r == '\n' && prevCR:
			// The second half of CR LF: its CR wrote the break.
		case IsLineBreak(r):
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte('\t')
		case unicode.IsControl(r), IsBidiControl(r):
		default:
			b.WriteRune(r)
		}
		prevCR = cr
	}
	return b.String()
}

// PlainLine returns s fit for a label of one line: as PlainText, and each
// line break or tab is a space.
func PlainLine(s string) string {
	if isPlain(s, false) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, PlainText(s))
}

// isPlain reports whether s is valid UTF-8 with nothing PlainText (or,
// unless multiline, PlainLine) would change.
func isPlain(s string, multiline bool) bool {
	for i, r := range s {
		switch {
		case r == unicode.ReplacementChar && !strings.HasPrefix(s[i:], "\uFFFD"):
			return false // an invalid byte
		case r == '\n' || r == '\t':
			if !multiline {
				return false
			}
		case r == '\r', IsLineBreak(r), unicode.IsControl(r), IsBidiControl(r):
			return false
		}
	}
	return true
}
