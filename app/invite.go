package app

import (
	"context"
	"encoding/xml"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// Invitations to rooms: direct (XEP-0249) and mediated (XEP-0045 §7.8).

// NSConference is the namespace of direct invitations (XEP-0249).
const NSConference = "jabber:x:conference"

// maxSentInvites is how many ids of our invitations and declines are
// remembered, to tell their bounces (an error message) as a
// CommandFailed.
const maxSentInvites = 16

// Invite invites to (a bare JID) to the room, which we must be in, with a
// reason (may be ""). The invitation is mediated by the room (XEP-0045
// §7.8.2) when the room is members-only, so that the room may make the
// invitee a member, and direct (XEP-0249, carrying the room's password)
// otherwise. A CommandFailed with OpInvite says it could not be sent or
// the room refused it.
func (c *Client) Invite(room, to, reason string) {
	c.cmds.Push(cmdInvite{room: room, to: to, reason: reason})
}

// Decline declines the invitation with a reason (may be ""): for a
// mediated one the room tells the inviter (XEP-0045 §7.8.2); for a direct
// one nothing is sent (XEP-0249 has no decline).
func (c *Client) Decline(inv RoomInvitation, reason string) {
	c.cmds.Push(cmdDecline{inv: inv, reason: reason})
}

type cmdInvite struct{ room, to, reason string }

type cmdDecline struct {
	inv    RoomInvitation
	reason string
}

// sentInvite is an invitation or decline on its way: a bounce with its id
// is a CommandFailed with op about room.
type sentInvite struct {
	id, room string
	op       Op
}

// rememberInvite records a sent invitation or decline; b.mu is not held.
func (b *roomBook) rememberInvite(s sentInvite) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.invites) >= maxSentInvites {
		b.invites = append(b.invites[:0], b.invites[1:]...)
	}
	b.invites = append(b.invites, s)
}

// bouncedInvite returns the invitation or decline with id, and forgets it.
func (b *roomBook) bouncedInvite(id string) (sentInvite, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, s := range b.invites {
		if id != "" && s.id == id {
			b.invites = append(b.invites[:i], b.invites[i+1:]...)
			return s, true
		}
	}
	return sentInvite{}, false
}

var jidMalformed = stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed}

// invite carries out Invite.
func (r *runner) invite(ctx context.Context, sess *xmpp.Session, cmd cmdInvite) {
	fail := func(err error) { r.emit(CommandFailed{base: r.b(), Op: OpInvite, JID: cmd.room, Err: err}) }
	room, ok := parseRoom(cmd.room)
	if !ok {
		fail(ErrNotJoined)
		return
	}
	to, err := jid.Parse(cmd.to)
	if err != nil || cmd.to == "" || to.Resourcepart() != "" {
		fail(jidMalformed)
		return
	}
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[room.String()]
	joined := s != nil && s.phase == roomJoined && sess != nil
	var mediated bool
	var password string
	if joined {
		mediated = s.info != nil && s.info.MembersOnly
		password = s.password
	}
	b.mu.Unlock()
	if !joined {
		fail(ErrNotJoined)
		return
	}
	reason := im.Clip(cmd.reason, maxRoomText)
	m := stanza.Message{ID: NewID(), Type: stanza.NormalMessage}
	var x xml.TokenReader
	if mediated {
		// XEP-0045 §7.8.2: through the room.
		m.To = room
		var inner xml.TokenReader
		if reason != "" {
			inner = textElem("reason", reason)
		}
		x = xmlstream.Wrap(
			xmlstream.Wrap(inner, xml.StartElement{Name: xml.Name{Local: "invite"}, Attr: []xml.Attr{{Name: xml.Name{Local: "to"}, Value: to.String()}}}),
			xml.StartElement{Name: xml.Name{Space: muc.NSUser, Local: "x"}})
	} else {
		// XEP-0249 §2.
		m.To = to
		attr := []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: room.String()}}
		if reason != "" {
			attr = append(attr, xml.Attr{Name: xml.Name{Local: "reason"}, Value: reason})
		}
		if password != "" {
			attr = append(attr, xml.Attr{Name: xml.Name{Local: "password"}, Value: password})
		}
		x = xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: NSConference, Local: "x"}, Attr: attr})
	}
	b.rememberInvite(sentInvite{id: m.ID, room: room.String(), op: OpInvite})
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := sess.Send(sctx, m.Wrap(x)); err != nil {
		fail(err)
	}
}

