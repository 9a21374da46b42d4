package im_test

import (
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// Samples from the specifications, as servers send them.
const (
	// XEP-0280 example 6.
	carbonReceived = `<message xmlns='jabber:client'
         from='romeo@montague.example'
         to='romeo@montague.example/garden'
         type='chat'>
  <received xmlns='urn:xmpp:carbons:2'>
    <forwarded xmlns='urn:xmpp:forward:0'>
      <message xmlns='jabber:client'
               from='juliet@capulet.example/balcony'
               to='romeo@montague.example/garden'
               type='chat'>
        <body>What man art thou that, thus bescreen'd in night, so stumblest on my counsel?</body>
        <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>
      </message>
    </forwarded>
  </received>
</message>`
	// XEP-0280 example 9.
	carbonSent = `<message xmlns='jabber:client'
         from='romeo@montague.example'
         to='romeo@montague.example/home'
         type='chat'>
  <sent xmlns='urn:xmpp:carbons:2'>
    <forwarded xmlns='urn:xmpp:forward:0'>
      <message xmlns='jabber:client'
               to='juliet@capulet.example/balcony'
               from='romeo@montague.example/home'
               type='chat'>
        <body>Neither, fair saint, if either thee dislike.</body>
        <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>
      </message>
    </forwarded>
  </sent>
</message>`
	// XEP-0280 example 10.
	carbonPrivate = `<message xmlns='jabber:client'
         from='romeo@montague.example/garden'
         to='juliet@capulet.example/balcony'
         type='chat'>
  <body>Neither, fair saint, if either thee dislike.</body>
  <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>
  <private xmlns='urn:xmpp:carbons:2'/>
  <no-copy xmlns='urn:xmpp:hints'/>
</message>`
	// XEP-0313 example 4, with what Prosody adds to the archived message.
	archiveResult = `<message id='aeb213' to='juliet@capulet.lit/chamber'>
  <result xmlns='urn:xmpp:mam:2' queryid='f27' id='28482-98726-73623'>
    <forwarded xmlns='urn:xmpp:forward:0'>
      <delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>
      <message xmlns='jabber:client'
        to='juliet@capulet.lit/balcony'
        from='romeo@montague.lit/orchard'
        type='chat' id='m42'>
        <body>Call me but love, and I'll be new baptized; Henceforth I never will be Romeo.</body>
        <active xmlns='http://jabber.org/protocol/chatstates'/>
        <request xmlns='urn:xmpp:receipts'/>
        <origin-id xmlns='urn:xmpp:sid:0' id='de305d54-75b4-431b-adb2-eb6b9e546013'/>
        <stanza-id xmlns='urn:xmpp:sid:0' id='28482-98726-73623' by='juliet@capulet.lit'/>
        <delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:20Z' from='capulet.lit'>Offline Storage</delay>
      </message>
    </forwarded>
  </result>
</message>`
	// XEP-0359 example 1, with a server's id after a room's.
	stanzaIDs = `<message xmlns='jabber:client' from='room@muc.xmpp.org/nick' to='juliet@capulet.example' type='chat' id='m1'>
  <body>Hi</body>
  <stanza-id xmlns='urn:xmpp:sid:0' id='5f3dbc5e-e1d3-4077-a492-693f3769c7ad' by='room@muc.xmpp.org'/>
  <origin-id xmlns='urn:xmpp:sid:0' id='de305d54-75b4-431b-adb2-eb6b9e546013'/>
  <stanza-id xmlns='urn:xmpp:sid:0' id='own-1' by='Juliet@Capulet.example'/>
</message>`
	// XEP-0184 examples 1 and 2.
	receiptRequest = `<message
    from='northumberland@shakespeare.lit/westminster'
    id='richard2-4.1.247'
    to='kingrichard@royalty.england.lit/throne'>
  <body>My lord, dispatch; read o'er these articles.</body>
  <request xmlns='urn:xmpp:receipts'/>
</message>`
	receipt = `<message
    from='kingrichard@royalty.england.lit/throne'
    id='bi29sg183b4v'
    to='northumberland@shakespeare.lit/westminster'>
  <received xmlns='urn:xmpp:receipts' id='richard2-4.1.247'/>
</message>`
)

func TestDecodeCarbons(t *testing.T) {
	m, err := decodeMessage(t, carbonReceived)
	if err != nil {
		t.Fatal(err)
	}
	f := m.Forwarded
	if f == nil || f.Kind != im.CarbonReceived || m.Body != "" || !f.Delay.IsZero() || f.QueryID != "" || f.ResultID != "" {
		t.Fatalf("received carbon: %+v", f)
	}
	if !strings.HasPrefix(f.Msg.Body, "What man art thou") || f.Msg.From.String() != "juliet@capulet.example/balcony" ||
		f.Msg.Thread != "0e3141cd80894871a68e6fe6b1ec56fa" || f.Msg.Type != stanza.ChatMessage || f.Msg.Forwarded != nil {
		t.Errorf("received carbon message: %+v", f.Msg)
	}
	if !m.FromAccount("romeo@montague.example") || m.FromAccount("juliet@capulet.example") {
		t.Error("FromAccount wrong on the carbon")
	}

	m, err = decodeMessage(t, carbonSent)
	if err != nil {
		t.Fatal(err)
	}
	if f := m.Forwarded; f == nil || f.Kind != im.CarbonSent || f.Msg.To.String() != "juliet@capulet.example/balcony" ||
		f.Msg.Body != "Neither, fair saint, if either thee dislike." {
		t.Fatalf("sent carbon: %+v", f)
	}

	m, err = decodeMessage(t, carbonPrivate)
	if err != nil {
		t.Fatal(err)
	}
	if !m.CarbonPrivate || m.Forwarded != nil || m.Body == "" {
		t.Fatalf("private: %+v", m)
	}
}

func TestDecodeArchiveResult(t *testing.T) {
	m, err := decodeMessage(t, archiveResult)
	if err != nil {
		t.Fatal(err)
	}
	f := m.Forwarded
	if f == nil || f.Kind != im.ArchiveResult || f.QueryID != "f27" || f.ResultID != "28482-98726-73623" ||
		!f.Delay.Equal(time.Date(2010, 7, 10, 23, 8, 25, 0, time.UTC)) {
		t.Fatalf("result: %+v", f)
	}
	in := f.Msg
	if !strings.HasPrefix(in.Body, "Call me but love") || in.ChatState != chatstate.Active || !in.ReceiptRequested ||
		in.OriginID != "de305d54-75b4-431b-adb2-eb6b9e546013" || in.StanzaIDBy("juliet@capulet.lit") != f.ResultID ||
		!in.Delay.Equal(time.Date(2010, 7, 10, 23, 8, 20, 0, time.UTC)) || in.DelayFrom != "capulet.lit" || in.ID != "m42" {
		t.Errorf("archived message: %+v", in)
	}
	if f.Kind.String() != "archive result" || im.CarbonSent.String() != "carbon sent" || im.ForwardKind(0).String() != "unknown" || im.ForwardKind(9).String() != "unknown" {
		t.Error("ForwardKind names")
	}
}

func TestDecodeStanzaIDs(t *testing.T) {
	m, err := decodeMessage(t, stanzaIDs)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.StanzaIDs) != 2 || m.OriginID != "de305d54-75b4-431b-adb2-eb6b9e546013" {
		t.Fatalf("got %+v origin %q", m.StanzaIDs, m.OriginID)
	}
	for by, want := range map[string]string{
		"juliet@capulet.example":    "own-1",
		"JULIET@capulet.example":    "own-1",
		"room@muc.xmpp.org":         "5f3dbc5e-e1d3-4077-a492-693f3769c7ad",
		"juliet@capulet.example/r":  "",
		"capulet.example":           "",
		"":                          "",
		"@@":                        "",
		"romeo@montague.example":    "",
		"room@muc.xmpp.org/someone": "",
	} {
		if got := m.StanzaIDBy(by); got != want {
			t.Errorf("StanzaIDBy(%q) = %q, want %q", by, got, want)
		}
	}

	sid := func(id, by string) string {
		return `<stanza-id xmlns="urn:xmpp:sid:0" id="` + id + `" by="` + by + `"/>`
	}
	long := strings.Repeat("x", im.MaxIDLen+1)
	for i, tc := range []struct {
		in, by, want string
		n            int
	}{
		// Two different ids from the same entity: a forgery got through.
		0: {in: sid("a", "me@x") + sid("b", "me@x"), by: "me@x", want: "", n: 2},
		1: {in: sid("a", "me@x") + sid("a", "ME@x"), by: "me@x", want: "a", n: 2},
		// Unusable ids are dropped.
		2: {in: sid(long, "me@x") + sid("", "me@x") + `<stanza-id xmlns="urn:xmpp:sid:0" id="a"/>` + sid("a", "@@"), by: "me@x", want: "", n: 0},
		3: {in: sid(long[:im.MaxIDLen], "me@x"), by: "me@x", want: long[:im.MaxIDLen], n: 1},
		// Wrong namespace.
		4: {in: `<stanza-id xmlns="urn:xmpp:sid:1" id="a" by="me@x"/><stanza-id id="a" by="me@x"/>`, by: "me@x", n: 0},
		// Padding by the sender does not push out the server's own id,
		// which comes last.
		5: {in: strings.Repeat(sid("junk", "other@x"), 50) + sid("real", "me@x"), by: "me@x", want: "real", n: im.MaxStanzaIDs},
		// A namespaced attribute is not the id.
		6: {in: `<stanza-id xmlns="urn:xmpp:sid:0" xmlns:o="urn:o" o:id="a" by="me@x"/>`, by: "me@x", n: 0},
	} {
		m, err := decodeMessage(t, `<message from="a@b/r">`+tc.in+`</message>`)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got := m.StanzaIDBy(tc.by); got != tc.want || len(m.StanzaIDs) != tc.n {
			t.Errorf("%d: StanzaIDBy = %q with %d ids, want %q with %d", i, got, len(m.StanzaIDs), tc.want, tc.n)
		}
	}
}

