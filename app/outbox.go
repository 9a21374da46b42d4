package app

import (
	"context"
	"fmt"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// outMsg is a message in the outbox: typed by the user, not yet known to
// have reached the server.
type outMsg struct {
	id, peer, body string
	to             jid.JID
	at             time.Time
	// written is the session it was last written on (0: not yet).
	written uint64
	// replace is set on a correction (XEP-0308): the id of the message it
	// corrects. A correction is not archived as a message of its own.
	replace string
	// oob is the URL of a shared file (XEP-0066), the same as body; it is
	// not archived, so a file message left pending by an earlier run is
	// sent with its URL in the body only.
	oob string
	// reply is set on a reply (XEP-0461, reactions.go): what it answers,
	// its body starting with the quotation.
	reply *im.Reply
	// reactions is set on a reaction (XEP-0444, reactions.go), which has
	// no body and, like a correction, no row of its own.
	reactions *im.Reactions
}

// The outbox keeps every message the user sent until the server has
// acknowledged it. A message is written at once when online, else when the
// next session starts, in the order it was typed. Without stream
// management (XEP-0198), the acknowledgement is a ping sent after the
// messages: the server handles a stream's stanzas in order, so its answer
// means it has everything written before it (RFC 6120 §10.1). A message
// whose session died before that answer is written again, with the same
// id, on the next session; a recipient that got it twice can tell by the
// id (Palaver's archive does).

// queueMessage puts a message the user sent into the outbox and the
// archive (as pending). The session loop writes it (flushOutbox) after the
// batch of commands it came in.
func (r *runner) queueMessage(ctx context.Context, sess *xmpp.Session, cmd cmdMessage) {
	to, err := jid.Parse(cmd.to)
	if err != nil {
		r.emit(MessageFailed{base: r.b(), ID: cmd.id, Peer: cmd.to, Err: fmt.Errorf("%w: %w", ErrInvalidAddress, err)})
		return
	}
	peer := r.rooms.peer(to)
	m := &outMsg{id: cmd.id, peer: peer, body: cmd.body, to: to, at: time.Now(), oob: cmd.oob}
	if cmd.reply != nil {
		m.body, m.reply = replyBody(cmd.body, *cmd.reply)
	}
	r.outbox = append(r.outbox, m)
	a := &history.Message{Peer: peer, Dir: history.Out, MsgID: m.id, Time: m.at, Body: m.body, State: history.Pending}
	archivedReply(a, m.reply)
	r.arch.push(archiveOp{add: a})
	if sess != nil {
		r.activity(ctx, sess, peer, chatstate.Sent, time.Now())
	}
}

// loadOutbox reads the messages left pending by an earlier run.
func (r *runner) loadOutbox() {
	st, _ := r.store()
	if st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), archiveTimeout)
	defer cancel()
	pending, err := st.Pending(ctx)
	if err != nil {
		return
	}
	for _, p := range pending {
		to, err := jid.Parse(p.Peer)
		if err != nil {
			continue
		}
		r.outbox = append(r.outbox, &outMsg{id: p.MsgID, peer: p.Peer, body: p.Body, to: to, at: p.Time, reply: replyOf(p)})
	}
}

