package sm

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// firstStart returns the decoder positioned after the first start
// element of s, and that element.
func firstStart(s string) (*xml.Decoder, xml.StartElement, bool) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, xml.StartElement{}, false
		}
		if start, ok := tok.(xml.StartElement); ok {
			return d, start, true
		}
	}
}

func TestDecode(t *testing.T) {
	for i, tc := range []struct {
		in   string
		want string // fmt of the result, or "error"
	}{
		0:  {`<a xmlns='urn:xmpp:sm:3' h='0'/>`, "0"},
		1:  {`<a h='4294967295'/>`, "4294967295"},
		2:  {`<a h='4294967296'/>`, "error"},
		3:  {`<a h=' 1'/>`, "error"},
		4:  {`<a h='+1'/>`, "error"},
		5:  {`<enabled id='x' resume='true' max='600' location='h:1'/>`, "{x true 600000000000 h:1}"},
		6:  {`<enabled/>`, "{ false 0 }"},
		7:  {`<enabled id='x' resume='yes'/>`, "error"},
		8:  {`<enabled id='x' max='-5'/>`, "error"},
		9:  {`<enabled id='` + strings.Repeat("i", maxID+1) + `'/>`, "error"},
		10: {`<enabled location='` + strings.Repeat("l", maxLocation+1) + `'/>`, "{ false 0 }"},
		11: {`<resumed h='7' previd='x'/>`, "{7 x}"},
		12: {`<resumed previd='x'/>`, "error"},
		13: {`<failed><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`, "{item-not-found 0 false}"},
		14: {`<failed h='3'><x xmlns='other'/><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'><y/></unexpected-request></failed>`, "{unexpected-request 3 true}"},
		15: {`<failed/>`, "{undefined-condition 0 false}"},
		16: {`<failed h='z'/>`, "error"},
		17: {`<failed><unclosed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>`, "error"},
	} {
		d, start, ok := firstStart(tc.in)
		if !ok {
			t.Fatalf("%d: bad test input", i)
		}
		var got any
		var err error
		switch start.Name.Local {
		case "a":
			got, err = decodeA(start)
		case "enabled":
			got, err = decodeEnabled(start)
		case "resumed":
			got, err = decodeResumed(start)
		case "failed":
			got, err = decodeFailed(d, start)
		}
		s := fmt.Sprint(got)
		if err != nil {
			var m *MalformedError
			if !errors.As(err, &m) {
				t.Errorf("%d: error %v is not a MalformedError", i, err)
			}
			s = "error"
		}
		if s != tc.want {
			t.Errorf("%d: %s gave %s, want %s", i, tc.in, s, tc.want)
		}
	}
}

// FuzzDecode feeds the readers of <a/>, <enabled/>, <resumed/> and
// <failed/> any element: none panics, and what they accept is in range.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`<a xmlns='urn:xmpp:sm:3' h='12'/>`,
		`<enabled xmlns='urn:xmpp:sm:3' id='abc' resume='true' max='300' location='example.org:5222'/>`,
		`<resumed xmlns='urn:xmpp:sm:3' h='4294967295' previd='abc'/>`,
		`<failed xmlns='urn:xmpp:sm:3' h='1'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`,
		`<failed><a><b/></a></failed>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, start, ok := firstStart(s)
		if !ok {
			return
		}
		if _, err := decodeA(start); err != nil && !isMalformed(err) {
			t.Fatal(err)
		}
		if e, err := decodeEnabled(start); err == nil {
			if len(e.id) > maxID || e.max < 0 || e.max > 366*24*time.Hour || len(e.location) > maxLocation {
				t.Fatalf("accepted %+v", e)
			}
		} else if !isMalformed(err) {
			t.Fatal(err)
		}
		if _, err := decodeResumed(start); err != nil && !isMalformed(err) {
			t.Fatal(err)
		}
		if f, err := decodeFailed(d, start); err == nil {
			if f.condition == "" || len(f.condition) > maxName {
				t.Fatalf("accepted %+v", f)
			}
		} else if !isMalformed(err) {
			t.Fatal(err)
		}
	})
}

func isMalformed(err error) bool {
	var m *MalformedError
	return errors.As(err, &m)
}