func TestDecodeOriginID(t *testing.T) {
	long := strings.Repeat("y", im.MaxIDLen+1)
	for i, tc := range []struct{ in, want string }{
		0: {`<origin-id xmlns="urn:xmpp:sid:0" id="o1"/>`, "o1"},
		1: {`<origin-id xmlns="urn:xmpp:sid:0" id="o1"/><origin-id xmlns="urn:xmpp:sid:0" id="o2"/>`, "o1"},
		2: {`<origin-id xmlns="urn:xmpp:sid:0" id="` + long + `"/><origin-id xmlns="urn:xmpp:sid:0" id="o2"/>`, "o2"},
		3: {`<origin-id xmlns="urn:other" id="o1"/>`, ""},
		4: {`<origin-id xmlns="urn:xmpp:sid:0"/>`, ""},
	} {
		m, err := decodeMessage(t, `<message from="a@b/r"><body>x</body>`+tc.in+`</message>`)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if m.OriginID != tc.want {
			t.Errorf("%d: origin id %q, want %q", i, m.OriginID, tc.want)
		}
	}
}

func TestDecodeReceipts(t *testing.T) {
	const (
		req = `<request xmlns="urn:xmpp:receipts"/>`
		ns  = `xmlns="urn:xmpp:receipts"`
	)
	for i, tc := range []struct {
		in      string
		request bool
		forID   string
	}{
		0: {in: receiptRequest, request: true},
		1: {in: receipt, forID: "richard2-4.1.247"},
		// XEP-0184 1.0: the receipt repeats the message's id.
		2: {in: `<message from="a@b/r" id="m7"><received ` + ns + `/></message>`, forID: "m7"},
		3: {in: `<message from="a@b/r"><received ` + ns + `/></message>`},
		// A receipt never asks for a receipt (loops).
		4: {in: `<message from="a@b/r" id="m7"><received ` + ns + ` id="m1"/>` + req + `</message>`, forID: "m1"},
		// A bounce is neither.
		5: {in: `<message from="a@b/r" id="m7" type="error"><body>x</body>` + req + `<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`},
		6: {in: `<message from="a@b/r" id="m7" type="error"><received ` + ns + ` id="m1"/><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`},
		// Wrong namespaces.
		7: {in: `<message from="a@b/r" id="m7"><received xmlns="urn:xmpp:receipt" id="m1"/><request xmlns="urn:xmpp:chat-markers:0"/><body>x</body></message>`},
		// The first receipt counts; a huge id is none.
		8: {in: `<message from="a@b/r" id="m7"><received ` + ns + ` id="m1"/><received ` + ns + ` id="m2"/></message>`, forID: "m1"},
		9: {in: `<message from="a@b/r" id="m7"><received ` + ns + ` id="` + strings.Repeat("z", im.MaxIDLen+1) + `"/></message>`},
		// A chat marker is not a receipt.
		10: {in: `<message from="a@b/r" id="m7"><received xmlns="urn:xmpp:chat-markers:0" id="m1"/></message>`},
	} {
		m, err := decodeMessage(t, tc.in)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if m.ReceiptRequested != tc.request || m.ReceiptFor != tc.forID {
			t.Errorf("%d: request=%v for=%q, want %v %q", i, m.ReceiptRequested, m.ReceiptFor, tc.request, tc.forID)
		}
	}
}

// TestDecodeForwardedHostile feeds messages that must not yield a
// forwarded message, or not the one they pretend to.
func TestDecodeForwardedHostile(t *testing.T) {
	const (
		fwd   = `<forwarded xmlns="urn:xmpp:forward:0">`
		inner = `<message xmlns="jabber:client" from="juliet@capulet.example/balcony" type="chat"><body>inner</body></message>`
		recv  = `<received xmlns="urn:xmpp:carbons:2">`
	)
	wrap := func(s string) string { return `<message from="romeo@montague.example" type="chat">` + s + `</message>` }
	deep := inner
	for range 50 {
		deep = `<message xmlns="jabber:client" from="x@y/z"><body>deeper</body>` + recv + fwd + deep + `</forwarded></received></message>`
	}
	for i, tc := range []struct {
		in   string
		ok   bool   // a Forwarded is expected
		body string // its message's body
	}{
		0: {in: wrap(recv + fwd + inner + `</forwarded></received>`), ok: true, body: "inner"},
		// Forwarded without a message, or with something else.
		1: {in: wrap(recv + fwd + `</forwarded></received>`)},
		2: {in: wrap(recv + fwd + `<delay xmlns="urn:xmpp:delay" stamp="2010-07-10T23:08:25Z"/><iq xmlns="jabber:client" type="get" id="1"/></forwarded></received>`)},
		3: {in: wrap(recv + `</received>`)},
		4: {in: wrap(recv + inner + `</received>`)},
		// Two forwarded, two messages, two wrappers: ambiguous, none.
		5: {in: wrap(recv + fwd + inner + `</forwarded>` + fwd + inner + `</forwarded></received>`)},
		6: {in: wrap(recv + fwd + inner + inner + `</forwarded></received>`)},
		7: {in: wrap(recv + fwd + inner + `</forwarded></received><sent xmlns="urn:xmpp:carbons:2">` + fwd + inner + `</forwarded></sent>`)},
		8: {in: wrap(recv + fwd + inner + `</forwarded></received><result xmlns="urn:xmpp:mam:2" id="a">` + fwd + inner + `</forwarded></result>`)},
		9: {in: wrap(recv + fwd + inner + `</forwarded></received>` + recv + `</received>`)},
		// Wrong namespaces anywhere on the way.
		10: {in: wrap(`<received xmlns="urn:xmpp:carbons:1">` + fwd + inner + `</forwarded></received>`)},
		11: {in: wrap(`<received xmlns="urn:xmpp:receipts" id="x">` + fwd + inner + `</forwarded></received>`)},
		12: {in: wrap(recv + `<forwarded xmlns="urn:xmpp:forward:1">` + inner + `</forwarded></received>`)},
		13: {in: wrap(recv + fwd + `<message from="juliet@capulet.example/balcony"><body>inner</body></message></forwarded></received>`)},
		14: {in: wrap(`<result xmlns="urn:xmpp:mam:1" id="a">` + fwd + inner + `</forwarded></result>`)},
		15: {in: wrap(`<received>` + fwd + inner + `</forwarded></received>`)},
		// A message nested in the forwarded one is not decoded: one level.
		16: {in: wrap(recv + fwd + deep + `</forwarded></received>`), ok: true, body: "deeper"},
		17: {in: wrap(`<result xmlns="urn:xmpp:mam:2" id="a">` + fwd + `<message xmlns="jabber:client" from="a@b"><sent xmlns="urn:xmpp:carbons:2">` + fwd + inner + `</forwarded></sent></message></forwarded></result>`), ok: true},
		// An inner message whose addresses are not JIDs is unusable.
		18: {in: wrap(recv + fwd + `<message xmlns="jabber:client" from="@@@"><body>x</body></message></forwarded></received>`)},
		19: {in: wrap(recv + fwd + `<message xmlns="jabber:client" from="@@@"><body>x</body></message>` + inner + `</forwarded></received>`)},
		// Unknown children are skipped; a bad delay is no delay.
		20: {in: wrap(recv + `<x xmlns="urn:x"><forwarded/></x>` + fwd + `<delay xmlns="urn:xmpp:delay" stamp="soon"/><other xmlns="urn:o">` + inner + `</other>` + inner + `</forwarded></received>`), ok: true, body: "inner"},
	} {
		m, err := decodeMessage(t, tc.in)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if (m.Forwarded != nil) != tc.ok {
			t.Errorf("%d: forwarded = %+v, want one: %v", i, m.Forwarded, tc.ok)
			continue
		}
		if f := m.Forwarded; f != nil {
			if f.Msg.Body != tc.body || f.Msg.Forwarded != nil || !f.Delay.IsZero() {
				t.Errorf("%d: forwarded message %+v", i, f.Msg)
			}
		}
	}
}

