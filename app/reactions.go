package app

import (
	"context"
	"errors"

	"mellium.im/xmpp"
)

// Reactions (XEP-0444) and replies (XEP-0461) in 1:1 chats.

// ReactionsChanged is sent when someone's reactions to a message changed
// (ours included), once the archive has them.
type ReactionsChanged struct {
	base
	// Peer is the conversation.
	Peer string
	// ID is the id of the message reacted to (MessageReceived's Msg.ID, or
	// the id SendMessage returned).
	ID string
	// From is the bare JID of who reacted: the account's own for ours.
	From string
	// Emojis are From's reactions now; empty when taken back.
	Emojis []string
}

// ReplyTo names the message a reply answers.
type ReplyTo struct {
	// ID is its id (as in ReactionsChanged).
	ID string
	// Author is its sender's JID.
	Author string
	// Quote is the text quoted for clients that do not know replies
	// (XEP-0461 §2's fallback): the start of the message answered.
	Quote string
}

// React sets our reactions to message id in the conversation with peer
// to emojis (all of them: an empty list takes them back). A
// ReactionsChanged follows, or a CommandFailed with OpReact.
func (c *Client) React(peer, id string, emojis []string) {
	c.cmds.Push(cmdReact{peer: peer, id: id, emojis: emojis})
}

// SendReply is SendMessage for a message that answers another; the body
// sent starts with the quotation, marked as a fallback.
func (c *Client) SendReply(peer, body string, to ReplyTo) string {
	id := NewID()
	c.opened.add(peer)
	c.cmds.Push(cmdMessage{id: id, to: peer, body: body, reply: &to})
	return id
}

type cmdReact struct {
	peer, id string
	emojis   []string
}

// react carries out React (stub).
func (r *runner) react(ctx context.Context, sess *xmpp.Session, cmd cmdReact) {
	r.emit(CommandFailed{base: r.b(), Op: OpReact, JID: cmd.peer, Err: errors.New("not built yet")})
}
