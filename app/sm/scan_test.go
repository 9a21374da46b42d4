package sm

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

const header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`

// seen is what the scanner reports of one top-level element.
type seen struct {
	local  string
	stanza bool
	raw    string
}

// scanAll runs a capturing scanner over in, split into chunks of size n
// (0: one chunk), and returns the elements it reported.
func scanAll(in string, n int) []seen {
	s := &scanner{capture: true}
	var got []seen
	p := []byte(in)
	for len(p) > 0 {
		k := len(p)
		if n > 0 && n < k {
			k = n
		}
		chunk := p[:k]
		s.scan(chunk, func(e element, end int, raw []byte) {
			if chunk[end] != '>' {
				panic(fmt.Sprintf("element %q ends at %q", e.local, chunk[end]))
			}
			got = append(got, seen{string(e.local), e.stanza(), string(raw)})
		})
		p = p[k:]
	}
	return got
}

func TestScanTopLevel(t *testing.T) {
	for i, tc := range []struct {
		in   string
		want []seen
	}{
		0: {header + `<message to='a'><body>hi &amp; <b>x</b></body></message>`, []seen{{"message", true, `<message to='a'><body>hi &amp; <b>x</b></body></message>`}}},
		1: {header + `<presence/> <iq type="get" id='1'><ping xmlns='urn:xmpp:ping'/></iq>`, []seen{{"presence", true, `<presence/>`}, {"iq", true, `<iq type="get" id='1'><ping xmlns='urn:xmpp:ping'/></iq>`}}},
		// Stream management elements are not stanzas (XEP-0198 §4).
		2: {header + `<r xmlns='urn:xmpp:sm:3'/><a xmlns="urn:xmpp:sm:3" h='4'/>`, []seen{{"r", false, `<r xmlns='urn:xmpp:sm:3'/>`}, {"a", false, `<a xmlns="urn:xmpp:sm:3" h='4'/>`}}},
		// A stanza name in another namespace is not a stanza.
		3: {header + `<message xmlns='urn:other'/><message xmlns='jabber:client'/>`, []seen{{"message", false, `<message xmlns='urn:other'/>`}, {"message", true, `<message xmlns='jabber:client'/>`}}},
		// Prefixed: a stanza only when the prefix is declared as jabber:client.
		4: {header + `<c:message xmlns:c='jabber:client'/><c:iq xmlns:c='x'/><c:presence/>`, []seen{{"message", true, `<c:message xmlns:c='jabber:client'/>`}, {"iq", false, `<c:iq xmlns:c='x'/>`}, {"presence", false, `<c:presence/>`}}},
		// '>' and '<' inside values, comments, CDATA and PIs do not end anything.
		5: {header + `<message a='>' b="/>"><![CDATA[</message>]]><!-- </message> --><?pi </message>?></message>`, []seen{{"message", true, `<message a='>' b="/>"><![CDATA[</message>]]><!-- </message> --><?pi </message>?></message>`}}},
		// Comments and whitespace between stanzas are not elements.
		6: {header + "\n <!-- x --> <presence/>\t", []seen{{"presence", true, `<presence/>`}}},
		// A restarted stream (after SASL) opens inside the old one.
		7: {header + `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>` + header + `<stream:features/><iq id='b'/>`, []seen{{"success", false, `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`}, {"features", false, `<stream:features/>`}, {"iq", true, `<iq id='b'/>`}}},
		// The end of the stream is not an element.
		8: {header + `<presence/></stream:stream>`, []seen{{"presence", true, `<presence/>`}}},
		// Deep nesting and self-closed children.
		9: {header + `<iq><a><b><c/></b><d></d></a></iq>`, []seen{{"iq", true, `<iq><a><b><c/></b><d></d></a></iq>`}}},
		// A CDATA section with brackets before its end.
		10: {header + `<message><![CDATA[a]]]]><![CDATA[>]]></message>`, []seen{{"message", true, `<message><![CDATA[a]]]]><![CDATA[>]]></message>`}}},
		// A name longer than the scanner keeps is not a stanza name.
		11: {header + `<message` + strings.Repeat("x", 100) + `/>`, []seen{{"message" + strings.Repeat("x", maxName-len("message")), false, `<message` + strings.Repeat("x", 100) + `/>`}}},
	} {
		for _, n := range []int{0, 1, 2, 3, 7} {
			if got := scanAll(tc.in, n); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%d (chunks of %d): got %+v, want %+v", i, n, got, tc.want)
			}
		}
	}
}

func TestScanBoundary(t *testing.T) {
	s := &scanner{}
	for i, tc := range []struct {
		in   string
		want bool
	}{
		0: {header, true},
		1: {`<message><body>`, false},
		2: {`x</body>`, false},
		3: {`</message>`, true},
		4: {`<`, false},
		5: {`presence/>  `, true},
		6: {`<!-- `, false},
		7: {`-->`, true},
	} {
		s.scan([]byte(tc.in), func(element, int, []byte) {})
		if got := s.boundary(); got != tc.want {
			t.Errorf("%d: after %q boundary() = %v, want %v", i, tc.in, got, tc.want)
		}
	}
}

// stdTop lists the top-level elements encoding/xml finds in a stream,
// with whether each is a stanza of jabber:client. It reports false when
// encoding/xml refuses the input or the input holds what a client stream
// cannot (a directive, a nested stream header).
func stdTop(in string) ([]string, bool) {
	d := xml.NewDecoder(strings.NewReader(in))
	depth := 0
	var got []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return got, true
		}
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 {
				if t.Name.Local == "stream" {
					return nil, false
				}
				st := (t.Name.Local == "message" || t.Name.Local == "presence" || t.Name.Local == "iq") && t.Name.Space == nsClient
				got = append(got, fmt.Sprintf("%s %v", t.Name.Local, st))
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			return nil, false
		}
	}
}

// FuzzScan checks the scanner against encoding/xml: on every stream that
// encoding/xml reads without error, both find the same top-level
// elements, and the same stanzas among them, however the bytes are split.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`<message to='a'><body>hi</body></message>`,
		`<presence/><iq type='get'><q xmlns='x'/></iq>`,
		`<r xmlns='urn:xmpp:sm:3'/><a xmlns='urn:xmpp:sm:3' h='1'/>`,
		`<c:message xmlns:c='jabber:client'/>`,
		`<message a='>'><![CDATA[<x>]]><!-- > --><?p ?></message>`,
		`<message xmlns='urn:other'/>`,
		`<message><![CDATA[]]]]><![CDATA[>]]></message>`,
	} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, body string, split uint8) {
		in := header + body + `</stream:stream>`
		want, ok := stdTop(in)
		if !ok {
			// Still: no panic, on any split.
			scanAll(in, int(split))
			return
		}
		var got []string
		for _, e := range scanAll(in, int(split)) {
			got = append(got, fmt.Sprintf("%s %v", e.local, e.stanza))
		}
		if strings.Contains(body, "&") {
			// A namespace written with character references is one the
			// scanner does not decode; compare the names only.
			for i := range got {
				got[i], _, _ = strings.Cut(got[i], " ")
			}
			for i := range want {
				want[i], _, _ = strings.Cut(want[i], " ")
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("scanner found %q, encoding/xml %q", got, want)
		}
		// The bytes kept are the element's, as written.
		for _, e := range scanAll(in, int(split)) {
			if !bytes.Contains([]byte(in), []byte(e.raw)) || !strings.HasPrefix(e.raw, "<") || !strings.HasSuffix(e.raw, ">") {
				t.Fatalf("kept %q, not an element of the input", e.raw)
			}
		}
	})
}
