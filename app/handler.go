package app

import (
	"encoding/xml"
	"sync"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/mux"
	"mellium.im/xmpp/ping"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/queue"
)

// handler decodes incoming stanzas into events. As Serve holds the stream
// while it runs, it only decodes, updates state and emits; it never waits
// on the network.
type handler struct {
	c      *Client
	own    string // our bare JID
	roster *rosterState
	iqs    *mux.ServeMux
	// profiles queues the vCard fetches that announced pictures need.
	profiles *queue.Queue[profileJob]

	mu sync.Mutex
	// presence caches the last presence of every full JID seen, per bare
	// JID: some services (the Messenger service) answer no presence probe,
	// so what was seen is all there is.
	presence map[string]map[string]im.Presence
}

func newHandler(c *Client, sess *xmpp.Session, roster *rosterState) *handler {
	h := &handler{
		c:        c,
		own:      sess.LocalAddr().Bare().String(),
		roster:   roster,
		presence: map[string]map[string]im.Presence{},
		profiles: queue.New[profileJob](),
	}
	h.iqs = mux.New(stanza.NSClient,
		mux.IQFunc(stanza.SetIQ, xml.Name{Space: im.NSRoster, Local: "query"}, h.handleRosterPush),
		ping.Handle(),
	)
	return h
}

// HandleXMPP implements xmpp.Handler.
func (h *handler) HandleXMPP(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	h.c.heard()
	switch start.Name.Local {
	case "message":
		return h.handleMessage(t, start)
	case "presence":
		return h.handlePresence(t, start)
	default:
		return h.iqs.HandleXMPP(t, start)
	}
}

func (h *handler) handleMessage(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	m, err := im.DecodeMessage(t, start)
	if err != nil {
		// A malformed stanza is dropped, not fatal for the session.
		return nil
	}
	peer := m.From.Bare().String()
	if m.From.String() == "" {
		peer = h.own // RFC 6120 §8.1.2.1: from our own server, for us
	}
	if f := m.Forwarded; f != nil {
		// Only our own server forwards (a carbon or an archive result from
		// anyone else is a forgery, CVE-2017-5589).
		if !m.FromAccount(h.own) {
			return nil
		}
		switch f.Kind {
		case im.CarbonReceived:
			h.incoming(f.Msg, false)
		case im.CarbonSent:
			h.sentElsewhere(f.Msg, time.Time{}, "", false)
		case im.ArchiveResult:
			h.archiveResult(f)
		}
		return nil
	}
	switch {
	case m.Type == stanza.ErrorMessage:
		var err error = stanza.Error{Condition: stanza.UndefinedCondition}
		if m.Err != nil {
			err = *m.Err
		}
		h.c.cmds.Push(cmdBounced{peer: peer, id: m.ID})
		h.c.arch.push(archiveOp{
			state: &stateChange{peer: peer, id: m.ID, state: history.Failed},
			ev:    MessageFailed{base: h.c.b(), ID: m.ID, Peer: peer, Err: explainStanzaError(err)},
		})
	case m.Type == stanza.GroupChatMessage:
		// Group chat is not supported yet.
	default:
		h.incoming(m, true)
	}
	return nil
}

