package xmllimit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

const header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='a1b2c3' from='example.net' version='1.0' xml:lang='en'>`

// samples are streams a real server sends; the fuzz corpus starts from them.
var samples = []string{
	header + `<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`,
	header + `<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>` +
		`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9</success>`,
	header + `<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/><csi xmlns='urn:xmpp:csi:0'/></stream:features>` +
		"\n " + `<iq type='result' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>juliet@example.net/balcony</jid></bind></iq>` + " \n",
	header + `<message from='romeo@example.net/orchard' to='juliet@example.net/balcony' type='chat' id='ktx72v49'>` +
		`<body>Art thou not Romeo, &amp; a Montague? 1 &lt; 2 &gt; 0 &#x263a; &#9731; "quoted" 'too'</body>` +
		`<active xmlns='http://jabber.org/protocol/chatstates'/><!-- a comment, with <tags> & --></message>`,
	header + `<presence from='romeo@example.net/orchard' xml:lang="en"><show>away</show><status a="x>y" b='/>' c="it's" d='say "hi"'>be right back</status>` +
		`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://palaver.im' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence> <presence/>` + "\t\r\n",
	header + `<message><body><![CDATA[</message><a><b> & < ]] ]>]]></body></message><iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>`,
	`<?xml version="1.0" encoding="UTF-8"?><!-- hello --><?pi data?>` + header[len(`<?xml version='1.0'?>`):] + `<a><b><c><d/></c></b></a><?x y?></stream:stream>`,
	`<!DOCTYPE x [<!ENTITY a "<b>"> <!-- c > --> ]><x y='1'/>`,
	header + `<message id='é'><bödy xmlns:x='urn:x' x:ä='ö'>ünïcödé ✓</bödy></message>`,
}

func TestNormalStreamsPassUnchanged(t *testing.T) {
	for i, s := range samples {
		for _, ch := range chunkings {
			for _, buf := range []int{1, 7, 4096} {
				got, err := readAll([]byte(s), DefaultLimits, ch.split(), buf)
				if err != nil {
					t.Errorf("sample %d, %s reads into %d bytes: %v", i, ch.name, buf, err)
				}
				if string(got) != s {
					t.Errorf("sample %d, %s reads into %d bytes: the bytes changed", i, ch.name, buf)
				}
			}
		}
	}
}

// limitCase is a stream built around n: with n at the limit it must pass,
// with n one more it must fail at offset at(n).
type limitCase struct {
	name   string
	limits Limits
	limit  int
	what   string
	build  func(n int) string
	at     func(n int) int // where the limit is crossed, for n = limit+1
}

