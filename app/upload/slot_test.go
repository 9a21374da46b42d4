package upload_test

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"mellium.im/xmlstream"

	"github.com/palaver-im/palaver/app/upload"
)

func TestRequestEncodes(t *testing.T) {
	var b strings.Builder
	e := xml.NewEncoder(&b)
	q := upload.Request{Filename: "a <b>.jpg", Size: 1234, ContentType: "image/jpeg"}
	if _, err := xmlstream.Copy(e, q.TokenReader()); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `<request xmlns="urn:xmpp:http:upload:0" filename="a &lt;b&gt;.jpg" size="1234" content-type="image/jpeg"></request>`
	if b.String() != want {
		t.Fatalf("got  %s\nwant %s", b.String(), want)
	}
}

func decode(s string) (upload.Slot, error) {
	return upload.DecodeResponse(xml.NewDecoder(strings.NewReader(s)))
}

func TestDecodeSlot(t *testing.T) {
	const ok = `<iq type='result' id='x'>
 <slot xmlns='urn:xmpp:http:upload:0'>
  <put url='https://up.example/p/1'>
   <header name='Authorization'>Bearer
 abc</header>
   <header name='cookie'>c=1</header>
   <header name='Expires'>Tue</header>
   <header name='Host'>evil</header>
   <header name='Content-Type'>text/html</header>
  </put>
  <get url='https://dl.example/g/1'/>
 </slot>
</iq>`
	s, err := decode(ok)
	if err != nil {
		t.Fatal(err)
	}
	if s.Put != "https://up.example/p/1" || s.Get != "https://dl.example/g/1" {
		t.Fatalf("%v", s)
	}
	if got := s.Header.Get("Authorization"); got != "Bearer abc" {
		t.Errorf("Authorization %q", got)
	}
	if s.Header.Get("Cookie") != "c=1" || s.Header.Get("Expires") != "Tue" || len(s.Header) != 3 {
		t.Errorf("headers %v", s.Header)
	}
}

func TestDecodeSlotRefuses(t *testing.T) {
	for i, tc := range map[int]struct {
		in   string
		want error
	}{
		0: {`<iq type='result'><slot xmlns='urn:xmpp:http:upload:0'><put url='http://a/p'/><get url='https://a/g'/></slot></iq>`, upload.ErrNotHTTPS},
		1: {`<iq type='result'><slot xmlns='urn:xmpp:http:upload:0'><put url='https://a/p'/><get url='ftp://a/g'/></slot></iq>`, upload.ErrNotHTTPS},
		2: {`<iq type='result'><slot xmlns='urn:xmpp:http:upload:0'><put url='https://u:p@a/p'/><get url='https://a/g'/></slot></iq>`, upload.ErrNotHTTPS},
		3: {`<iq type='result'><slot xmlns='urn:xmpp:http:upload:0'><get url='https://a/g'/></slot></iq>`, upload.ErrMalformed},
		4: {`<iq type='result'/>`, upload.ErrMalformed},
		5: {`<iq type='result'><slot xmlns='urn:xmpp:http:upload:0'><put url='https://a/p'>`, nil}, // any error
		6: {`<iq type='error'><error type='cancel'/></iq>`, upload.ErrMalformed},
		7: {`<iq type='set'/>`, upload.ErrMalformed},
		8: {`<message type='result'/>`, upload.ErrMalformed},
		9: {`<iq type='result'><slot xmlns='urn:xmpp:http:upload:1'><put url='https://a/p'/><get url='https://a/g'/></slot></iq>`, upload.ErrMalformed},
	} {
		if _, err := decode(tc.in); err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%d: got %v, want %v", i, err, tc.want)
		}
	}
	long := `<iq type='result'><slot xmlns='urn:xmpp:http:upload:0'><put url='https://a/` + strings.Repeat("p", upload.MaxURL) + `'/><get url='https://a/g'/></slot></iq>`
	if _, err := decode(long); err == nil {
		t.Error("a URL longer than MaxURL passed")
	}
	many := `<iq type='result'><slot xmlns='urn:xmpp:http:upload:0'>` + strings.Repeat("<x/>", 2000) + `</slot></iq>`
	if _, err := decode(many); err == nil {
		t.Error("thousands of elements passed")
	}
	big := `<iq type='result'><slot xmlns='urn:xmpp:http:upload:0'><put url='https://a/p'><header name='Cookie'>` + strings.Repeat("c", upload.MaxHeaderValue+1) + `</header></put><get url='https://a/g'/></slot></iq>`
	if _, err := decode(big); err == nil {
		t.Error("a header longer than MaxHeaderValue passed")
	}
}

