package app

import (
	"errors"

	"mellium.im/xmpp"
	"mellium.im/xmpp/muc"
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

var errNotYet = errors.New("not implemented yet")

func (r *runner) setRole(sess *xmpp.Session, cmd cmdSetRole) {
	r.emit(CommandFailed{base: r.b(), Op: OpSetRole, JID: cmd.room, Err: errNotYet})
}

func (r *runner) setAffiliation(sess *xmpp.Session, cmd cmdSetAffiliation) {
	r.emit(CommandFailed{base: r.b(), Op: OpSetAffiliation, JID: cmd.room, Err: errNotYet})
}
