package history

import (
	"context"
	"database/sql"
	"fmt"
)

// A migration takes the schema from version i to i+1 (its index in
// migrations plus one). Migrations are never edited once released: a change
// is a new migration appended at the end.
type migration struct {
	name string
	sql  string
}

// migrations is the schema, in order; SchemaVersion is its length.
var migrations = []migration{
	{"messages and full-text search", migration1},
	{"contact profile cache", migration2},
	{"full-text index written per transaction", migration3},
	{"last seen presence", migration4},
	{"group chat messages", migration5},
	{"message corrections and senders", migration6},
	{"reactions and replies", migration7},
	{"occupant ids of room lines", migration8},
}

// SchemaVersion is the schema version this package writes (PRAGMA
// user_version of an up-to-date archive).
const SchemaVersion = 8

// migration1: the messages, their indexes, and an external-content FTS5
// index over the bodies kept in sync by triggers. The FTS index also has
// prefix indexes for 2 and 3 characters: without them a prefix query like
// "the*" merges the doclists of every word starting with "the" (200 ms on
// a million messages); longer prefixes match few enough words.
//
// time is Unix microseconds, UTC. The partial indexes are small: they hold
// only rows that have a stanza-id, a message id, or are in the outbox.
const migration1 = `
CREATE TABLE messages (
	id           INTEGER PRIMARY KEY,
	peer         TEXT    NOT NULL,
	dir          INTEGER NOT NULL,
	msg_id       TEXT    NOT NULL DEFAULT '',
	stanza_id    TEXT    NOT NULL DEFAULT '',
	time         INTEGER NOT NULL,
	delayed      INTEGER NOT NULL DEFAULT 0,
	delay_from   TEXT    NOT NULL DEFAULT '',
	delay_reason TEXT    NOT NULL DEFAULT '',
	body         TEXT    NOT NULL DEFAULT '',
	state        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_peer_time ON messages (peer, time, id);
CREATE INDEX messages_stanza_id ON messages (peer, stanza_id) WHERE stanza_id <> '';
CREATE INDEX messages_msg_id ON messages (peer, msg_id) WHERE msg_id <> '';
CREATE INDEX messages_stanza_time ON messages (time, id) WHERE stanza_id <> '';
CREATE INDEX messages_outbox ON messages (time, id) WHERE dir = 1 AND state = 1;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
	body,
	content = 'messages',
	content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '2 3'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
	INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
`

// migration2: the contact profile cache (vCards and avatar hashes).
// fetched is Unix microseconds, 0 for never.
const migration2 = `
CREATE TABLE profiles (
	jid        TEXT PRIMARY KEY,
	card       BLOB,
	photo_hash TEXT    NOT NULL DEFAULT '',
	fetched    INTEGER NOT NULL DEFAULT 0
);
`

// migration3: new messages are indexed for search by one statement at the
// end of each write transaction (indexNew) instead of a trigger per row:
// FTS5 writes its pending index to disk at every statement that touches
// it inside a transaction, so the trigger made a burst of messages cost a
// segment write each (0.2 ms of CPU per message).
const migration3 = `
DROP TRIGGER messages_fts_insert;
`

// migration4: the presence last seen per contact, shown as "last seen"
// after a restart: a server that answers no presence probe (RFC 6121
// §4.3; the Messenger service) never sends it again. since is Unix
// microseconds.
const migration4 = `
CREATE TABLE last_seen (
	jid    TEXT PRIMARY KEY,
	show   TEXT    NOT NULL DEFAULT '',
	status TEXT    NOT NULL DEFAULT '',
	since  INTEGER NOT NULL DEFAULT 0
);
`

