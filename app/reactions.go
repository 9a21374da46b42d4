package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// Reactions (XEP-0444) and replies (XEP-0461) in 1:1 chats, and in
// private chats through rooms (whose peer is the occupant JID). In group
// chat rooms too: see roomReact and roomReaction for reactions,
// SendRoomReply and roomcorrect.go for replies.
//
// A reaction is a message to the peer with <reactions id='…'/> naming the
// message reacted to by its message id (XEP-0444 §3.1: the id attribute in
// 1:1 chats), carrying the sender's whole set, which replaces the last
// one. The archive keeps one set per conversation, message and sender
// (history.Store.React), attached only to an archived message of that
// conversation: the conversation is the sender's (or, for ours, the
// recipient's), so nobody else's reactions reach it, and reactions to
// nothing are dropped. Sets reach the archive from the peer (directly,
// by carbon from our other clients, or from the server's archive) and
// from us (React, sent carbons, the server's archive); an older set than
// the one kept changes nothing. A reaction never shows as a message.
//
// React needs a connection, as in Gajim and Dino (which disable reacting
// offline): a set queued for hours would land on a conversation that has
// moved on. Online, it goes through the outbox (after the messages
// before it, written again if the session dies before the server has it),
// but not again after a restart.
//
// A reply is a message with <reply to='…' id='…'/> and, for clients that
// know no replies, a quotation of the message answered at the start of
// its body, marked as a fallback (XEP-0428) so that clients that do can
// hide it (history.Message.Text).

// Bounds of the quotation a reply starts with.
const (
	maxQuoteLines = 3
	maxQuoteRunes = 200
)

// ReactionsChanged is sent when someone's reactions to a message changed
// (ours included), once the archive has them.
type ReactionsChanged struct {
	base
	// Peer is the conversation.
	Peer string
	// ID is the id of the message reacted to (MessageReceived's Msg.ID, or
	// the id SendMessage returned); in a room, the stanza id the room
	// gave it (RoomMessage.StanzaID).
	ID string
	// From is the bare JID of who reacted: the account's own for ours.
	// In a room's private chat, the peer's is its occupant JID (Peer);
	// in a room, others' are their occupant JIDs (room@service/nick).
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
	// (XEP-0461 §2's fallback): the start of the message answered. At
	// most its first 3 lines and 200 characters are quoted.
	Quote string
}

// React sets our reactions to message id in the conversation with peer
// to emojis (all of them: an empty list takes them back). A
// ReactionsChanged follows, or a CommandFailed with OpReact: when not
// connected, or when the archive has no message id with peer. In a room
// (peer its bare JID), id is the stanza id the room gave the message
// (RoomMessage.StanzaID), and we must be in the room. Blank,
// repeated and over-long (im.MaxReactionLen) reactions are dropped, and
// any after the first im.MaxReactions. Setting the same reactions again
// changes and sends nothing.
func (c *Client) React(peer, id string, emojis []string) {
	c.cmds.Push(cmdReact{peer: peer, id: id, emojis: emojis})
}

// SendReply is SendMessage for a message that answers another; the body
// sent starts with the quotation, marked as a fallback. The archive keeps
// the whole body, with the reply's id and the quotation's range
// (history.Message.ReplyID, Text).
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

// react carries out React: it records the set in the archive at once
// (after what was queued before it is written), then queues it.
func (r *runner) react(ctx context.Context, sess *xmpp.Session, cmd cmdReact) {
	fail := func(err error) {
		r.emit(CommandFailed{base: r.b(), Op: OpReact, JID: cmd.peer, Err: err})
	}
	to, st, ok := r.messageTarget(sess, cmd.peer, cmd.id, fail)
	if !ok {
		return
	}
	emojis := cleanReactions(cmd.emojis)
	own := sess.LocalAddr().Bare().String()
	cctx, cancel := context.WithTimeout(ctx, archiveTimeout)
	defer cancel()
	r.arch.flush(cctx)
	if to.Resourcepart() == "" && r.rooms.has(to.String()) {
		r.roomReact(cctx, sess, st, to, cmd.id, own, emojis, fail)
		return
	}
	peer := r.rooms.peer(to)
	if peer != to.String() {
		// 1:1: to the bare JID, so that all the peer's clients (and
		// their archive) get it.
		to = to.Bare()
	}
	found, changed, err := st.React(cctx, history.ReactionChange{Peer: peer, MsgID: cmd.id, From: own, Emojis: emojis, Time: time.Now()})
	switch {
	case err != nil:
		fail(err)
		return
	case !found:
		fail(errNoSuchMessage)
		return
	case !changed:
		return
	}
	r.outbox = append(r.outbox, &outMsg{id: NewID(), peer: peer, to: to, at: time.Now(),
		reactions: &im.Reactions{ID: cmd.id, Emojis: emojis}})
	r.arch.push(archiveOp{ev: ReactionsChanged{base: r.b(), Peer: peer, ID: cmd.id, From: own, Emojis: emojis}})
}

