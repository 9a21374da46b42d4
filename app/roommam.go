package app

import (
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"strconv"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// What was said in a room while we were away, read from the room's own
// archive (XEP-0313 §4 to the room's JID) when the room has one
// (RoomInfo.Archive): the join then asks for no history (XEP-0045
// §7.2.14, maxstanzas 0), and once we are in, the core asks the archive
// for what came after the newest message of the room we have, by its
// stanza-id (XEP-0359, the room's), or for the room's last roomHistory
// messages when we have none. Results arrive as messages from the room's
// bare JID before the answer to each page; the handler archives them and
// reports the new ones as RoomMessage with FromHistory, in the archive's
// order, after RoomJoined.

const (
	// roomArchivePage is the number of messages asked for at once.
	roomArchivePage = 100
	// maxRoomArchive bounds what one join reads from a room's archive;
	// the rest is not read (the room moves on without us).
	maxRoomArchive = 1000
)

// startRoomHistory reads what we missed from room key's archive, on a
// goroutine; one reading per room and join at a time.
func (r *runner) startRoomHistory(ctx context.Context, sess *xmpp.Session, key string) {
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[key]
	if s == nil || s.phase != roomJoined || s.mamQuery != "" {
		b.mu.Unlock()
		return
	}
	qid := NewID()
	s.mamQuery, s.mamTaken = qid, 0
	q := roomQuery{id: qid, room: s.room, after: s.mamAfter, afterAt: s.mamAfterAt, since: s.mamSince}
	b.mu.Unlock()
	go r.roomArchive(ctx, sess, key, q)
}

// roomQuery is a reading of a room's archive.
type roomQuery struct {
	id   string
	room jid.JID
	// after is the room's stanza-id to read after, afterAt its time;
	// since, the newest message time known when there is no such id.
	after   string
	afterAt time.Time
	since   time.Time
	start   time.Time
	last    bool
}

// roomArchive pages through room key's archive as q says. A failure is a
// CommandFailed with OpRoomHistory; we stay in the room.
func (r *runner) roomArchive(ctx context.Context, sess *xmpp.Session, key string, q roomQuery) {
	b := &r.rooms
	// current reports whether this reading is still the room's: a new
	// join (a new session, whose old one may never answer) starts its own.
	current := func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		s := b.rooms[key]
		return s != nil && s.mamQuery == q.id
	}
	defer func() {
		b.mu.Lock()
		if s := b.rooms[key]; s != nil && s.mamQuery == q.id {
			s.mamQuery = ""
			b.archiveReads++
		}
		b.mu.Unlock()
	}()
	switch {
	case q.after != "":
	case !q.since.IsZero():
		// Messages without the room's stanza-ids: from a little before
		// the newest (duplicates are dropped by their ids).
		q.start = q.since.Add(-history.RoomSkew)
	default:
		q.last = true
	}
	for range maxRoomArchive / roomArchivePage {
		fin, err := r.roomArchivePage(ctx, sess, q)
		var se stanza.Error
		if errors.As(err, &se) && se.Condition == stanza.ItemNotFound && q.after != "" && q.start.IsZero() {
			// The room no longer knows that id: ask by time instead.
			q.after, q.start = "", q.afterAt.Add(-history.RoomSkew)
			continue
		}
		if err != nil {
			if ctx.Err() == nil && current() {
				r.roomEvent(CommandFailed{base: r.b(), Op: OpRoomHistory, JID: key, Err: err})
			}
			return
		}
		if q.last || fin.Complete || fin.Last == "" || !current() {
			return
		}
		q.after, q.start = fin.Last, time.Time{}
	}
}

// roomArchivePage asks the room's archive for one page.
func (r *runner) roomArchivePage(ctx context.Context, sess *xmpp.Session, q roomQuery) (im.ArchiveFin, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var fin im.ArchiveFin
	err := sendIQ(ctx, sess, stanza.IQ{Type: stanza.SetIQ, To: q.room}, q.tokens(), func(d *xml.Decoder, start *xml.StartElement) error {
		if start == nil {
			return errors.New("the room's archive answered without <fin/>")
		}
		var err error
		fin, err = im.DecodeArchiveFin(d, start)
		return err
	})
	return fin, err
}

