package app

import (
	"context"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// do carries out one command while online; it reports whether the session
// should end.
func (r *runner) do(ctx context.Context, sess *xmpp.Session, cmd command) (stop bool) {
	switch cmd := cmd.(type) {
	case cmdConnect:
	case cmdDisconnect:
		r.want = false
		return true
	case cmdPresence:
		r.own.Show, r.own.Status = cmd.show, cmd.status
		if cmd.show == im.Offline {
			r.want = false
			return true
		}
		if err := r.sendOwnPresence(ctx, sess); err != nil {
			r.emit(CommandFailed{base: r.b(), Op: "set your status", Err: err})
		}
	case cmdMessage:
		r.queueMessage(ctx, sess, cmd)
	case cmdRetry:
		r.retry(ctx, sess, cmd)
	case cmdAcked:
		r.acked(cmd)
	case cmdBounced:
		r.failed(cmd.peer, cmd.id)
	case cmdReceipt:
		rctx, cancel := context.WithTimeout(ctx, sendTimeout)
		m := im.Message{Message: stanza.Message{ID: NewID(), To: cmd.to, Type: stanza.ChatMessage}, ReceiptFor: cmd.id}
		// A lost receipt only leaves the peer's message "sent".
		_ = sess.Send(rctx, m.TokenReader())
		cancel()
	case cmdRoster:
		r.rosterOps.Push(cmd)
	case cmdSubscription:
		r.answerSubscription(ctx, sess, cmd)
	case cmdFetchProfile:
		r.requestProfile(cmd, sess)
	case cmdSetProfile:
		r.profileOps.Push(profileJob{set: true, card: cmd.card})
	case cmdOwnPhoto:
		if r.ownPhoto(cmd.hash) {
			if err := r.sendOwnPresence(ctx, sess); err != nil {
				r.emit(CommandFailed{base: r.b(), Op: "announce your picture", Err: err})
			}
		}
	case cmdActivity:
		r.activity(ctx, sess, cmd.peer, cmd.activity, time.Now())
	}
	return false
}
