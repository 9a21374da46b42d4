package im_test

import (
	"strings"
	"testing"

	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// correction is a XEP-0308 §3 example: a correction of message bad1.
const correction = `<message to="juliet@capulet.net/balcony" id="good1" type="chat">
	<body>But soft, what light through yonder window breaks?</body>
	<replace id="bad1" xmlns="urn:xmpp:message-correct:0"/>
</message>`

func decodeString(t *testing.T, s string) im.Message {
	t.Helper()
	r, start, ok := split(s)
	if !ok {
		t.Fatalf("no message in %q", s)
	}
	m, err := im.DecodeMessage(r, start)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return m
}

func TestDecodeCorrection(t *testing.T) {
	m := decodeString(t, correction)
	if m.Replace != "bad1" || m.ID != "good1" || !strings.HasPrefix(m.Body, "But soft") {
		t.Fatalf("correction decoded as %+v", m)
	}
	long := strings.Repeat("x", im.MaxIDLen+1)
	for _, tc := range []struct{ name, in, want string }{
		{"none", `<message><body>x</body></message>`, ""},
		{"other namespace", `<message><body>x</body><replace xmlns="urn:other" id="a"/></message>`, ""},
		{"empty id", `<message><body>x</body><replace xmlns="urn:xmpp:message-correct:0" id=""/></message>`, ""},
		{"no id", `<message><body>x</body><replace xmlns="urn:xmpp:message-correct:0"/></message>`, ""},
		{"too long", `<message><body>x</body><replace xmlns="urn:xmpp:message-correct:0" id="` + long + `"/></message>`, ""},
		{"first counts", `<message><body>x</body><replace xmlns="urn:xmpp:message-correct:0" id="a"/><replace xmlns="urn:xmpp:message-correct:0" id="b"/></message>`, "a"},
		{"first even if bad", `<message><body>x</body><replace xmlns="urn:xmpp:message-correct:0" id=""/><replace xmlns="urn:xmpp:message-correct:0" id="b"/></message>`, ""},
		{"error", `<message type="error"><body>x</body><replace xmlns="urn:xmpp:message-correct:0" id="a"/></message>`, ""},
		{"carbon", `<message from="romeo@montague.example" type="chat"><sent xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0"><message xmlns="jabber:client" from="romeo@montague.example/home" to="juliet@capulet.example" type="chat" id="c2"><body>y</body><replace xmlns="urn:xmpp:message-correct:0" id="c1"/></message></forwarded></sent></message>`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decodeString(t, tc.in).Replace; got != tc.want {
				t.Fatalf("Replace = %q, want %q", got, tc.want)
			}
		})
	}
	c := decodeString(t, `<message from="romeo@montague.example" type="chat"><sent xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0"><message xmlns="jabber:client" from="romeo@montague.example/home" to="juliet@capulet.example" type="chat" id="c2"><body>y</body><replace xmlns="urn:xmpp:message-correct:0" id="c1"/></message></forwarded></sent></message>`)
	if c.Forwarded == nil || c.Forwarded.Msg.Replace != "c1" {
		t.Fatalf("carbon of a correction: %+v", c.Forwarded)
	}
}

func TestEncodeCorrection(t *testing.T) {
	m := im.Message{Message: stanza.Message{ID: "good1", Type: stanza.ChatMessage}, Body: "fixed", Replace: "bad1"}
	back := decodeString(t, encode(t, m.TokenReader()))
	if back.Replace != "bad1" || back.Body != "fixed" {
		t.Fatalf("round trip: %+v", back)
	}
	m.Replace = strings.Repeat("x", im.MaxIDLen+1)
	if s := encode(t, m.TokenReader()); strings.Contains(s, "replace") {
		t.Fatalf("over-long id sent: %s", s)
	}
}
