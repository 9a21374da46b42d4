package xmllimit

import "bytes"

// Scanner states. Each names what the next byte can be.
const (
	sText       = iota // character data; '<' starts markup
	sLt                // after '<'
	sName              // in an element name
	sTag               // in a start tag, between attributes
	sAttrName          // in an attribute name
	sAttrVal           // in a quoted attribute value (s.quote)
	sSlash             // after '/' in a start tag
	sEndName           // in the name of an end tag
	sEndTag            // in an end tag after its name
	sPI                // in a processing instruction (s.k: the last byte was '?')
	sBang              // after "<!"
	sBangDash          // after "<!-"
	sCdataOpen         // in "<![CDATA[" (s.k bytes of "CDATA[" matched)
	sCdata             // in a CDATA section (s.k: trailing ']' count)
	sComment           // in a comment (s.k: trailing '-' count)
	sDir               // in a directive such as <!DOCTYPE (s.quote, s.ddepth)
	sDirLt             // after '<' in a directive (s.k bytes of "!--" matched)
	sDirComment        // in a comment in a directive (s.k: trailing '-' count)
)

// Regions: every byte of the stream is counted against exactly one.
const (
	regHeader  = iota // depth 0: prolog and stream header, up to its '>'
	regBetween        // depth 1, outside any stanza
	regStanza         // a depth-1 element, from its '<' to its last '>'
)

// Tokens whose length is limited.
const (
	tokNone = iota
	tokName
	tokValue
)

// nameByte tells the bytes encoding/xml accepts in a name (any byte of a
// multi-byte character included).
var nameByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '_' || c == ':' || c == '.' || c == '-' || c >= 0x80
	}
	return t
}()

// scanner follows the structure of an XML stream byte by byte, as
// encoding/xml will tokenize it, and checks it against the limits. It holds
// no input: its state is a few integers, so a read may end anywhere.
type scanner struct {
	lim limits

	off    int64 // stream offset of the first byte of the current input
	state  uint8
	quote  byte  // the quote closing the attribute value, or open in a directive
	k      int   // small per-state counter, see the states
	ddepth int   // '<' nesting inside a directive
	depth  int   // elements open
	attrs  int   // attributes of the start tag being read
	lt     int64 // offset of the last '<' at stream level

	region      uint8
	regionStart int64
	rstop       int64 // the offset of the first byte the region cannot hold
	tok         uint8
	tokStart    int64

	armed     bool // the client has opened a new stream: a new header may come at depth 1
	checkRoot bool // the element name being read may be a restarted stream's root
	root      [16]byte
	rootLen   int
	restarted bool // set when a restart consumed armed
}

// limits holds Limits as int64 for offset arithmetic.
type limits struct {
	stanza, depth, token, attrs, between, header int64
}

func newScanner(l Limits) *scanner {
	l = l.withDefaults()
	s := &scanner{lim: limits{
		stanza:  int64(l.StanzaBytes),
		depth:   int64(l.Depth),
		token:   int64(l.TokenBytes),
		attrs:   int64(l.Attrs),
		between: int64(l.BetweenBytes),
		header:  int64(l.HeaderBytes),
	}}
	s.setRegion(regHeader, 0)
	return s
}

// bound returns the index in p of the first byte that would cross a limit
// of the current region or token, or len(p).
func (s *scanner) bound(p []byte) int {
	stop := s.rstop
	if s.tok != tokNone {
		stop = min(stop, s.tokStart+s.lim.token)
	}
	stop -= s.off
	if stop < 0 {
		return 0
	}
	if stop > int64(len(p)) {
		return len(p)
	}
	return int(stop)
}

// crossed reports the limit that the byte at p[i] crosses.
func (s *scanner) crossed(i int) *LimitError {
	at := s.off + int64(i)
	if s.tok != tokNone && at >= s.tokStart+s.lim.token {
		if s.tok == tokValue {
			return &LimitError{What: WhatValue, Limit: int(s.lim.token), Offset: at}
		}
		return &LimitError{What: WhatName, Limit: int(s.lim.token), Offset: at}
	}
	switch s.region {
	case regHeader:
		return &LimitError{What: WhatHeader, Limit: int(s.lim.header), Offset: at}
	case regBetween:
		return &LimitError{What: WhatBetween, Limit: int(s.lim.between), Offset: at}
	}
	return &LimitError{What: WhatStanza, Limit: int(s.lim.stanza), Offset: at}
}

// mayPass tells whether b, at offset at where bound stops, crosses no
// limit after all: it is not part of what bound counted.
func (s *scanner) mayPass(b byte, at int64) bool {
	if s.tok != tokNone {
		// The byte after a token of the largest size ends it.
		if at != s.tokStart+s.lim.token || at >= s.rstop {
			return false
		}
		if s.tok == tokValue {
			return b == s.quote
		}
		return !nameByte[b]
	}
	// A '<' at stream level is not a byte between stanzas if a stanza
	// follows: let it and the byte that decides through.
	return s.region == regBetween && (s.state == sText && b == '<' || s.state == sLt)
}