func TestDecodeForwardedErrors(t *testing.T) {
	for i, in := range []string{
		`<message from="a@b"><received xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0"><message xmlns="jabber:client"><body>x</message></forwarded></received></message>`,
		`<message from="a@b"><received xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0"></received></message>`,
		`<message from="a@b"><result xmlns="urn:xmpp:mam:2"><forwarded xmlns="urn:xmpp:forward:0"><message xmlns="jabber:client">`,
	} {
		if _, err := decodeMessage(t, in); err == nil {
			t.Errorf("%d: malformed XML accepted", i)
		}
	}
}

func TestDecodeArchiveResultIDs(t *testing.T) {
	long := strings.Repeat("q", im.MaxIDLen+1)
	m, err := decodeMessage(t, `<message><result xmlns="urn:xmpp:mam:2" queryid="`+long+`" id="`+long+`"><forwarded xmlns="urn:xmpp:forward:0"><message xmlns="jabber:client" from="a@b"><body>kept</body></message></forwarded></result></message>`)
	if err != nil {
		t.Fatal(err)
	}
	if f := m.Forwarded; f == nil || f.QueryID != "" || f.ResultID != "" || f.Msg.Body != "kept" {
		t.Fatalf("got %+v", f)
	}
}

// TestDecodeDeepNesting checks that a deep tree of unknown elements is
// skipped without trouble.
func TestDecodeDeepNesting(t *testing.T) {
	const n = 20000
	in := `<message from="a@b"><body>x</body>` + strings.Repeat(`<a xmlns="urn:x">`, n) + strings.Repeat(`</a>`, n) +
		strings.Repeat(`<received xmlns="urn:xmpp:carbons:2">`, n) + strings.Repeat(`</received>`, n) + `</message>`
	m, err := decodeMessage(t, in)
	if err != nil || m.Body != "x" || m.Forwarded != nil {
		t.Fatalf("got %+v, %v", m, err)
	}
}

