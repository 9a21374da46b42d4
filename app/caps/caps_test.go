package caps_test

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/disco/info"
	"mellium.im/xmpp/form"

	"github.com/palaver-im/palaver/app/caps"
)

// decodeQuery decodes a disco#info <query/> written as XML text.
func decodeQuery(t testing.TB, s string, lim caps.Limits) (disco.Info, error) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("no start element in %q: %v", s, err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			return caps.DecodeInfo(d, &start, lim)
		}
	}
}

// The examples of XEP-0115 §5.2 (simple) and §5.3 (complex, with a
// XEP-0128 form), as the disco#info answers that carry them.
const (
	simpleExample = `<query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='>
  <identity category='client' name='Exodus 0.9.1' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
</query>`
	complexExample = `<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>
  <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
  <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
  <x xmlns='jabber:x:data' type='result'>
    <field var='FORM_TYPE' type='hidden'>
      <value>urn:xmpp:dataforms:softwareinfo</value>
    </field>
    <field var='ip_version' type='text-multi'>
      <value>ipv4</value>
      <value>ipv6</value>
    </field>
    <field var='os'>
      <value>Mac</value>
    </field>
    <field var='os_version'>
      <value>10.5.1</value>
    </field>
    <field var='software'>
      <value>Psi</value>
    </field>
    <field var='software_version'>
      <value>0.11</value>
    </field>
  </x>
</query>`
)

// form returns a XEP-0128 form of type formType with the fields given.
func xform(formType string, hidden bool, fields ...form.Field) form.Data {
	ft := form.Text("FORM_TYPE", form.Value(formType))
	if hidden {
		ft = form.Hidden("FORM_TYPE", form.Value(formType))
	}
	return *form.New(append([]form.Field{ft}, fields...)...)
}

func features(vars ...string) []info.Feature {
	f := make([]info.Feature, len(vars))
	for i, v := range vars {
		f[i] = info.Feature{Var: v}
	}
	return f
}

func TestVer(t *testing.T) {
	exodus := []info.Identity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}}
	exodusFeatures := features("http://jabber.org/protocol/disco#info", caps.NS, "http://jabber.org/protocol/muc", "http://jabber.org/protocol/disco#items")
	for i, tc := range [...]struct {
		name string
		xml  string     // the answer as XML, or
		info disco.Info // the answer as a value
		s    string     // the verification string, if given
		ver  string
		err  error
	}{
		0: {
			name: "XEP-0115 §5.2 simple example",
			xml:  simpleExample,
			s:    "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<",
			ver:  "QgayPKawpkPSDYmwT/WM94uAlu0=",
		},
		1: {
			name: "XEP-0115 §5.3 complex example",
			xml:  complexExample,
			s: "client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
				"http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<" +
				"ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<",
			ver: "q07IKJEyjvHSyhy//CH0CxmKi8w=",
		},
		2: {
			name: "the simple example in another order",
			info: disco.Info{Identity: exodus, Features: exodusFeatures},
			ver:  "QgayPKawpkPSDYmwT/WM94uAlu0=",
		},
		3: {
			// mellium's disco.Info.Hash panics here.
			name: "a form without fields is left out",
			info: disco.Info{Identity: exodus, Features: exodusFeatures, Form: []form.Data{*form.New()}},
			ver:  "QgayPKawpkPSDYmwT/WM94uAlu0=",
		},
		4: {
			name: "a form whose FORM_TYPE is not hidden is left out (§5.4 3.6)",
			info: disco.Info{Identity: exodus, Features: exodusFeatures, Form: []form.Data{xform("urn:example", false, form.Text("a", form.Value("b")))}},
			ver:  "QgayPKawpkPSDYmwT/WM94uAlu0=",
		},
		5: {
			name: "forms are sorted by FORM_TYPE",
			info: disco.Info{Form: []form.Data{
				xform("urn:b", true, form.Text("y", form.Value("2")), form.Text("x", form.Value("1"))),
				xform("urn:a", true, form.Text("z", form.Value("3"))),
			}},
			s: "urn:a<z<3<urn:b<x<1<y<2<",
		},
		6: {
			name: "a feature twice (§5.4 3.4)",
			info: disco.Info{Identity: exodus, Features: features("urn:a", "urn:b", "urn:a")},
			err:  caps.ErrIllFormed,
		},
		7: {
			name: "an identity twice (§5.4 3.3)",
			info: disco.Info{Identity: append(append([]info.Identity(nil), exodus...), exodus...)},
			err:  caps.ErrIllFormed,
		},
		8: {
			name: "two forms of one FORM_TYPE (§5.4 3.5)",
			info: disco.Info{Form: []form.Data{xform("urn:a", true), xform("urn:a", true)}},
			err:  caps.ErrIllFormed,
		},
		9: {
			name: "a FORM_TYPE with two values (§5.4 3.5)",
			info: disco.Info{Form: []form.Data{*form.New(form.Hidden("FORM_TYPE", form.Value("urn:a"), form.Value("urn:b")))}},
			err:  caps.ErrIllFormed,
		},
		10: {
			name: "nothing at all",
			s:    "",
			ver:  "2jmj7l5rSw0yVb/vlWAYkK/YBwk=", // SHA-1 of the empty string
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.info
			if tc.xml != "" {
				var err error
				if in, err = decodeQuery(t, tc.xml, caps.DefaultLimits); err != nil {
					t.Fatalf("%d: decoding: %v", i, err)
				}
			}
			before := len(in.Features)
			s, err := caps.VerificationString(in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("%d: error %v, want %v", i, err, tc.err)
			}
			if tc.err != nil {
				return
			}
			if (tc.s != "" || tc.ver == "2jmj7l5rSw0yVb/vlWAYkK/YBwk=") && s != tc.s {
				t.Errorf("%d: S = %q, want %q", i, s, tc.s)
			}
			if tc.ver != "" {
				ver, err := caps.Ver(caps.SHA1, in)
				if err != nil || ver != tc.ver {
					t.Errorf("%d: ver = %q, %v; want %q", i, ver, err, tc.ver)
				}
			}
			if len(in.Features) != before || (tc.info.Features != nil && in.Features[0] != tc.info.Features[0]) {
				t.Errorf("%d: the caller's features were changed", i)
			}
		})
	}
}

