package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ReactionChange is one sender's whole set of reactions to one message
// (XEP-0444 §3: each reactions element replaces what came before).
type ReactionChange struct {
	// Peer is the conversation, as archived (Message.Peer).
	Peer string
	// MsgID is the id of the message reacted to: its Message.MsgID in a
	// 1:1 chat, its Message.StanzaID (the id the room gave it, XEP-0444
	// §4) in a room.
	MsgID string
	// Room is set for reactions in a group chat room (Message.Room): they
	// attach only to the room's messages, the others only to 1:1 ones.
	Room bool
	// From is who reacted (Reaction.From).
	From string
	// Emojis are From's reactions now; empty takes them back.
	Emojis []string
	// Time is when From changed them; a zero Time is now.
	Time time.Time
}

// React records c and reports whether the conversation c.Peer has a
// message with c.MsgID (found): a 1:1 message by its MsgID, a room's (if
// c.Room) by its StanzaID; and whether c changed
// what was recorded (changed). Nothing is recorded for a message that is
// not archived: reactions only ever attach to one, so that an address
// cannot fill the archive with reactions to nothing. A change older than
// the one recorded (a copy replayed by the server's archive) changes
// nothing, nor does the same set again, in any order.
func (s *Store) React(ctx context.Context, c ReactionChange) (found, changed bool, err error) {
	if c.Peer == "" || c.MsgID == "" || c.From == "" {
		return false, false, nil
	}
	t := c.Time
	if t.IsZero() {
		t = time.Now()
	}
	emojis := c.Emojis
	if emojis == nil {
		emojis = []string{}
	}
	enc, err := json.Marshal(emojis)
	if err != nil {
		return false, false, fmt.Errorf("history: react: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM messages WHERE peer = ?1
			AND ((NOT ?3 AND room = 0 AND msg_id = ?2) OR (?3 AND room = 1 AND stanza_id = ?2)) LIMIT 1`,
			c.Peer, c.MsgID, c.Room).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		var (
			old string
			at  int64
		)
		err = tx.QueryRowContext(ctx, `SELECT emojis, time FROM reactions WHERE peer = ? AND msg_id = ? AND sender = ?`,
			c.Peer, c.MsgID, c.From).Scan(&old, &at)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if len(emojis) == 0 {
				return nil // nothing to take back
			}
		case err != nil:
			return err
		case micros(t) < at || sameSet(decodeEmojis(old), emojis):
			return nil
		}
		changed = true
		_, err = tx.ExecContext(ctx, `INSERT INTO reactions (peer, msg_id, sender, emojis, time) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (peer, msg_id, sender) DO UPDATE SET emojis = excluded.emojis, time = excluded.time`,
			c.Peer, c.MsgID, c.From, string(enc), micros(t))
		return err
	})
	if err != nil {
		return false, false, fmt.Errorf("history: react: %w", err)
	}
	return found, changed, nil
}

// Reactions returns the reactions to the message msgID of peer (a
// room's by its stanza id, as in ReactionChange), as Page fills them in.
func (s *Store) Reactions(ctx context.Context, peer, msgID string) ([]Reaction, error) {
	ms := []Message{{MsgID: msgID}}
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	if err := s.fillReactions(ctx, peer, ms); err != nil {
		return nil, fmt.Errorf("history: reactions: %w", err)
	}
	return ms[0].Reactions, nil
}

// reactionKey is the id reactions to m name: a room's messages are
// named by the stanza id the room gave them (XEP-0444 §4), others by
// their own id.
func reactionKey(m Message) string {
	if m.Room {
		return m.StanzaID
	}
	return m.MsgID
}

// fillReactions sets the Reactions of the messages ms of peer, with one
// query. The caller holds s.use.
func (s *Store) fillReactions(ctx context.Context, peer string, ms []Message) error {
	var ids []string
	for _, m := range ms {
		if k := reactionKey(m); k != "" {
			ids = append(ids, k)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT msg_id, sender, emojis FROM reactions
		WHERE peer = ? AND msg_id IN (SELECT value FROM json_each(?)) AND emojis <> '[]'
		ORDER BY time, sender`, peer, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	by := map[string][]Reaction{}
	for rows.Next() {
		var id, from, emojis string
		if err := rows.Scan(&id, &from, &emojis); err != nil {
			return err
		}
		if es := decodeEmojis(emojis); len(es) > 0 {
			by[id] = append(by[id], Reaction{From: from, Emojis: es})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range ms {
		if k := reactionKey(ms[i]); k != "" {
			ms[i].Reactions = by[k]
		}
	}
	return nil
}

// decodeEmojis reads a stored emojis column; nil when it is not a JSON
// array of strings.
func decodeEmojis(s string) []string {
	var es []string
	if json.Unmarshal([]byte(s), &es) != nil {
		return nil
	}
	return es
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