func TestFromAccount(t *testing.T) {
	for i, tc := range []struct {
		from, account string
		want          bool
	}{
		0: {"", "me@example.org", true},
		1: {"me@example.org", "me@example.org", true},
		2: {"ME@example.org", "me@example.org", true},
		3: {"me@example.org", "me@example.org/desk", true},
		4: {"me@example.org/phone", "me@example.org", false},
		5: {"example.org", "me@example.org", false},
		6: {"eve@example.org", "me@example.org", false},
		7: {"me@example.org", "@@", false},
	} {
		var m im.Message
		if tc.from != "" {
			m.From = jid.MustParse(tc.from)
		}
		if got := m.FromAccount(tc.account); got != tc.want {
			t.Errorf("%d: FromAccount = %v, want %v", i, got, tc.want)
		}
	}
}

func TestEncodeMessageExtensions(t *testing.T) {
	hdr := stanza.Message{ID: "m1", To: jid.MustParse("bob@example.org"), Type: stanza.ChatMessage}
	rcpt := stanza.Message{ID: "r1", To: jid.MustParse("bob@example.org/phone"), Type: stanza.ChatMessage}
	for _, tc := range []struct {
		name string
		m    im.Message
	}{
		{"message-origin-receipt-request-active", im.Message{Message: hdr, Body: "hello", ChatState: chatstate.Active, OriginID: "o1", ReceiptRequested: true}},
		{"message-receipt", im.Message{Message: rcpt, ReceiptFor: "m1"}},
		// A receipt never asks for one.
		{"message-receipt", im.Message{Message: rcpt, ReceiptFor: "m1", ReceiptRequested: true}},
		// A receipt with a chat state is stored all the same.
		{"message-receipt-active", im.Message{Message: rcpt, ReceiptFor: "m1", ChatState: chatstate.Active}},
		{"message-private", im.Message{Message: hdr, Body: "hello", CarbonPrivate: true}},
		// What is never sent, and ids too long to be.
		{"message-body-active", im.Message{Message: hdr, Body: "hello", ChatState: chatstate.Active,
			StanzaIDs: []im.StanzaID{{ID: "s", By: "a@b"}}, OriginID: strings.Repeat("o", im.MaxIDLen+1),
			Forwarded: &im.Forwarded{Kind: im.CarbonSent, Msg: im.Message{Body: "x"}}}},
		{"message-composing", im.Message{Message: hdr, ChatState: chatstate.Composing, ReceiptFor: strings.Repeat("o", im.MaxIDLen+1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, encode(t, tc.m.TokenReader()))
		})
	}
	// Without an id, a request could never be answered: it is not sent.
	out := encode(t, im.Message{Message: stanza.Message{Type: stanza.ChatMessage}, Body: "x", ReceiptRequested: true}.TokenReader())
	if strings.Contains(out, "request") {
		t.Errorf("request without id: %s", out)
	}
}