// flushOutbox writes the messages not yet written on this session, in
// order, then asks the server to confirm them: one confirming ping at a
// time, which covers everything written before it. A write that fails
// means the connection is broken (a TLS stream cut in the middle of a
// record cannot go on): the session is closed, and the next one writes
// what is left.
func (r *runner) flushOutbox(ctx context.Context, sess *xmpp.Session) {
	for _, m := range r.outbox {
		if m.written == r.session {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, sendTimeout)
		msg := im.Message{
			Message:          stanza.Message{ID: m.id, To: m.to, Type: stanza.ChatMessage},
			Body:             m.body,
			ReceiptRequested: m.replace == "" && m.reactions == nil,
			OriginID:         m.id,
			// Every message carries <active/>: that is how a peer learns
			// that we support chat states (XEP-0085 §5.1).
			ChatState: chatstate.Active,
			// A correction asks for no receipt: it would name a message
			// that has no row of its own.
			Replace:   m.replace,
			OOB:       m.oob,
			Reply:     m.reply,
			Reactions: m.reactions,
		}
		if m.reactions != nil {
			// A reaction is no sign of activity, and a chat state
			// alone would make it a no-store notification.
			msg.ChatState = ""
		}
		tr := msg.TokenReader()
		if m.private() {
			tr = withMUCUser(tr)
		}
		err := sess.Send(wctx, tr)
		cancel()
		if err != nil {
			_ = sess.Conn().Close()
			return
		}
		m.written = r.session
	}
	r.confirm(ctx, sess)
}

// confirm starts the confirming ping for the messages written on this
// session, unless one is already on its way (its answer starts the next).
func (r *runner) confirm(ctx context.Context, sess *xmpp.Session) {
	if r.confirming == r.session {
		return
	}
	var ids []string
	for _, m := range r.outbox {
		if m.written == r.session {
			ids = append(ids, m.id)
		}
	}
	if len(ids) == 0 {
		return
	}
	r.confirming = r.session
	session := r.session
	_, timeout := r.liveness()
	go func() {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		err := pingServer(pctx, sess, sess.LocalAddr().Domain())
		if err != nil {
			ids = nil // the liveness check deals with a dead connection
		}
		r.cmds.Push(cmdAcked{session: session, ids: ids})
	}()
}

// acked marks messages the server confirmed as sent.
func (r *runner) acked(cmd cmdAcked) {
	// After a failed ping (no ids) no other is tried on that session:
	// its connection is failing, and the next session writes again.
	if r.confirming == cmd.session && cmd.ids != nil {
		r.confirming = 0
	}
	done := make(map[string]bool, len(cmd.ids))
	for _, id := range cmd.ids {
		done[id] = true
	}
	kept := r.outbox[:0]
	for _, m := range r.outbox {
		// An answer on an older session proves that write arrived too.
		if !done[m.id] {
			kept = append(kept, m)
			continue
		}
		if m.replace != "" || m.reactions != nil {
			continue // no row of its own
		}
		r.arch.push(archiveOp{
			state: &stateChange{peer: m.peer, id: m.id, state: history.Sent},
			ev:    MessageStateChanged{base: r.b(), ID: m.id, Peer: m.peer, State: history.Sent},
		})
	}
	clear(r.outbox[len(kept):])
	r.outbox = kept
}

// retry puts a failed message back into the outbox.
func (r *runner) retry(ctx context.Context, sess *xmpp.Session, cmd cmdRetry) {
	for _, m := range r.outbox {
		if m.id == cmd.id {
			return // still on its way
		}
	}
	st, _ := r.store()
	if st == nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, archiveTimeout)
	defer cancel()
	m, ok, err := st.Outgoing(rctx, cmd.peer, cmd.id)
	if err != nil || !ok || m.State != history.Failed {
		return
	}
	to, err := jid.Parse(m.Peer)
	if err != nil {
		return
	}
	r.outbox = append(r.outbox, &outMsg{id: m.MsgID, peer: m.Peer, body: m.Body, to: to, at: m.Time, reply: replyOf(m)})
	r.arch.push(archiveOp{
		state: &stateChange{peer: m.Peer, id: m.MsgID, state: history.Pending},
		ev:    MessageStateChanged{base: r.b(), ID: m.MsgID, Peer: m.Peer, State: history.Pending},
	})
}

// failed takes a bounced message out of the outbox.
func (r *runner) failed(peer, id string) {
	kept := r.outbox[:0]
	for _, m := range r.outbox {
		if m.id != id || m.peer != peer {
			kept = append(kept, m)
		}
	}
	clear(r.outbox[len(kept):])
	r.outbox = kept
}
