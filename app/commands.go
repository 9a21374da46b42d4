package app

import (
	"context"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// handle carries out one command, online on sess, or offline when sess is
// nil; it reports whether the session should end (never while offline:
// whether to connect is r.want, which waitOffline reads after the batch).
// It is the one place that knows every command, in both states, so that
// a command cannot be forgotten in one of them (TestEveryCommandHandled).
// Only the runner's goroutine calls it.
func (r *runner) handle(ctx context.Context, sess *xmpp.Session, cmd command) (stop bool) {
	online := sess != nil
	switch cmd := cmd.(type) {
	case cmdConnect:
		// Online, the user already wants to be.
		r.want = true
	case cmdDisconnect:
		r.want = false
		return online
	case cmdPresence:
		r.own.Show, r.own.Status = cmd.show, cmd.status
		r.want = cmd.show != im.Offline
		if !r.want {
			return online
		}
		// Offline, the presence is sent once signed in.
		if online {
			if err := r.sendOwnPresence(ctx, sess); err != nil {
				r.emit(CommandFailed{base: r.b(), Op: OpSetStatus, Err: err})
			}
			r.presenceToRooms(ctx, sess)
		}
	case cmdMessage:
		// Offline, the message waits in the outbox.
		r.queueMessage(ctx, sess, cmd)
	case cmdRetry:
		r.retry(ctx, sess, cmd)
	case cmdSendFile:
		r.sendFile(ctx, sess, cmd)
	case cmdCancelUpload:
		r.cancelUpload(cmd)
	case cmdFetchMedia:
		r.fetchMedia(ctx, cmd)
	case cmdSaveMedia:
		r.saveMedia(ctx, cmd)
	case cmdReact:
		r.react(ctx, sess, cmd)
	case cmdCorrect:
		// Offline, it fails (correct.go).
		r.correctMessage(ctx, sess, cmd)
	case cmdAcked:
		r.acked(cmd)
	case cmdBounced:
		r.failed(cmd.peer, cmd.id)
	case cmdReceipt:
		// Offline, the receipt is dropped: a lost receipt only leaves the
		// peer's message "sent".
		if !online {
			break
		}
		rctx, cancel := context.WithTimeout(ctx, sendTimeout)
		m := im.Message{Message: stanza.Message{ID: NewID(), To: cmd.to, Type: stanza.ChatMessage}, ReceiptFor: cmd.id}
		_ = sess.Send(rctx, m.TokenReader())
		cancel()
	case cmdRoster:
		if !online {
			r.emit(CommandFailed{base: r.b(), Op: cmd.op.commandOp(), JID: cmd.jid, Err: ErrNotConnected})
			break
		}
		r.rosterOps.Push(cmd)
	case cmdSubscription:
		if !online {
			r.emit(CommandFailed{base: r.b(), Op: OpAnswerRequest, JID: cmd.jid, Err: ErrNotConnected})
			break
		}
		r.answerSubscription(ctx, sess, cmd)
	case cmdFetchProfile:
		// Offline, the cached profile answers.
		r.requestProfile(cmd, sess)
	case cmdSetProfile:
		if !online {
			r.emit(ProfileSaved{base: r.b(), Card: cmd.card, Err: ErrNotConnected})
			break
		}
		r.profileOps.Push(profileJob{set: true, card: cmd.card})
	case cmdOwnPhoto:
		// Offline, the hash goes out with the presence once signed in.
		if r.ownPhoto(cmd.hash) && online {
			if err := r.sendOwnPresence(ctx, sess); err != nil {
				r.emit(CommandFailed{base: r.b(), Op: OpAnnouncePicture, Err: err})
			}
		}
	case cmdJoinRoom:
		// Offline, the room is joined once signed in.
		r.joinRoom(ctx, sess, cmd)
	case cmdLeaveRoom:
		r.leaveRoom(ctx, sess, cmd)
	case cmdRoomMessage:
		// Offline, it fails: a room's conversation moves on without us.
		r.sendToRoom(ctx, sess, cmd)
	case cmdChangeNick:
		r.changeNick(ctx, sess, cmd)
	case cmdKick:
		r.queueKick(sess, cmd)
	case cmdSetRole:
		r.setRole(sess, cmd)
	case cmdSetAffiliation:
		r.setAffiliation(sess, cmd)
	case cmdInvite:
		r.invite(ctx, sess, cmd)
	case cmdDecline:
		r.decline(ctx, sess, cmd)
	case cmdListRooms:
		r.listRooms(sess, cmd)
	case cmdRoomConfig:
		// Offline, it fails: the form is of the moment.
		r.queueOwner(sess, cmd.room, ownerJob{kind: ownerGetConfig})
	case cmdSetRoomConfig:
		r.queueOwner(sess, cmd.room, ownerJob{kind: ownerSetConfig, values: cmd.values})
	case cmdDestroyRoom:
		r.queueOwner(sess, cmd.room, ownerJob{kind: ownerDestroy, reason: cmd.reason})
	case cmdRoomRejoin:
		r.rejoinRoom(ctx, sess, cmd)
	case cmdRoomInfo:
		r.roomInfoAnswer(ctx, sess, cmd)
	case cmdRoomNeeds:
		// Offline, the next session's join asks again.
		r.roomNeeds(ctx, sess, cmd)
	case cmdAutojoin:
		// Offline, the room is joined once signed in.
		r.autojoin(ctx, sess, cmd)
	case cmdSetBookmark:
		r.setBookmark(sess, cmd)
	case cmdRemoveBookmark:
		r.removeBookmark(sess, cmd)
	case cmdActivity:
		// Chat states mean nothing to peers while we are away.
		if online {
			r.activity(ctx, sess, cmd.peer, cmd.activity, time.Now())
		}
	}
	return false
}