func TestVerHashes(t *testing.T) {
	in, err := decodeQuery(t, simpleExample, caps.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range [...]struct {
		hash string
		size int // base64 length, 0 when unsupported
	}{
		0: {caps.SHA1, 28},
		1: {"sha-256", 44},
		2: {"sha-512", 88},
		3: {"md5", 0},
		4: {"", 0},
	} {
		ver, err := caps.Ver(tc.hash, in)
		if tc.size == 0 {
			if !errors.Is(err, caps.ErrUnsupportedHash) || caps.Supported(tc.hash) {
				t.Errorf("%d: %s: %q, %v; want unsupported", i, tc.hash, ver, err)
			}
			continue
		}
		if err != nil || len(ver) != tc.size || !caps.Supported(tc.hash) {
			t.Errorf("%d: %s: %q, %v", i, tc.hash, ver, err)
		}
		if c := (caps.Caps{Hash: tc.hash, Node: "n", Ver: ver}); !c.Checkable() {
			t.Errorf("%d: %+v is not checkable", i, c)
		}
	}
}

func TestCheckable(t *testing.T) {
	for i, tc := range [...]struct {
		c    caps.Caps
		want bool
	}{
		0: {caps.Caps{Hash: "sha-1", Node: "https://palaver.im", Ver: "QgayPKawpkPSDYmwT/WM94uAlu0="}, true},
		1: {caps.Caps{Hash: "sha-1", Node: "", Ver: "QgayPKawpkPSDYmwT/WM94uAlu0="}, false},
		2: {caps.Caps{Hash: "", Node: "n", Ver: "QgayPKawpkPSDYmwT/WM94uAlu0="}, false},
		3: {caps.Caps{Hash: "sha-1", Node: "n", Ver: "not base64 at all, really"}, false},
		4: {caps.Caps{Hash: "sha-1", Node: "n", Ver: "QgayPKawpkPSDYmwT/WM94uAlu0=AAAA"}, false},
		5: {caps.Caps{Hash: "sha-1", Node: "n", Ver: "1.0"}, false},
		6: {caps.Caps{Hash: "sha-1", Node: strings.Repeat("n", caps.MaxAttrLen+1), Ver: "QgayPKawpkPSDYmwT/WM94uAlu0="}, false},
	} {
		if got := tc.c.Checkable(); got != tc.want {
			t.Errorf("%d: %+v checkable = %v, want %v", i, tc.c, got, tc.want)
		}
	}
}

func TestEncode(t *testing.T) {
	c := caps.Caps{Hash: caps.SHA1, Node: "https://palaver.im", Ver: "a/b+c="}
	var sb strings.Builder
	e := xml.NewEncoder(&sb)
	if _, err := c.WriteXML(e); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	const want = `<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="https://palaver.im" ver="a/b+c="></c>`
	if sb.String() != want {
		t.Errorf("encoded\n%s\nwant\n%s", sb.String(), want)
	}
	if c.NodeVer() != "https://palaver.im#a/b+c=" {
		t.Errorf("NodeVer = %q", c.NodeVer())
	}
	// What is written reads back.
	got, err := decodeC(sb.String())
	if err != nil || got != c {
		t.Errorf("read back %+v, %v", got, err)
	}
}

// decodeC decodes a <c/> written as XML text.
func decodeC(s string) (caps.Caps, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return caps.Caps{}, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			return caps.Decode(d, &start)
		}
	}
}

