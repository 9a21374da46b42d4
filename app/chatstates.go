package app

import (
	"context"
	"sync"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// maxChatPeers bounds what is remembered about peers' chat states: a
// server or peers flooding from ever new addresses cannot grow it without
// limit (the memory is forgotten, not the conversations).
const maxChatPeers = 10000

// chatStates remembers, per peer, whether it supports chat states (it sent
// one, XEP-0085 §5.1) and the last state it sent, so that only changes
// reach the UI. The handler writes it; the session goroutine reads it.
type chatStates struct {
	mu       sync.Mutex
	supports map[string]bool
	last     map[string]chatstate.State
}

func newChatStates() *chatStates {
	return &chatStates{supports: map[string]bool{}, last: map[string]chatstate.State{}}
}

// received records what a message from peer said. It reports whether the
// UI should hear of a new state: a body implies Active, which the UI
// infers from the message itself.
func (cs *chatStates) received(peer string, st chatstate.State, hasBody bool) (chatstate.State, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if st == "" {
		if hasBody {
			cs.remember(peer, chatstate.Active)
		}
		return "", false
	}
	if len(cs.supports) >= maxChatPeers && !cs.supports[peer] {
		clear(cs.supports)
		clear(cs.last)
	}
	cs.supports[peer] = true
	prev, known := cs.last[peer]
	cs.last[peer] = st
	if hasBody {
		return st, st != chatstate.Active
	}
	return st, !known || prev != st
}

func (cs *chatStates) remember(peer string, st chatstate.State) {
	if _, ok := cs.last[peer]; ok || len(cs.last) < maxChatPeers {
		cs.last[peer] = st
	}
}

// supported reports whether peer has shown it understands chat states.
func (cs *chatStates) supported(peer string) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.supports[peer]
}

// composers turns the user's activity into the chat states sent to each
// peer; the session goroutine owns it.
type composers struct {
	byPeer map[string]*chatstate.Composer
	timer  *time.Timer
	due    time.Time
}

// activity handles what the user did in the conversation with peer; it
// sends the resulting state to peers that support chat states. Sent is
// handled by sendMessage, whose message carries <active/> itself.
func (r *runner) activity(ctx context.Context, sess *xmpp.Session, peer string, a chatstate.Activity, now time.Time) {
	comp := r.comp.byPeer[peer]
	if comp == nil {
		if a == chatstate.Closed || a == chatstate.Unfocused {
			return // nothing was said in this conversation
		}
		comp = &chatstate.Composer{}
		r.comp.byPeer[peer] = comp
	}
	st, ok := comp.Do(a, now)
	if a == chatstate.Closed {
		delete(r.comp.byPeer, peer)
	}
	if ok && a != chatstate.Sent && sess != nil {
		r.sendChatState(ctx, sess, peer, st)
	}
	r.armChatTimer()
}

// chatTick sends the states that are due (paused, inactive).
func (r *runner) chatTick(ctx context.Context, sess *xmpp.Session, now time.Time) {
	for peer, comp := range r.comp.byPeer {
		if due, ok := comp.Due(); !ok || due.After(now) {
			continue
		}
		if st, ok := comp.Tick(now); ok && sess != nil {
			r.sendChatState(ctx, sess, peer, st)
		}
	}
	r.armChatTimer()
}

// chatTimer returns the channel that fires when a chat state is due.
func (r *runner) chatTimer() <-chan time.Time {
	if r.comp.timer == nil || r.comp.due.IsZero() {
		return nil
	}
	return r.comp.timer.C
}

// armChatTimer sets the timer to the earliest due state change.
func (r *runner) armChatTimer() {
	var next time.Time
	for _, comp := range r.comp.byPeer {
		if due, ok := comp.Due(); ok && (next.IsZero() || due.Before(next)) {
			next = due
		}
	}
	if r.comp.timer != nil {
		r.comp.timer.Stop()
	}
	r.comp.due = next
	if next.IsZero() {
		return
	}
	d := time.Until(next)
	if r.comp.timer == nil {
		r.comp.timer = time.NewTimer(d)
	} else {
		r.comp.timer.Reset(d)
	}
}

// sendChatState sends a standalone chat state notification to peer, only
// if peer supports them: it sent one, or its entity capabilities say so
// (XEP-0085 §5.1).
func (r *runner) sendChatState(ctx context.Context, sess *xmpp.Session, peer string, st chatstate.State) {
	if !r.chats.supported(peer) && !r.supports(peer, chatstate.NS) {
		return
	}
	to, err := jid.Parse(peer)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	m := im.Message{Message: stanza.Message{ID: NewID(), To: to, Type: stanza.ChatMessage}, ChatState: st}
	// A lost typing notification is not worth an error for the user.
	_ = sess.Send(ctx, m.TokenReader())
}