func TestMessageExtensionsRoundTrip(t *testing.T) {
	for i, m := range []im.Message{
		0: {Message: stanza.Message{ID: "m1", Type: stanza.ChatMessage}, Body: "x", OriginID: "o1", ReceiptRequested: true, CarbonPrivate: true},
		1: {Message: stanza.Message{ID: "r1", Type: stanza.ChatMessage}, ReceiptFor: "m1"},
		2: {Message: stanza.Message{ID: "r1", Type: stanza.ChatMessage}, ReceiptFor: "m1", ChatState: chatstate.Paused},
	} {
		got, err := decodeMessage(t, encode(t, m.TokenReader()))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got.OriginID != m.OriginID || got.ReceiptRequested != m.ReceiptRequested || got.ReceiptFor != m.ReceiptFor ||
			got.CarbonPrivate != m.CarbonPrivate || got.Body != m.Body || got.ChatState != m.ChatState {
			t.Errorf("%d: got %+v, want %+v", i, got, m)
		}
	}
}

func TestEncodeArchiveQuery(t *testing.T) {
	start := time.Date(2010, 8, 7, 2, 0, 0, 999_000_000, time.FixedZone("CEST", 2*3600))
	for _, tc := range []struct {
		name string
		q    im.ArchiveQuery
	}{
		{"mam-query-full", im.ArchiveQuery{QueryID: "f27", With: "juliet@capulet.lit", Start: start, AfterID: "09af3-cc343-b409f", Max: 10}},
		{"mam-query-minimal", im.ArchiveQuery{}},
		{"mam-query-minimal", im.ArchiveQuery{Max: -1, QueryID: strings.Repeat("q", im.MaxIDLen+1), AfterID: strings.Repeat("q", im.MaxIDLen+1)}},
		{"mam-query-page", im.ArchiveQuery{QueryID: "q2", Max: 50}},
		{"mam-query-start", im.ArchiveQuery{QueryID: "q3", Start: start}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, encode(t, tc.q.TokenReader()))
		})
	}
}

