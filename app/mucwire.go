package app

import (
	"encoding/xml"
	"strconv"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app/im"
)

// Decoding what a group chat room (XEP-0045) adds to presence and
// messages. mellium's muc package decodes its <x/> with encoding/xml into
// a struct with a slice of every <status/> and an error for an unknown
// role or affiliation (muc/muc.go mucPresence, muc/types.go), inside a
// Client whose Join blocks until the self-presence arrives: it cannot run
// in our Serve handler, which must not wait, and it keeps no occupant
// list, status codes beyond the join, or errors of the join. So the core
// reads the <x/> itself as the stanza goes by (mucUserSpotter, beside the
// im decoders) and keeps its own room state (muc.go); it uses mellium's
// namespaces, Role and Affiliation.

// Bounds on what a room's <x/> may make us keep.
const (
	// maxStatusCodes is the most status codes kept of one presence; the
	// XEP's largest combination has four.
	maxStatusCodes = 16
	// maxRoomText bounds a reason text (kick, ban, destroy).
	maxRoomText = im.MaxStatus
)

// mucUser is what the first <x xmlns='http://jabber.org/protocol/muc#user'/>
// of a presence says (XEP-0045 §17.2): its first <item/>, the status
// codes, and a <destroy/>.
type mucUser struct {
	present bool
	item    mucItem
	codes   []int
	// destroyed is set by <destroy/> (§10.9), with its jid (the
	// alternate room) and reason.
	destroyed     bool
	alternate     string
	destroyReason string
}

// mucItem is the <item/> of a muc#user <x/>.
type mucItem struct {
	present           bool
	affiliation, role string
	jid, nick         string
	reason, actor     string
}

// has reports whether status code is among x's.
func (x *mucUser) has(code int) bool {
	for _, c := range x.codes {
		if c == code {
			return true
		}
	}
	return false
}

// mucUserSpotter passes on a presence's tokens (from just after its start
// element) and reads the muc#user <x/> among its children as they go by,
// so that im.DecodePresence decodes the rest from the same tokens. It
// keeps at most one item, maxStatusCodes codes and maxRoomText bytes per
// text: a hostile room's presence costs O(1) memory.
type mucUserSpotter struct {
	r     xml.TokenReader
	depth int
	// open[d] is what the open element at depth d is to us ("" for
	// nothing), for the depths that matter (0: x, 1: item or destroy, 2:
	// reason).
	open [3]string
	x    mucUser
}

// Token returns the next token of the presence.
func (s *mucUserSpotter) Token() (xml.Token, error) {
	tok, err := s.r.Token()
	switch t := tok.(type) {
	case xml.StartElement:
		s.start(t)
		s.depth++
	case xml.EndElement:
		s.depth--
	case xml.CharData:
		if s.depth == 3 && s.open[2] == "reason" {
			switch s.open[1] {
			case "item":
				s.x.item.reason = appendBounded(s.x.item.reason, t)
			case "destroy":
				s.x.destroyReason = appendBounded(s.x.destroyReason, t)
			}
		}
	}
	return tok, err
}

// start notes what the element t, opening at the current depth, is.
func (s *mucUserSpotter) start(t xml.StartElement) {
	d := s.depth
	mark := ""
	switch {
	case d == 0:
		if t.Name == (xml.Name{Space: muc.NSUser, Local: "x"}) && !s.x.present {
			s.x.present, mark = true, "x"
		}
	case d == 1 && s.open[0] == "x" && t.Name.Space == muc.NSUser:
		switch t.Name.Local {
		case "item":
			if !s.x.item.present {
				it := &s.x.item
				it.present, mark = true, "item"
				it.affiliation, it.role = xmlAttr(t, "affiliation"), xmlAttr(t, "role")
				it.jid, it.nick = xmlAttr(t, "jid"), xmlAttr(t, "nick")
			}
		case "status":
			code, err := strconv.Atoi(xmlAttr(t, "code"))
			if err == nil && code >= 100 && code <= 999 && len(s.x.codes) < maxStatusCodes {
				s.x.codes = append(s.x.codes, code)
			}
		case "destroy":
			if !s.x.destroyed {
				s.x.destroyed, mark = true, "destroy"
				s.x.alternate = xmlAttr(t, "jid")
			}
		}
	case d == 2 && s.open[1] != "" && t.Name.Space == muc.NSUser:
		switch {
		case t.Name.Local == "reason":
			mark = "reason"
		case t.Name.Local == "actor" && s.open[1] == "item" && s.x.item.actor == "":
			s.x.item.actor = xmlAttr(t, "nick")
		}
	}
	if d < len(s.open) {
		s.open[d] = mark
		// An element opening at depth d closes whatever was noted deeper.
		for i := d + 1; i < len(s.open); i++ {
			s.open[i] = ""
		}
	}
}