// roomReact carries out React in the room we are in (XEP-0444 §4): the
// set names the message by the stanza id the room gave it and goes to
// the room as a groupchat message, which the room reflects to everyone
// (us included: roomReaction takes that copy as ours, and it changes
// nothing then). It is sent at once, not through the outbox: as for room
// messages (sendToRoom), a room we have left by the time a session
// comes back is no place for it. A write that fails (the session is
// dying) is a CommandFailed; the archive keeps the set all the same.
func (r *runner) roomReact(ctx context.Context, sess *xmpp.Session, st *history.Store, room jid.JID,
	id, own string, emojis []string, fail func(error)) {
	msgID := NewID()
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[room.String()]
	joined := s != nil && s.phase == roomJoined
	if joined {
		s.remember(msgID)
	}
	b.mu.Unlock()
	if !joined {
		fail(ErrNotJoined)
		return
	}
	found, changed, err := st.React(ctx, history.ReactionChange{Peer: room.String(), MsgID: id, Room: true, From: own, Emojis: emojis, Time: time.Now()})
	switch {
	case err != nil:
		fail(err)
		return
	case !found:
		fail(errNoSuchMessage)
		return
	case !changed:
		return
	}
	m := im.Message{Message: stanza.Message{ID: msgID, To: room, Type: stanza.GroupChatMessage}, OriginID: msgID,
		Reactions: &im.Reactions{ID: id, Emojis: emojis}}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := sess.Send(sctx, m.TokenReader()); err != nil {
		fail(err)
	}
	r.arch.push(archiveOp{ev: ReactionsChanged{base: r.b(), Peer: room.String(), ID: id, From: own, Emojis: emojis}})
}

// roomReaction queues the reactions that m, a groupchat message from the
// room we are in, carries (XEP-0444 §4): they name a message by the
// stanza id the room gave it; at is when they were sent. Ours (the
// room's copy of what we sent, or what another of our clients sent
// under our nick) are from the account's bare JID, as in 1:1 chats.
// Others' are from their occupant JID (room@service/nick): this server
// gives no occupant id (XEP-0421: Debian's Prosody ships no
// mod_muc_occupant_id), so whoever takes over a nick later can change
// the reactions kept under it. The stakes are low (a few emojis), and a
// nick is what the room shows of someone anyway.
func (h *handler) roomReaction(room, nick string, ours bool, rs *im.Reactions, at time.Time) {
	if rs == nil || rs.ID == "" || nick == "" {
		return
	}
	from := room + "/" + nick
	if ours {
		from = h.own
	}
	emojis := slices.Clone(rs.Emojis)
	if emojis == nil {
		emojis = []string{}
	}
	h.c.arch.push(archiveOp{
		react: &reactOp{Peer: room, MsgID: rs.ID, Room: true, From: from, Emojis: emojis, Time: at},
		ev:    ReactionsChanged{base: h.c.b(), Peer: room, ID: rs.ID, From: from, Emojis: emojis},
	})
}

// cleanReactions returns emojis without blank, repeated or over-long
// ones, at most im.MaxReactions: what the peer's decoder keeps.
func cleanReactions(emojis []string) []string {
	out := []string{}
	for _, e := range emojis {
		e = strings.TrimSpace(e)
		if e == "" || len(e) > im.MaxReactionLen || slices.Contains(out, e) {
			continue
		}
		if len(out) == im.MaxReactions {
			break
		}
		out = append(out, e)
	}
	return out
}

