package history

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// MaxPage is the most messages Page and Search return in one call; a
// larger n is reduced to it.
const MaxPage = 500

// pageCap is MaxPage; tests lower it to test the cap with few messages.
var pageCap = MaxPage

// msgCols are the messages columns scanMessage reads, in order.
const msgCols = `id, peer, dir, msg_id, stanza_id, time, delayed, delay_from, delay_reason, body, state, room, nick, sender, original,
	reply_id, reply_to, fallback_start, fallback_end, occupant_id`

// statements are prepared once per Store (database/sql prepares them again
// on each pooled connection as needed).
type statements struct {
	all []*sql.Stmt

	insert, byStanzaID, byMsgID, fillStanzaID *sql.Stmt
	byRoomLine                                *sql.Stmt
	page, pageBefore, pageAfter               *sql.Stmt
	indexNew                                  *sql.Stmt
}

func (st *statements) prepare(db *sql.DB) error {
	for _, p := range []struct {
		s   **sql.Stmt
		sql string
	}{
		{&st.insert, `INSERT INTO messages (peer, dir, msg_id, stanza_id, time, delayed, delay_from, delay_reason, body, state, room, nick, sender,
				reply_id, reply_to, fallback_start, fallback_end, occupant_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		// The same line of a room (see Add): ?1 peer, ?2 nick, ?3 body,
		// ?4 time, ?5 the window's start, ?6 its end, ?7 whether the new
		// message is delayed, ?8 its stanza-id.
		{&st.byRoomLine, `SELECT id, stanza_id FROM messages
			WHERE peer = ?1 AND room = 1 AND time BETWEEN ?5 AND ?6 AND nick = ?2 AND body = ?3
			AND (time = ?4 OR ?7 OR delayed) AND (stanza_id = '' OR ?8 = '') LIMIT 1`},
		{&st.byStanzaID, `SELECT id FROM messages WHERE peer = ? AND stanza_id = ? AND stanza_id <> '' LIMIT 1`},
		// A corrected message is still the same as a copy with its first
		// body (the server's archive keeps the original and the
		// correction apart).
		// dir is compared with ?3 + 0, not a bare ?3: SQLite looks at a
		// bare parameter's value to learn whether the partial index
		// messages_outbox (dir = 1 AND state = 1) may serve, and then
		// prepares the statement again whenever the parameter is bound
		// (exprCompareVariable, sqlite3VdbeSetVarmask): that was a
		// fifth of archiving a message.
		{&st.byMsgID, `SELECT id, stanza_id FROM messages
			WHERE peer = ?1 AND msg_id = ?2 AND msg_id <> '' AND dir = ?3 + 0 AND (body = ?4 OR original = ?4) LIMIT 1`},
		{&st.fillStanzaID, `UPDATE messages SET stanza_id = ? WHERE id = ? AND stanza_id = ''`},
		// Prepared once, not per transaction: parsing and planning it
		// was a sixth of archiving a message that came alone.
		{&st.indexNew, `INSERT INTO messages_fts (rowid, body)
			SELECT id, body FROM messages WHERE id BETWEEN ? AND ?`},
		{&st.page, `SELECT ` + msgCols + ` FROM messages WHERE peer = ?
			ORDER BY time DESC, id DESC LIMIT ?`},
		{&st.pageBefore, `SELECT ` + msgCols + ` FROM messages WHERE peer = ? AND (time, id) < (?, ?)
			ORDER BY time DESC, id DESC LIMIT ?`},
		{&st.pageAfter, `SELECT ` + msgCols + ` FROM messages WHERE peer = ? AND (time, id) > (?, ?)
			ORDER BY time, id LIMIT ?`},
	} {
		s, err := db.Prepare(p.sql)
		if err != nil {
			st.close()
			return fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.s = s
		st.all = append(st.all, s)
	}
	return nil
}

func (st *statements) close() error {
	var errs []error
	for _, s := range st.all {
		errs = append(errs, s.Close())
	}
	st.all = nil
	return errors.Join(errs...)
}

// micros converts t to the stored form, Unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts a stored time back, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Add archives m unless it is a duplicate of an archived message, and
// returns the id of the new row (added true) or of the existing one
// (added false). m is a duplicate if an archived message with the same Peer
// has the same non-empty StanzaID, or has the same Dir, the same non-empty
// MsgID and the same Body; if the archived duplicate has no StanzaID, it
// takes m's. m.ID is ignored; a zero m.Time is taken as now. Times are
// stored with microsecond precision.
//
// A room message (m.Room) compares by MsgID only when it is our own (Dir
// Out): occupants choose their ids, and two of them may pick the same.
// A room that stamps no stanza-id sends its history again on every join
// (XEP-0045 §7.2.15), with the original time in a delay stamp that the
// live copy, timed on arrival, did not have: such a message is also a
// duplicate of an archived line of the room with the same Nick and Body,
// at the same Time, or within RoomSkew of it when either of the two is
// delayed, unless both have stanza-ids (which then differ).
func (s *Store) Add(ctx context.Context, m Message) (id int64, added bool, err error) {
	if err := check(m); err != nil {
		return 0, false, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var err error
		ts := s.txStmts(ctx, tx)
		id, added, err = ts.add(ctx, m)
		if err != nil || !added {
			return err
		}
		return ts.indexNew(ctx, id, id)
	})
	return id, added, err
}

// AddBatch adds the messages as Add does, all in one transaction (all or
// none), and returns their ids in order: for a duplicate, of the row it
// duplicates (which may be earlier in the same batch).
func (s *Store) AddBatch(ctx context.Context, ms []Message) ([]int64, error) {
	for _, m := range ms {
		if err := check(m); err != nil {
			return nil, err
		}
	}
	if len(ms) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(ms))
	err := s.write(ctx, func(tx *sql.Tx) error {
		ts := s.txStmts(ctx, tx)
		var first, last int64
		for i, m := range ms {
			id, added, err := ts.add(ctx, m)
			if err != nil {
				return err
			}
			ids[i] = id
			if added {
				first, last = cmp.Or(first, id), id
			}
		}
		return ts.indexNew(ctx, first, last)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func check(m Message) error {
	if m.Peer == "" {
		return errors.New("history: message without peer")
	}
	if m.Dir != In && m.Dir != Out {
		return fmt.Errorf("history: bad direction %d", m.Dir)
	}
	return nil
}

// txStatements are the statements add uses, bound to one transaction.
type txStatements struct {
	insert, byStanzaID, byMsgID, fillStanzaID, byRoomLine, index *sql.Stmt
}

func (s *Store) txStmts(ctx context.Context, tx *sql.Tx) txStatements {
	return txStatements{
		insert:       tx.StmtContext(ctx, s.stmts.insert),
		byStanzaID:   tx.StmtContext(ctx, s.stmts.byStanzaID),
		byMsgID:      tx.StmtContext(ctx, s.stmts.byMsgID),
		fillStanzaID: tx.StmtContext(ctx, s.stmts.fillStanzaID),
		byRoomLine:   tx.StmtContext(ctx, s.stmts.byRoomLine),
		index:        tx.StmtContext(ctx, s.stmts.indexNew),
	}
}

// indexNew adds the messages first to last, all written by the current
// transaction, to the full-text index in one statement (see migration3).
// Rows are numbered in order and writers take turns, so the range holds
// only this transaction's new rows.
func (ts txStatements) indexNew(ctx context.Context, first, last int64) error {
	if first == 0 {
		return nil
	}
	_, err := ts.index.ExecContext(ctx, first, last)
	if err != nil {
		return fmt.Errorf("history: indexing: %w", err)
	}
	return nil
}

// add is Add inside a transaction.
func (ts txStatements) add(ctx context.Context, m Message) (int64, bool, error) {
	if m.StanzaID != "" {
		var id int64
		err := ts.byStanzaID.QueryRowContext(ctx, m.Peer, m.StanzaID).Scan(&id)
		if err == nil {
			return id, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, fmt.Errorf("history: add: %w", err)
		}
	}
	t := m.Time
	if t.IsZero() {
		t = time.Now()
	}
	if m.MsgID != "" && (!m.Room || m.Dir == Out) {
		if id, found, err := ts.same(ctx, m, ts.byMsgID.QueryRowContext(ctx, m.Peer, m.MsgID, int(m.Dir), m.Body)); found || err != nil {
			return id, false, err
		}
	}
	if m.Room {
		us := micros(t)
		row := ts.byRoomLine.QueryRowContext(ctx, m.Peer, m.Nick, m.Body, us,
			us-RoomSkew.Microseconds(), us+RoomSkew.Microseconds(), m.Delayed, m.StanzaID)
		if id, found, err := ts.same(ctx, m, row); found || err != nil {
			return id, false, err
		}
	}
	fbStart, fbEnd := m.fallback()
	res, err := ts.insert.ExecContext(ctx,
		m.Peer, int(m.Dir), m.MsgID, m.StanzaID, micros(t),
		m.Delayed, m.DelayFrom, m.DelayReason, m.Body, int(m.State), m.Room, m.Nick, m.Sender,
		m.ReplyID, m.ReplyTo, fbStart, fbEnd, m.OccupantID)
	if err != nil {
		return 0, false, fmt.Errorf("history: add: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, false, fmt.Errorf("history: add: %w", err)
	}
	return id, true, nil
}

// RoomSkew is how far apart in time a room's line seen live and its copy
// in the room's history may be and still count as one message, for rooms
// without stanza-ids (see Add): the live copy is timed by our clock on
// arrival, the history's by the room's clock when it was sent. Larger, it
// would merge a line that an occupant repeated while we were away.
const RoomSkew = time.Minute

// same reads the (id, stanza_id) row of an archived duplicate of m, if
// the query found one, and gives it m's stanza-id when it has none.
func (ts txStatements) same(ctx context.Context, m Message, row *sql.Row) (int64, bool, error) {
	var id int64
	var stanzaID string
	err := row.Scan(&id, &stanzaID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("history: add: %w", err)
	}
	if stanzaID == "" && m.StanzaID != "" {
		if _, err := ts.fillStanzaID.ExecContext(ctx, m.StanzaID, id); err != nil {
			return 0, false, fmt.Errorf("history: add: %w", err)
		}
	}
	return id, true, nil
}

// SetState sets the state of the outgoing message(s) with peer and msgID
// and reports whether there is such a message. A late Sent does not undo
// Delivered (a receipt can overtake the server's acknowledgement).
func (s *Store) SetState(ctx context.Context, peer, msgID string, st State) (bool, error) {
	if msgID == "" {
		return false, nil
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE messages
			SET state = CASE WHEN state = %d AND ?1 = %d THEN state ELSE ?1 END
			WHERE peer = ?2 AND msg_id = ?3 AND msg_id <> '' AND dir = %d`, Delivered, Sent, Out),
			int(st), peer, msgID)
		if err != nil {
			return fmt.Errorf("history: set state: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n > 0, err
}

// Page returns up to n messages with peer from strictly before the cursor
// in (Time, ID) order, oldest first; the zero Cursor pages back from the
// newest message. n is capped at MaxPage. To page further back, pass the
// At() of the first message returned.
func (s *Store) Page(ctx context.Context, peer string, before Cursor, n int) ([]Message, error) {
	ms, err := s.page(ctx, peer, n, func(n int) (*sql.Rows, error) {
		if before == (Cursor{}) {
			return s.stmts.page.QueryContext(ctx, peer, n)
		}
		return s.stmts.pageBefore.QueryContext(ctx, peer, micros(before.Time), before.ID, n)
	})
	slices.Reverse(ms) // read newest first
	return ms, err
}

// PageAfter returns up to n messages with peer from strictly after the
// cursor in (Time, ID) order, oldest first: the way back down after
// paging up. n is capped at MaxPage. To page further on, pass the At()
// of the last message returned; a page shorter than n is the newest.
func (s *Store) PageAfter(ctx context.Context, peer string, after Cursor, n int) ([]Message, error) {
	return s.page(ctx, peer, n, func(n int) (*sql.Rows, error) {
		return s.stmts.pageAfter.QueryContext(ctx, peer, micros(after.Time), after.ID, n)
	})
}

// page reads up to n (capped at MaxPage) messages with peer that query
// selects, with their reactions, in the order query gives.
func (s *Store) page(ctx context.Context, peer string, n int, query func(n int) (*sql.Rows, error)) ([]Message, error) {
	if n <= 0 {
		return nil, nil
	}
	n = min(n, pageCap)
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := query(n)
	if err != nil {
		return nil, fmt.Errorf("history: page: %w", err)
	}
	ms, err := scanMessages(rows, n)
	if err != nil {
		return nil, fmt.Errorf("history: page: %w", err)
	}
	if err := s.fillReactions(ctx, peer, ms); err != nil {
		return nil, fmt.Errorf("history: page: %w", err)
	}
	return ms, nil
}

// Pending returns the outgoing messages in state Pending (the outbox),
// oldest first.
func (s *Store) Pending(ctx context.Context) ([]Message, error) {
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT `+msgCols+` FROM messages
		WHERE dir = %d AND state = %d ORDER BY time, id`, Out, Pending))
	if err != nil {
		return nil, fmt.Errorf("history: pending: %w", err)
	}
	ms, err := scanMessages(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("history: pending: %w", err)
	}
	return ms, nil
}

// LastStanzaID returns the server stanza-id (XEP-0359) and time of the
// newest archived message that has one, to catch up from the server's
// archive (XEP-0313) after it; "" and the zero time if there is none.
// Room messages do not count: their stanza-ids are the rooms', unknown to
// the account's archive.
func (s *Store) LastStanzaID(ctx context.Context) (string, time.Time, error) {
	done, err := s.use()
	if err != nil {
		return "", time.Time{}, err
	}
	defer done()
	var id string
	var us int64
	err = s.db.QueryRowContext(ctx, `SELECT stanza_id, time FROM messages
		WHERE stanza_id <> '' AND room = 0 ORDER BY time DESC, id DESC LIMIT 1`).Scan(&id, &us)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", time.Time{}, nil
	case err != nil:
		return "", time.Time{}, fmt.Errorf("history: last stanza-id: %w", err)
	}
	return id, fromMicros(us), nil
}

// LastRoomTime returns the time of the newest archived message of room (a
// room's bare JID), the zero time if there is none: a join asks the room
// for the history after it (XEP-0045 §7.2.14).
func (s *Store) LastRoomTime(ctx context.Context, room string) (time.Time, error) {
	done, err := s.use()
	if err != nil {
		return time.Time{}, err
	}
	defer done()
	var us sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT max(time) FROM messages WHERE peer = ? AND room = 1`, room).Scan(&us)
	if err != nil {
		return time.Time{}, fmt.Errorf("history: last room time: %w", err)
	}
	if !us.Valid {
		return time.Time{}, nil
	}
	return fromMicros(us.Int64), nil
}

// Count returns the number of archived messages with peer, or of all
// messages if peer is "".
func (s *Store) Count(ctx context.Context, peer string) (int, error) {
	done, err := s.use()
	if err != nil {
		return 0, err
	}
	defer done()
	var n int
	if peer == "" {
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM messages`).Scan(&n)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE peer = ?`, peer).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("history: count: %w", err)
	}
	return n, nil
}

// scanner is *sql.Rows or *sql.Row.
type scanner interface{ Scan(dest ...any) error }

// scanMessage reads the msgCols of one row, plus extra destinations.
func scanMessage(r scanner, extra ...any) (Message, error) {
	var m Message
	var dir, state int
	var us int64
	dest := append([]any{&m.ID, &m.Peer, &dir, &m.MsgID, &m.StanzaID, &us,
		&m.Delayed, &m.DelayFrom, &m.DelayReason, &m.Body, &state, &m.Room, &m.Nick, &m.Sender, &m.Original,
		&m.ReplyID, &m.ReplyTo, &m.FallbackStart, &m.FallbackEnd, &m.OccupantID}, extra...)
	if err := r.Scan(dest...); err != nil {
		return Message{}, err
	}
	m.Dir, m.State, m.Time = Direction(dir), State(state), fromMicros(us)
	return m, nil
}

// scanMessages reads and closes rows.
func scanMessages(rows *sql.Rows, sizeHint int) ([]Message, error) {
	defer rows.Close()
	ms := make([]Message, 0, sizeHint)
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}
