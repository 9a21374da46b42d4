package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// Last message correction (XEP-0308), in 1:1 chats, private chats
// through rooms, and group chat rooms. A correction is a message with a
// new id, the new body and <replace id='…'/> naming the first message's
// id; the archive keeps one row per message, whose body becomes the
// correction's (history.Store.Correct), and the correction itself is not
// archived as a message.
//
// Who may correct what:
//   - the user, only the last message they sent to the peer (XEP-0308 §4,
//     as Gajim and Dino apply it), from this client (CorrectMessage) or,
//     by carbon or the server's archive, any of the account's clients;
//   - the peer, only a message that came from the same full JID (for a
//     room's private chat, the same occupant JID) as the correction
//     (XEP-0308 §8). Messages archived before schema 6 have no sender and
//     cannot be corrected by the peer;
//   - in a room, only the same occupant (XEP-0308 §8), as roomcorrect.go
//     checks: by occupant id (XEP-0421) where the room gives them, else
//     by nick for a line that came live during the current join from an
//     occupant still there since, under the same nick.
//
// A received correction that matches no such message (an unknown id,
// another resource or occupant, one of our ids) is shown and archived as
// a new message, as XEP-0308 §5 says to treat it as a normal one: nothing
// is lost, and nothing the sender could not write is changed.

// Errors of a refused CorrectMessage (CommandFailed with OpCorrect).
var (
	errNotLastMessage = errors.New("not the last message sent")
	errNoSuchMessage  = errors.New("no such message")
)

// CorrectMessage corrects our message id (the id SendMessage returned) in
// the conversation with peer (a bare JID, or an occupant's full JID for a
// room's private chat) with body, and returns the correction's own id.
// In a room (peer the room's bare JID), id is our line's RoomMessage.ID
// (the id SendRoomMessage returned, which is also the origin id it was
// sent with: XEP-0308 names the message by the id its sender gave it),
// the line must be our last one in the room and already reflected by the
// room (archived), and we must be in the room; the correction goes to
// the room at once (not through the outbox, as room messages) and the
// MessageCorrected has Room and Nick set. The room's copy of it changes
// nothing more and shows no new line.
// Only our last message to peer may be corrected, and only while
// connected: otherwise, or when body is empty, a CommandFailed with
// OpCorrect follows. Else the archive gets the new body (keeping the
// first, history.Message.Original), a MessageCorrected (ID: id, Outgoing)
// follows, and the correction goes through the outbox after what was sent
// before it. A body equal to the current one changes nothing and sends
// nothing. A correction not yet acknowledged by the server when Palaver
// quits is not sent again by the next run (the archive already has it).
func (c *Client) CorrectMessage(peer, id, body string) string {
	nid := NewID()
	c.cmds.Push(cmdCorrect{id: nid, peer: peer, replace: id, body: body})
	return nid
}

// cmdCorrect is CorrectMessage: correction id, of message replace.
type cmdCorrect struct{ id, peer, replace, body string }

// correctMessage carries out a CorrectMessage: it checks the rule and
// updates the archive at once (reading it after everything queued before
// is written), then queues the correction.
func (r *runner) correctMessage(ctx context.Context, sess *xmpp.Session, cmd cmdCorrect) {
	fail := func(err error) {
		r.emit(CommandFailed{base: r.b(), Op: OpCorrect, JID: cmd.peer, Err: err})
	}
	to, st, ok := r.messageTarget(sess, cmd.peer, cmd.replace, fail)
	if !ok {
		return
	}
	if cmd.body == "" {
		fail(errNoSuchMessage)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, archiveTimeout)
	defer cancel()
	r.arch.flush(cctx)
	if to.Resourcepart() == "" && r.rooms.has(to.String()) {
		r.roomCorrect(cctx, sess, st, to, cmd, fail)
		return
	}
	peer := r.rooms.peer(to)
	m, ok := correctOurs(cctx, st, history.Correction{Peer: peer, MsgID: cmd.replace, Dir: history.Out, LastOnly: true, Body: cmd.body}, fail)
	if !ok {
		return
	}
	r.outbox = append(r.outbox, &outMsg{id: cmd.id, peer: peer, body: cmd.body, to: to, at: time.Now(), replace: cmd.replace})
	r.arch.push(archiveOp{ev: MessageCorrected{base: r.b(), Peer: peer, ID: cmd.replace, Body: m.Body, Outgoing: true, ArchiveID: m.ID}})
}