// tokBound returns the index in p of the first byte that a token starting
// at p[i] cannot hold, or len(p).
func (s *scanner) tokBound(p []byte, i int) int {
	stop := min(s.rstop, s.off+int64(i)+s.lim.token) - s.off
	if stop > int64(len(p)) {
		return len(p)
	}
	return int(stop)
}

// setRegion starts region r at offset at.
func (s *scanner) setRegion(r uint8, at int64) {
	s.region, s.regionStart = r, at
	switch r {
	case regHeader:
		s.rstop = at + s.lim.header
	case regBetween:
		s.rstop = at + s.lim.between
	default:
		s.rstop = at + s.lim.stanza
	}
}

// closed updates the regions after an element closed with the byte at
// offset at.
func (s *scanner) closed(at int64) {
	if s.depth == 0 {
		return // encoding/xml fails here
	}
	s.depth--
	switch s.depth {
	case 0:
		s.setRegion(regHeader, at+1) // a new stream may follow
	case 1:
		s.setRegion(regBetween, at+1)
	}
}

// scan checks p, the next bytes of the stream. It returns how many of them
// may be passed on: len(p), or the index of the byte that crosses a limit
// together with the error.
func (s *scanner) scan(p []byte) (int, error) {
	i, end := 0, s.bound(p)
scan:
	for i < len(p) {
		if i >= end {
			if !s.mayPass(p[i], s.off+int64(i)) {
				err := s.crossed(i)
				s.off += int64(i)
				return i, err
			}
			end = i + 1
		}
		b := p[i]
		switch s.state {
		case sText:
			j := bytes.IndexByte(p[i:end], '<')
			if j < 0 {
				i = end
				continue
			}
			i += j
			s.lt = s.off + int64(i)
			s.state = sLt
			i++

		case sLt:
			if b != '/' && b != '?' && b != '!' {
				// A start tag: encoding/xml reads any other byte as the
				// start of its name.
				s.depth++
				if s.depth == 2 {
					s.setRegion(regStanza, s.lt)
					s.checkRoot, s.rootLen = s.armed, 0
				}
				if int64(s.depth-1) > s.lim.depth {
					s.off += int64(i)
					return i, &LimitError{What: WhatDepth, Limit: int(s.lim.depth), Offset: s.off}
				}
				s.attrs = 0
				if !s.checkRoot {
					// The name, at once if it ends within bounds.
					tb := s.tokBound(p, i)
					j := i
					for j < tb && nameByte[p[j]] {
						j++
					}
					if j < tb {
						i, s.state = j, sTag
						end = s.bound(p)
						continue
					}
				}
				s.state = sName
				s.tok, s.tokStart = tokName, s.off+int64(i)
				end = s.bound(p)
				continue
			}
			if b == '?' && s.armed && s.depth == 1 && s.region == regBetween {
				// A restarted stream's XML declaration.
				s.disarm()
				s.depth = 0
				s.setRegion(regHeader, s.lt)
			}
			if s.region == regBetween && s.off+int64(i) >= s.regionStart+s.lim.between {
				// No stanza follows the '<' let through above: it, or
				// this byte, was one too many.
				at := s.regionStart + s.lim.between
				s.off += int64(i)
				return i, &LimitError{What: WhatBetween, Limit: int(s.lim.between), Offset: at}
			}
			i++
			switch b {
			case '/':
				// The name, and the '>' right after it, at once if they
				// are within bounds.
				tb := s.tokBound(p, i)
				j := i
				for j < tb && nameByte[p[j]] {
					j++
				}
				if j < tb {
					if p[j] == '>' {
						i, s.state = j+1, sText
						s.closed(s.off + int64(j))
					} else {
						i, s.state = j, sEndTag
					}
					end = s.bound(p)
					continue
				}
				s.state = sEndName
				s.tok, s.tokStart = tokName, s.off+int64(i)
			case '?':
				s.state, s.k = sPI, 0
			default:
				s.state = sBang
			}
			end = s.bound(p)

		case sName:
			j := i
			for j < end && nameByte[p[j]] {
				j++
			}
			if s.checkRoot {
				for _, c := range p[i:j] {
					if s.rootLen < len(s.root) {
						s.root[s.rootLen] = c
					}
					s.rootLen++
				}
			}
			i = j
			if i == end {
				continue
			}
			s.tok = tokNone
			if s.checkRoot {
				s.checkRoot = false
				if s.isStreamRoot() {
					s.disarm()
					s.depth = 1
					s.setRegion(regHeader, s.lt)
				}
			}
			s.state = sTag
			end = s.bound(p)

		case sTag:
			for i < end {
				b := p[i]
				switch {
				case b == '>':
					if s.depth == 1 {
						// The stream header is complete.
						s.disarm()
						s.setRegion(regBetween, s.off+int64(i)+1)
						end = s.bound(p)
					}
					s.state = sText
					i++
					continue scan
				case b == '/':
					s.state = sSlash
					i++
					continue scan
				case b == '"' || b == '\'':
					s.attrs++
					if int64(s.attrs) > s.lim.attrs {
						s.off += int64(i)
						return i, &LimitError{What: WhatAttrs, Limit: int(s.lim.attrs), Offset: s.off}
					}
					i++
					tb := s.tokBound(p, i)
					if j := bytes.IndexByte(p[i:tb], b); j >= 0 {
						i += j + 1
						continue
					}
					s.quote = b
					s.state = sAttrVal
					s.tok, s.tokStart = tokValue, s.off+int64(i)
					i = tb
					end = s.bound(p)
					continue scan
				case nameByte[b]:
					tb := s.tokBound(p, i)
					j := i + 1
					for j < tb && nameByte[p[j]] {
						j++
					}
					if j < tb {
						i = j
						continue
					}
					s.state = sAttrName
					s.tok, s.tokStart = tokName, s.off+int64(i)
					i = j
					end = s.bound(p)
					continue scan
				}
				i++
			}

		case sAttrName:
			for i < end && nameByte[p[i]] {
				i++
			}
			if i == end {
				continue
			}
			s.tok = tokNone
			s.state = sTag
			end = s.bound(p)

		case sAttrVal:
			j := bytes.IndexByte(p[i:end], s.quote)
			if j < 0 {
				i = end
				continue
			}
			i += j + 1
			s.tok = tokNone
			s.state = sTag
			end = s.bound(p)

		case sSlash:
			if b != '>' {
				s.state = sTag // encoding/xml fails here
				continue
			}
			i++
			s.state = sText
			if s.depth == 1 {
				s.disarm()
			}
			s.closed(s.off + int64(i-1))
			end = s.bound(p)

		case sEndName:
			for i < end && nameByte[p[i]] {
				i++
			}
			if i == end {
				continue
			}
			s.tok = tokNone
			s.state = sEndTag
			end = s.bound(p)

		case sEndTag:
			j := bytes.IndexByte(p[i:end], '>')
			if j < 0 {
				i = end
				continue
			}
			i += j + 1
			s.state = sText
			s.closed(s.off + int64(i-1))
			end = s.bound(p)

		case sPI:
			for ; i < end; i++ {
				c := p[i]
				if c == '>' && s.k == 1 {
					s.state = sText
					i++
					break
				}
				s.k = 0
				if c == '?' {
					s.k = 1
				}
			}

		case sBang:
			switch b {
			case '-':
				s.state = sBangDash
			case '[':
				s.state, s.k = sCdataOpen, 0
			default:
				// A directive; encoding/xml takes its first byte as is.
				s.state, s.quote, s.ddepth = sDir, 0, 0
			}
			i++

		case sBangDash:
			if b != '-' {
				s.state = sText // encoding/xml fails here
				continue
			}
			s.state, s.k = sComment, 0
			i++

		case sCdataOpen:
			if b != "CDATA["[s.k] {
				s.state = sText // encoding/xml fails here
				continue
			}
			s.k++
			if s.k == len("CDATA[") {
				s.state, s.k = sCdata, 0
			}
			i++

		case sCdata:
			for ; i < end; i++ {
				c := p[i]
				if c == '>' && s.k >= 2 {
					s.state = sText
					i++
					break
				}
				if c == ']' {
					s.k++
				} else {
					s.k = 0
				}
			}

		case sComment, sDirComment:
			for ; i < end; i++ {
				c := p[i]
				if c == '>' && s.k >= 2 {
					if s.state == sComment {
						s.state = sText
					} else {
						s.state = sDir
					}
					i++
					break
				}
				if c == '-' {
					s.k++
				} else {
					s.k = 0
				}
			}

		case sDir:
			i++
			if s.quote == 0 && b == '>' && s.ddepth == 0 {
				s.state = sText
				continue
			}
			s.dirByte(b)

		case sDirLt:
			i++
			if b == "!--"[s.k] {
				s.k++
				if s.k == len("!--") {
					s.state, s.k = sDirComment, 0
				}
				continue
			}
			s.ddepth++
			s.state = sDir
			s.dirByte(b)
		}
	}
	s.off += int64(len(p))
	return len(p), nil
}

// dirByte follows one byte of a directive's body the way encoding/xml does.
func (s *scanner) dirByte(b byte) {
	switch {
	case b == s.quote:
		s.quote = 0
	case s.quote != 0:
	case b == '\'' || b == '"':
		s.quote = b
	case b == '>':
		s.ddepth--
	case b == '<':
		s.state, s.k = sDirLt, 0
	}
}

// disarm consumes the permission for one new stream header at depth 1.
func (s *scanner) disarm() {
	if s.armed {
		s.armed = false
		s.restarted = true
	}
}

// isStreamRoot tells whether the element name just read names a stream's
// root: stream:stream, or stream under any other prefix.
func (s *scanner) isStreamRoot() bool {
	if s.rootLen > len(s.root) {
		return false
	}
	n := s.root[:s.rootLen]
	if i := bytes.LastIndexByte(n, ':'); i >= 0 {
		n = n[i+1:]
	}
	return string(n) == "stream"
}
