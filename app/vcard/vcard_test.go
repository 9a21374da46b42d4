package vcard_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"reflect"
	"strings"
	"testing"

	"mellium.im/xmlstream"

	"github.com/palaver-im/palaver/app/internal/xmltest"
	"github.com/palaver-im/palaver/app/vcard"
)

// tinyPNG is a 1×1 PNG image.
var tinyPNG = mustBase64("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// fullCard uses every field, with text that needs escaping.
func fullCard() vcard.VCard {
	return vcard.VCard{
		FullName: "Alice Liddell & <Co>",
		Name:     vcard.Name{Family: "Liddell", Given: "Alice", Middle: "Pleasance", Prefix: "Ms", Suffix: "Jr"},
		Nickname: "Ally",
		Photo:    vcard.Photo{Type: "image/png", Data: tinyPNG},
		Birthday: "1852-05-04",
		Emails: []vcard.Email{
			{Address: "alice@example.org", Kinds: []string{"HOME", "INTERNET", "PREF"}},
			{Address: "a.liddell@work.example", Kinds: []string{"WORK", "INTERNET"}},
		},
		Phones: []vcard.Phone{
			{Number: "+44 1865 000000", Kinds: []string{"HOME", "VOICE"}},
			{Number: "+44 7700 900000", Kinds: []string{"CELL", "PREF"}},
		},
		Addresses: []vcard.Address{{
			Kinds: []string{"HOME", "POSTAL"}, POBox: "PO 1", Extended: "Christ Church",
			Street: "St Aldates", Locality: "Oxford", Region: "Oxfordshire", PostalCode: "OX1 1DP", Country: "United Kingdom",
		}},
		Org:      vcard.Org{Name: "Wonderland Ltd", Units: []string{"Rabbit Hole", "Tea Party"}},
		Title:    "Explorer",
		Role:     "Curious",
		URL:      "https://example.org/~alice",
		Note:     "Down the rabbit hole.\nSecond line: ünïcode ✓",
		JabberID: "alice@localhost",
	}
}

func minimalCard() vcard.VCard { return vcard.VCard{FullName: "Bob"} }

// encode returns the XML text of r.
func encode(t testing.TB, r xml.TokenReader) string { t.Helper(); return xmltest.Encode(t, r) }

func golden(t *testing.T, name, got string) { t.Helper(); xmltest.Golden(t, name, got) }

// split reads the first start element of s and returns it with a reader of
// the rest of that element, as mellium's Serve hands a payload to a handler
// (inner tokens and the end element).
func split(s string) (xml.TokenReader, *xml.StartElement, bool) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, false
		}
		if start, ok := tok.(xml.StartElement); ok {
			return xmlstream.InnerElement(d), &start, true
		}
	}
}

func decode(t testing.TB, s string) (vcard.VCard, error) {
	t.Helper()
	r, start, ok := split(s)
	if !ok {
		t.Fatalf("no element in %q", s)
	}
	return vcard.Decode(r, start)
}

func TestEncodeGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    vcard.VCard
	}{
		0: {"full", fullCard()},
		1: {"minimal", minimalCard()},
		2: {"empty", vcard.VCard{}},
		3: {"photo-external", vcard.VCard{Photo: vcard.Photo{Type: "image/jpeg", External: "https://example.org/a.jpg"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := encode(t, tc.v.TokenReader())
			golden(t, tc.name, got)
			// The golden file decodes back to the card.
			back, err := decode(t, got)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.v) {
				t.Errorf("golden file decodes to\n%+v\nwant\n%+v", back, tc.v)
			}
		})
	}
}

func TestWriteXMLAndMarshal(t *testing.T) {
	v := fullCard()
	want := encode(t, v.TokenReader())

	var buf bytes.Buffer
	e := xml.NewEncoder(&buf)
	if _, err := v.WriteXML(e); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Errorf("WriteXML:\n%s\nwant\n%s", buf.String(), want)
	}
	m, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(m) != want {
		t.Errorf("xml.Marshal:\n%s\nwant\n%s", m, want)
	}
}