func limitCases() []limitCase {
	h := len(header)
	stanza := func(n int) string { // a <message> of n bytes
		open, close := "<message><body>", "</body></message>"
		return open + strings.Repeat("x", n-len(open)-len(close)) + close
	}
	nest := func(n int) string { // a stanza with elements n deep
		return "<m>" + strings.Repeat("<a>", n-1) + strings.Repeat("</a>", n-1) + "</m>"
	}
	attrs := func(n int) string {
		var b strings.Builder
		b.WriteString("<presence")
		for i := range n {
			fmt.Fprintf(&b, " a%d='%d'", i, i)
		}
		b.WriteString("/>")
		return b.String()
	}
	return []limitCase{
		{
			name: "stanza", limits: Limits{StanzaBytes: 1000}, limit: 1000, what: WhatStanza,
			build: func(n int) string { return header + stanza(n) + "<presence/>" },
			at:    func(n int) int { return h + 1000 },
		},
		{
			name: "stanza of nested elements", limits: Limits{StanzaBytes: 100}, limit: 100, what: WhatStanza,
			build: func(n int) string {
				return header + "<iq><q>" + strings.Repeat(" ", n-len("<iq><q></q></iq>")) + "</q></iq>"
			},
			at: func(n int) int { return h + 100 },
		},
		{
			name: "depth", limits: Limits{Depth: 10}, limit: 10, what: WhatDepth,
			build: func(n int) string { return header + nest(n) },
			at:    func(n int) int { return h + 3 + 3*9 + 1 },
		},
		{
			name: "element name", limits: Limits{TokenBytes: 50}, limit: 50, what: WhatName,
			build: func(n int) string { return header + "<m><" + strings.Repeat("n", n) + "/></m>" },
			at:    func(n int) int { return h + 4 + 50 },
		},
		{
			name: "end tag name", limits: Limits{TokenBytes: 50}, limit: 50, what: WhatName,
			build: func(n int) string { return header + "<m></" + strings.Repeat("n", n) + "></m>" },
			at:    func(n int) int { return h + 5 + 50 },
		},
		{
			name: "attribute name", limits: Limits{TokenBytes: 50}, limit: 50, what: WhatName,
			build: func(n int) string { return header + "<m " + strings.Repeat("n", n) + "='v'/>" },
			at:    func(n int) int { return h + 3 + 50 },
		},
		{
			name: "attribute value", limits: Limits{TokenBytes: 50}, limit: 50, what: WhatValue,
			build: func(n int) string { return header + `<m a="` + strings.Repeat("<", 0) + strings.Repeat("v", n) + `"/>` },
			at:    func(n int) int { return h + 6 + 50 },
		},
		{
			name: "attribute value in the stream header", limits: Limits{TokenBytes: 50}, limit: 50, what: WhatValue,
			build: func(n int) string { return `<stream:stream id='` + strings.Repeat("i", n) + `'>` },
			at:    func(n int) int { return 19 + 50 },
		},
		{
			name: "attributes", limits: Limits{Attrs: 20}, limit: 20, what: WhatAttrs,
			build: func(n int) string { return header + attrs(n) },
			at:    func(n int) int { return h + len(attrs(20)) - 2 + len(" a20=") },
		},
		{
			name: "whitespace between stanzas", limits: Limits{BetweenBytes: 100}, limit: 100, what: WhatBetween,
			build: func(n int) string { return header + "<a/>" + strings.Repeat(" ", n) + "<b/>" },
			at:    func(n int) int { return h + 4 + 100 },
		},
		{
			name: "whitespace before the first stanza", limits: Limits{BetweenBytes: 100}, limit: 100, what: WhatBetween,
			build: func(n int) string { return header + strings.Repeat("\n", n) + "<b/>" },
			at:    func(n int) int { return h + 100 },
		},
		{
			name: "a comment between stanzas", limits: Limits{BetweenBytes: 100}, limit: 100, what: WhatBetween,
			build: func(n int) string { return header + "<a/>" + "<!--" + strings.Repeat("c", n-7) + "--><b/>" },
			at:    func(n int) int { return h + 4 + 100 },
		},
		{
			name: "text and the stream's end", limits: Limits{BetweenBytes: 100}, limit: 100, what: WhatBetween,
			build: func(n int) string {
				return header + "<a/>" + strings.Repeat("t", n-len("</stream:stream>")) + "</stream:stream>"
			},
			at: func(n int) int { return h + 4 + 100 },
		},
		{
			// The '<' ending the allowance starts no stanza: it is the byte too many.
			name: "whitespace then a comment", limits: Limits{BetweenBytes: 100}, limit: 100, what: WhatBetween,
			build: func(n int) string { return header + strings.Repeat(" ", n-7) + "<!---->" },
			at:    func(n int) int { return h + 100 },
		},
		{
			name: "stream header", limits: Limits{HeaderBytes: len(header)}, limit: len(header), what: WhatHeader,
			build: func(n int) string {
				return header[:len(header)-1] + strings.Repeat(" ", n-len(header)) + "><a/>"
			},
			at: func(n int) int { return h },
		},
		{
			name: "prolog", limits: Limits{HeaderBytes: 300}, limit: 300, what: WhatHeader,
			build: func(n int) string { return strings.Repeat(" ", n-len(header)) + header + "<a/>" },
			at:    func(n int) int { return 300 },
		},
	}
}