// correctOurs applies c, a correction of our last message, to the
// archive and reports whether it changed it, so that it is to be sent; a
// refusal goes to fail (not our last message, no such message, the
// archive's error), a correction that changes nothing is dropped quietly.
func correctOurs(ctx context.Context, st *history.Store, c history.Correction, fail func(error)) (history.Message, bool) {
	m, found, changed, err := st.Correct(ctx, c)
	switch {
	case errors.Is(err, history.ErrNotLast):
		fail(errNotLastMessage)
	case err != nil:
		fail(err)
	case !found:
		fail(errNoSuchMessage)
	default:
		return m, changed
	}
	return m, false
}

// correctOp is a correction for the archiver to apply.
type correctOp struct {
	c history.Correction
	// orElse is archived, and orElseEv emitted if it is new, when the
	// correction matches no message.
	orElse   *history.Message
	orElseEv Event
}

// correction returns the archive op for a received correction m of a
// message in the conversation with peer: ours (out) or the peer's. a and
// ev are what m would be as a new message.
func (h *handler) correction(m im.Message, peer string, out bool, a *history.Message, ev Event) archiveOp {
	c := history.Correction{Peer: peer, MsgID: m.Replace, Dir: history.In, Sender: m.From.String(), Body: m.Body}
	if out {
		c.Dir, c.Sender = history.Out, ""
	}
	return archiveOp{
		correct: &correctOp{c: c, orElse: a, orElseEv: ev},
		ev:      MessageCorrected{base: h.c.b(), Peer: peer, ID: m.Replace, Body: m.Body, Outgoing: out},
	}
}

// correct applies op.correct: op.ev (a MessageCorrected) follows when it
// changed a message, the new message when it matched none.
func (a *archiver) correct(ctx context.Context, st *history.Store, op archiveOp) {
	co := op.correct
	var (
		m              history.Message
		found, changed bool
		err            error
	)
	if st != nil {
		m, found, changed, err = st.Correct(ctx, co.c)
	}
	switch {
	case err != nil && !errors.Is(err, history.ErrNotLast):
		a.report(fmt.Errorf("saving to the history: %w", err))
	case changed:
		if e, ok := op.ev.(MessageCorrected); ok {
			e.ArchiveID, e.Body = m.ID, m.Body
			if e.Room {
				e.Nick = m.Nick
			}
			a.c.emit(e)
		}
	case found:
		// Seen before: the archive has it already.
	case co.orElse != nil:
		ev := co.orElseEv
		if st != nil {
			ids, added, err := st.AddAll(ctx, []history.Message{*co.orElse})
			if err != nil {
				a.report(fmt.Errorf("saving messages to the history: %w", err))
			} else if !added[0] {
				return // seen before
			} else {
				switch e := ev.(type) {
				case MessageReceived:
					e.ArchiveID = ids[0]
					ev = e
				case RoomMessage:
					e.ArchiveID = ids[0]
					ev = e
				}
			}
		}
		if ev != nil {
			a.c.emit(ev)
		}
	}
}

// messageTarget checks what a command about our message id in the
// conversation with peer (a correction, a reaction) needs before it
// touches the archive: a session, a valid address and id, an open
// archive. It reports a refusal to fail and returns ok false.
func (r *runner) messageTarget(sess *xmpp.Session, peer, id string, fail func(error)) (to jid.JID, st *history.Store, ok bool) {
	if sess == nil {
		fail(ErrNotConnected)
		return to, nil, false
	}
	to, err := jid.Parse(peer)
	if err != nil {
		fail(fmt.Errorf("%w: %w", ErrInvalidAddress, err))
		return to, nil, false
	}
	if id == "" || len(id) > im.MaxIDLen {
		fail(errNoSuchMessage)
		return to, nil, false
	}
	if st, _ = r.store(); st == nil {
		fail(errClosed)
		return to, nil, false
	}
	return to, st, true
}
