package sm

import "bytes"

// The scanner follows an XMPP stream byte by byte and reports each
// top-level element (a child of <stream:stream>) when its last byte has
// passed: a stanza, or a stream management element.
// It holds no input, only a few integers and the bounded name and
// namespace of the element being read, so a read or write may end
// anywhere.
// It does not validate: encoding/xml (in mellium) does, and ends the
// session on anything malformed, so the scanner only has to agree with
// encoding/xml on where well-formed elements begin and end.
// app/internal/xmllimit bounds what the server may send before the bytes
// reach this scanner.

// Scanner states.
const (
	sText      = iota // character data; '<' starts markup
	sLt               // after '<'
	sName             // in a start tag's element name
	sTag              // in a start tag, between attributes
	sAttrName         // in an attribute name
	sAttrVal          // in a quoted attribute value (s.quote)
	sSlash            // after '/' in a start tag
	sEndTag           // in an end tag, up to its '>'
	sPI               // in a processing instruction (s.k: the last byte was '?')
	sBang             // after "<!"
	sComment          // in a comment or a CDATA section (s.k: trailing '-' or ']' count, s.quote: which)
	sDirective        // in a directive, up to its '>'
)

// maxName bounds the names and namespace values the scanner keeps: longer
// ones are never stanza or stream management names, and are kept cut.
const maxName = 64

// nameByte tells the bytes encoding/xml accepts in a name (any byte of a
// multi-byte character included).
var nameByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '_' || c == ':' || c == '.' || c == '-' || c >= 0x80
	}
	return t
}()

// element is a top-level element the scanner saw end.
type element struct {
	// prefix and local are the element's name as written
	// ("stream", "features"; "", "message").
	prefix, local []byte
	// space is the namespace the element declares for its own prefix
	// (xmlns='…' without a prefix, xmlns:p='…' with prefix p), and
	// declared tells whether it declares one.
	// The slices are the scanner's: valid only while the element is
	// reported.
	space    []byte
	declared bool
}

// stanza reports whether e is a stanza of a client stream (RFC 6120 §8):
// message, presence or iq in jabber:client, declared on the element or
// inherited from the stream's default namespace.
// XEP-0198 §4 counts exactly these.
// A prefixed stanza whose prefix is declared on the stream header is not
// recognised; no server writes one, and mellium writes none.
func (e element) stanza() bool {
	switch string(e.local) {
	case "message", "presence", "iq":
	default:
		return false
	}
	if e.declared {
		return string(e.space) == nsClient
	}
	return len(e.prefix) == 0
}

// sm reports whether e is the stream management element local.
func (e element) sm(local string) bool {
	return string(e.local) == local && e.declared && string(e.space) == NS
}

const nsClient = "jabber:client"

// scanner follows a stream; see the comment at the top of the file.
type scanner struct {
	state uint8
	quote byte
	k     int
	depth int // elements open: the stream header is 1, a stanza 2

	// Of the top-level start tag being read:
	name     []byte // its qualified name, cut at maxName
	attr     []byte // the attribute name being read, cut at maxName+6
	val      []byte // the value of a namespace declaration being read
	keep     bool   // the value being read is the element's namespace declaration
	space    []byte
	declared bool

	// capture keeps the bytes of each top-level element (the write side,
	// for resending); raw holds those of the element being read.
	capture bool
	raw     []byte
	inTop   bool // the scanner is inside a top-level element (or its '<')
}