// decline carries out Decline.
func (r *runner) decline(ctx context.Context, sess *xmpp.Session, cmd cmdDecline) {
	if cmd.inv.Direct {
		return // XEP-0249 has no decline
	}
	fail := func(err error) { r.emit(CommandFailed{base: r.b(), Op: OpDecline, JID: cmd.inv.Room, Err: err}) }
	room, ok := parseRoom(cmd.inv.Room)
	if !ok {
		fail(jidMalformed)
		return
	}
	inviter, err := jid.Parse(cmd.inv.From)
	if err != nil || cmd.inv.From == "" {
		return // nobody to tell
	}
	if sess == nil {
		fail(ErrNotConnected)
		return
	}
	var inner xml.TokenReader
	if reason := im.Clip(cmd.reason, maxRoomText); reason != "" {
		inner = textElem("reason", reason)
	}
	x := xmlstream.Wrap(
		xmlstream.Wrap(inner, xml.StartElement{Name: xml.Name{Local: "decline"}, Attr: []xml.Attr{{Name: xml.Name{Local: "to"}, Value: inviter.String()}}}),
		xml.StartElement{Name: xml.Name{Space: muc.NSUser, Local: "x"}})
	m := stanza.Message{ID: NewID(), To: room, Type: stanza.NormalMessage}
	r.rooms.rememberInvite(sentInvite{id: m.ID, room: room.String(), op: OpDecline})
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := sess.Send(sctx, m.Wrap(x)); err != nil {
		fail(err)
	}
}

// The handler's side: invitations that arrive.

// invitation is what the invitation elements of a message say: the first
// <x xmlns='jabber:x:conference'/> child (direct, XEP-0249 §2), and the
// first <invite/> or <decline/> of the first muc#user <x/> child (mediated,
// XEP-0045 §7.8.2). Texts are clipped to maxRoomText bytes.
type invitation struct {
	// direct: the jabber:x:conference <x/>, with its attributes.
	direct                             bool
	room, directReason, directPassword string
	// invite: the muc#user <x/> has an <invite/>, with its from and
	// reason; password is the <x/>'s <password/>.
	invite       bool
	from, reason string
	password     string
	// declined: the muc#user <x/> has a <decline/>.
	declined bool
}

// inviteSpotter passes on a message's tokens (from just after its start
// element) and reads its invitation elements as they go by, keeping O(1)
// of them, like mucUserSpotter.
type inviteSpotter struct {
	r     xml.TokenReader
	depth int
	// open[d] is what the open element at depth d is to us ("" for
	// nothing): 0: "x" (muc#user), 1: "invite" or "password", 2: "reason".
	open [3]string
	inv  invitation
	// seenX: a muc#user <x/> was seen (only the first counts).
	seenX bool
}

// Token returns the next token of the message.
func (s *inviteSpotter) Token() (xml.Token, error) {
	tok, err := s.r.Token()
	switch t := tok.(type) {
	case xml.StartElement:
		s.start(t)
		s.depth++
	case xml.EndElement:
		s.depth--
	case xml.CharData:
		switch {
		case s.depth == 2 && s.open[0] == "x" && s.open[1] == "password":
			s.inv.password = appendClipped(s.inv.password, t)
		case s.depth == 3 && s.open[1] == "invite" && s.open[2] == "reason":
			s.inv.reason = appendClipped(s.inv.reason, t)
		}
	}
	return tok, err
}

