package app

import (
	"encoding/xml"
	"io"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/muc"
)

// Private messages with a room's occupants (XEP-0045 §7.5): a chat message
// to or from room@service/nick, while we are in that room. Its peer is the
// full occupant JID (the room's bare JID is no person, and two occupants
// are two conversations): the archive, the outbox and every event key it
// so. Receipts are not sent to occupants (no roster contact sees them,
// XEP-0184 §8); chat states are, as to anyone whose client sent some.

// maxPrivatePeers bounds the occupant JIDs remembered as peers of
// private conversations after their room is left.
const maxPrivatePeers = 1000

// peer returns the peer of a chat with j: j itself when it is an occupant
// JID of a room of the book, or was during the Run (a conversation goes
// on under its name after we left the room: the room refuses what we
// write then, and the refusal must find it), else its bare JID.
func (b *roomBook) peer(j jid.JID) string {
	bare := j.Bare().String()
	if j.Resourcepart() == "" {
		return bare
	}
	full := j.String()
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, in := b.rooms[bare]; in {
		if b.private == nil {
			b.private = map[string]struct{}{}
		}
		if len(b.private) < maxPrivatePeers {
			b.private[full] = struct{}{}
		}
		return full
	}
	if _, known := b.private[full]; known {
		return full
	}
	return bare
}

// private reports whether m goes to a room's occupant.
func (m *outMsg) private() bool {
	return m.to.Resourcepart() != "" && m.peer == m.to.String()
}

// withMUCUser adds an empty <x xmlns='http://jabber.org/protocol/muc#user'/>
// to the message that msg encodes, as its last child: a private message
// through a room carries it (XEP-0045 §7.5). It reads the message whole
// (see withOwnCaps, which does the same for presence).
func withMUCUser(msg xml.TokenReader) xml.TokenReader {
	toks, err := xmlstream.ReadAll(msg)
	if err == nil && len(toks) == 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return xmlstream.ReaderFunc(func() (xml.Token, error) { return nil, err })
	}
	last := len(toks) - 1
	x := xml.StartElement{Name: xml.Name{Space: muc.NSUser, Local: "x"}}
	out := tokens(append(append(toks[:last:last], x, x.End()), toks[last]))
	return &out
}