func TestDecodeError(t *testing.T) {
	for i, tc := range map[int]struct {
		in   string
		want upload.Error
	}{
		0: {`<iq type='error'><request xmlns='urn:xmpp:http:upload:0'/><error type='modify'>
  <not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
  <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>File too large</text>
  <file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>20000</max-file-size></file-too-large>
</error></iq>`, upload.Error{Type: "modify", Condition: "not-acceptable", Text: "File too large", TooLarge: true, MaxSize: 20000}},
		1: {`<iq type='error'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><retry xmlns='urn:xmpp:http:upload:0' stamp='2017-12-03T23:42:05Z'/></error></iq>`,
			upload.Error{Type: "wait", Condition: "resource-constraint"}},
		2: {`<iq type='error'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
			upload.Error{Type: "auth", Condition: "forbidden"}},
		3: {`<iq type='error'><error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>-5</max-file-size></file-too-large></error></iq>`,
			upload.Error{Type: "modify", Condition: "not-acceptable", TooLarge: true}},
	} {
		_, err := decode(tc.in)
		var e *upload.Error
		if !errors.As(err, &e) || *e != tc.want {
			t.Errorf("%d: got %#v, want %#v", i, err, tc.want)
		}
	}
}

func TestDecodeInfo(t *testing.T) {
	const info = `<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity category='store' type='file' name='HTTP File Upload'/>
  <feature var='urn:xmpp:http:upload:0'/>
  <x type='result' xmlns='jabber:x:data'>
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field>
    <field var='max-file-size'><value>5242880</value></field>
  </x>
  <x type='result' xmlns='jabber:x:data'>
    <field var='FORM_TYPE' type='hidden'><value>urn:other</value></field>
    <field var='max-file-size'><value>1</value></field>
  </x>
</query>`
	ok, max, err := decodeInfo(info)
	if err != nil || !ok || max != 5242880 {
		t.Fatalf("got %v %d %v", ok, max, err)
	}
	ok, max, err = decodeInfo(`<query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:http:upload:0'/></query>`)
	if err != nil || !ok || max != 0 {
		t.Fatalf("without a form: %v %d %v", ok, max, err)
	}
	ok, _, err = decodeInfo(`<query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:http:upload'/></query>`)
	if err != nil || ok {
		t.Fatalf("the old namespace: %v %v", ok, err)
	}
}

func decodeInfo(s string) (bool, int64, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	tok, err := d.Token()
	if err != nil {
		return false, 0, err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return false, 0, upload.ErrMalformed
	}
	return upload.DecodeInfo(d, &start)
}

func decodeItems(s string) ([]string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return nil, upload.ErrMalformed
	}
	return upload.DecodeItems(d, &start)
}

func TestDecodeItems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<query xmlns='http://jabber.org/protocol/disco#items'>`)
	b.WriteString(`<item jid='upload.example'/><item jid='upload.example' node='x'/><item/>`)
	for i := range 30 {
		b.WriteString(`<item jid='s` + string(rune('a'+i)) + `.example'/>`)
	}
	b.WriteString(`</query>`)
	got, err := decodeItems(b.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != upload.MaxItems || got[0] != "upload.example" || got[1] != "sa.example" {
		t.Fatalf("got %q", got)
	}
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add(`<iq type='result'><slot xmlns='urn:xmpp:http:upload:0'><put url='https://a/p'><header name='Authorization'>x</header></put><get url='https://a/g'/></slot></iq>`)
	f.Add(`<iq type='error'><error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>1</max-file-size></file-too-large></error></iq>`)
	f.Add(`<iq type='result'/>`)
	f.Fuzz(func(t *testing.T, s string) {
		slot, err := decode(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(slot.Put, "https://") && !strings.HasPrefix(strings.ToLower(slot.Put), "https:") {
			t.Fatalf("put %q", slot.Put)
		}
		if len(slot.Put) > upload.MaxURL || len(slot.Get) > upload.MaxURL {
			t.Fatal("URL too long")
		}
		n := 0
		for k, vs := range slot.Header {
			if k != "Authorization" && k != "Cookie" && k != "Expires" {
				t.Fatalf("header %q", k)
			}
			for _, v := range vs {
				n++
				if strings.ContainsAny(v, "\r\n") || len(v) > upload.MaxHeaderValue {
					t.Fatalf("value %q", v)
				}
			}
		}
		if n > upload.MaxHeaders {
			t.Fatalf("%d headers", n)
		}
	})
}

func FuzzDecodeDisco(f *testing.F) {
	f.Add(`<query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:http:upload:0'/><x type='result' xmlns='jabber:x:data'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field><field var='max-file-size'><value>5</value></field></x></query>`)
	f.Add(`<query xmlns='http://jabber.org/protocol/disco#items'><item jid='a'/><item jid='b'/></query>`)
	f.Fuzz(func(t *testing.T, s string) {
		if ok, max, err := decodeInfo(s); err == nil && (max < 0 || (!ok && max != 0)) {
			t.Fatalf("%v %d", ok, max)
		}
		if items, err := decodeItems(s); err == nil && len(items) > upload.MaxItems {
			t.Fatalf("%d items", len(items))
		}
	})
}