func TestEncodeLeavesOut(t *testing.T) {
	v := vcard.VCard{
		FullName: "F",
		Emails:   []vcard.Email{{Kinds: []string{"HOME"}}, {Address: "a@b", Kinds: []string{"pref", "BOGUS", "home", "HOME", "<x/>"}}},
		Phones:   []vcard.Phone{{Number: ""}, {Number: "1", Kinds: []string{"cell", "WORK"}}},
		Addresses: []vcard.Address{
			{Kinds: []string{"HOME"}},
			{Locality: "Paris", Kinds: []string{"INTL", "SPACESHIP"}},
		},
		Org:   vcard.Org{Units: []string{"", "U"}},
		Photo: vcard.Photo{Type: "image/png"},
	}
	got := encode(t, v.TokenReader())
	want := `<vCard xmlns="vcard-temp"><FN>F</FN>` +
		`<EMAIL><HOME></HOME><PREF></PREF><USERID>a@b</USERID></EMAIL>` +
		`<TEL><WORK></WORK><CELL></CELL><NUMBER>1</NUMBER></TEL>` +
		`<ADR><INTL></INTL><LOCALITY>Paris</LOCALITY></ADR>` +
		`<ORG><ORGUNIT>U</ORGUNIT></ORG></vCard>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEncodeLargePhotoInChunks(t *testing.T) {
	data := make([]byte, 100_000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	v := vcard.VCard{Photo: vcard.Photo{Type: "image/png", Data: data}}
	r := v.TokenReader()
	var chunks int
	var text []byte
	in := false
	for {
		tok, err := r.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			in = t.Name.Local == "BINVAL"
		case xml.EndElement:
			in = false
		case xml.CharData:
			if in {
				chunks++
				text = append(text, t...)
			}
		}
	}
	if chunks < 10 {
		t.Errorf("BINVAL came in %d tokens, want it streamed in chunks", chunks)
	}
	got, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("BINVAL does not decode to the photo (err %v)", err)
	}
}

func TestRoundTrip(t *testing.T) {
	cards := []vcard.VCard{
		0: fullCard(),
		1: minimalCard(),
		2: {},
		3: {Nickname: "n", Photo: vcard.Photo{External: "http://x/y.png"}},
		4: {Name: vcard.Name{Given: "G"}, Org: vcard.Org{Name: "O"}, Note: strings.Repeat("ß", 100)},
		5: {Photo: vcard.Photo{Data: bytes.Repeat([]byte{0, 1, 2, 0xff}, 300_001)}},
		6: {Emails: []vcard.Email{{Address: "x@y"}}, Phones: []vcard.Phone{{Number: "0"}}, Addresses: []vcard.Address{{Country: "NZ"}}},
	}
	for i, v := range cards {
		got, err := decode(t, encode(t, v.TokenReader()))
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("%d: decode(encode(v)) =\n%+v\nwant\n%+v", i, got, v)
		}
	}
}

func TestIsEmpty(t *testing.T) {
	for i, tc := range []struct {
		v    vcard.VCard
		want bool
	}{
		0: {vcard.VCard{}, true},
		1: {vcard.VCard{Emails: []vcard.Email{{Kinds: []string{"HOME"}}}, Photo: vcard.Photo{Type: "image/png"}}, true},
		2: {vcard.VCard{Org: vcard.Org{Units: []string{""}}, Addresses: []vcard.Address{{Kinds: []string{"WORK"}}}}, true},
		3: {minimalCard(), false},
		4: {vcard.VCard{Photo: vcard.Photo{Data: []byte{1}}}, false},
		5: {vcard.VCard{Name: vcard.Name{Suffix: "Jr"}}, false},
		6: {vcard.VCard{Addresses: []vcard.Address{{PostalCode: "1"}}}, false},
		7: {vcard.VCard{Org: vcard.Org{Units: []string{"u"}}}, false},
		8: {vcard.VCard{Phones: []vcard.Phone{{Number: "1"}}}, false},
		9: {vcard.VCard{JabberID: "a@b"}, false},
	} {
		if got := tc.v.IsEmpty(); got != tc.want {
			t.Errorf("%d: IsEmpty = %v, want %v", i, got, tc.want)
		}
		// IsEmpty agrees with the encoding.
		if enc := encode(t, tc.v.TokenReader()); (enc == `<vCard xmlns="vcard-temp"></vCard>`) != tc.want {
			t.Errorf("%d: IsEmpty = %v but encodes as %s", i, tc.want, enc)
		}
	}
}

func TestDisplayName(t *testing.T) {
	for i, tc := range []struct {
		v    vcard.VCard
		want string
	}{
		0: {vcard.VCard{}, ""},
		1: {fullCard(), "Alice Liddell & <Co>"},
		2: {vcard.VCard{FullName: "  ", Nickname: " Ally ", Name: vcard.Name{Given: "A"}}, "Ally"},
		3: {vcard.VCard{Name: vcard.Name{Given: "Alice", Family: "Liddell", Middle: "P"}}, "Alice Liddell"},
		4: {vcard.VCard{Name: vcard.Name{Family: "Liddell"}}, "Liddell"},
		5: {vcard.VCard{Name: vcard.Name{Given: "Alice "}}, "Alice"},
	} {
		if got := tc.v.DisplayName(); got != tc.want {
			t.Errorf("%d: DisplayName = %q, want %q", i, got, tc.want)
		}
	}
}
