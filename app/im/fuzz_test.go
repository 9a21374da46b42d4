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
	for _, s := range []string{carbonReceived, carbonSent, carbonPrivate, archiveResult, stanzaIDs, receiptRequest, receipt, correction, oobMessage, reactionsMessage, replyMessage, occupantIDMessage} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, start, ok := split(s)
		if !ok {
			return
		}
		m, err := im.DecodeMessage(r, start)
		if err != nil {
			return
		}
		checkMessage(t, m)
		if f := m.Forwarded; f != nil {
			if f.Kind < im.CarbonReceived || f.Kind > im.ArchiveResult {
				t.Fatalf("forwarded of kind %d", f.Kind)
			}
			if f.Kind != im.ArchiveResult && (f.QueryID != "" || f.ResultID != "") {
				t.Fatalf("carbon with archive ids %+v", f)
			}
			if len(f.QueryID) > im.MaxIDLen || len(f.ResultID) > im.MaxIDLen {
				t.Fatalf("archive ids of %d and %d bytes kept", len(f.QueryID), len(f.ResultID))
			}
			if f.Msg.Forwarded != nil {
				t.Fatal("forwarded message forwards another")
			}
			checkMessage(t, f.Msg)
		}
		// Receipt fields survive being sent on.
		out := im.Message{Message: stanza.Message{ID: "x", Type: stanza.ChatMessage}, OriginID: m.OriginID,
			ReceiptRequested: m.ReceiptRequested, ReceiptFor: m.ReceiptFor, CarbonPrivate: m.CarbonPrivate, Replace: m.Replace}
		r, start, ok = split(encode(t, out.TokenReader()))
		if !ok {
			t.Fatal("message does not encode")
		}
		back, err := im.DecodeMessage(r, start)
		if err != nil || back.OriginID != m.OriginID || back.ReceiptRequested != m.ReceiptRequested ||
			back.ReceiptFor != m.ReceiptFor || back.CarbonPrivate != m.CarbonPrivate || back.Replace != m.Replace {
			t.Fatalf("round trip: %+v (%v), want %+v", back, err, m)
		}
		// Out-of-band data, reactions and replies survive being sent on.
		out = im.Message{Message: stanza.Message{ID: "x", Type: stanza.ChatMessage}, Body: m.Body, OOB: m.OOB, OOBDesc: m.OOBDesc, Reactions: m.Reactions, Reply: m.Reply}
		if r, start, ok = split(encode(t, out.TokenReader())); !ok {
			t.Fatal("message does not encode")
		}
		if back, err = im.DecodeMessage(r, start); err != nil || back.OOB != m.OOB || back.OOBDesc != m.OOBDesc ||
			(m.Reactions == nil) != (back.Reactions == nil) || (m.Reply == nil) != (back.Reply == nil) {
			t.Fatalf("round trip of OOB, reactions, reply: %+v (%v), want %+v", back, err, m)
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

// checkMessage fails t when m breaks one of DecodeMessage's limits.
func checkMessage(t *testing.T, m im.Message) {
	t.Helper()
	if len(m.Body) > im.MaxBody {
		t.Fatalf("body of %d bytes kept", len(m.Body))
	}
	if _, ok := chatstate.Parse(xml.Name{Space: chatstate.NS, Local: string(m.ChatState)}); !ok && m.ChatState != "" {
		t.Fatalf("unknown chat state %q kept", m.ChatState)
	}
	if len(m.StanzaIDs) > im.MaxStanzaIDs {
		t.Fatalf("%d stanza ids kept", len(m.StanzaIDs))
	}
	for _, id := range m.StanzaIDs {
		if id.ID == "" || len(id.ID) > im.MaxIDLen || id.By == "" {
			t.Fatalf("stanza id %q by %q kept", id.ID, id.By)
		}
		if got := m.StanzaIDBy(id.By); got != "" && got != id.ID {
			t.Fatalf("StanzaIDBy(%q) = %q, not one of its ids", id.By, got)
		}
	}
	if len(m.OriginID) > im.MaxIDLen || len(m.ReceiptFor) > im.MaxIDLen || len(m.Replace) > im.MaxIDLen {
		t.Fatalf("ids of %d, %d and %d bytes kept", len(m.OriginID), len(m.ReceiptFor), len(m.Replace))
	}
	if len(m.OOB) > im.MaxURLLen || len(m.OOBDesc) > im.MaxOOBDesc || (m.OOB == "" && m.OOBDesc != "") {
		t.Fatalf("OOB of %d and %d bytes kept", len(m.OOB), len(m.OOBDesc))
	}
	if r := m.Reactions; r != nil {
		if r.ID == "" || len(r.ID) > im.MaxIDLen || len(r.Emojis) > im.MaxReactions {
			t.Fatalf("reactions %+v kept", r)
		}
		for _, e := range r.Emojis {
			if e == "" || len(e) > im.MaxReactionLen {
				t.Fatalf("reaction %q kept", e)
			}
		}
	}
	if r := m.Reply; r != nil {
		if r.ID == "" || len(r.ID) > im.MaxIDLen {
			t.Fatalf("reply %+v kept", r)
		}
		if s, e, ok := r.FallbackRange(m.Body); ok && (s < 0 || e > len(m.Body) || s >= e) {
			t.Fatalf("fallback range %d..%d of a %d-byte body", s, e, len(m.Body))
		}
	}
	if m.Type == stanza.ErrorMessage && (m.Replace != "" || m.OOB != "" || m.Reactions != nil || m.Reply != nil) {
		t.Fatal("an error corrects, shares, reacts or replies")
	}
	if len(m.OccupantID) > im.MaxIDLen {
		t.Fatalf("occupant id of %d bytes kept", len(m.OccupantID))
	}
	if m.ReceiptRequested && m.ReceiptFor != "" {
		t.Fatal("a receipt asks for a receipt")
	}
	if m.Type == stanza.ErrorMessage && (m.ReceiptRequested || m.ReceiptFor != "") {
		t.Fatal("an error is a receipt or asks for one")
	}
}

func FuzzDecodeArchiveFin(f *testing.F) {
	f.Add(`<fin xmlns="urn:xmpp:mam:2" complete="true"><set xmlns="http://jabber.org/protocol/rsm"><first index="0">a</first><last>b</last><count>2</count></set></fin>`)
	f.Add(`<fin xmlns="urn:xmpp:mam:2" stable="false"/>`)
	f.Fuzz(func(t *testing.T, s string) {
		r, start, ok := split(s)
		if !ok {
			return
		}
		fin, err := im.DecodeArchiveFin(r, start)
		if err != nil {
			return
		}
		if fin.Count < -1 || len(fin.First) > im.MaxIDLen || len(fin.Last) > im.MaxIDLen {
			t.Fatalf("bad fin kept: %+v", fin)
		}
		// The next page can be asked for with the last id.
		q := im.ArchiveQuery{QueryID: fin.First, AfterID: fin.Last}
		var got struct {
			QueryID string `xml:"queryid,attr"`
			After   string `xml:"http://jabber.org/protocol/rsm set>after"`
		}
		if err := xml.Unmarshal([]byte(encode(t, q.TokenReader())), &got); err != nil || got.QueryID != fin.First || got.After != fin.Last {
			t.Fatalf("query for the next page: %+v (%v), want %q %q", got, err, fin.First, fin.Last)
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