// tokens encodes q's next page: after an id, from a time, or the last
// roomHistory messages (an empty <before/>, XEP-0059 §2.5).
func (q roomQuery) tokens() xml.TokenReader {
	if !q.last {
		return im.ArchiveQuery{QueryID: q.id, AfterID: q.after, Start: q.start, Max: roomArchivePage}.TokenReader()
	}
	set := xmlstream.Wrap(xmlstream.MultiReader(
		textElem("max", strconv.Itoa(roomHistory)),
		xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "before"}}),
	), xml.StartElement{Name: xml.Name{Space: im.NSRSM, Local: "set"}})
	return xmlstream.Wrap(set, xml.StartElement{Name: xml.Name{Space: im.NSMAM, Local: "query"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "queryid"}, Value: q.id}}})
}

// lastRoomStanzaID returns the room's stanza-id of the newest archived
// message of room key that has one, and its time; "" if none of the
// newest few has one.
func lastRoomStanzaID(ctx context.Context, st *history.Store, key string) (string, time.Time) {
	ms, err := st.Page(ctx, key, history.Cursor{}, 20)
	if err != nil {
		return "", time.Time{}
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Room && ms[i].StanzaID != "" {
			return ms[i].StanzaID, ms[i].Time
		}
	}
	return "", time.Time{}
}

// roomArchiveResult takes a message forwarded by from, when from is a
// room of the book: a result of our query of its archive is archived and
// reported, anything else from the room dropped. It reports whether from
// is such a room (else the message is the account's business).
func (h *handler) roomArchiveResult(from jid.JID, f *im.Forwarded) bool {
	if from.Resourcepart() != "" || f.Kind != im.ArchiveResult {
		return false
	}
	key := from.Bare().String()
	b := &h.c.rooms
	b.mu.Lock()
	s := b.rooms[key]
	if s == nil {
		b.mu.Unlock()
		return false
	}
	m := f.Msg
	if s.mamQuery == "" || f.QueryID != s.mamQuery || f.ResultID == "" || (m.Body == "" && m.Reactions == nil) ||
		m.Type != stanza.GroupChatMessage || m.From.Bare().String() != key || s.mamTaken >= cmp.Or(b.archiveMax, maxRoomArchive) {
		b.mu.Unlock()
		return true
	}
	s.mamTaken++
	now := time.Now()
	s.heard = now
	at := f.Delay
	if !m.Delay.IsZero() {
		at = m.Delay
	}
	at = notLater(at, now)
	if at.After(s.last) {
		s.last = at
	}
	if !at.Before(s.lastIDAt) {
		s.lastID, s.lastIDAt = f.ResultID, at
	}
	nick := m.From.Resourcepart()
	ours := nick != "" && (nick == s.nick || s.ours(m.ID) || s.ours(m.OriginID))
	occ := ""
	if s.occupantIDs() {
		occ = m.OccupantID
	}
	var corr *history.Correction
	if m.Replace != "" && nick != "" && m.Reactions == nil {
		// A correction (roomcorrect.go): from the archive, never live.
		c, drop := roomCorrectionOf(s, m, nick, ours, false)
		if drop {
			b.mu.Unlock()
			return true
		}
		corr = &c
	}
	b.mu.Unlock()
	if m.Reactions != nil {
		// Reactions (reactions.go) are no message.
		h.roomReaction(key, nick, ours, m.Reactions, at)
		return true
	}
	a, ev := h.roomLine(key, nick, m, ours, f.ResultID, at, true, true, occ)
	if corr != nil {
		h.c.arch.push(h.roomCorrectionOp(*corr, a, ev))
		return true
	}
	h.c.arch.push(archiveOp{add: a, onlyNew: true, ev: ev})
	return true
}
