package im_test

import (
	"encoding/xml"
	"testing"

	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// isHash reports whether s is 40 lower-case hex digits.
func isHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func FuzzDecodePresence(f *testing.F) {
	f.Add(`<presence from="a@b/r"><show>away</show><status>x</status><priority>1</priority></presence>`)
	f.Add(`<presence type="error" from="a@b"><error type="cancel"><remote-server-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`)
	f.Add(`<presence from="a@b" type="subscribe"><nick xmlns="http://jabber.org/protocol/nick">N</nick></presence>`)
	f.Fuzz(func(t *testing.T, s string) {
		r, start, ok := split(s)
		if !ok {
			return
		}
		p, err := im.DecodePresence(r, start)
		if err != nil {
			return
		}
		if len(p.Status) > im.MaxStatus {
			t.Fatalf("status of %d bytes kept", len(p.Status))
		}
		if (p.Photo == im.PhotoSet) != isHash(p.PhotoHash) || (p.Photo != im.PhotoSet && p.PhotoHash != "") ||
			p.Photo < im.PhotoUnknown || p.Photo > im.PhotoSet {
			t.Fatalf("photo %v with hash %q", p.Photo, p.PhotoHash)
		}
		// What we decode, we can announce and read back.
		own := im.Presence{Show: im.Available, Photo: p.Photo, PhotoHash: p.PhotoHash}
		r, start, ok = split(encode(t, own.TokenReader()))
		if !ok {
			t.Fatal("own presence does not encode")
		}
		back, err := im.DecodePresence(r, start)
		if err != nil || back.Photo != p.Photo || back.PhotoHash != p.PhotoHash {
			t.Fatalf("round trip: %v %q (%v), want %v %q", back.Photo, back.PhotoHash, err, p.Photo, p.PhotoHash)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add(`<message from="a@b/r" type="chat"><body>hi</body><delay xmlns="urn:xmpp:delay" stamp="2026-11-20T22:14:00Z"/></message>`)
	f.Add(`<message from="a@b/r"><x xmlns="jabber:x:delay" stamp="20261120T22:14:00"/><body>x</body></message>`)
	f.Add(`<message type="error" id="1"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">t</text></error></message>`)
	f.Fuzz(func(t *testing.T, s string) {
		r, start, ok := split(s)
		if !ok {
			return
		}
		m, err := im.DecodeMessage(r, start)
		if err != nil {
			return
		}
		if len(m.Body) > im.MaxBody {
			t.Fatalf("body of %d bytes kept", len(m.Body))
		}
		if _, ok := chatstate.Parse(xml.Name{Space: chatstate.NS, Local: string(m.ChatState)}); !ok && m.ChatState != "" {
			t.Fatalf("unknown chat state %q kept", m.ChatState)
		}
		// A decoded chat state survives being sent on, alone or with a body.
		for _, body := range []string{"", "x"} {
			out := im.Message{Message: stanza.Message{Type: stanza.ChatMessage}, Body: body, ChatState: m.ChatState}
			r, start, ok = split(encode(t, out.TokenReader()))
			if !ok {
				t.Fatal("message does not encode")
			}
			back, err := im.DecodeMessage(r, start)
			if err != nil || back.ChatState != m.ChatState {
				t.Fatalf("round trip: %q (%v), want %q", back.ChatState, err, m.ChatState)
			}
		}
	})
}

func FuzzDecodeRosterQuery(f *testing.F) {
	f.Add(`<query xmlns="jabber:iq:roster" ver="1"><item jid="a@b" name="A" subscription="both" ask="subscribe"><group>G</group></item></query>`)
	f.Fuzz(func(t *testing.T, s string) {
		r, start, ok := split(s)
		if !ok {
			return
		}
		q, _, err := im.DecodeRosterQuery(r, start)
		if err != nil {
			return
		}
		for _, it := range q.Items {
			if it.JID.String() == "" || len(it.Groups) > im.MaxGroups {
				t.Fatalf("bad item kept: %+v", it)
			}
		}
	})
}