// reactOp is a set of reactions for the archiver to record.
type reactOp = history.ReactionChange

// reaction queues the reactions that m carries, in the conversation with
// peer: ours (out) or the peer's; at is when they were sent.
func (h *handler) reaction(m im.Message, peer string, out bool, at time.Time) {
	rs := m.Reactions
	if rs == nil || rs.ID == "" || m.Type == stanza.GroupChatMessage || m.Type == stanza.ErrorMessage {
		return
	}
	from := peer
	if out {
		from = h.own
	}
	emojis := slices.Clone(rs.Emojis)
	if emojis == nil {
		emojis = []string{}
	}
	h.c.arch.push(archiveOp{
		react: &reactOp{Peer: peer, MsgID: rs.ID, From: from, Emojis: emojis, Time: at},
		ev:    ReactionsChanged{base: h.c.b(), Peer: peer, ID: rs.ID, From: from, Emojis: emojis},
	})
}

// react records op.react; op.ev (a ReactionsChanged) follows when it
// changed what the archive had.
func (a *archiver) react(ctx context.Context, st *history.Store, op archiveOp) {
	if st == nil {
		return
	}
	_, changed, err := st.React(ctx, *op.react)
	if err != nil {
		a.report(fmt.Errorf("saving to the history: %w", err))
		return
	}
	if changed && op.ev != nil {
		a.c.emit(op.ev)
	}
}

// replyBody returns the body of a reply to `to` that says body: the
// quotation of the message answered, then body; and the reply element,
// whose fallback range (in code points, XEP-0428 §4) covers the quotation.
func replyBody(body string, to ReplyTo) (string, *im.Reply) {
	r := &im.Reply{To: to.Author, ID: to.ID}
	q := quotation(to.Quote)
	if q == "" {
		return body, r
	}
	r.FallbackStart, r.FallbackEnd, r.HasFallback = 0, utf8.RuneCountInString(q), true
	return q + body, r
}

// quotation returns text quoted as a reply's fallback (XEP-0461 §2): each
// of its first maxQuoteLines lines after "> ", at most maxQuoteRunes
// characters in all, an ellipsis where it was cut, a newline after each
// line; "" for a blank text.
func quotation(text string) string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return ""
	}
	var (
		out  []string
		left = maxQuoteRunes
		cut  bool
	)
	for i, l := range strings.Split(text, "\n") {
		if i == maxQuoteLines || left <= 0 {
			cut = true
			break
		}
		l = strings.TrimRight(l, " \t")
		if utf8.RuneCountInString(l) > left {
			l, cut = string([]rune(l)[:left]), true
		}
		left -= utf8.RuneCountInString(l)
		out = append(out, l)
		if cut {
			break
		}
	}
	if cut {
		out[len(out)-1] += "…"
	}
	var b strings.Builder
	for _, l := range out {
		b.WriteString("> ")
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}

// archivedReply sets a's reply fields from the reply that m carries, if
// any: the id and author answered, and the quotation's byte range.
func archivedReply(a *history.Message, r *im.Reply) {
	if r == nil || r.ID == "" {
		return
	}
	a.ReplyID, a.ReplyTo = r.ID, r.To
	if s, e, ok := r.FallbackRange(a.Body); ok {
		a.FallbackStart, a.FallbackEnd = s, e
	}
}

// replyOf returns the reply element of the archived message m (an
// outgoing one sent again after a restart or a failure), nil if it
// answers nothing.
func replyOf(m history.Message) *im.Reply {
	if m.ReplyID == "" {
		return nil
	}
	r := &im.Reply{To: m.ReplyTo, ID: m.ReplyID}
	s, e := m.FallbackStart, m.FallbackEnd
	if 0 <= s && s < e && e <= len(m.Body) && utf8.ValidString(m.Body[:e]) {
		r.FallbackStart = utf8.RuneCountInString(m.Body[:s])
		r.FallbackEnd = r.FallbackStart + utf8.RuneCountInString(m.Body[s:e])
		r.HasFallback = true
	}
	return r
}
