package app

import (
	"context"
	"errors"
	"fmt"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/queue"
)

func (r *runner) answerSubscription(ctx context.Context, sess *xmpp.Session, cmd cmdSubscription) {
	op := OpDenyRequest
	if cmd.approve {
		op = OpApproveRequest
	}
	to, err := jid.Parse(cmd.jid)
	if err != nil {
		r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: err})
		return
	}
	to = to.Bare()
	if !cmd.approve {
		if err := r.sendPresence(ctx, sess, to, stanza.UnsubscribedPresence); err != nil {
			r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: err})
		}
		return
	}
	if err := r.sendPresence(ctx, sess, to, stanza.SubscribedPresence); err != nil {
		r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: err})
		return
	}
	// Ask for theirs in return unless we already see it or asked.
	if c, ok := r.roster.get(to.String()); !ok || (!c.Pending && c.Subscription != "to" && c.Subscription != "both") {
		if err := r.sendPresence(ctx, sess, to, stanza.SubscribePresence); err != nil {
			r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: err})
		}
	}
}

// rosterWorker carries out roster commands in order until ctx ends; those
// left then fail as not connected.
func (r *runner) rosterWorker(ctx context.Context, sess *xmpp.Session, ops *queue.Queue[cmdRoster]) {
	for {
		select {
		case <-ctx.Done():
			for _, cmd := range ops.Take() {
				r.emit(CommandFailed{base: r.b(), Op: cmd.op.commandOp(), JID: cmd.jid, Err: ErrNotConnected})
			}
			return
		case <-ops.Ready():
		}
		for _, cmd := range ops.Take() {
			r.changeRoster(ctx, sess, cmd)
		}
	}
}

func (r *runner) changeRoster(ctx context.Context, sess *xmpp.Session, cmd cmdRoster) {
	op := cmd.op.commandOp()
	to, err := jid.Parse(cmd.jid)
	if err != nil {
		r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: fmt.Errorf("%w: %w", ErrInvalidAddress, err)})
		return
	}
	to = to.Bare()
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if cmd.op == opRemove {
		err = r.roster.remove(ctx, sess, to)
	} else {
		err = r.roster.set(ctx, sess, im.RosterItem{JID: to, Name: cmd.name, Groups: cmd.groups})
	}
	if err != nil {
		r.emit(CommandFailed{base: r.b(), Op: op, JID: to.String(), Err: explainStanzaError(err)})
		return
	}
	if cmd.op == opAdd {
		if err := r.sendPresence(ctx, sess, to, stanza.SubscribePresence); err != nil {
			r.emit(CommandFailed{base: r.b(), Op: OpAskPresence, JID: to.String(), Err: err})
		}
	}
}

// explainStanzaError turns refusals into words; a network like the
// Messenger service refuses roster changes other than adding.
func explainStanzaError(err error) error {
	var se stanza.Error
	if !errors.As(err, &se) {
		return err
	}
	text := se.Text[""]
	if text == "" {
		for _, t := range se.Text {
			text = t
			break
		}
	}
	var msg string
	switch se.Condition {
	case stanza.NotAllowed, stanza.Forbidden, stanza.FeatureNotImplemented, stanza.ServiceUnavailable:
		msg = "this server does not allow that change (" + string(se.Condition) + ")"
	case stanza.ItemNotFound:
		msg = "the server does not know this contact"
	case stanza.BadRequest, stanza.NotAcceptable, stanza.JIDMalformed:
		msg = "the server refused the request as invalid (" + string(se.Condition) + ")"
	default:
		msg = "the server refused (" + string(se.Condition) + ")"
	}
	if text != "" {
		msg += ": " + text
	}
	return &explainedError{msg: msg, err: err}
}

// explainedError is a stanza error with explainStanzaError's words; it
// wraps the refusal, so errors.As finds the stanza.Error.
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }
