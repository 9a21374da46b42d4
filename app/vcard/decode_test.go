package vcard_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/vcard"
)

const open = `<vCard xmlns="vcard-temp">`

func TestDecodeTolerant(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(tinyPNG)
	wrapped := ""
	for s := b64; s != ""; {
		n := min(len(s), 20)
		wrapped += s[:n] + "\r\n  "
		s = s[n:]
	}
	for i, tc := range []struct {
		in   string
		want vcard.VCard
		err  error // a photo problem
	}{
		0: {
			in: `<vcard xmlns="vcard-temp"><fn>A</fn><n><family>F</family><Given>G</Given><middle>M</middle><prefix>P</prefix><suffix>S</suffix></n>` +
				`<nickname>n</nickname><bday>2000-01-01</bday><email><home/><internet/><userid>a@b</userid></email>` +
				`<tel><cell/><number>1</number></tel><adr><work/><pobox>1</pobox><extadd>e</extadd><street>s</street><locality>L</locality><region>r</region><pcode>p</pcode><ctry>c</ctry></adr>` +
				`<org><orgname>O</orgname><orgunit>U</orgunit></org><title>t</title><role>r</role><url>u</url><desc>d</desc><jabberid>j@k</jabberid>` +
				`<photo><type>image/png</type><binval>` + b64 + `</binval></photo></vcard>`,
			want: vcard.VCard{
				FullName: "A", Name: vcard.Name{Family: "F", Given: "G", Middle: "M", Prefix: "P", Suffix: "S"},
				Nickname: "n", Birthday: "2000-01-01",
				Emails:    []vcard.Email{{Address: "a@b", Kinds: []string{"HOME", "INTERNET"}}},
				Phones:    []vcard.Phone{{Number: "1", Kinds: []string{"CELL"}}},
				Addresses: []vcard.Address{{Kinds: []string{"WORK"}, POBox: "1", Extended: "e", Street: "s", Locality: "L", Region: "r", PostalCode: "p", Country: "c"}},
				Org:       vcard.Org{Name: "O", Units: []string{"U"}},
				Title:     "t", Role: "r", URL: "u", Note: "d", JabberID: "j@k",
				Photo: vcard.Photo{Type: "image/png", Data: tinyPNG},
			},
		},
		1: {in: open + `<NOTE>hi</NOTE></vCard>`, want: vcard.VCard{Note: "hi"}},
		2: {in: open + `<DESC>first</DESC><NOTE>second</NOTE></vCard>`, want: vcard.VCard{Note: "first"}},
		3: {
			in:   open + `<X-FOO a="1"><deep><deeper>x</deeper></deep></X-FOO><VERSION>2.0</VERSION><FN>A</FN><CATEGORIES><KEYWORD>k</KEYWORD></CATEGORIES><!-- c --><?pi x?></vCard>`,
			want: vcard.VCard{FullName: "A"},
		},
		4: {in: open + `<FN xmlns="urn:other">X</FN><FN>A</FN></vCard>`, want: vcard.VCard{FullName: "A"}},
		5: {
			in:   open + "<FN>\n   A  B \t\n</FN><EMAIL><USERID>  a@b\n</USERID></EMAIL><FN>C</FN></vCard>",
			want: vcard.VCard{FullName: "A  B", Emails: []vcard.Email{{Address: "a@b"}}},
		},
		6: {in: open + `<FN/><FN>  </FN><FN>B</FN><FN>C</FN></vCard>`, want: vcard.VCard{FullName: "B"}},
		7: {
			in:   open + `<EMAIL><PREF/><home/><HOME/><INTERNET/><bogus/><CELL/><USERID>x</USERID><USERID>y</USERID></EMAIL><TEL><PREF/><CELL/><NUMBER>1</NUMBER></TEL></vCard>`,
			want: vcard.VCard{Emails: []vcard.Email{{Address: "x", Kinds: []string{"HOME", "INTERNET", "PREF"}}}, Phones: []vcard.Phone{{Number: "1", Kinds: []string{"CELL", "PREF"}}}},
		},
		8: {
			in:   open + `<EMAIL><HOME/></EMAIL><TEL><CELL/></TEL><ADR><HOME/></ADR><ORG><ORGUNIT/></ORG><N/></vCard>`,
			want: vcard.VCard{},
		},
		9:  {in: open + `<FN>A<b>B</b>C<![CDATA[<D>]]></FN></vCard>`, want: vcard.VCard{FullName: "AC<D>"}},
		10: {in: open + `<PHOTO><TYPE>image/jpeg</TYPE><EXTVAL> https://x/y.jpg </EXTVAL></PHOTO></vCard>`, want: vcard.VCard{Photo: vcard.Photo{Type: "image/jpeg", External: "https://x/y.jpg"}}},
		11: {in: open + `<PHOTO><TYPE>image/png</TYPE></PHOTO><PHOTO><TYPE>image/gif</TYPE><BINVAL></BINVAL></PHOTO></vCard>`, want: vcard.VCard{}},
		12: {in: open + `<PHOTO><BINVAL>` + wrapped + `</BINVAL></PHOTO></vCard>`, want: vcard.VCard{Photo: vcard.Photo{Data: tinyPNG}}},
		13: {in: open + `<PHOTO><BINVAL>` + strings.TrimRight(b64, "=") + `</BINVAL></PHOTO></vCard>`, want: vcard.VCard{Photo: vcard.Photo{Data: tinyPNG}}},
		14: {
			in:   open + `<FN>A</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>not*base64!</BINVAL></PHOTO><NICKNAME>n</NICKNAME></vCard>`,
			want: vcard.VCard{FullName: "A", Nickname: "n"}, err: vcard.ErrBadPhoto,
		},
		15: {in: open + `<PHOTO><BINVAL>QQ==QUJD</BINVAL></PHOTO></vCard>`, want: vcard.VCard{}, err: vcard.ErrBadPhoto},
		16: {in: open + `<PHOTO><BINVAL>QQ==</BINVAL><BINVAL>QUJD</BINVAL></PHOTO></vCard>`, want: vcard.VCard{Photo: vcard.Photo{Data: []byte("A")}}},
		17: {in: open + `<PHOTO><BINVAL>QUJD</BINVAL></PHOTO><PHOTO><BINVAL>QQ==</BINVAL></PHOTO></vCard>`, want: vcard.VCard{Photo: vcard.Photo{Data: []byte("ABC")}}},
		18: {in: open + `<PHOTO><BINVAL>Q</BINVAL></PHOTO></vCard>`, want: vcard.VCard{}, err: vcard.ErrBadPhoto},
		19: {in: open + `<PHOTO><BINVAL>QQ=</BINVAL></PHOTO></vCard>`, want: vcard.VCard{}, err: vcard.ErrBadPhoto},
		20: {in: `<vCard xmlns="vcard-temp"/>`, want: vcard.VCard{}},
		21: {in: `<VCARD xmlns="vcard-temp"><ORG><ORGNAME>O</ORGNAME><ORGNAME>P</ORGNAME></ORG><ORG><ORGUNIT>U1</ORGUNIT></ORG></VCARD>`, want: vcard.VCard{Org: vcard.Org{Name: "O", Units: []string{"U1"}}}},
		22: {in: open + `<N><GIVEN>G</GIVEN></N><N><GIVEN>H</GIVEN><FAMILY>F</FAMILY></N></vCard>`, want: vcard.VCard{Name: vcard.Name{Given: "G", Family: "F"}}},
		23: {in: open + `<fN>A</fN></vCard>`, want: vcard.VCard{FullName: "A"}},
	} {
		got, err := decode(t, tc.in)
		if !errors.Is(err, tc.err) || (err != nil) != (tc.err != nil) {
			t.Errorf("%d: err = %v, want %v", i, err, tc.err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d: got\n%+v\nwant\n%+v", i, got, tc.want)
		}
	}
}

func TestDecodeLimits(t *testing.T) {
	long := strings.Repeat("x", 5000)
	accents := strings.Repeat("é", 3000) // 6000 bytes
	var emails strings.Builder
	for range vcard.MaxEntries + 50 {
		emails.WriteString(`<EMAIL><USERID>a@b</USERID></EMAIL>`)
	}
	in := open + `<FN>` + long + `</FN><NICKNAME>` + accents + `</NICKNAME><DESC>` + strings.Repeat("y", 20000) + `</DESC>` +
		`<TITLE>` + strings.Repeat(" ", 10000) + `T</TITLE>` + emails.String() + `</vCard>`
	v, err := decode(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if v.FullName != long[:vcard.MaxText] {
		t.Errorf("FN of %d bytes, want %d", len(v.FullName), vcard.MaxText)
	}
	if !utf8.ValidString(v.Nickname) || v.Nickname != strings.Repeat("é", vcard.MaxText/2) {
		t.Errorf("NICKNAME cut to %d bytes (valid UTF-8: %v), want %d", len(v.Nickname), utf8.ValidString(v.Nickname), vcard.MaxText)
	}
	if len(v.Note) != vcard.MaxNote {
		t.Errorf("DESC of %d bytes, want %d", len(v.Note), vcard.MaxNote)
	}
	if v.Title != "T" {
		t.Errorf("TITLE after leading space = %q", v.Title)
	}
	if len(v.Emails) != vcard.MaxEntries {
		t.Errorf("%d emails kept, want %d", len(v.Emails), vcard.MaxEntries)
	}
}

func TestDecodeMalformed(t *testing.T) {
	for i, in := range []string{
		0: open + `<FN>A</vCard>`,
		1: open + `<FN>A`,
		2: open + `<PHOTO><BINVAL>QUJD`,
		3: open + `<FN>A</FN>`,
		4: open + "<FN>\x00</FN></vCard>",
		5: open + "<FN>\xff</FN></vCard>",
	} {
		v, err := decode(t, in)
		if err == nil || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("%d: err = %v, want one that says malformed", i, err)
		}
		if errors.Is(err, vcard.ErrBadPhoto) || errors.Is(err, vcard.ErrPhotoTooLarge) {
			t.Errorf("%d: a syntax error reported as a photo problem: %v", i, err)
		}
		if !v.IsEmpty() {
			t.Errorf("%d: malformed input gave a card: %+v", i, v)
		}
	}
	for i, in := range []string{`<query xmlns="vcard-temp"/>`, `<vCard xmlns="urn:ietf:params:xml:ns:vcard-4.0"/>`} {
		if _, err := decode(t, in); err == nil || !strings.Contains(err.Error(), "not a vCard") {
			t.Errorf("%d: err = %v, want not a vCard", i, err)
		}
	}
	if _, err := vcard.Decode(xml.NewDecoder(strings.NewReader("")), nil); err == nil {
		t.Error("no start element: no error")
	}
}

// tokens is a token reader over a list; the last token comes with io.EOF,
// as the xml.TokenReader contract allows.
type tokens []xml.Token

func (ts *tokens) Token() (xml.Token, error) {
	if len(*ts) == 0 {
		return nil, io.EOF
	}
	tok := (*ts)[0]
	*ts = (*ts)[1:]
	if len(*ts) == 0 {
		return tok, io.EOF
	}
	return tok, nil
}

func el(name string) xml.StartElement {
	return xml.StartElement{Name: xml.Name{Space: vcard.NS, Local: name}}
}
func end(name string) xml.EndElement {
	return xml.EndElement{Name: xml.Name{Space: vcard.NS, Local: name}}
}

func TestDecodeTokenWithEOF(t *testing.T) {
	start := el("vCard")
	ts := tokens{el("FN"), xml.CharData("A"), end("FN"), el("NICKNAME"), xml.CharData("n"), end("NICKNAME"), end("vCard")}
	v, err := vcard.Decode(&ts, &start)
	if err != nil || v.FullName != "A" || v.Nickname != "n" {
		t.Errorf("got %+v, %v", v, err)
	}
	// Inner tokens only, without the end element, are accepted too.
	ts = tokens{el("FN"), xml.CharData("A"), end("FN")}
	if v, err := vcard.Decode(&ts, &start); err != nil || v.FullName != "A" {
		t.Errorf("without end element: got %+v, %v", v, err)
	}
	// Names are compared in ASCII only: "tıtle" (dotless i) upper-cases
	// to TITLE in Unicode, but is not TITLE.
	ts = tokens{el("tıtle"), xml.CharData("x"), end("tıtle"), el("title"), xml.CharData("t"), end("title")}
	if v, err := vcard.Decode(&ts, &start); err != nil || v.Title != "t" {
		t.Errorf("non-ASCII name: got %+v, %v", v, err)
	}
	// But not inside a field.
	ts = tokens{el("FN"), xml.CharData("A")}
	if _, err := vcard.Decode(&ts, &start); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut inside FN: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

// Decode reads nothing after the vCard's end element.
func TestDecodeStopsAtEnd(t *testing.T) {
	d := xml.NewDecoder(strings.NewReader(`<iq>` + open + `<FN>A</FN></vCard><after/></iq>`))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "vCard" {
			if _, err := vcard.Decode(d, &s); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	tok, err := d.Token()
	if s, ok := tok.(xml.StartElement); err != nil || !ok || s.Name.Local != "after" {
		t.Errorf("next token after Decode = %#v, %v; want <after>", tok, err)
	}
}

// photoStream yields a vCard whose BINVAL is size bytes of base64 text,
// generated as it is read in chunks that reuse one buffer, followed by
// NICKNAME. It never holds the whole text.
type photoStream struct {
	size, sent int
	chunk      []byte
	head, tail []xml.Token
}

func newPhotoStream(size int) *photoStream {
	// 4 KiB of base64 text decoding to a pattern, with a line break as
	// base64 producers wrap it.
	line := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("palaver!"), 57)) // 608 characters
	var chunk []byte
	for len(chunk) < 64<<10 {
		chunk = append(chunk, line...)
		chunk = append(chunk, '\n')
	}
	return &photoStream{
		size:  size,
		chunk: chunk,
		head:  []xml.Token{el("FN"), xml.CharData("Big"), end("FN"), el("PHOTO"), el("TYPE"), xml.CharData("image/png"), end("TYPE"), el("BINVAL")},
		tail:  []xml.Token{end("BINVAL"), end("PHOTO"), el("NICKNAME"), xml.CharData("after"), end("NICKNAME"), end("vCard")},
	}
}

func (p *photoStream) Token() (xml.Token, error) {
	switch {
	case len(p.head) > 0:
		tok := p.head[0]
		p.head = p.head[1:]
		return tok, nil
	case p.sent < p.size:
		// Whole lines only, so that the text stays valid base64.
		n := min(len(p.chunk), p.size-p.sent)
		n -= n % 609
		if n == 0 {
			p.size = p.sent
			return p.Token()
		}
		p.sent += n
		return xml.CharData(p.chunk[:n]), nil
	case len(p.tail) > 0:
		tok := p.tail[0]
		p.tail = p.tail[1:]
		return tok, nil
	}
	return nil, io.EOF
}

// decodedSize is what newPhotoStream(size)'s text decodes to.
func decodedSize(size int) int { return size / 609 * 456 }

func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestDecodeHugePhotoStreams(t *testing.T) {
	const textSize = 20 << 20 // 20 MiB of base64, 15 MiB decoded
	start := el("vCard")
	var (
		v   vcard.VCard
		err error
	)
	src := newPhotoStream(textSize)
	alloc := allocated(func() { v, err = vcard.Decode(src, &start) })
	if !errors.Is(err, vcard.ErrPhotoTooLarge) {
		t.Errorf("err = %v, want ErrPhotoTooLarge", err)
	}
	if src.sent < textSize-1<<20 {
		t.Errorf("only %d bytes of BINVAL read", src.sent)
	}
	if v.FullName != "Big" || v.Nickname != "after" || !v.Photo.IsEmpty() || v.Photo.Type != "" {
		t.Errorf("card = FN %q, nickname %q, photo type %q and %d bytes; want the fields before and after, no photo",
			v.FullName, v.Nickname, v.Photo.Type, len(v.Photo.Data))
	}
	// Nothing near the 20 MiB of text, nor the 15 MiB it decodes to: at
	// most what the limit lets through before giving up.
	if limit := uint64(vcard.MaxPhoto + 2<<20); alloc > limit {
		t.Errorf("decoding allocated %d MiB, want at most %d MiB", alloc>>20, limit>>20)
	}
	t.Logf("a %d MiB BINVAL: %.1f MiB allocated", textSize>>20, float64(alloc)/(1<<20))
}

func TestDecodePhotoUnderLimit(t *testing.T) {
	textSize := vcard.MaxPhoto / 3 * 4 // just under MaxPhoto decoded
	start := el("vCard")
	var (
		v   vcard.VCard
		err error
	)
	alloc := allocated(func() { v, err = vcard.Decode(newPhotoStream(textSize), &start) })
	if err != nil {
		t.Fatal(err)
	}
	want := decodedSize(textSize)
	if len(v.Photo.Data) != want || want > vcard.MaxPhoto {
		t.Fatalf("photo of %d bytes, want %d (limit %d)", len(v.Photo.Data), want, vcard.MaxPhoto)
	}
	if !bytes.Equal(v.Photo.Data[:16], []byte("palaver!palaver!")) || !bytes.Equal(v.Photo.Data[want-8:], []byte("palaver!")) {
		t.Errorf("photo data is not the pattern encoded: %q...%q", v.Photo.Data[:16], v.Photo.Data[want-8:])
	}
	// The photo, and a copy while it is joined: not the text.
	if limit := uint64(2*want + 2<<20); alloc > limit {
		t.Errorf("decoding allocated %d MiB, want at most %d MiB", alloc>>20, limit>>20)
	}
}

// A photo of exactly MaxPhoto bytes is kept; one byte more is not.
func TestDecodePhotoLimitExact(t *testing.T) {
	for _, tc := range []struct {
		size int
		err  error
	}{{vcard.MaxPhoto, nil}, {vcard.MaxPhoto + 1, vcard.ErrPhotoTooLarge}} {
		data := make([]byte, tc.size)
		data[tc.size-1] = 0xfe
		start := el("vCard")
		ts := tokens{el("PHOTO"), el("BINVAL"), xml.CharData(base64.StdEncoding.EncodeToString(data)), end("BINVAL"), end("PHOTO"),
			el("FN"), xml.CharData("x"), end("FN"), end("vCard")}
		v, err := vcard.Decode(&ts, &start)
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("%d bytes: err = %v, want %v", tc.size, err, tc.err)
		}
		if want := tc.err == nil; bytes.Equal(v.Photo.Data, data) != want || v.FullName != "x" {
			t.Errorf("%d bytes: kept %d bytes, FN %q", tc.size, len(v.Photo.Data), v.FullName)
		}
	}
}

