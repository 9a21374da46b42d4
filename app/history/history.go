// Package history is the local message archive of one account: an SQLite
// database (pure Go, modernc.org/sqlite) with full-text search (FTS5).
package history

import (
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Direction says who wrote a message.
type Direction int

// Directions.
const (
	// In: the peer wrote it.
	In Direction = iota
	// Out: the user wrote it (here or on another device).
	Out
)

// State is how far a message has come.
type State int

// States of a message.
const (
	// Received: an incoming message.
	Received State = iota
	// Pending: an outgoing message not yet written to the server.
	Pending
	// Sent: written to the server.
	Sent
	// Delivered: the peer acknowledged it (XEP-0184).
	Delivered
	// Failed: the server or the peer returned an error.
	Failed
)

// Message is one archived message.
type Message struct {
	// ID is the archive's row id, set by the store.
	ID int64
	// Peer is the bare JID of the other party.
	Peer string
	Dir  Direction
	// MsgID is the stanza's id attribute (ours for outgoing messages).
	MsgID string
	// StanzaID is the id the server assigned (XEP-0359), if any.
	StanzaID string
	// Time is when the message was originally sent (the delay stamp for
	// delayed messages).
	Time time.Time
	// Delayed is true for messages delivered late (XEP-0203/XEP-0091);
	// DelayFrom and DelayReason are what the delay element said.
	Delayed     bool
	DelayFrom   string
	DelayReason string
	Body        string
	State       State
	// Room is set for a group chat message (XEP-0045): Peer is then the
	// room's bare JID and Nick the sender's nickname in the room (ours for
	// Dir Out; "" for a message from the room itself).
	Room bool
	Nick string
	// Sender is the full JID an incoming 1:1 message came from (for a
	// room's private chat, the occupant JID); "" for other messages and
	// for those archived before it was kept. Corrections (XEP-0308) must
	// come from it.
	Sender string
	// Original is the first body of a corrected message (XEP-0308), ""
	// for a message never corrected; Body is then the latest correction.
	// Add ignores it.
	Original string
	// ReplyID is, for a reply (XEP-0461), the id of the message it
	// answers ("" for other messages), and ReplyTo that message's author
	// as the reply names it ("" when not named).
	ReplyID, ReplyTo string
	// FallbackStart and FallbackEnd are the byte range of Body that
	// quotes the message answered (XEP-0428), for clients that know no
	// replies; both 0 when there is none. Add stores them only when they
	// are a valid range of Body. Text gives Body without it.
	FallbackStart, FallbackEnd int
	// OccupantID is, for a room line, the id the room gave its sender
	// (XEP-0421), kept only from a room that announces occupant ids; ""
	// otherwise. A room correction from such a room must carry the same.
	OccupantID string
	// Reactions are the reactions to the message (XEP-0444), by who
	// reacted, in the order they were last changed; Page fills them in
	// (not Search, Pending or Outgoing). Add ignores them.
	Reactions []Reaction
}

// Reaction is one person's reactions to a message (XEP-0444).
type Reaction struct {
	// From is the bare JID of who reacted (the account's own for the
	// user's reactions; an occupant JID in a room's private chat).
	From string
	// Emojis are the reactions, never empty.
	Emojis []string
}

// fallback returns m's fallback range if it is a valid one of Body
// (within it, on character boundaries, not empty), else 0, 0.
func (m Message) fallback() (start, end int) {
	s, e := m.FallbackStart, m.FallbackEnd
	if s < 0 || e <= s || e > len(m.Body) || !utf8.RuneStart(m.Body[s]) || (e < len(m.Body) && !utf8.RuneStart(m.Body[e])) {
		return 0, 0
	}
	return s, e
}

// Text returns Body without the quotation of the message it answers (the
// fallback range), as a client that shows replies shows it.
func (m Message) Text() string {
	s, e := m.fallback()
	if e == 0 {
		return m.Body
	}
	return m.Body[:s] + m.Body[e:]
}

// Hit is a search result.
type Hit struct {
	Message
	// Snippet is the matching part of the body with the matched terms
	// between the runes '\x02' and '\x03'.
	Snippet string
}

// Cursor is a position in a conversation, ordered by Time then ID; the
// zero Cursor is after the newest message.
type Cursor struct {
	Time time.Time
	ID   int64
}

// At returns the cursor of m, to page to the messages before it.
func (m Message) At() Cursor { return Cursor{Time: m.Time, ID: m.ID} }