func TestDecode(t *testing.T) {
	for i, tc := range [...]struct {
		xml  string
		want caps.Caps
		ok   bool
	}{
		0: {`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://psi-im.org' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>`,
			caps.Caps{Hash: "sha-1", Node: "http://psi-im.org", Ver: "q07IKJEyjvHSyhy//CH0CxmKi8w="}, true},
		// The legacy format (XEP-0115 before 1.4): no hash, an ext.
		1: {`<c xmlns='http://jabber.org/protocol/caps' node='http://exodus.jabberstudio.org/caps' ver='0.9' ext='jingle'/>`,
			caps.Caps{Node: "http://exodus.jabberstudio.org/caps", Ver: "0.9"}, true},
		// Children and unknown or namespaced attributes are ignored.
		2: {`<c xmlns='http://jabber.org/protocol/caps' xmlns:o='urn:other' o:ver='x' hash='sha-1' node='n' ver='v' new='1'><x><y/></x>text</c>`,
			caps.Caps{Hash: "sha-1", Node: "n", Ver: "v"}, true},
		3: {`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n'/>`, caps.Caps{}, false},
		4: {`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' ver='v'/>`, caps.Caps{}, false},
		5: {`<c xmlns='urn:other' hash='sha-1' node='n' ver='v'/>`, caps.Caps{}, false},
		6: {`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='` + strings.Repeat("v", caps.MaxAttrLen+1) + `'/>`, caps.Caps{}, false},
		7: {`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'>` + strings.Repeat("<x/>", 100) + `</c>`, caps.Caps{}, false},
		8: {`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'><x>`, caps.Caps{}, false},
	} {
		got, err := decodeC(tc.xml)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%d: %+v, %v; want %+v (ok %v)", i, got, err, tc.want, tc.ok)
		}
	}
}

func TestDecodeInfoLimits(t *testing.T) {
	many := func(n int, el string) string {
		return `<query xmlns='http://jabber.org/protocol/disco#info'>` + strings.Repeat(el, n) + `</query>`
	}
	for i, tc := range [...]struct {
		xml string
		lim caps.Limits
		err error
	}{
		0: {simpleExample, caps.DefaultLimits, nil},
		1: {complexExample, caps.DefaultLimits, nil},
		2: {many(caps.DefaultLimits.Features, `<feature var='urn:x'/>`), caps.DefaultLimits, nil},
		3: {many(caps.DefaultLimits.Features+1, `<feature var='urn:x'/>`), caps.DefaultLimits, caps.ErrTooLarge},
		4: {many(caps.DefaultLimits.Identities+1, `<identity category='client' type='pc'/>`), caps.DefaultLimits, caps.ErrTooLarge},
		5: {many(100000, `<feature var='urn:x'/>`), caps.DefaultLimits, caps.ErrTooLarge},
		6: {many(1, `<feature var='`+strings.Repeat("x", 200<<10)+`'/>`), caps.DefaultLimits, caps.ErrTooLarge},
		7: {many(1, `<unknown>`+strings.Repeat("text ", 40<<10)+`</unknown>`), caps.DefaultLimits, caps.ErrTooLarge},
		8: {simpleExample, caps.Limits{Tokens: 5, Bytes: 1 << 20, Identities: 9, Features: 9, Forms: 9}, caps.ErrTooLarge},
		9: {`<query xmlns='urn:other'/>`, caps.DefaultLimits, errors.New("any")},
	} {
		_, err := decodeQuery(t, tc.xml, tc.lim)
		switch {
		case tc.err == nil && err != nil:
			t.Errorf("%d: %v", i, err)
		case tc.err != nil && err == nil:
			t.Errorf("%d: no error, want %v", i, tc.err)
		case tc.err == caps.ErrTooLarge && !errors.Is(err, caps.ErrTooLarge):
			t.Errorf("%d: %v, want %v", i, err, tc.err)
		}
	}
}

// FuzzDecode feeds the <c/> decoder and the disco#info decoder any input:
// neither may panic, and what they accept hashes without panicking.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		simpleExample, complexExample,
		`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://psi-im.org' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>`,
		`<c xmlns='http://jabber.org/protocol/caps' node='n' ver='0.9' ext='a b'/>`,
		`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'><x><y/></x></c>`,
		`<query xmlns='http://jabber.org/protocol/disco#info'><x xmlns='jabber:x:data'/></query>`,
		`<query xmlns='http://jabber.org/protocol/disco#info'><x xmlns='jabber:x:data'><field var='FORM_TYPE' type='hidden'/><field/></x></query>`,
		`<query xmlns='http://jabber.org/protocol/disco#info'><identity/><feature/><feature/></query>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := decodeC(s); err == nil {
			_ = c.Checkable()
		}
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			tok, err := d.Token()
			if err != nil {
				return
			}
			if start, ok := tok.(xml.StartElement); ok {
				in, err := caps.DecodeInfo(d, &start, caps.DefaultLimits)
				if err == nil {
					_, _ = caps.Ver(caps.SHA1, in)
				}
				return
			}
		}
	})
}
