package app

import (
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// Moderation of rooms (XEP-0045 §8, §9, §10): roles by nickname,
// affiliations by bare JID.

// SetRole asks the room to give the occupant nick the role, with a reason
// (may be ""): participant grants voice and visitor revokes it in a
// moderated room (§8.3, §8.4), moderator and participant grant and revoke
// moderation (§9.6, §9.7); none is Kick. Everyone sees an
// OccupantChanged; a refusal is a CommandFailed with OpSetRole.
func (c *Client) SetRole(room, nick string, role muc.Role, reason string) {
	c.cmds.Push(cmdSetRole{room: room, nick: nick, role: role, reason: reason})
}

// SetAffiliation asks the room to give the user with the bare JID user the
// affiliation, with a reason (may be ""): member, admin, owner, none, or
// outcast, which bans (§9.1 to §9.5, §10.3 to §10.7). Occupants see an
// OccupantChanged when the user is present; a refusal is a CommandFailed
// with OpSetAffiliation.
func (c *Client) SetAffiliation(room, user string, aff muc.Affiliation, reason string) {
	c.cmds.Push(cmdSetAffiliation{room: room, user: user, aff: aff, reason: reason})
}

type cmdSetRole struct {
	room, nick string
	role       muc.Role
	reason     string
}

type cmdSetAffiliation struct {
	room, user string
	aff        muc.Affiliation
	reason     string
}

// badRequest refuses an argument before anything is sent.
var badRequest = stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}

// setRole carries out SetRole: online, the room worker asks the room.
func (r *runner) setRole(sess *xmpp.Session, cmd cmdSetRole) {
	switch cmd.role {
	case muc.RoleNone, muc.RoleVisitor, muc.RoleParticipant, muc.RoleModerator:
	default:
		r.emit(CommandFailed{base: r.b(), Op: OpSetRole, JID: cmd.room, Err: badRequest})
		return
	}
	if room, ok := parseRoom(cmd.room); ok {
		if _, ok := validNick(room, cmd.nick); !ok {
			r.emit(CommandFailed{base: r.b(), Op: OpSetRole, JID: cmd.room, Err: stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed}})
			return
		}
	}
	r.queueAdmin(sess, OpSetRole, cmd.room, cmd.reason, "nick", im.Clip(cmd.nick, MaxNick), "role", cmd.role.String())
}

// setAffiliation carries out SetAffiliation: online, the room worker asks
// the room.
func (r *runner) setAffiliation(sess *xmpp.Session, cmd cmdSetAffiliation) {
	switch cmd.aff {
	case muc.AffiliationNone, muc.AffiliationOutcast, muc.AffiliationMember, muc.AffiliationAdmin, muc.AffiliationOwner:
	default:
		r.emit(CommandFailed{base: r.b(), Op: OpSetAffiliation, JID: cmd.room, Err: badRequest})
		return
	}
	user, err := jid.Parse(cmd.user)
	if err != nil || user.Resourcepart() != "" || cmd.user == "" {
		r.emit(CommandFailed{base: r.b(), Op: OpSetAffiliation, JID: cmd.room, Err: stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed}})
		return
	}
	r.queueAdmin(sess, OpSetAffiliation, cmd.room, cmd.reason, "jid", user.String(), "affiliation", cmd.aff.String())
}