// migration5: group chat (XEP-0045). A room's messages are kept with the
// room's bare JID as peer, room set, and the sender's nick in the room;
// 1:1 messages keep room 0 and an empty nick. The partial index serves the
// duplicate check of rooms without stanza-ids (Store.Add) and the time of
// a room's newest message (LastRoomTime), which asks a rejoin for only the
// history after it.
const migration5 = `
ALTER TABLE messages ADD COLUMN room INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN nick TEXT    NOT NULL DEFAULT '';
CREATE INDEX messages_room_time ON messages (peer, time) WHERE room = 1;
`

// migration6: last message correction (XEP-0308). A corrected message
// keeps its row, with the new body in body (which the full-text index
// follows, through messages_fts_update) and its first body in original
// (” for a message never corrected). sender is the full JID an incoming
// 1:1 message came from (an occupant JID for a room's private chat), ”
// for older rows and other messages: a correction is applied only when it
// comes from the same sender as the message it corrects.
const migration6 = `
ALTER TABLE messages ADD COLUMN sender   TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN original TEXT NOT NULL DEFAULT '';
`

// migration7: message reactions (XEP-0444) and replies (XEP-0461).
//
// A reply keeps, on its row, the id of the message it answers (reply_id,
// empty for other messages), that message's author as the reply named it
// (reply_to), and the byte range of body that quotes it for clients that
// know no replies (XEP-0428 fallback; fallback_end 0 for none), so that
// the quotation can be hidden (Message.Text). The body is kept whole: the
// full-text index and the duplicate check see what was sent.
//
// reactions holds, per conversation (peer, as messages.peer), message
// (msg_id, the id the reactions name) and sender (the bare JID of who
// reacted, the account's own for ours; an occupant JID in a room's
// private chat), the sender's current reactions: emojis is a JSON array
// of strings, '[]' once taken back (the row stays, with its time, so that
// an older copy of an earlier set, as the server's archive replays it,
// changes nothing). time is Unix microseconds.
const migration7 = `
ALTER TABLE messages ADD COLUMN reply_id       TEXT    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN reply_to       TEXT    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN fallback_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN fallback_end   INTEGER NOT NULL DEFAULT 0;
CREATE TABLE reactions (
	peer   TEXT    NOT NULL,
	msg_id TEXT    NOT NULL,
	sender TEXT    NOT NULL,
	emojis TEXT    NOT NULL DEFAULT '[]',
	time   INTEGER NOT NULL,
	PRIMARY KEY (peer, msg_id, sender)
) WITHOUT ROWID;
`

// migration8: corrections in rooms (XEP-0308 in XEP-0045). occupant_id
// is the id the room gave the sender of a room line (XEP-0421), kept only
// from rooms that announce occupant ids (empty otherwise, and for older
// rows): a correction from such a room is applied only to a line with
// the same occupant id.
const migration8 = `
ALTER TABLE messages ADD COLUMN occupant_id TEXT NOT NULL DEFAULT '';
`

// migrate brings the schema up to date, one transaction per migration.
func (s *Store) migrate(ctx context.Context, ms []migration) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	v, err := userVersion(ctx, conn)
	if err != nil {
		return err
	}
	if v > len(ms) {
		return fmt.Errorf("%w: schema version %d, this version knows up to %d", ErrNewerSchema, v, len(ms))
	}
	for v < len(ms) {
		if err := migrateOne(ctx, conn, ms, v); err != nil {
			return err
		}
		if v, err = userVersion(ctx, conn); err != nil {
			return err
		}
	}
	return nil
}

// migrateOne applies migration from+1 unless another connection did it
// meanwhile (the version is read again inside the transaction).
func migrateOne(ctx context.Context, conn *sql.Conn, ms []migration, from int) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	v, err := userVersion(ctx, tx)
	if err != nil {
		return err
	}
	if v != from {
		return nil // someone else migrated; the caller reads the version again
	}
	m := ms[v]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %d (%s): %w", v+1, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return fmt.Errorf("migration %d (%s): %w", v+1, m.name, err)
	}
	return tx.Commit()
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func userVersion(ctx context.Context, q queryer) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}