func iq(s string) (vcard.VCard, error) {
	r, start, _ := split(s)
	return vcard.DecodeIQ(r, start)
}

func TestDecodeIQ(t *testing.T) {
	for i, tc := range []struct {
		in        string
		want      vcard.VCard
		condition stanza.Condition // of a stanza error
		err       error            // else
	}{
		0: {in: `<iq type="result" id="1" from="a@b">` + open + `<FN>A</FN></vCard></iq>`, want: vcard.VCard{FullName: "A"}},
		1: {in: `<iq type="result" id="1"/>`},
		2: {in: `<iq type="result" id="1"><other xmlns="urn:x"><vCard xmlns="vcard-temp"><FN>no</FN></vCard></other>` + open + `<FN>A</FN></vCard>` + open + `<FN>B</FN></vCard></iq>`, want: vcard.VCard{FullName: "A"}},
		3: {in: `<iq type="error" id="1"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`, condition: stanza.ItemNotFound},
		4: {in: `<iq type="error" id="1">` + open + `</vCard><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">no way</text></error></iq>`, condition: stanza.Forbidden},
		5: {in: `<iq type="error" id="1"/>`, condition: stanza.UndefinedCondition},
		6: {in: `<iq type="result" id="1">` + open + `<FN>A</FN><PHOTO><BINVAL>!!</BINVAL></PHOTO></vCard></iq>`, want: vcard.VCard{FullName: "A"}, err: vcard.ErrBadPhoto},
		7: {in: `<iq type="result" id="1">` + open + `<FN>A</FN></iq>`, err: errMalformed},
		8: {in: `<iq type="result" from="@@@" id="1"/>`, err: errMalformed},
		9: {in: `<message/>`, err: errMalformed},
	} {
		v, err := iq(tc.in)
		var se stanza.Error
		switch {
		case tc.condition != "":
			var sp *stanza.Error
			if !errors.As(err, &se) || se.Condition != tc.condition {
				t.Errorf("%d: err = %v, want stanza.Error %s", i, err, tc.condition)
			}
			if !errors.As(err, &sp) || sp.Condition != tc.condition {
				t.Errorf("%d: errors.As(*stanza.Error) fails for %v", i, err)
			}
		case tc.err == errMalformed:
			if err == nil || errors.As(err, &se) {
				t.Errorf("%d: err = %v, want a decoding error", i, err)
			}
		case !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil):
			t.Errorf("%d: err = %v, want %v", i, err, tc.err)
		}
		if !reflect.DeepEqual(v, tc.want) {
			t.Errorf("%d: got %+v, want %+v", i, v, tc.want)
		}
	}
}