// incoming handles a chat or normal message from a peer: directly
// (direct) or as a carbon of one that another of our clients received.
func (h *handler) incoming(m im.Message, direct bool) {
	if m.Type == stanza.ErrorMessage || m.Type == stanza.GroupChatMessage || m.From.String() == "" {
		return
	}
	peer := m.From.Bare().String()
	if m.ReceiptFor != "" {
		// XEP-0184: the peer's client has our message. The archive only
		// changes a message to peer with that id.
		h.c.arch.push(archiveOp{
			state: &stateChange{peer: peer, id: m.ReceiptFor, state: history.Delivered},
			ev:    MessageStateChanged{base: h.c.b(), ID: m.ReceiptFor, Peer: peer, State: history.Delivered},
		})
	}
	// Events go through the archiver, so that a chat state never
	// overtakes the message before it, and a message seen twice (offline
	// storage, then the server archive) is shown once.
	if m.Body != "" {
		a := archived(m, peer, time.Now())
		a.StanzaID = m.StanzaIDBy(h.own)
		h.c.arch.push(archiveOp{add: a, onlyNew: true, ev: MessageReceived{base: h.c.b(), Msg: m, Peer: peer, Time: a.Time}})
		if direct && m.ReceiptRequested && m.ID != "" && h.mayAcknowledge(peer) {
			h.c.cmds.Push(cmdReceipt{to: m.From, id: m.ID})
		}
	}
	if st, ok := h.c.chats.received(peer, m.ChatState, m.Body != ""); ok {
		h.c.arch.push(archiveOp{ev: ChatStateChanged{base: h.c.b(), JID: peer, State: st}})
	}
}

// mayAcknowledge reports whether a receipt may go to peer: only contacts
// that see our presence learn that we are there (XEP-0184 §8).
func (h *handler) mayAcknowledge(peer string) bool {
	c, ok := h.roster.get(peer)
	return ok && (c.Subscription == "from" || c.Subscription == "both")
}

// sentElsewhere archives and shows a message the user sent from another
// client (a carbon, or an archive result when fromArchive is set); at is
// when the server had it and stanzaID the id it gave it, if known.
func (h *handler) sentElsewhere(m im.Message, at time.Time, stanzaID string, fromArchive bool) {
	if m.Body == "" || m.To.String() == "" || m.Type == stanza.GroupChatMessage {
		return
	}
	if stanzaID == "" {
		stanzaID = m.StanzaIDBy(h.own)
	}
	peer := m.To.Bare().String()
	when := notLater(at, time.Now())
	a := &history.Message{Peer: peer, Dir: history.Out, MsgID: m.ID, StanzaID: stanzaID, Time: when, Body: m.Body, State: history.Sent}
	h.c.arch.push(archiveOp{add: a, onlyNew: true, ev: MessageReceived{base: h.c.b(), Msg: m, Peer: peer, Time: when, Outgoing: true, FromArchive: fromArchive}})
}

// archiveResult merges a message from the server's archive (XEP-0313)
// into the local one; only new ones reach the UI.
func (h *handler) archiveResult(f *im.Forwarded) {
	if !h.c.catchup.expects(f.QueryID) || f.ResultID == "" {
		return // not an answer to our query
	}
	m := f.Msg
	if m.Body == "" || m.Type == stanza.ErrorMessage || m.Type == stanza.GroupChatMessage {
		return
	}
	at := f.Delay
	if !m.Delay.IsZero() {
		at = m.Delay
	}
	if m.From.Bare().String() == h.own {
		h.sentElsewhere(m, at, f.ResultID, true)
		return
	}
	if m.From.String() == "" {
		return
	}
	now := time.Now()
	at = notLater(at, now)
	peer := m.From.Bare().String()
	a := archived(m, peer, now)
	a.Time, a.StanzaID, a.Delayed = at, f.ResultID, true
	h.c.arch.push(archiveOp{add: a, onlyNew: true, ev: MessageReceived{base: h.c.b(), Msg: m, Peer: peer, Time: at, FromArchive: true}})
}

// sentAt returns when m was sent: its delay stamp, unless there is none or
// it lies in the future (a wrong clock), else now.
func sentAt(m im.Message, now time.Time) time.Time { return notLater(m.Delay, now) }

// notLater returns t, or now when t is unknown or in the future.
func notLater(t, now time.Time) time.Time {
	if t.IsZero() || t.After(now) {
		return now
	}
	return t
}

// archived returns the archive entry for an incoming message.
func archived(m im.Message, peer string, now time.Time) *history.Message {
	return &history.Message{
		Peer:        peer,
		Dir:         history.In,
		MsgID:       m.ID,
		Time:        sentAt(m, now),
		Delayed:     !m.Delay.IsZero(),
		DelayFrom:   m.DelayFrom,
		DelayReason: m.DelayReason,
		Body:        m.Body,
		State:       history.Received,
	}
}

