package sm

import (
	"encoding/xml"
	"strconv"
	"time"
	"unicode/utf8"
)

// The elements the server sends (XEP-0198 §3–§5), read from their start
// tag and, for <failed/>, its first child. The readers check every value
// and never trust a length.

// enabled is <enabled/> (XEP-0198 §3).
type enabled struct {
	id       string
	resume   bool
	max      time.Duration
	location string
}

// resumed is <resumed/> (XEP-0198 §5).
type resumed struct {
	h      uint32
	previd string
}

// failed is <failed/> (XEP-0198 §3, §5): a condition from RFC 6120 §8.3.3
// and, since version 1.6, the server's count of handled stanzas.
type failed struct {
	condition string
	h         uint32
	hasH      bool
}

// maxLocation bounds the location of <enabled/>.
const maxLocation = 300

// attr returns the value of the attribute local of start that has no
// namespace, and whether it is there.
func attr(start xml.StartElement, local string) (string, bool) {
	for _, a := range start.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// parseH reads a count: a decimal unsigned 32-bit integer (XEP-0198 §4,
// xs:unsignedInt).
func parseH(el string, start xml.StartElement) (uint32, error) {
	v, ok := attr(start, "h")
	if !ok {
		return 0, &MalformedError{Element: el, Reason: "no 'h' attribute"}
	}
	h, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, &MalformedError{Element: el, Reason: "'h' is not a count from 0 to 4294967295"}
	}
	return uint32(h), nil
}

// decodeA reads <a h='…'/>.
func decodeA(start xml.StartElement) (uint32, error) { return parseH("a", start) }

// decodeEnabled reads <enabled/>.
func decodeEnabled(start xml.StartElement) (enabled, error) {
	var e enabled
	e.id, _ = attr(start, "id")
	if len(e.id) > maxID || !utf8.ValidString(e.id) {
		return enabled{}, &MalformedError{Element: "enabled", Reason: "the resumption id is too long"}
	}
	switch v, _ := attr(start, "resume"); v {
	case "true", "1":
		e.resume = true
	case "", "false", "0":
	default:
		return enabled{}, &MalformedError{Element: "enabled", Reason: "'resume' is not a boolean"}
	}
	if v, ok := attr(start, "max"); ok {
		// Seconds (XEP-0198 §5); a year is more than any server keeps.
		s, err := strconv.ParseUint(v, 10, 32)
		if err != nil || s > 366*24*3600 {
			return enabled{}, &MalformedError{Element: "enabled", Reason: "'max' is not a number of seconds"}
		}
		e.max = time.Duration(s) * time.Second
	}
	if v, _ := attr(start, "location"); len(v) <= maxLocation {
		e.location = v
	}
	return e, nil
}

// decodeResumed reads <resumed/>.
func decodeResumed(start xml.StartElement) (resumed, error) {
	h, err := parseH("resumed", start)
	if err != nil {
		return resumed{}, err
	}
	previd, _ := attr(start, "previd")
	return resumed{h: h, previd: previd}, nil
}

// decodeFailed reads <failed/> and its condition, the name of its first
// child in the stanza error namespace; d is positioned after start and
// is read to start's end.
func decodeFailed(d xml.TokenReader, start xml.StartElement) (failed, error) {
	var f failed
	if _, ok := attr(start, "h"); ok {
		h, err := parseH("failed", start)
		if err != nil {
			return failed{}, err
		}
		f.h, f.hasH = h, true
	}
	depth := 1
	for depth > 0 {
		tok, err := d.Token()
		if err != nil {
			return failed{}, &MalformedError{Element: "failed", Reason: err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 1 && f.condition == "" && t.Name.Space == nsStanzas && len(t.Name.Local) <= maxName {
				f.condition = t.Name.Local
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if f.condition == "" {
		f.condition = "undefined-condition"
	}
	return f, nil
}

// nsStanzas is the namespace of stanza error conditions (RFC 6120 §8.3.3).
const nsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
