package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Profile is the cached profile of a contact.
type Profile struct {
	// JID is the contact's bare JID.
	JID string
	// Card is the vCard XML as fetched; this package does not parse it.
	Card []byte
	// PhotoHash is the SHA-1 of the avatar (XEP-0153), "" if unknown.
	PhotoHash string
	// Fetched is when Card was fetched; zero if never.
	Fetched time.Time
}

// fetchedMicros stores the zero time as 0 ("never").
func fetchedMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fetchedTime(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

// SaveProfile stores p, replacing every field of a cached profile with the
// same JID.
func (s *Store) SaveProfile(ctx context.Context, p Profile) error {
	if p.JID == "" {
		return errors.New("history: profile without JID")
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO profiles (jid, card, photo_hash, fetched) VALUES (?, ?, ?, ?)
			ON CONFLICT (jid) DO UPDATE SET card = excluded.card, photo_hash = excluded.photo_hash, fetched = excluded.fetched`,
			p.JID, p.Card, p.PhotoHash, fetchedMicros(p.Fetched))
		if err != nil {
			return fmt.Errorf("history: save profile: %w", err)
		}
		return nil
	})
}

// Profile returns the cached profile of jid, and false if there is none.
func (s *Store) Profile(ctx context.Context, jid string) (Profile, bool, error) {
	done, err := s.use()
	if err != nil {
		return Profile{}, false, err
	}
	defer done()
	p := Profile{JID: jid}
	var us int64
	err = s.db.QueryRowContext(ctx, `SELECT card, photo_hash, fetched FROM profiles WHERE jid = ?`, jid).
		Scan(&p.Card, &p.PhotoHash, &us)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Profile{}, false, nil
	case err != nil:
		return Profile{}, false, fmt.Errorf("history: profile: %w", err)
	}
	p.Fetched = fetchedTime(us)
	return p, true, nil
}

// SetPhotoHash sets the avatar hash of jid, creating its profile (without
// a card) if there is none; "" clears it.
func (s *Store) SetPhotoHash(ctx context.Context, jid, hash string) error {
	if jid == "" {
		return errors.New("history: profile without JID")
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO profiles (jid, photo_hash) VALUES (?, ?)
			ON CONFLICT (jid) DO UPDATE SET photo_hash = excluded.photo_hash`, jid, hash)
		if err != nil {
			return fmt.Errorf("history: set photo hash: %w", err)
		}
		return nil
	})
}

// PhotoHashes returns the known avatar hashes by bare JID (profiles
// without one are left out).
func (s *Store) PhotoHashes(ctx context.Context) (map[string]string, error) {
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := s.db.QueryContext(ctx, `SELECT jid, photo_hash FROM profiles WHERE photo_hash <> ''`)
	if err != nil {
		return nil, fmt.Errorf("history: photo hashes: %w", err)
	}
	defer rows.Close()
	m := make(map[string]string)
	for rows.Next() {
		var jid, hash string
		if err := rows.Scan(&jid, &hash); err != nil {
			return nil, fmt.Errorf("history: photo hashes: %w", err)
		}
		m[jid] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: photo hashes: %w", err)
	}
	return m, nil
}
