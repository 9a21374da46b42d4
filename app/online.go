package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/queue"
)

// online serves a signed-in session until it ends. It returns nil when the
// user signed out, else why the session ended.
func (r *runner) online(ctx context.Context, sess *xmpp.Session) error {
	resumed := r.resumeSession()
	r.session++
	r.heard()
	h := newHandler(r.Client, sess, r.roster)
	served := make(chan error, 1)
	go func() { served <- sess.Serve(smHandler(r.sm, h)) }()
	// Roster changes are IQ round trips: one worker carries them out in the
	// order they were asked for, so the session goroutine keeps taking
	// commands and "add" never overtakes a later "remove".
	r.rosterOps = queue.New[cmdRoster]()
	opsCtx, stopOps := context.WithCancel(ctx)
	opsDone := make(chan struct{})
	go func() {
		defer close(opsDone)
		r.rosterWorker(opsCtx, sess, r.rosterOps)
	}()
	capsDone := make(chan struct{})
	go func() {
		defer close(capsDone)
		r.capsWorker(opsCtx, sess, h.capsJobs)
	}()
	roomsDone := make(chan struct{})
	go func() {
		defer close(roomsDone)
		r.roomWorker(opsCtx, sess)
	}()
	// Bookmarks are read on a new session only: a resumed one keeps the
	// PEP subscription, and missed notifications come as resent stanzas
	// (XEP-0198 §5).
	bookmarksDone := make(chan struct{})
	go func() {
		defer close(bookmarksDone)
		r.bookmarkWorker(opsCtx, sess, !resumed)
	}()
	// The block list is read on a new session only (XEP-0191 §3.2): a
	// resumed one missed no pushes (XEP-0198 §5 resends them).
	blocksDone := make(chan struct{})
	go func() {
		defer close(blocksDone)
		r.blockWorker(opsCtx, sess, !resumed)
	}()
	r.profileOps = h.profiles
	profilesDone := make(chan struct{})
	go func() {
		defer close(profilesDone)
		r.profileWorker(opsCtx, sess, r.profileOps)
	}()
	defer func() {
		sess.Conn().Close()
		stopOps()
		<-opsDone
		<-profilesDone
		<-capsDone
		<-roomsDone
		<-blocksDone
		<-bookmarksDone
		r.profileOps = nil
		r.endPresence(h)
		// A new session starts the conversations' states afresh.
		clear(r.comp.byPeer)
		r.armChatTimer()
	}()

	// A resumed session keeps its roster (XEP-0198 §5): changes made
	// meanwhile come as the pushes the server resends.
	if !resumed {
		fetchCtx, cancel := context.WithTimeout(ctx, requestTimeout)
		contacts, err := r.roster.fetch(fetchCtx, sess)
		cancel()
		if err != nil {
			return fmt.Errorf("fetching the contact list: %w", err)
		}
		r.emit(RosterReset{base: r.b(), Contacts: contacts})
	}
	if err := r.sendOwnPresence(ctx, sess); err != nil {
		return err
	}
	if !resumed {
		r.enableSM(ctx, sess)
		// A resumed session is still in its rooms (XEP-0198 §5); a new
		// one joins them again.
		r.joinRooms(ctx, sess)
	}
	r.emit(StateChanged{base: r.b(), State: Online, Bound: sess.LocalAddr().String(), Mechanism: r.mechanism})
	dead := make(chan error, 1)
	go r.watchLiveness(opsCtx, sess, dead)
	r.flushOutbox(ctx, sess)
	go r.afterOnline(opsCtx, sess)
	r.discoverUpload(opsCtx, sess)
	// Our own vCard tells the picture hash to announce (XEP-0153 §4.1).
	r.profileOps.Push(profileJob{jid: r.acct})

	for {
		select {
		case <-ctx.Done():
			r.signOff(sess, served)
			return nil
		case err := <-served:
			if err == nil {
				err = ErrConnectionClosed
			}
			return err
		case err := <-dead:
			return err
		case now := <-r.chatTimer():
			r.chatTick(ctx, sess, now)
			continue
		case <-r.cmds.Ready():
		}
		cmds := r.cmds.Take()
		for i, cmd := range cmds {
			if stop := r.handle(ctx, sess, cmd); stop {
				// What came after the sign-out in the same batch (a message,
				// Connect again) is still to be done, offline or in the next
				// session.
				r.carried = append(r.carried, cmds[i+1:]...)
				r.signOff(sess, served)
				return nil
			}
		}
		// New messages, and those an answered ping leaves unconfirmed.
		r.flushOutbox(ctx, sess)
	}
}