var errMalformed = errors.New("any decoding error")

func TestNotAllowed(t *testing.T) {
	for i, tc := range []struct {
		err  error
		want bool
	}{
		0: {nil, false},
		1: {errors.New("forbidden"), false},
		2: {stanza.Error{Condition: stanza.Forbidden}, true},
		3: {stanza.Error{Condition: stanza.NotAllowed}, true},
		4: {stanza.Error{Condition: stanza.FeatureNotImplemented}, true},
		5: {stanza.Error{Condition: stanza.ServiceUnavailable}, true},
		6: {stanza.Error{Condition: stanza.BadRequest}, false},
		7: {stanza.Error{Condition: stanza.NotAcceptable}, false},
		8: {stanza.Error{Condition: stanza.ItemNotFound}, false},
		9: {stanza.Error{Condition: stanza.InternalServerError}, false},
	} {
		if got := vcard.NotAllowed(tc.err); got != tc.want {
			t.Errorf("%d: NotAllowed(%v) = %v, want %v", i, tc.err, got, tc.want)
		}
	}
	// The errors DecodeIQ gives, too.
	_, err := iq(`<iq type="error" id="1"><error type="cancel"><not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
	if !vcard.NotAllowed(err) {
		t.Errorf("NotAllowed(%v) = false", err)
	}
}