func decodeFin(t *testing.T, s string) (im.ArchiveFin, error) {
	t.Helper()
	r, start, ok := split(s)
	if !ok {
		t.Fatal("no element")
	}
	return im.DecodeArchiveFin(r, start)
}

func TestDecodeArchiveFin(t *testing.T) {
	const rsm = `<set xmlns="http://jabber.org/protocol/rsm">`
	for i, tc := range []struct {
		in   string
		want im.ArchiveFin
		err  bool
	}{
		// XEP-0313 examples 5 and 10.
		0: {in: `<fin xmlns='urn:xmpp:mam:2'>
    <set xmlns='http://jabber.org/protocol/rsm'>
      <first index='0'>28482-98726-73623</first>
      <last>09af3-cc343-b409f</last>
    </set>
  </fin>`, want: im.ArchiveFin{First: "28482-98726-73623", Last: "09af3-cc343-b409f", Count: -1}},
		1: {in: `<fin xmlns='urn:xmpp:mam:2' complete='true'>
    <set xmlns='http://jabber.org/protocol/rsm'>
      <first index='0'>23452-4534-1</first>
      <last>390-2342-22</last>
      <count>16</count>
    </set>
  </fin>`, want: im.ArchiveFin{Complete: true, First: "23452-4534-1", Last: "390-2342-22", Count: 16}},
		// An empty page.
		2: {in: `<fin xmlns="urn:xmpp:mam:2" complete="1">` + rsm + `<count>0</count></set></fin>`, want: im.ArchiveFin{Complete: true}},
		3: {in: `<fin xmlns="urn:xmpp:mam:2" complete="false" stable="false"/>`, want: im.ArchiveFin{Unstable: true, Count: -1}},
		4: {in: `<fin xmlns="urn:xmpp:mam:2" complete="yes" stable="maybe"/>`, want: im.ArchiveFin{Count: -1}},
		// Bad counts, huge ids, wrong namespaces, a second set.
		5: {in: `<fin xmlns="urn:xmpp:mam:2">` + rsm + `<count>-3</count><last>` + strings.Repeat("l", im.MaxIDLen+1) + `</last></set></fin>`, want: im.ArchiveFin{Count: -1}},
		6: {in: `<fin xmlns="urn:xmpp:mam:2">` + rsm + `<count>99999999999999999999999</count></set></fin>`, want: im.ArchiveFin{Count: -1}},
		7: {in: `<fin xmlns="urn:xmpp:mam:2"><set xmlns="urn:other"><last>a</last></set>` + rsm + `<last xmlns="urn:o">b</last><last>c</last><last>d</last></set>` + rsm + `<last>e</last></set></fin>`, want: im.ArchiveFin{Last: "c", Count: -1}},
		// Not a mam:2 fin, malformed XML.
		8:  {in: `<fin xmlns="urn:xmpp:mam:1" complete="true"/>`, err: true},
		9:  {in: `<query xmlns="urn:xmpp:mam:2"/>`, err: true},
		10: {in: `<fin xmlns="urn:xmpp:mam:2">` + rsm + `<last>a</set></fin>`, err: true},
	} {
		got, err := decodeFin(t, tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%d: err = %v, want error %v", i, err, tc.err)
			continue
		}
		if !tc.err && got != tc.want {
			t.Errorf("%d: got %+v, want %+v", i, got, tc.want)
		}
	}
}
