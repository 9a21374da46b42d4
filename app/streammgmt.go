package app

import (
	"context"
	"encoding/xml"
	"maps"
	"net"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/mux"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/sm"
)

// Stream management (XEP-0198, app/sm) in the core. One sm.State per
// account lives on the runner across connections. openSession wraps the
// connections it makes for counting and binds through sm.Feature, which
// resumes the earlier session when the server still has it. A resumed
// session keeps the server's roster, presence and subscriptions, and the
// stanzas the server had not acknowledged are written again by app/sm:
// the core then neither fetches the roster again nor writes again the
// outbox messages of the lost connection. A new session enables stream
// management after binding.
// The outbox keeps its own confirmation (a ping after the messages, see
// outbox.go) in every case, so that a server without stream management
// loses nothing either.

// smWrap wraps c for st's counting; without st, c is returned as is.
func smWrap(st *sm.State, c net.Conn) net.Conn {
	if st == nil {
		return c
	}
	return st.Wrap(c)
}

// smBind returns bind made to resume st's session when it can; without
// st, bind as is.
func smBind(st *sm.State, bind xmpp.StreamFeature) xmpp.StreamFeature {
	if st == nil {
		return bind
	}
	return sm.Feature(st, bind)
}

// smHandler passes the stream management elements (<r/>, <a/>,
// <enabled/>, <failed/>) to st's handlers and everything else to h.
func smHandler(st *sm.State, h xmpp.Handler) xmpp.Handler {
	m := mux.New(stanza.NSClient, sm.Handle(st))
	return xmpp.HandlerFunc(func(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
		if start.Name.Space == sm.NS {
			return m.HandleXMPP(t, start)
		}
		return h.HandleXMPP(t, start)
	})
}

// resumeSession is called when a session starts, before r.session counts
// it and before it is served. It reports whether the session resumed the
// one before (XEP-0198 §5); then:
//   - the outbox messages written on the lost connection and not yet
//     confirmed count as written on this one: app/sm has written again
//     those the server did not get, in order, so writing them here too
//     would send them twice; the ping that confirms this session's
//     messages covers them (the server handles a stream in order, RFC
//     6120 §10.1);
//   - the presence that was live when the connection was lost is live
//     again: the server keeps the session's presence state and sends none
//     again, and what changed since comes in the stanzas it resends, after
//     this (hence before Serve).
func (r *runner) resumeSession() bool {
	live := r.liveBefore
	r.liveBefore = nil
	if r.sm == nil || !r.sm.Resumed() {
		return false
	}
	for _, m := range r.outbox {
		if m.written == r.session {
			m.written = r.session + 1
		}
	}
	for _, ev := range r.book.revive(r.Client, live) {
		r.emit(ev)
	}
	return true
}

// enableSM asks the server to enable stream management on a new session.
// A server without it (ErrUnsupported) or refusing it leaves the session
// as it is: the outbox's ping confirmation still holds.
func (r *runner) enableSM(ctx context.Context, sess *xmpp.Session) {
	if r.sm == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	_ = sm.Enable(ctx, sess, r.sm)
}

// endPresence ends the session's presence (handler.allOffline) and keeps
// what was live, for resumeSession if the next connection resumes the
// session.
func (r *runner) endPresence(h *handler) {
	r.liveBefore = r.book.snapshot()
	h.allOffline()
}

// snapshot returns a copy of the live presence.
func (b *presenceBook) snapshot() map[string]map[string]im.Presence {
	b.mu.Lock()
	defer b.mu.Unlock()
	live := make(map[string]map[string]im.Presence, len(b.live))
	for bare, res := range b.live {
		live[bare] = maps.Clone(res)
	}
	return live
}

// revive makes live again what snapshot returned, unless newer word came
// since, and returns the events that say so.
func (b *presenceBook) revive(c *Client, live map[string]map[string]im.Presence) []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.live == nil {
		b.live = map[string]map[string]im.Presence{}
	}
	var evs []Event
	for bare, res := range live {
		if _, newer := b.live[bare]; newer {
			continue
		}
		best, ok := im.Best(res)
		if !ok {
			continue
		}
		b.live[bare] = res
		delete(b.stale, bare)
		evs = append(evs, PresenceChanged{base: c.b(), JID: bare, Best: best, Resources: len(res)})
	}
	return evs
}