// start notes what the element t, opening at the current depth, is.
func (s *inviteSpotter) start(t xml.StartElement) {
	d := s.depth
	mark := ""
	switch {
	case d == 0 && t.Name == xml.Name{Space: NSConference, Local: "x"}:
		if !s.inv.direct {
			s.inv.direct = true
			s.inv.room = im.Clip(xmlAttr(t, "jid"), maxRoomText)
			s.inv.directReason = im.Clip(xmlAttr(t, "reason"), maxRoomText)
			s.inv.directPassword = im.Clip(xmlAttr(t, "password"), maxRoomText)
		}
	case d == 0 && t.Name == xml.Name{Space: muc.NSUser, Local: "x"}:
		if !s.seenX {
			s.seenX, mark = true, "x"
		}
	case d == 1 && s.open[0] == "x" && t.Name.Space == muc.NSUser:
		switch t.Name.Local {
		case "invite":
			if !s.inv.invite && !s.inv.declined {
				s.inv.invite, mark = true, "invite"
				s.inv.from = im.Clip(xmlAttr(t, "from"), maxRoomText)
			}
		case "decline":
			if !s.inv.invite {
				s.inv.declined = true
			}
		case "password":
			mark = "password"
		}
	case d == 2 && s.open[1] == "invite" && t.Name == xml.Name{Space: muc.NSUser, Local: "reason"}:
		mark = "reason"
	}
	if d < len(s.open) {
		s.open[d] = mark
		for i := d + 1; i < len(s.open); i++ {
			s.open[i] = ""
		}
	}
}

// appendClipped appends t to s, keeping at most maxRoomText bytes and
// whole UTF-8 characters.
func appendClipped(s string, t xml.CharData) string {
	room := maxRoomText - len(s)
	if room <= 0 {
		return s
	}
	if len(t) > room+utf8Max {
		t = t[:room+utf8Max]
	}
	return im.Clip(s+string(t), maxRoomText)
}

// utf8Max is the longest UTF-8 encoding of a character.
const utf8Max = 4

// decodeInvitation decodes a message stanza, its subject (see
// decodeRoomMessage) and its invitation elements.
func decodeInvitation(r xml.TokenReader, start *xml.StartElement) (im.Message, bool, invitation, error) {
	s := &inviteSpotter{r: r}
	m, subject, err := decodeRoomMessage(s, start)
	return m, subject, s.inv, err
}

// invitation handles the invitation elements inv of message m: it reports
// whether m was an invitation (or a decline of ours, or the bounce of one
// of ours), which is all it carries then. A direct invitation names the
// room in its jid; a mediated one comes from the room's bare JID
// (XEP-0045 §7.8.2) and names who invites: by their bare JID, or by their
// occupant JID in a room that hides real JIDs. Invitations to rooms we are
// in, and direct ones from ourselves, are dropped.
func (h *handler) invitation(m im.Message, inv invitation) bool {
	switch m.Type {
	case stanza.ErrorMessage:
		s, ok := h.c.rooms.bouncedInvite(m.ID)
		if !ok {
			return false
		}
		var err error = stanza.Error{Condition: stanza.UndefinedCondition}
		if m.Err != nil {
			err = *m.Err
		}
		h.c.emit(CommandFailed{base: h.c.b(), Op: s.op, JID: s.room, Err: err})
		return true
	case stanza.GroupChatMessage:
		return false
	}
	if inv.invite || inv.declined {
		room, ok := parseRoom(m.From.String())
		if !ok {
			return false // not from a room
		}
		if inv.declined {
			// Someone declined our invitation (§7.8.2): no event of its
			// own; it carries nothing else.
			return true
		}
		ev := RoomInvitation{base: h.c.b(), Room: room.String(), Reason: inv.reason, Password: inv.password}
		if from, err := jid.Parse(inv.from); err == nil && inv.from != "" {
			// A room that does not show real JIDs names the inviter by
			// their occupant JID (XEP-0045 §7.8.2): that is kept whole.
			ev.From = from.Bare().String()
			if ev.From == ev.Room && from.Resourcepart() != "" {
				ev.From = from.String()
			}
		}
		if !h.c.rooms.in(ev.Room) {
			h.c.emit(ev)
		}
		return true
	}
	if !inv.direct {
		return false
	}
	room, ok := parseRoom(inv.room)
	if !ok {
		return false // no invitation: the message is what it is
	}
	from := m.From.Bare().String()
	if from != h.own && m.From.String() != "" && !h.c.rooms.in(room.String()) {
		h.c.emit(RoomInvitation{base: h.c.b(), Room: room.String(), From: from, Reason: inv.directReason, Password: inv.directPassword, Direct: true})
	}
	return true
}