func (h *handler) handlePresence(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	p, err := im.DecodePresence(t, start)
	if err != nil {
		return nil
	}
	if p.From.String() == "" {
		return nil // nothing to attribute it to
	}
	bare := p.From.Bare().String()
	switch p.Type {
	case stanza.SubscribePresence:
		h.c.emit(SubscriptionRequest{base: h.c.b(), From: bare, Nick: p.Nick, Status: p.Status})
	case stanza.AvailablePresence, stanza.UnavailablePresence, stanza.ErrorPresence:
		if p.Type == stanza.ErrorPresence {
			p.Show = im.Offline
		}
		h.updatePresence(bare, p)
		h.pictureAnnounced(bare, p)
	}
	return nil
}

// pictureAnnounced follows the picture hash in an available presence
// (XEP-0153 §4.3): a new hash is fetched once, a known one comes from the
// cache.
func (h *handler) pictureAnnounced(bare string, p im.Presence) {
	if !p.IsAvailable() {
		return
	}
	var hash string
	switch p.Photo {
	case im.PhotoSet:
		hash = p.PhotoHash
	case im.PhotoNone:
	default:
		return // says nothing, or "not ready yet"
	}
	if h.c.announced(bare, hash) {
		h.profiles.Push(profileJob{jid: bare})
	}
}

func (h *handler) updatePresence(bare string, p im.Presence) {
	h.mu.Lock()
	res := h.presence[bare]
	if res == nil {
		res = map[string]im.Presence{}
		h.presence[bare] = res
	}
	resource := p.From.Resourcepart()
	if p.IsAvailable() {
		res[resource] = p
	} else if p.Type == stanza.ErrorPresence || resource == "" {
		// An error or a bare unavailable means every resource is gone.
		clear(res)
	} else {
		delete(res, resource)
	}
	ev := h.summary(bare, res, p)
	h.mu.Unlock()
	h.c.emit(ev)
}

// summary returns the PresenceChanged that describes bare; last is the
// presence that caused it, used for the status of an offline contact.
func (h *handler) summary(bare string, res map[string]im.Presence, last im.Presence) PresenceChanged {
	best, ok := im.Best(res)
	if !ok {
		best = im.Presence{Show: im.Offline, Status: last.Status}
		best.From = last.From.Bare()
		best.Type = stanza.UnavailablePresence
	}
	return PresenceChanged{base: h.c.b(), JID: bare, Best: best, Resources: len(res)}
}

// allOffline marks every contact offline when the session ends.
func (h *handler) allOffline() {
	h.mu.Lock()
	var evs []PresenceChanged
	for bare, res := range h.presence {
		if len(res) == 0 {
			continue
		}
		clear(res)
		off := im.Presence{Show: im.Offline}
		evs = append(evs, PresenceChanged{base: h.c.b(), JID: bare, Best: off})
	}
	h.mu.Unlock()
	for _, ev := range evs {
		h.c.emit(ev)
	}
}

func (h *handler) handleRosterPush(iq stanza.IQ, t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	// RFC 6121 §2.1.6: only pushes from our own account are legitimate.
	if iq.From.String() != "" && iq.From.Bare().String() != h.own {
		_, err := xmlstream.Copy(t, iq.Error(stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable}))
		return err
	}
	q, _, err := im.DecodeRosterQuery(t, start)
	if err != nil || len(q.Items) != 1 {
		_, err := xmlstream.Copy(t, iq.Error(stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}))
		return err
	}
	updated, removed := h.roster.push(q)
	for _, c := range updated {
		h.c.emit(ContactUpdated{base: h.c.b(), Contact: c})
	}
	for _, j := range removed {
		h.c.emit(ContactRemoved{base: h.c.b(), JID: j})
	}
	_, err = xmlstream.Copy(t, iq.Result(nil))
	return err
}
