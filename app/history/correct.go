package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Correction is a correction (XEP-0308) of an archived message (1:1, a
// room's private chat, or a room's line): its new body.
type Correction struct {
	// Peer is the conversation, as archived (Message.Peer).
	Peer string
	// MsgID is the id of the message corrected: the first one's, also
	// when it was corrected before.
	MsgID string
	// Dir is who wrote the message: Out for ours (from any of our
	// clients), In for the peer's.
	Dir Direction
	// Sender, for Dir In, is the full JID the correction came from: only
	// a message archived with the same Sender is corrected (XEP-0308 §8:
	// nobody else may correct it). Ignored for Dir Out.
	Sender string
	// Room says the message is a line of the room Peer (Message.Room).
	// Who may correct it is then the caller's decision, which Nick or
	// OccupantID carry: only a line archived with the same Nick, or the
	// same non-empty OccupantID (XEP-0421), is corrected; at least one
	// of them is needed for Dir In, and for Dir Out they are optional
	// (our own lines, corrected by this client).
	Room bool
	// Nick is the nickname the line must have been sent under (a room
	// line), "" for any.
	Nick string
	// OccupantID is the occupant id the line must carry (a room line),
	// "" for any.
	OccupantID string
	// LastOnly allows correcting only the newest message of Peer in Dir
	// (XEP-0308 §4, "last message"), as the user's own corrections are.
	LastOnly bool
	// CheckOnly changes nothing: found then says whether the message
	// already has Body (the same correction was applied before, so the
	// copy seen now is no new message).
	CheckOnly bool
	Body      string
}

// ErrNotLast is given by Correct with LastOnly when the message is
// archived but is not the last one.
var ErrNotLast = errors.New("history: not the last message")

// Correct replaces the body of the archived message that c corrects,
// keeping its first body as Original, and returns it as it is now. found
// is false when no room-less message of c.Peer has c.MsgID, c.Dir and (for
// In) c.Sender; changed is false when its body already was c.Body (a
// correction seen twice). With c.LastOnly, a message that is not the
// newest one gives ErrNotLast. The full-text index follows the new body.
// With c.Room, a room line of c.Peer is corrected instead, as Room says.
func (s *Store) Correct(ctx context.Context, c Correction) (m Message, found, changed bool, err error) {
	if c.Peer == "" || c.MsgID == "" || c.Body == "" {
		return Message{}, false, false, nil
	}
	if c.Dir != In && c.Dir != Out {
		return Message{}, false, false, fmt.Errorf("history: bad direction %d", c.Dir)
	}
	if c.Room && c.Dir == In && c.Nick == "" && c.OccupantID == "" {
		return Message{}, false, false, nil // nobody said who wrote it
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var row *sql.Row
		if c.Room {
			row = tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages
				WHERE peer = ?1 AND msg_id = ?2 AND dir = ?3 AND room = 1
				AND (?4 = '' OR nick = ?4) AND (?5 = '' OR occupant_id = ?5)
				ORDER BY id DESC LIMIT 1`, c.Peer, c.MsgID, int(c.Dir), c.Nick, c.OccupantID)
		} else {
			row = tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages
				WHERE peer = ?1 AND msg_id = ?2 AND dir = ?3 AND room = 0 AND (?3 = ?4 OR sender = ?5)
				ORDER BY id DESC LIMIT 1`, c.Peer, c.MsgID, int(c.Dir), int(Out), c.Sender)
		}
		var err error
		m, err = scanMessage(row)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if c.CheckOnly {
			found = m.Body == c.Body
			return nil
		}
		found = true
		if c.LastOnly {
			var last int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM messages WHERE peer = ? AND dir = ? AND room = ?
				ORDER BY time DESC, id DESC LIMIT 1`, c.Peer, int(c.Dir), c.Room).Scan(&last)
			if err != nil {
				return err
			}
			if last != m.ID {
				return ErrNotLast
			}
		}
		if m.Body == c.Body {
			return nil
		}
		if m.Original == "" {
			m.Original = m.Body
		}
		m.Body, changed = c.Body, true
		// A reply's quotation range named the first body; the new one
		// is shown whole (XEP-0461 replies keep their reply id).
		m.FallbackStart, m.FallbackEnd = 0, 0
		_, err = tx.ExecContext(ctx, `UPDATE messages SET original = ?, body = ?, fallback_start = 0, fallback_end = 0 WHERE id = ?`, m.Original, m.Body, m.ID)
		return err
	})
	if errors.Is(err, ErrNotLast) {
		return m, true, false, err
	}
	if err != nil {
		return Message{}, false, false, fmt.Errorf("history: correct: %w", err)
	}
	return m, found, changed, nil
}
