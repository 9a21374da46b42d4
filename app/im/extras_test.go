package im_test

import (
	"reflect"
	"strings"
	"testing"

	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// XEP-0066 §3 / XEP-0363 §5 style: a shared file's URL in body and OOB.
const oobMessage = `<message to="juliet@capulet.example" id="f1" type="chat">
	<body>https://upload.montague.example/4a77/tudor.jpg</body>
	<x xmlns="jabber:x:oob"><url>https://upload.montague.example/4a77/tudor.jpg</url><desc>a portrait</desc></x>
</message>`

// XEP-0444 §3 example.
const reactionsMessage = `<message to="romeo@montague.lit/orchard" id="96d73204-a57a-11e9-88b8-4889e7820c76" type="chat">
	<reactions id="744f6e18-a57a-11e9-a656-4889e7820c76" xmlns="urn:xmpp:reactions:0">
		<reaction>👋</reaction>
		<reaction>🐢</reaction>
	</reactions>
	<store xmlns="urn:xmpp:hints"/>
</message>`

// XEP-0461 §2 example with its XEP-0428 fallback.
const replyMessage = `<message to="anna@example.com" id="message-id2" type="chat">
	<body>&gt; Anna wrote:
&gt; We should bake a cake
Great idea!</body>
	<reply to="anna@example.com/laptop" id="message-id1" xmlns="urn:xmpp:reply:0"/>
	<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="38"/></fallback>
</message>`

func TestDecodeOOB(t *testing.T) {
	m := decodeString(t, oobMessage)
	if m.OOB != "https://upload.montague.example/4a77/tudor.jpg" || m.OOBDesc != "a portrait" || m.Body != m.OOB {
		t.Fatalf("decoded %q %q body %q", m.OOB, m.OOBDesc, m.Body)
	}
	long := "https://x/" + strings.Repeat("a", im.MaxURLLen)
	for _, tc := range []struct{ name, in, want string }{
		{"none", `<message><body>x</body></message>`, ""},
		{"other namespace", `<message><x xmlns="urn:other"><url>https://a/</url></x></message>`, ""},
		{"blank", `<message><x xmlns="jabber:x:oob"><url>  </url></x></message>`, ""},
		{"too long", `<message><x xmlns="jabber:x:oob"><url>` + long + `</url></x></message>`, ""},
		{"first counts", `<message><x xmlns="jabber:x:oob"><url>https://a/</url></x><x xmlns="jabber:x:oob"><url>https://b/</url></x></message>`, "https://a/"},
		{"error", `<message type="error"><x xmlns="jabber:x:oob"><url>https://a/</url></x></message>`, ""},
		{"beside legacy delay", `<message><x xmlns="jabber:x:delay" stamp="20261120T22:14:00"/><x xmlns="jabber:x:oob"><url>https://a/</url></x></message>`, "https://a/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decodeString(t, tc.in).OOB; got != tc.want {
				t.Fatalf("OOB = %q, want %q", got, tc.want)
			}
		})
	}
	// The legacy delay still counts beside an OOB element.
	if d := decodeString(t, `<message><x xmlns="jabber:x:oob"><url>https://a/</url></x><x xmlns="jabber:x:delay" stamp="20261120T22:14:00"/></message>`).Delay; d.IsZero() {
		t.Fatal("legacy delay lost beside OOB")
	}
	desc := decodeString(t, `<message><x xmlns="jabber:x:oob"><url>https://a/</url><desc>`+strings.Repeat("d", 3*im.MaxOOBDesc)+`</desc></x></message>`).OOBDesc
	if len(desc) > im.MaxOOBDesc {
		t.Fatalf("description of %d bytes kept", len(desc))
	}
}

func TestEncodeOOB(t *testing.T) {
	m := im.Message{Message: stanza.Message{ID: "f1", Type: stanza.ChatMessage}, Body: "https://a/b.png", OOB: "https://a/b.png", OOBDesc: "b <&>"}
	s := encode(t, m.TokenReader())
	if !strings.Contains(s, `<x xmlns="jabber:x:oob"><url>https://a/b.png</url><desc>b &lt;&amp;&gt;</desc></x>`) {
		t.Fatalf("encoded %s", s)
	}
	back := decodeString(t, s)
	if back.OOB != m.OOB || back.OOBDesc != m.OOBDesc {
		t.Fatalf("round trip %q %q", back.OOB, back.OOBDesc)
	}
}

