package history

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
)

// AddAll adds the messages as Add does, all in one transaction (all or
// none), and returns for each the id of its row and whether it was added
// (false for a duplicate, whose id is the row it duplicates).
func (s *Store) AddAll(ctx context.Context, ms []Message) (ids []int64, added []bool, err error) {
	for _, m := range ms {
		if err := check(m); err != nil {
			return nil, nil, err
		}
	}
	if len(ms) == 0 {
		return nil, nil, nil
	}
	ids, added = make([]int64, len(ms)), make([]bool, len(ms))
	err = s.write(ctx, func(tx *sql.Tx) error {
		ts := s.txStmts(ctx, tx)
		var first, last int64
		for i, m := range ms {
			id, isNew, err := ts.add(ctx, m)
			if err != nil {
				return err
			}
			ids[i], added[i] = id, isNew
			if isNew {
				first, last = cmp.Or(first, id), id
			}
		}
		return ts.indexNew(ctx, first, last)
	})
	if err != nil {
		return nil, nil, err
	}
	return ids, added, nil
}

// Outgoing returns the message the user sent to peer with the stanza id
// msgID, and whether there is one.
func (s *Store) Outgoing(ctx context.Context, peer, msgID string) (Message, bool, error) {
	done, err := s.use()
	if err != nil {
		return Message{}, false, err
	}
	defer done()
	rows, err := s.db.QueryContext(ctx, `SELECT `+msgCols+` FROM messages
		WHERE peer = ? AND dir = ? AND msg_id = ? ORDER BY id DESC LIMIT 1`, peer, Out, msgID)
	if err != nil {
		return Message{}, false, fmt.Errorf("history: outgoing: %w", err)
	}
	ms, err := scanMessages(rows, 1)
	if err != nil {
		return Message{}, false, fmt.Errorf("history: outgoing: %w", err)
	}
	if len(ms) == 0 {
		return Message{}, false, nil
	}
	return ms[0], true, nil
}