// watchLiveness pings the server after a silence (XEP-0199 §4.2) and
// closes the connection when the ping goes unanswered: a stalled TCP
// connection (a laptop that slept, a NAT that forgot us) can look open
// for a long time. It reports why on dead. A wall clock that jumped ahead
// (the system slept) pings at once.
func (r *runner) watchLiveness(ctx context.Context, sess *xmpp.Session, dead chan<- error) {
	idle, timeout := r.liveness()
	server := sess.LocalAddr().Domain()
	check := min(idle/4, 5*time.Second)
	clock := newSleepDetector()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(check):
		}
		now := time.Now()
		slept := clock.slept(now)
		silent := now.Sub(time.Unix(0, r.lastHeard.Load()))
		if silent < idle && !slept {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := pingServer(pctx, sess, server)
		cancel()
		if err == nil {
			r.heard()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: the server did not answer a ping within %v", ErrStalled, timeout)
		} else {
			err = fmt.Errorf("the connection failed a ping: %w", err)
		}
		dead <- err
		_ = sess.Conn().Close()
		return
	}
}

// signOff sends unavailable presence and closes the stream politely.
func (r *runner) signOff(sess *xmpp.Session, served <-chan error) {
	// The server ends a session closed on purpose: nothing to resume.
	defer r.sm.Forget()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	// Messages written but not yet confirmed: one last ping settles them,
	// so that they are not sent again next time.
	var unconfirmed []string
	for _, m := range r.outbox {
		if m.written == r.session {
			unconfirmed = append(unconfirmed, m.id)
		}
	}
	if len(unconfirmed) > 0 && pingServer(ctx, sess, sess.LocalAddr().Domain()) == nil {
		r.acked(cmdAcked{session: r.session, ids: unconfirmed})
	}
	p := im.Presence{Presence: stanza.Presence{Type: stanza.UnavailablePresence}, Status: r.own.Status}
	_ = sess.Send(ctx, p.TokenReader())
	_ = sess.Close()
	// Wait for the server's </stream:stream>, bounded by our own timer:
	// mellium's SetCloseDeadline races with a running Serve. The caller
	// closes the connection afterwards, which ends Serve in any case.
	select {
	case <-served:
	case <-ctx.Done():
	}
}

// ownPhoto records the hash of our own picture for our presence; it
// reports whether it changed.
func (r *runner) ownPhoto(hash string) bool {
	photo := im.PhotoNone
	if hash != "" {
		photo = im.PhotoSet
	}
	if r.own.Photo == photo && r.own.PhotoHash == hash {
		return false
	}
	r.own.Photo, r.own.PhotoHash = photo, hash
	return true
}

func (r *runner) sendOwnPresence(ctx context.Context, sess *xmpp.Session) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	p := r.own
	p.Presence = stanza.Presence{Type: stanza.AvailablePresence}
	p.Priority = r.settings().Priority
	// Every available presence names what Palaver supports (XEP-0115 §4).
	if err := sess.Send(ctx, withOwnCaps(p.TokenReader())); err != nil {
		return fmt.Errorf("sending presence: %w", err)
	}
	return nil
}

func (r *runner) sendPresence(ctx context.Context, sess *xmpp.Session, to jid.JID, typ stanza.PresenceType) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	p := im.Presence{Presence: stanza.Presence{To: to, Type: typ}}
	return sess.Send(ctx, p.TokenReader())
}