func TestDecodeReactions(t *testing.T) {
	m := decodeString(t, reactionsMessage)
	want := &im.Reactions{ID: "744f6e18-a57a-11e9-a656-4889e7820c76", Emojis: []string{"👋", "🐢"}}
	if !reflect.DeepEqual(m.Reactions, want) {
		t.Fatalf("Reactions = %+v, want %+v", m.Reactions, want)
	}
	many := `<message><reactions xmlns="urn:xmpp:reactions:0" id="a">` + strings.Repeat("<reaction>x</reaction>", 3) +
		`<reaction> </reaction><reaction>` + strings.Repeat("y", im.MaxReactionLen+1) + `</reaction><other/>`
	for i := range 2 * im.MaxReactions {
		many += "<reaction>" + strings.Repeat("z", i%im.MaxReactionLen+1) + "</reaction>"
	}
	many += `</reactions></message>`
	r := decodeString(t, many).Reactions
	if r == nil || len(r.Emojis) != im.MaxReactions || r.Emojis[0] != "x" {
		t.Fatalf("bounded reactions: %+v", r)
	}
	for _, e := range r.Emojis {
		if e == "" || len(e) > im.MaxReactionLen {
			t.Fatalf("reaction %q kept", e)
		}
	}
	// An empty set takes reactions back; no id is no reaction.
	if r := decodeString(t, `<message><reactions xmlns="urn:xmpp:reactions:0" id="a"/></message>`).Reactions; r == nil || r.ID != "a" || len(r.Emojis) != 0 {
		t.Fatalf("empty set: %+v", r)
	}
	if r := decodeString(t, `<message><reactions xmlns="urn:xmpp:reactions:0"><reaction>x</reaction></reactions></message>`).Reactions; r != nil {
		t.Fatalf("reactions without id: %+v", r)
	}
	if r := decodeString(t, `<message type="error"><reactions xmlns="urn:xmpp:reactions:0" id="a"><reaction>x</reaction></reactions></message>`).Reactions; r != nil {
		t.Fatalf("reactions in an error: %+v", r)
	}
}

func TestEncodeReactions(t *testing.T) {
	m := im.Message{Message: stanza.Message{ID: "r1", Type: stanza.ChatMessage}, Reactions: &im.Reactions{ID: "m1", Emojis: []string{"👍", "<3"}}}
	s := encode(t, m.TokenReader())
	if !strings.Contains(s, `<store xmlns="urn:xmpp:hints">`) && !strings.Contains(s, `<store xmlns="urn:xmpp:hints"/>`) {
		t.Fatalf("no store hint on a bodiless reaction: %s", s)
	}
	back := decodeString(t, s)
	if !reflect.DeepEqual(back.Reactions, m.Reactions) {
		t.Fatalf("round trip %+v, want %+v", back.Reactions, m.Reactions)
	}
	m.Reactions = &im.Reactions{ID: "m1"}
	if back := decodeString(t, encode(t, m.TokenReader())); back.Reactions == nil || len(back.Reactions.Emojis) != 0 {
		t.Fatalf("retraction round trip %+v", back.Reactions)
	}
}