// xmlAttr returns start's attribute name (without namespace), "" if absent.
func xmlAttr(start xml.StartElement, name string) string {
	for _, a := range start.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// appendBounded appends t to s up to maxRoomText bytes.
func appendBounded(s string, t xml.CharData) string {
	room := maxRoomText - len(s)
	if room <= 0 {
		return s
	}
	if len(t) > room {
		t = t[:room]
	}
	return s + string(t)
}

// decodeRoomPresence decodes a presence stanza with what a room adds to it.
func decodeRoomPresence(r xml.TokenReader, start *xml.StartElement) (im.Presence, mucUser, error) {
	s := &mucUserSpotter{r: r}
	p, err := im.DecodePresence(s, start)
	return p, s.x, err
}

// subjectSpotter passes on a message's tokens and notes whether it has a
// <subject/> child: im.Message.Subject cannot tell an empty <subject/>,
// which clears a room's subject (XEP-0045 §8.1), from none.
type subjectSpotter struct {
	r     xml.TokenReader
	depth int
	found bool
}

// Token returns the next token of the message.
func (s *subjectSpotter) Token() (xml.Token, error) {
	tok, err := s.r.Token()
	switch t := tok.(type) {
	case xml.StartElement:
		// Any namespace, as im.DecodeMessage takes the subject (found by
		// FuzzRoomMessage): the two must agree.
		if s.depth == 0 && t.Name.Local == "subject" {
			s.found = true
		}
		s.depth++
	case xml.EndElement:
		s.depth--
	}
	return tok, err
}

// decodeRoomMessage decodes a message stanza and whether it has a subject.
func decodeRoomMessage(r xml.TokenReader, start *xml.StartElement) (im.Message, bool, error) {
	s := &subjectSpotter{r: r}
	m, err := im.DecodeMessage(s, start)
	return m, s.found, err
}

// parseRole reads a role attribute (XEP-0045 §5.1); unknown is none.
func parseRole(s string) muc.Role {
	var r muc.Role
	if r.UnmarshalXMLAttr(xml.Attr{Value: s}) != nil {
		return muc.RoleNone
	}
	return r
}

// parseAffiliation reads an affiliation attribute (XEP-0045 §5.2);
// unknown is none.
func parseAffiliation(s string) muc.Affiliation {
	var a muc.Affiliation
	if a.UnmarshalXMLAttr(xml.Attr{Value: s}) != nil {
		return muc.AffiliationNone
	}
	return a
}

// MaxNick is the longest nickname, in bytes: a nickname is the
// resourcepart of an occupant's JID, which RFC 7622 §3.4 bounds so.
const MaxNick = 1023

// validNick returns nick when it can be a nickname in room (a valid
// resourcepart, at most MaxNick bytes; mellium's jid checks both), else
// false.
func validNick(room jid.JID, nick string) (string, bool) {
	if nick == "" || len(nick) > MaxNick {
		return "", false
	}
	j, err := room.WithResource(nick)
	if err != nil || j.Resourcepart() == "" {
		return "", false
	}
	return j.Resourcepart(), true
}

// parseRoom returns room as a bare JID with a localpart, the only form a
// room address has (XEP-0045 §4.2).
func parseRoom(room string) (jid.JID, bool) {
	j, err := jid.Parse(room)
	if err != nil || j.Localpart() == "" || j.Resourcepart() != "" {
		return jid.JID{}, false
	}
	return j, true
}
