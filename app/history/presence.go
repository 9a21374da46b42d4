package history

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LastSeen is the presence last seen from a contact, kept across restarts
// for servers that never repeat it (no answer to presence probes).
type LastSeen struct {
	// JID is the contact's bare JID.
	JID string
	// Show is the wire form of the availability ("" for available,
	// "away", "chat", "dnd", "xa").
	Show string
	// Status is the status text.
	Status string
	// Since is when the presence was last known to hold.
	Since time.Time
}

// SetLastSeen replaces every kept presence with ps.
func (s *Store) SetLastSeen(ctx context.Context, ps []LastSeen) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM last_seen`); err != nil {
			return fmt.Errorf("history: set last seen: %w", err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO last_seen (jid, show, status, since) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("history: set last seen: %w", err)
		}
		defer stmt.Close()
		for _, p := range ps {
			if p.JID == "" {
				continue
			}
			if _, err := stmt.ExecContext(ctx, p.JID, p.Show, p.Status, fetchedMicros(p.Since)); err != nil {
				return fmt.Errorf("history: set last seen: %w", err)
			}
		}
		return nil
	})
}

// LastSeen returns every kept presence, by JID.
func (s *Store) LastSeen(ctx context.Context) ([]LastSeen, error) {
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := s.db.QueryContext(ctx, `SELECT jid, show, status, since FROM last_seen ORDER BY jid`)
	if err != nil {
		return nil, fmt.Errorf("history: last seen: %w", err)
	}
	defer rows.Close()
	var out []LastSeen
	for rows.Next() {
		var p LastSeen
		var us int64
		if err := rows.Scan(&p.JID, &p.Show, &p.Status, &us); err != nil {
			return nil, fmt.Errorf("history: last seen: %w", err)
		}
		p.Since = fetchedTime(us)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: last seen: %w", err)
	}
	return out, nil
}