func TestDecodeReply(t *testing.T) {
	m := decodeString(t, replyMessage)
	if m.Reply == nil || m.Reply.ID != "message-id1" || m.Reply.To != "anna@example.com/laptop" || !m.Reply.HasFallback {
		t.Fatalf("Reply = %+v", m.Reply)
	}
	start, end, ok := m.Reply.FallbackRange(m.Body)
	if !ok || m.Body[:start]+m.Body[end:] != "Great idea!" {
		t.Fatalf("fallback %d..%d (%v) of %q", start, end, ok, m.Body)
	}
	for _, tc := range []struct {
		name, in string
		fallback bool
	}{
		{"no fallback", `<message><body>x</body><reply xmlns="urn:xmpp:reply:0" id="a"/></message>`, false},
		{"fallback for something else", `<message><body>xy</body><reply xmlns="urn:xmpp:reply:0" id="a"/><fallback xmlns="urn:xmpp:fallback:0" for="urn:other"><body start="0" end="1"/></fallback></message>`, false},
		{"reversed", `<message><body>xy</body><reply xmlns="urn:xmpp:reply:0" id="a"/><fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="2" end="1"/></fallback></message>`, false},
		{"two ranges", `<message><body>xy</body><reply xmlns="urn:xmpp:reply:0" id="a"/><fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="1"/><body start="1" end="2"/></fallback></message>`, false},
		{"not a number", `<message><body>xy</body><reply xmlns="urn:xmpp:reply:0" id="a"/><fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="a" end="1"/></fallback></message>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, start, ok := split(tc.in)
			if !ok {
				t.Fatal("no message")
			}
			m, err := im.DecodeMessage(r, start)
			if err != nil {
				t.Fatalf("a bad fallback loses the message: %v", err)
			}
			if m.Reply == nil || m.Reply.ID != "a" {
				t.Fatalf("Reply = %+v", m.Reply)
			}
			if _, _, ok := m.Reply.FallbackRange(m.Body); ok != tc.fallback {
				t.Fatalf("fallback usable = %v, want %v (%+v)", ok, tc.fallback, m.Reply)
			}
		})
	}
	if r := decodeString(t, `<message><body>x</body><reply xmlns="urn:xmpp:reply:0"/></message>`).Reply; r != nil {
		t.Fatalf("reply without id: %+v", r)
	}
	// A range past the end of the body is unusable.
	if _, _, ok := (im.Reply{ID: "a", HasFallback: true, FallbackStart: 0, FallbackEnd: 9}).FallbackRange("short"); ok {
		t.Fatal("range past the body usable")
	}
	if s, e, ok := (im.Reply{ID: "a", HasFallback: true, FallbackStart: 1, FallbackEnd: 3}).FallbackRange("añb"); !ok || s != 1 || e != 4 {
		t.Fatalf("code point range = %d..%d %v, want 1..4", s, e, ok)
	}
}

func TestEncodeReply(t *testing.T) {
	body := "> Anna wrote:\n> cake\nGreat idea!"
	m := im.Message{Message: stanza.Message{ID: "r2", Type: stanza.ChatMessage}, Body: body,
		Reply: &im.Reply{To: "anna@example.com/laptop", ID: "m1", HasFallback: true, FallbackStart: 0, FallbackEnd: 21}}
	back := decodeString(t, encode(t, m.TokenReader()))
	if !reflect.DeepEqual(back.Reply, m.Reply) {
		t.Fatalf("round trip %+v, want %+v", back.Reply, m.Reply)
	}
	s, e, _ := back.Reply.FallbackRange(back.Body)
	if back.Body[:s]+back.Body[e:] != "Great idea!" {
		t.Fatalf("fallback range wrong: %q", back.Body[:s]+back.Body[e:])
	}
	// A fallback that does not fit the body is not sent.
	m.Reply.FallbackEnd = 999
	if s := encode(t, m.TokenReader()); strings.Contains(s, "fallback") {
		t.Fatalf("bad fallback sent: %s", s)
	}
}

// XEP-0421 §4 example: a room's message with the occupant id it stamped.
const occupantIDMessage = `<message from="room@muc.example.com/nick" id="m1" type="groupchat">
	<body>Hello</body>
	<occupant-id xmlns="urn:xmpp:occupant-id:0" id="dd72603deec90a38ba552f7c68cbcc61bca202cd"/>
</message>`

// TestDecodeOccupantID: the id is kept; several copies of the same id are
// one; two different ones, an empty one or an overlong one give none; an
// element of another namespace counts for nothing; it is never sent.
func TestDecodeOccupantID(t *testing.T) {
	const id = "dd72603deec90a38ba552f7c68cbcc61bca202cd"
	occ := func(v string) string { return `<occupant-id xmlns="urn:xmpp:occupant-id:0" id="` + v + `"/>` }
	for _, tc := range []struct {
		name, xml, want string
	}{
		{"example", occupantIDMessage, id},
		{"twice the same", `<message type="groupchat"><body>x</body>` + occ(id) + occ(id) + `</message>`, id},
		{"two different", `<message type="groupchat"><body>x</body>` + occ(id) + occ("other") + `</message>`, ""},
		{"empty then good", `<message type="groupchat"><body>x</body>` + occ("") + occ(id) + `</message>`, ""},
		{"overlong", `<message type="groupchat"><body>x</body>` + occ(strings.Repeat("a", im.MaxIDLen+1)) + `</message>`, ""},
		{"other namespace", `<message type="groupchat"><body>x</body><occupant-id xmlns="urn:example" id="x"/></message>`, ""},
		{"none", `<message type="groupchat"><body>x</body></message>`, ""},
	} {
		m := decodeString(t, tc.xml)
		if m.OccupantID != tc.want {
			t.Errorf("%s: occupant id %q, want %q", tc.name, m.OccupantID, tc.want)
		}
	}
	out := im.Message{Message: stanza.Message{ID: "x", Type: stanza.GroupChatMessage}, Body: "x", OccupantID: id}
	if s := encode(t, out.TokenReader()); strings.Contains(s, "occupant-id") {
		t.Errorf("an occupant id is sent: %s", s)
	}
}