func TestLimitsTriggerExactlyWhenCrossed(t *testing.T) {
	for _, tc := range limitCases() {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.build(tc.limit)
			over := tc.build(tc.limit + 1)
			for _, ch := range chunkings {
				got, err := readAll([]byte(at), tc.limits, ch.split(), 512)
				if err != nil || string(got) != at {
					t.Fatalf("%s: at the limit: %v", ch.name, err)
				}
				got, err = readAll([]byte(over), tc.limits, ch.split(), 512)
				var le *LimitError
				if !errors.As(err, &le) {
					t.Fatalf("%s: one over the limit: error %v", ch.name, err)
				}
				want := LimitError{What: tc.what, Limit: tc.limit, Offset: int64(tc.at(tc.limit + 1))}
				if *le != want {
					t.Fatalf("%s: one over the limit: got %+v, want %+v", ch.name, *le, want)
				}
				if len(got) > int(le.Offset) || !strings.HasPrefix(over, string(got)) {
					t.Fatalf("%s: passed %d bytes, past the crossing at %d", ch.name, len(got), le.Offset)
				}
			}
		})
	}
}

func TestEndlessStanzaStopsAtSizeLimit(t *testing.T) {
	l := Limits{StanzaBytes: 64 << 10}
	stream := header + "<message><body>" + strings.Repeat("all work and no play ", 10000)
	for _, ch := range chunkings {
		got, err := readAll([]byte(stream), l, ch.split(), 4096)
		var le *LimitError
		if !errors.As(err, &le) || le.What != WhatStanza {
			t.Fatalf("%s: %v", ch.name, err)
		}
		if len(got) != len(header)+64<<10 {
			t.Fatalf("%s: passed %d bytes", ch.name, len(got))
		}
	}
}

func TestDeepNestingStopsAtDepthLimit(t *testing.T) {
	stream := header + strings.Repeat("<a>", 100000)
	for _, ch := range chunkings {
		got, err := readAll([]byte(stream), DefaultLimits, ch.split(), 4096)
		var le *LimitError
		if !errors.As(err, &le) || le.What != WhatDepth || le.Limit != 64 {
			t.Fatalf("%s: %v", ch.name, err)
		}
		if n := strings.Count(string(got), "<a>"); n != 64 {
			t.Fatalf("%s: %d elements passed", ch.name, n)
		}
	}
}

func TestHugeAttributeStopped(t *testing.T) {
	stream := header + "<message to='" + strings.Repeat("a", 1<<20) + "'/>"
	got, err := readAll([]byte(stream), DefaultLimits, randomSplits(7), 32<<10)
	var le *LimitError
	if !errors.As(err, &le) || le.What != WhatValue {
		t.Fatalf("%v", err)
	}
	if want := len(header) + len("<message to='") + 64<<10; len(got) != want {
		t.Fatalf("passed %d bytes, want %d", len(got), want)
	}
	if err.Error() != "the server sent an attribute value longer than 64 KiB" {
		t.Fatalf("message %q", err)
	}
}

func TestCDATADoesNotChangeDepth(t *testing.T) {
	for _, cdata := range []string{
		"<![CDATA[</message>]]>",
		"<![CDATA[<message><a><b>]]>",
		"<![CDATA[ < </ <!-- ]]]]>",
		"<![CDATA[]]>",
		"<![CDATA[]]]>",
		"<!-- </message> <a> -->",
		"<!---->",
		"<?pi </message> ?>",
	} {
		stream := header + "<message><body>" + cdata + "</body></message>"
		for _, ch := range chunkings {
			s := newScanner(DefaultLimits)
			c := &fakeConn{data: []byte(stream), split: ch.split()}
			buf := make([]byte, 100)
			for len(c.data) > 0 {
				n, _ := c.Read(buf)
				if _, err := s.scan(buf[:n]); err != nil {
					t.Fatal(err)
				}
			}
			if s.depth != 1 || s.region != regBetween {
				t.Fatalf("%q, %s: depth %d region %d after the message", cdata, ch.name, s.depth, s.region)
			}
		}
	}
	// With CDATA, the stanza ends where encoding/xml ends it: the bytes
	// after it are not the stanza's.
	l := Limits{StanzaBytes: 60}
	stream := header + "<message><![CDATA[</message>]]></message>" + strings.Repeat("<a/>", 100)
	if _, err := readAll([]byte(stream), l, oneByte, 1); err != nil {
		t.Fatal(err)
	}
	stream = header + "<message><![CDATA[</message>]]>" + strings.Repeat("<a/>", 100)
	if _, err := readAll([]byte(stream), l, oneByte, 1); err == nil {
		t.Fatal("a stanza left open by CDATA was not stopped")
	}
}

