package xmllimit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"math/rand"
	"testing"
)

// unlimited is so large that no input in a test crosses it.
var unlimited = Limits{
	StanzaBytes:  math.MaxInt32,
	Depth:        math.MaxInt32,
	TokenBytes:   math.MaxInt32,
	Attrs:        math.MaxInt32,
	BetweenBytes: math.MaxInt32,
	HeaderBytes:  math.MaxInt32,
}

// small is crossed by many fuzzed inputs.
var small = Limits{
	StanzaBytes:  300,
	Depth:        4,
	TokenBytes:   12,
	Attrs:        3,
	BetweenBytes: 40,
	HeaderBytes:  120,
}

// FuzzScan checks the scanner against encoding/xml: wherever the decoder
// ends a token, the scanner has as many elements open as the decoder; the
// guard never panics, gives the same result in any chunking, and whatever
// it lets through to a decoder keeps within the limits.
func FuzzScan(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s), int64(1))
		f.Add([]byte(s), int64(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed int64) {
		checkDepth(t, data)
		checkChunking(t, data, seed)
		checkLimitsHold(t, data)
	})
}

// checkDepth compares the depth the scanner tracks to the decoder's at the
// end of every token the decoder reads.
func checkDepth(t *testing.T, data []byte) {
	type mark struct {
		off   int64
		depth int
	}
	var marks []mark
	d := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
		marks = append(marks, mark{d.InputOffset(), depth})
	}
	s := newScanner(unlimited)
	var off int64
	for i, m := range marks {
		if i+1 < len(marks) && marks[i+1].off == m.off {
			continue // the start of <a/>: its end follows at the same offset
		}
		if _, err := s.scan(data[off:m.off]); err != nil {
			t.Fatalf("scanner failed with unlimited limits: %v", err)
		}
		off = m.off
		if s.depth != m.depth {
			t.Fatalf("after %q: scanner depth %d, decoder %d", data[:off], s.depth, m.depth)
		}
	}
}

// checkChunking reads data through the guard whole and in random reads:
// the guard must pass the same bytes and end with the same error.
func checkChunking(t *testing.T, data []byte, seed int64) {
	for _, l := range []Limits{unlimited, small} {
		arm := seed&1 == 1 // a restarted stream's header may come at depth 1
		want, wantErr := readAllArmed(data, l, whole, len(data)+1, arm)
		if !bytes.HasPrefix(data, want) {
			t.Fatalf("the guard changed the bytes")
		}
		if (wantErr == nil) != (len(want) == len(data)) {
			t.Fatalf("passed %d of %d bytes, error %v", len(want), len(data), wantErr)
		}
		r := rand.New(rand.NewSource(seed))
		got, gotErr := readAllArmed(data, l, randomSplits(seed), 1+r.Intn(64), arm)
		if !bytes.Equal(got, want) {
			t.Fatalf("in random reads the guard passed %d bytes, whole %d", len(got), len(want))
		}
		if !sameErr(gotErr, wantErr) {
			t.Fatalf("in random reads the guard ended with %v, whole with %v", gotErr, wantErr)
		}
	}
}

func sameErr(a, b error) bool {
	var la, lb *LimitError
	if errors.As(a, &la) != errors.As(b, &lb) {
		return false
	}
	if la != nil {
		return *la == *lb
	}
	return (a == nil) == (b == nil)
}

// checkLimitsHold runs a decoder over the guard with small limits: every
// token the decoder returns keeps within them.
func checkLimitsHold(t *testing.T, data []byte) {
	l := small
	c := Wrap(&fakeConn{data: data, split: whole}, l)
	d := xml.NewDecoder(c)
	depth := 0
	var stanzaStart, prev int64
	for {
		tok, err := d.RawToken()
		if err != nil {
			var le *LimitError
			if err != io.EOF && errors.As(err, &le) && le.Offset > int64(len(data)) {
				t.Fatalf("limit error past the end: %v", le)
			}
			return
		}
		off := d.InputOffset()
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 {
				stanzaStart = prev
			}
			if depth-1 > l.Depth {
				t.Fatalf("element at depth %d in a stanza passed", depth-1)
			}
			if len(tok.Attr) > l.Attrs {
				t.Fatalf("%d attributes passed", len(tok.Attr))
			}
			checkName(t, l, tok.Name)
			for _, a := range tok.Attr {
				checkName(t, l, a.Name)
				if len(a.Value) > l.TokenBytes {
					t.Fatalf("attribute value of %d bytes passed", len(a.Value))
				}
			}
		case xml.EndElement:
			checkName(t, l, tok.Name)
			if depth == 2 && off-stanzaStart > int64(l.StanzaBytes) {
				t.Fatalf("stanza of %d bytes passed", off-stanzaStart)
			}
			depth--
		default:
			limit := int64(max(l.HeaderBytes, l.BetweenBytes))
			if depth >= 2 {
				limit = int64(l.StanzaBytes)
			}
			if off-prev > limit {
				t.Fatalf("%T of %d bytes passed at depth %d", tok, off-prev, depth)
			}
		}
		prev = off
	}
}

func checkName(t *testing.T, l Limits, n xml.Name) {
	size := len(n.Local)
	if n.Space != "" {
		size += len(n.Space) + 1
	}
	if size > l.TokenBytes {
		t.Fatalf("name %q of %d bytes passed", n.Space+":"+n.Local, size)
	}
}