// scan follows p, the next bytes of the stream, and calls top for every
// top-level element that ends in p, with the index in p of its last byte
// and, when capturing, its bytes (valid only during the call).
func (s *scanner) scan(p []byte, top func(e element, end int, raw []byte)) {
	seg := 0 // where the current top-level element's bytes start in p
	i := 0
	for i < len(p) {
		b := p[i]
		switch s.state {
		case sText:
			j := bytes.IndexByte(p[i:], '<')
			if j < 0 {
				i = len(p)
				continue
			}
			i += j
			if s.depth == 1 {
				s.inTop, seg = true, i
				s.raw = s.raw[:0]
			}
			s.state = sLt
			i++

		case sLt:
			switch b {
			case '/':
				s.state = sEndTag
				i++
			case '?':
				s.state, s.k = sPI, 0
				i++
			case '!':
				s.state = sBang
				i++
			default:
				// A start tag: encoding/xml reads any other byte as the
				// start of its name.
				s.depth++
				if s.depth == 2 {
					s.name, s.space, s.declared = s.name[:0], s.space[:0], false
				}
				s.state = sName
			}
			if s.state != sName && s.depth == 1 {
				// Not an element: a comment or a PI between stanzas, or
				// the stream's end tag.
				s.inTop = false
			}

		case sName:
			j := i
			for j < len(p) && nameByte[p[j]] {
				j++
			}
			if s.depth == 2 {
				s.name = appendCut(s.name, p[i:j], maxName)
			}
			i = j
			if i == len(p) {
				continue
			}
			if s.depth == 2 && isStreamRoot(s.name) {
				// A restarted stream (RFC 6120 §4.3.3): its header opens
				// inside the old one, which is never closed.
				s.depth, s.inTop = 1, false
			}
			s.state = sTag

		case sTag:
			switch {
			case b == '>':
				s.state = sText
			case b == '/':
				s.state = sSlash
			case b == '"' || b == '\'':
				s.quote, s.state = b, sAttrVal
				s.keep = s.depth == 2 && s.isDecl()
				s.val = s.val[:0]
			case nameByte[b]:
				s.attr = s.attr[:0]
				s.state = sAttrName
				continue
			}
			i++

		case sAttrName:
			j := i
			for j < len(p) && nameByte[p[j]] {
				j++
			}
			if s.depth == 2 {
				s.attr = appendCut(s.attr, p[i:j], maxName+6)
			}
			i = j
			if i < len(p) {
				s.state = sTag
			}

		case sAttrVal:
			j := bytes.IndexByte(p[i:], s.quote)
			end := j
			if j < 0 {
				end = len(p) - i
			}
			if s.keep {
				s.val = appendCut(s.val, p[i:i+end], maxName)
			}
			if j < 0 {
				i = len(p)
				continue
			}
			i += j + 1
			if s.keep {
				s.space, s.declared = append(s.space[:0], s.val...), true
			}
			s.state = sTag

		case sSlash:
			if b != '>' {
				s.state = sTag // encoding/xml fails here
				continue
			}
			s.state = sText
			s.close(p, seg, i, top)
			i++

		case sEndTag:
			j := bytes.IndexByte(p[i:], '>')
			if j < 0 {
				i = len(p)
				continue
			}
			i += j
			s.state = sText
			s.close(p, seg, i, top)
			i++

		case sPI:
			for ; i < len(p); i++ {
				if p[i] == '>' && s.k == 1 {
					s.state = sText
					i++
					break
				}
				s.k = 0
				if p[i] == '?' {
					s.k = 1
				}
			}

		case sBang:
			switch b {
			case '-':
				s.state, s.quote, s.k = sComment, '-', -1
			case '[':
				s.state, s.quote, s.k = sComment, ']', -len("CDATA[")
			default:
				// A directive (restricted XML has none, RFC 6120 §11.1:
				// mellium refuses it).
				s.state = sDirective
			}
			i++

		case sComment:
			// "<!--" has one '-' left to pass, "<![CDATA[" six bytes: k
			// counts them up from below zero first.
			for ; i < len(p); i++ {
				c := p[i]
				if s.k < 0 {
					s.k++
					continue
				}
				if c == '>' && s.k >= 2 {
					s.state = sText
					i++
					break
				}
				if c == s.quote {
					s.k++
				} else {
					s.k = 0
				}
			}

		case sDirective:
			j := bytes.IndexByte(p[i:], '>')
			if j < 0 {
				i = len(p)
				continue
			}
			i += j + 1
			s.state = sText
		}
	}
	if s.capture && s.inTop {
		s.raw = append(s.raw, p[seg:]...)
	}
}

// close ends the element whose last byte is p[i].
func (s *scanner) close(p []byte, seg, i int, top func(element, int, []byte)) {
	if s.depth == 0 {
		return // encoding/xml fails here
	}
	s.depth--
	if s.depth != 1 || !s.inTop {
		return
	}
	s.inTop = false
	var raw []byte
	if s.capture {
		s.raw = append(s.raw, p[seg:i+1]...)
		raw = s.raw
	}
	prefix, local := splitName(s.name)
	top(element{prefix: prefix, local: local, space: s.space, declared: s.declared}, i, raw)
	s.raw = s.raw[:0]
}

// boundary reports whether the stream is between two top-level elements,
// where the client may insert one of its own.
func (s *scanner) boundary() bool {
	return s.depth == 1 && s.state == sText && !s.inTop
}

// isDecl reports whether the attribute just read declares the namespace
// of the element's own prefix.
func (s *scanner) isDecl() bool {
	prefix, _ := splitName(s.name)
	if len(prefix) == 0 {
		return string(s.attr) == "xmlns"
	}
	return len(s.attr) == len("xmlns:")+len(prefix) && string(s.attr[:len("xmlns:")]) == "xmlns:" && string(s.attr[len("xmlns:"):]) == string(prefix)
}

// isStreamRoot reports whether name is a stream header's (prefix:stream).
func isStreamRoot(name []byte) bool {
	_, local := splitName(name)
	return string(local) == "stream" && bytes.IndexByte(name, ':') > 0
}

// splitName splits a qualified name at its first colon, as encoding/xml
// does.
func splitName(name []byte) (prefix, local []byte) {
	if i := bytes.IndexByte(name, ':'); i > 0 && i < len(name)-1 {
		return name[:i], name[i+1:]
	}
	return nil, name
}

// appendCut appends b to dst, keeping at most max bytes in all.
func appendCut(dst, b []byte, max int) []byte {
	if room := max - len(dst); room < len(b) {
		if room <= 0 {
			return dst
		}
		b = b[:room]
	}
	return append(dst, b...)
}
