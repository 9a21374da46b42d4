package app

import (
	"context"
	"encoding/xml"
	"sync"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/blocklist"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/jid"
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
	// capsJobs queues the disco#info queries that new caps hashes need.
	capsJobs *queue.Queue[capsJob]
}

func newHandler(c *Client, sess *xmpp.Session, roster *rosterState) *handler {
	h := &handler{
		c:        c,
		own:      sess.LocalAddr().Bare().String(),
		roster:   roster,
		profiles: queue.New[profileJob](),
		capsJobs: queue.New[capsJob](),
	}
	c.caps.open(c.capsDir())
	// The first session of a Run shows the presence kept from the last
	// run, as last seen, until the server says otherwise.
	for _, ev := range c.book.restore(c) {
		c.emit(ev)
	}
	h.iqs = mux.New(stanza.NSClient,
		mux.IQFunc(stanza.SetIQ, xml.Name{Space: im.NSRoster, Local: "query"}, h.handleRosterPush),
		mux.IQFunc(stanza.GetIQ, xml.Name{Space: disco.NSInfo, Local: "query"}, h.handleDiscoInfo),
		// XEP-0191 §3.3, §3.4: changes made by the account's other clients.
		mux.IQFunc(stanza.SetIQ, xml.Name{Space: blocklist.NS, Local: "block"}, h.handleBlockPush),
		mux.IQFunc(stanza.SetIQ, xml.Name{Space: blocklist.NS, Local: "unblock"}, h.handleBlockPush),
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
	pep := &pepEventSpotter{r: t}
	mu := &mucUserSpotter{r: pep}
	inv := &inviteSpotter{r: mu}
	m, hasSubject, err := decodeRoomMessage(inv, start)
	if err != nil {
		// A malformed stanza is dropped, not fatal for the session.
		return nil
	}
	if pep.toks != nil {
		// A PEP notification (XEP-0163 §4.3), such as a bookmark changed
		// by another of our clients or a contact's avatar (pepavatar.go);
		// it carries nothing else for us.
		h.bookmarkNotification(m.From, pep.toks)
		h.avatarNotification(m.From, pep.toks)
		return nil
	}
	peer := m.From.Bare().String()
	if m.From.String() == "" {
		peer = h.own // RFC 6120 §8.1.2.1: from our own server, for us
	}
	if f := m.Forwarded; f != nil {
		if h.roomArchiveResult(m.From, f) {
			return nil // a room's archive answers (roommam.go)
		}
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
	if h.invitation(m, inv.inv) {
		return nil // an invitation to a room (invite.go)
	}
	switch {
	case m.Type == stanza.ErrorMessage:
		var err error = stanza.Error{Condition: stanza.UndefinedCondition}
		if m.Err != nil {
			err = *m.Err
		}
		if m.From.String() != "" {
			peer = h.privatePeer(m.From) // a private message to an occupant
		}
		h.c.cmds.Push(cmdBounced{peer: peer, id: m.ID})
		h.c.arch.push(archiveOp{
			state: &stateChange{peer: peer, id: m.ID, state: history.Failed},
			ev:    MessageFailed{base: h.c.b(), ID: m.ID, Peer: peer, Err: explainStanzaError(err)},
		})
	case m.Type == stanza.GroupChatMessage:
		if configChanged(&mu.x) {
			h.roomConfigChanged(m.From)
		}
		h.roomMessage(m, hasSubject)
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
	peer := h.privatePeer(m.From)
	if m.ReceiptFor != "" {
		// XEP-0184: the peer's client has our message. The archive only
		// changes a message to peer with that id.
		h.c.arch.push(archiveOp{
			state: &stateChange{peer: peer, id: m.ReceiptFor, state: history.Delivered},
			ev:    MessageStateChanged{base: h.c.b(), ID: m.ReceiptFor, Peer: peer, State: history.Delivered},
		})
	}
	if m.Reactions != nil {
		// Reactions (reactions.go) are no message, and say nothing
		// about typing.
		h.reaction(m, peer, false, sentAt(m, time.Now()))
		return
	}
	// Events go through the archiver, so that a chat state never
	// overtakes the message before it, and a message seen twice (offline
	// storage, then the server archive) is shown once.
	if m.Body != "" {
		a := archived(m, peer, time.Now())
		a.StanzaID = m.StanzaIDBy(h.own)
		ev := MessageReceived{base: h.c.b(), Msg: m, Peer: peer, Time: a.Time}
		if m.Replace != "" {
			h.c.arch.push(h.correction(m, peer, false, a, ev))
		} else {
			h.c.arch.push(archiveOp{add: a, onlyNew: true, ev: ev})
		}
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
	if m.Reactions != nil && m.To.String() != "" {
		// Our reactions, from any of our clients (reactions.go).
		h.reaction(m, h.privatePeer(m.To), true, notLater(at, time.Now()))
		return
	}
	if m.Body == "" || m.To.String() == "" || m.Type == stanza.GroupChatMessage {
		return
	}
	if stanzaID == "" {
		stanzaID = m.StanzaIDBy(h.own)
	}
	peer := h.privatePeer(m.To)
	when := notLater(at, time.Now())
	a := &history.Message{Peer: peer, Dir: history.Out, MsgID: m.ID, StanzaID: stanzaID, Time: when, Body: m.Body, State: history.Sent}
	archivedReply(a, m.Reply)
	ev := MessageReceived{base: h.c.b(), Msg: m, Peer: peer, Time: when, Outgoing: true, FromArchive: fromArchive}
	if m.Replace != "" {
		// Our own correction, from any of our clients (correct.go).
		h.c.arch.push(h.correction(m, peer, true, a, ev))
		return
	}
	h.c.arch.push(archiveOp{add: a, onlyNew: true, ev: ev})
}

// archiveResult merges a message from the server's archive (XEP-0313)
// into the local one; only new ones reach the UI.
func (h *handler) archiveResult(f *im.Forwarded) {
	if !h.c.catchup.expects(f.QueryID) || f.ResultID == "" {
		return // not an answer to our query
	}
	m := f.Msg
	if (m.Body == "" && m.Reactions == nil) || m.Type == stanza.ErrorMessage || m.Type == stanza.GroupChatMessage {
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
	peer := h.privatePeer(m.From)
	if m.Reactions != nil {
		h.reaction(m, peer, false, at)
		return
	}
	a := archived(m, peer, now)
	a.Time, a.StanzaID, a.Delayed = at, f.ResultID, true
	ev := MessageReceived{base: h.c.b(), Msg: m, Peer: peer, Time: at, FromArchive: true}
	if m.Replace != "" {
		h.c.arch.push(h.correction(m, peer, false, a, ev))
		return
	}
	h.c.arch.push(archiveOp{add: a, onlyNew: true, ev: ev})
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
	a := &history.Message{
		Peer:        peer,
		Dir:         history.In,
		MsgID:       m.ID,
		Time:        sentAt(m, now),
		Delayed:     !m.Delay.IsZero(),
		DelayFrom:   m.DelayFrom,
		DelayReason: m.DelayReason,
		Body:        m.Body,
		State:       history.Received,
		// A correction must come from the same full JID (correct.go).
		Sender: m.From.String(),
	}
	archivedReply(a, m.Reply)
	return a
}

func (h *handler) handlePresence(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	spot := &capsSpotter{r: t}
	p, x, err := decodeRoomPresence(spot, start)
	if err != nil {
		return nil
	}
	if p.From.String() == "" {
		return nil // nothing to attribute it to
	}
	bare := p.From.Bare().String()
	if h.c.rooms.has(bare) {
		h.roomPresence(p, x)
		return nil
	}
	switch p.Type {
	case stanza.SubscribePresence:
		h.c.emit(SubscriptionRequest{base: h.c.b(), From: bare, Nick: p.Nick, Status: p.Status})
	case stanza.AvailablePresence, stanza.UnavailablePresence, stanza.ErrorPresence:
		// Anyone may send us directed presence (RFC 6121 §4.6): following
		// a stranger's would fetch their vCard on our behalf (telling
		// them our full JID and that we are online) and keep state for
		// every address a flood invents.
		if !h.follows(bare) {
			return nil
		}
		if p.Type == stanza.ErrorPresence {
			p.Show = im.Offline
		}
		h.updatePresence(bare, p)
		h.pictureAnnounced(bare, p)
		switch {
		case p.IsAvailable():
			h.capsAnnounced(p, spot.c, spot.found)
		case p.Type == stanza.ErrorPresence:
			h.c.caps.gone(p.From.Bare()) // as for presence: every resource is gone
		default:
			h.c.caps.gone(p.From)
		}
	}
	return nil
}

// follows reports whether the core keeps the presence and picture of bare:
// the account itself, a roster contact, or an address the user opened.
func (h *handler) follows(bare string) bool {
	if bare == h.own {
		return true
	}
	if _, ok := h.roster.get(bare); ok {
		return true
	}
	return h.c.opened.has(bare)
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
	if ev, ok := h.c.book.update(h.c, bare, p); ok {
		h.c.emit(ev)
	}
}

// allOffline ends the session's presence: what was seen stays, marked
// last seen (see presenceBook.endSession), and is saved for the next run.
func (h *handler) allOffline() {
	for _, ev := range h.c.book.endSession(h.c, time.Now()) {
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

// Limits on what the core keeps per address (issue 9). Presence and
// pictures are followed only for the account itself, roster contacts and
// addresses the user opened (see handler.follows); these caps bound the
// rest against a server or contacts that send from ever new resources, or
// a roster larger than any person keeps.
const (
	// maxResources bounds the resources kept per address: a further one
	// is ignored until one of them goes away.
	maxResources = 32
	// maxPresenceJIDs bounds the addresses whose presence is kept, live
	// or last seen: beyond it a new address's presence is ignored.
	maxPresenceJIDs = 20000
	// maxOpened bounds the addresses outside the roster that the user
	// opened (a chat or a profile) and whose presence and picture are
	// followed; the least recently opened is forgotten first.
	maxOpened = 100
)

// presenceBook is the presence the core knows, per bare JID: the available
// resources of the current session, and the last presence seen before it
// (stale), which some services never repeat: the Messenger service answers
// no presence probe (RFC 6121 §4.3), so a contact online before a
// reconnection is heard of again only when it changes. It lives as long as
// the Client; the zero value is ready to use.
// It is safe for concurrent use (the Serve handler writes it, the session
// goroutine ends it).
type presenceBook struct {
	mu       sync.Mutex
	live     map[string]map[string]im.Presence
	stale    map[string]lastSeen
	restored bool
}

// lastSeen is a presence from an earlier session and when it was last
// known to hold.
type lastSeen struct {
	best  im.Presence
	since time.Time
}

// size returns how many addresses the book holds (for tests).
func (b *presenceBook) size() (live, stale int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.live), len(b.stale)
}

// update records p, from bare, and returns the event that describes bare
// now; false when p is ignored (a cap is reached).
func (b *presenceBook) update(c *Client, bare string, p im.Presence) (PresenceChanged, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.live == nil {
		b.live = map[string]map[string]im.Presence{}
	}
	res := b.live[bare]
	if res == nil {
		if len(b.live)+len(b.stale) >= maxPresenceJIDs && !b.hasStale(bare) {
			return PresenceChanged{}, false
		}
		res = map[string]im.Presence{}
		b.live[bare] = res
	}
	// Fresh word from the server replaces what was last seen.
	delete(b.stale, bare)
	resource := p.From.Resourcepart()
	switch {
	case p.IsAvailable():
		if _, ok := res[resource]; !ok && len(res) >= maxResources {
			return PresenceChanged{}, false
		}
		res[resource] = p
	case p.Type == stanza.ErrorPresence || resource == "":
		// An error or a bare unavailable means every resource is gone.
		clear(res)
	default:
		delete(res, resource)
	}
	best, ok := im.Best(res)
	if !ok {
		best = im.Presence{Show: im.Offline, Status: p.Status}
		best.From = p.From.Bare()
		best.Type = stanza.UnavailablePresence
		delete(b.live, bare) // offline is what an unknown address is
	}
	return PresenceChanged{base: c.b(), JID: bare, Best: best, Resources: len(res)}, true
}

// liveResources returns the available resources of bare.
func (b *presenceBook) liveResources(bare string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	res := make([]string, 0, len(b.live[bare]))
	for r := range b.live[bare] {
		res = append(res, r)
	}
	return res
}

// isLive reports whether resource res of bare is available.
func (b *presenceBook) isLive(bare, res string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.live[bare][res]
	return ok
}

func (b *presenceBook) hasStale(bare string) bool {
	_, ok := b.stale[bare]
	return ok
}

// endSession turns the session's available contacts into last seen ones,
// as of now, saves them for the next run and returns their events. Those
// offline stay offline: nothing is shown for them.
func (b *presenceBook) endSession(c *Client, now time.Time) []Event {
	b.mu.Lock()
	var evs []Event
	for bare, res := range b.live {
		best, ok := im.Best(res)
		if !ok {
			continue
		}
		if b.stale == nil {
			b.stale = map[string]lastSeen{}
		}
		b.stale[bare] = lastSeen{best: best, since: now}
		evs = append(evs, staleEvent(c, bare, b.stale[bare]))
	}
	clear(b.live)
	saved := make([]history.LastSeen, 0, len(b.stale))
	for bare, ls := range b.stale {
		saved = append(saved, history.LastSeen{JID: bare, Show: ls.best.Show.String(), Status: ls.best.Status, Since: ls.since})
	}
	b.mu.Unlock()
	c.saveLastSeen(saved)
	return evs
}

// restore loads, once per Client, the presence saved by the last run and
// returns it as last seen.
func (b *presenceBook) restore(c *Client) []Event {
	b.mu.Lock()
	if b.restored {
		b.mu.Unlock()
		return nil
	}
	b.restored = true
	b.mu.Unlock()
	saved := c.loadLastSeen()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stale == nil {
		b.stale = map[string]lastSeen{}
	}
	var evs []Event
	for _, s := range saved {
		if len(b.stale) >= maxPresenceJIDs {
			break
		}
		if _, live := b.live[s.JID]; live {
			continue
		}
		show := im.ParseShow(s.Show)
		if s.Show == im.Offline.String() {
			continue
		}
		best := im.Presence{Show: show, Status: s.Status}
		if j, err := jid.Parse(s.JID); err == nil {
			best.From = j
		}
		b.stale[s.JID] = lastSeen{best: best, since: s.Since}
		evs = append(evs, staleEvent(c, s.JID, b.stale[s.JID]))
	}
	return evs
}

func staleEvent(c *Client, bare string, ls lastSeen) PresenceChanged {
	return PresenceChanged{base: c.b(), JID: bare, Best: ls.best, Stale: true, Since: ls.since}
}

// saveLastSeen replaces the last seen presence kept in the archive.
func (c *Client) saveLastSeen(saved []history.LastSeen) {
	st, _ := c.store()
	if st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), archiveTimeout)
	defer cancel()
	// Lost, it only means contacts look offline after a restart.
	_ = st.SetLastSeen(ctx, saved)
}

// loadLastSeen reads the last seen presence kept in the archive.
func (c *Client) loadLastSeen() []history.LastSeen {
	st, _ := c.store()
	if st == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), archiveTimeout)
	defer cancel()
	saved, err := st.LastSeen(ctx)
	if err != nil {
		return nil
	}
	return saved
}

// openedSet holds the addresses the user opened (a chat, a profile), whose
// presence and picture the core follows although they are not contacts;
// at most maxOpened, the least recently opened forgotten first. The zero
// value is ready to use; it is safe for concurrent use.
type openedSet struct {
	mu   sync.Mutex
	tick uint64
	at   map[string]uint64
}

// add records that the user opened addr (a JID, bare or full).
func (o *openedSet) add(addr string) {
	j, err := jid.Parse(addr)
	if err != nil {
		return
	}
	bare := j.Bare().String()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.at == nil {
		o.at = map[string]uint64{}
	}
	if _, ok := o.at[bare]; !ok && len(o.at) >= maxOpened {
		oldest, first := "", true
		for k, t := range o.at {
			if first || t < o.at[oldest] {
				oldest, first = k, false
			}
		}
		delete(o.at, oldest)
	}
	o.tick++
	o.at[bare] = o.tick
}

// has reports whether the user opened bare.
func (o *openedSet) has(bare string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.at[bare]
	return ok
}

// len returns how many addresses are held (for tests).
func (o *openedSet) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.at)
}
