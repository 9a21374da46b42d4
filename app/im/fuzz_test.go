package im_test

import (
	"testing"

	"github.com/palaver-im/palaver/app/im"
)

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
		if err == nil && len(p.Status) > im.MaxStatus {
			t.Fatalf("status of %d bytes kept", len(p.Status))
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
		if err == nil && len(m.Body) > im.MaxBody {
			t.Fatalf("body of %d bytes kept", len(m.Body))
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