func TestStreamRestart(t *testing.T) {
	l := Limits{StanzaBytes: 200, HeaderBytes: 300}
	var stanzas strings.Builder
	for range 100 {
		stanzas.WriteString("<presence from='a@example.net/r'><show>away</show></presence>")
	}
	before := header + `<stream:features/><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`
	open := []byte(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.net' version='1.0'>`)

	for _, after := range []string{
		header + stanzas.String(),
		"\n" + header + stanzas.String(),
		`<s:stream xmlns='jabber:client' xmlns:s='http://etherx.jabber.org/streams' version='1.0'>` + stanzas.String(),
	} {
		for _, ch := range chunkings {
			// The client opens its stream and reads up to <success/>, then
			// opens a new stream and reads the server's.
			fc := &fakeConn{split: ch.split()}
			c := Wrap(fc, l)
			buf := make([]byte, 100)
			for _, phase := range []string{before, after} {
				c.Write(open)
				fc.data = []byte(phase)
				for len(fc.data) > 0 {
					if _, err := c.Read(buf); err != nil {
						t.Fatalf("%q, %s: %v", after[:20], ch.name, err)
					}
				}
			}
		}
	}

	// Without the client's new header, the server's is no restart: the
	// old stream's stanza never ends.
	_, err := readAll([]byte(before+header+stanzas.String()), l, whole, 4096)
	var le *LimitError
	if !errors.As(err, &le) || le.What != WhatStanza {
		t.Fatalf("a header the client did not ask for was taken as a restart: %v", err)
	}
}

func TestTLSHandshakeBypasses(t *testing.T) {
	data := append([]byte(header+"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), bytes.Repeat([]byte("\x17\x03\x03<a>"), 100000)...)
	fc := &fakeConn{data: data, split: randomSplits(1)}
	c := Wrap(fc, DefaultLimits)
	buf := make([]byte, 4096)
	n := 0
	for n < len(header)+50 {
		k, err := c.Read(buf[:min(len(buf), len(header)+50-n)])
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	c.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00}) // a ClientHello
	for {
		k, err := c.Read(buf)
		n += k
		if err != nil {
			if n != len(data) || !errors.Is(err, io.EOF) {
				t.Fatalf("after %d bytes: %v", n, err)
			}
			break
		}
	}
}

func TestErrorIsSticky(t *testing.T) {
	c := Wrap(&fakeConn{data: []byte(header + strings.Repeat("<a>", 70) + "</a>"), split: whole}, DefaultLimits)
	buf := make([]byte, 1<<10)
	_, err1 := c.Read(buf)
	n, err2 := c.Read(buf)
	if err1 == nil || err2 != err1 || n != 0 {
		t.Fatalf("first %v, then %d bytes and %v", err1, n, err2)
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		e    LimitError
		want string
	}{
		{LimitError{What: WhatStanza, Limit: 32 << 20}, "the server sent a stanza larger than 32 MiB"},
		{LimitError{What: WhatDepth, Limit: 64}, "the server sent elements nested more than 64 deep"},
		{LimitError{What: WhatName, Limit: 64 << 10}, "the server sent a name longer than 64 KiB"},
		{LimitError{What: WhatAttrs, Limit: 256}, "the server sent an element with more than 256 attributes"},
		{LimitError{What: WhatBetween, Limit: 1 << 20}, "the server sent more than 1 MiB between two stanzas"},
		{LimitError{What: WhatHeader, Limit: 1000}, "the server sent a stream header larger than 1000 bytes"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
}
