package app

import (
	"context"

	"mellium.im/xmpp"
)

// Invitations to rooms: direct (XEP-0249) and mediated (XEP-0045 §7.8).

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

func (r *runner) invite(ctx context.Context, sess *xmpp.Session, cmd cmdInvite) {
	r.emit(CommandFailed{base: r.b(), Op: OpInvite, JID: cmd.room, Err: errNotYet})
}

func (r *runner) decline(ctx context.Context, sess *xmpp.Session, cmd cmdDecline) {
	r.emit(CommandFailed{base: r.b(), Op: OpDecline, JID: cmd.inv.Room, Err: errNotYet})
}
