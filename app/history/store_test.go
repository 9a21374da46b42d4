package history

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var ctx = context.Background()

// t0 is a fixed base time for test messages.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// openTemp opens a file archive in a fresh directory, closed at cleanup.
func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "archive.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// openMem opens an in-memory archive, closed at cleanup.
func openMem(t testing.TB) *Store {
	t.Helper()
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stores runs f on an in-memory and on a file archive.
func stores(t *testing.T, f func(t *testing.T, s *Store)) {
	t.Run("memory", func(t *testing.T) { f(t, openMem(t)) })
	t.Run("file", func(t *testing.T) { s, _ := openTemp(t); f(t, s) })
}

func mustAdd(t testing.TB, s *Store, m Message) int64 {
	t.Helper()
	id, added, err := s.Add(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if !added {
		t.Fatalf("Add(%+v): not added", m)
	}
	return id
}

func TestSchemaVersionMatchesMigrations(t *testing.T) {
	if SchemaVersion != len(migrations) {
		t.Fatalf("SchemaVersion %d, %d migrations", SchemaVersion, len(migrations))
	}
}

func TestOpenFileModesAndPragmas(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "acct.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustAdd(t, s, Message{Peer: "x@example.org", Body: "hi", Time: t0})

	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got&^want != 0 {
				t.Errorf("%s: mode %v, want at most %v", p, got, want)
			}
		}
	}

	// Hold several connections at once: each must have the pragmas.
	var conns []*sql.Conn
	for range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		for pragma, want := range map[string]string{
			"journal_mode": "wal",
			"synchronous":  "1",
			"foreign_keys": "1",
			"busy_timeout": fmt.Sprint(busyTimeoutMS),
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("connection %d: %s = %q, want %q", i, pragma, got, want)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close checkpointed: the WAL is empty (or gone).
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL has %d bytes after Close", fi.Size())
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := s.Add(ctx, Message{Peer: "x@example.org"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: %v, want ErrClosed", err)
	}
}

func TestPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "we?ird #dir%20", "a?b.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, Message{Peer: "x@example.org", Body: "hi", Time: t0})
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
}

func TestInMemoryIsOneDatabase(t *testing.T) {
	a, b := openMem(t), openMem(t)
	mustAdd(t, a, Message{Peer: "x@example.org", Body: "only in a", Time: t0})
	// Many goroutines at once: with a pool of :memory: connections some
	// would see an empty database of their own.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			n, err := a.Count(ctx, "x@example.org")
			if err == nil && n != 1 {
				err = fmt.Errorf("count %d, want 1", n)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := b.Count(ctx, ""); err != nil || n != 0 {
		t.Fatalf("second in-memory store: count %d, %v; want 0", n, err)
	}
	if _, err := os.Stat(""); err == nil {
		t.Fatal("a file was created")
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	s, path := openTemp(t)
	var want []Message
	for i := range 30 {
		m := Message{Peer: "x@example.org", Dir: Direction(i % 2), MsgID: fmt.Sprint("m", i),
			StanzaID: fmt.Sprint("s", i), Time: t0.Add(time.Duration(i) * time.Second),
			Body: fmt.Sprintf("message number %d", i), State: Sent}
		if i == 7 {
			m.Delayed, m.DelayFrom, m.DelayReason = true, "example.org", "Offline storage"
		}
		m.ID = mustAdd(t, s, m)
		want = append(want, m)
	}
	p := Profile{JID: "x@example.org", Card: []byte("<vCard/>"), PhotoHash: "abc", Fetched: t0}
	if err := s.SaveProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Page(ctx, "x@example.org", Cursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !equalMessages(got, want) {
		t.Fatalf("after reopening:\n got %+v\nwant %+v", got, want)
	}
	hits, err := s.Search(ctx, "number 7", 10)
	if err != nil || len(hits) != 1 || hits[0].ID != want[7].ID {
		t.Fatalf("search after reopening: %+v, %v", hits, err)
	}
	gp, ok, err := s.Profile(ctx, "x@example.org")
	if err != nil || !ok || !equalProfile(gp, p) {
		t.Fatalf("profile after reopening: %+v %v %v", gp, ok, err)
	}
}

func equalMessages(a, b []Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.Time.Equal(y.Time) {
			return false
		}
		x.Time, y.Time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// migration1V1 is a copy of migration 1 as released, to build a version 1
// archive independently of the code under test.
const migration1V1 = `
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
	body, content = 'messages', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
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
PRAGMA user_version = 1;
`

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

func userVersionOf(t *testing.T, path string) int {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	v, err := userVersion(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db := rawDB(t, path)
	if _, err := db.Exec(migration1V1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO messages (peer, dir, msg_id, stanza_id, time, body, state)
		VALUES ('old@example.org', 0, 'a', 'sa', ?, 'written by version one', 0),
		       ('old@example.org', 1, 'b', '', ?, 'still pending', 1)`,
		t0.UnixMicro(), t0.Add(time.Second).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if v := userVersionOf(t, path); v != 1 {
		t.Fatalf("test archive has version %d", v)
	}

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Page(ctx, "old@example.org", Cursor{}, 10)
	if err != nil || len(msgs) != 2 || msgs[0].Body != "written by version one" || !msgs[0].Time.Equal(t0) {
		t.Fatalf("old messages after migration: %+v, %v", msgs, err)
	}
	if hits, err := s.Search(ctx, "version", 10); err != nil || len(hits) != 1 {
		t.Fatalf("search old messages: %+v, %v", hits, err)
	}
	if p, err := s.Pending(ctx); err != nil || len(p) != 1 || p[0].MsgID != "b" {
		t.Fatalf("pending after migration: %+v, %v", p, err)
	}
	// Migration 2 ran: profiles work.
	if err := s.SetPhotoHash(ctx, "old@example.org", "h"); err != nil {
		t.Fatal(err)
	}
	if _, added, err := s.Add(ctx, Message{Peer: "old@example.org", StanzaID: "sa", Time: t0}); err != nil || added {
		t.Fatalf("dedupe against a version 1 row: added %v, %v", added, err)
	}
	s.Close()
	if v := userVersionOf(t, path); v != SchemaVersion {
		t.Fatalf("after Open: version %d, want %d", v, SchemaVersion)
	}
}

func TestMigrationIsAtomic(t *testing.T) {
	s := openMem(t)
	// A broken migration 3 leaves the archive at version 2, unchanged.
	broken := append(append([]migration(nil), migrations...),
		migration{"broken", `CREATE TABLE extra (x); INSERT INTO nonexistent VALUES (1);`})
	if err := s.migrate(ctx, broken); err == nil {
		t.Fatal("broken migration succeeded")
	}
	if v, err := userVersion(ctx, s.db); err != nil || v != SchemaVersion {
		t.Fatalf("version %d, %v; want %d", v, err, SchemaVersion)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'extra'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("half-applied migration: table extra exists (%d, %v)", n, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "future.db")
	db := rawDB(t, path)
	if _, err := db.Exec(`CREATE TABLE messages (x); PRAGMA user_version = 999`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open: %v, want ErrNewerSchema", err)
	}
	if !strings.Contains(err.Error(), "999") {
		t.Errorf("error does not say the version: %v", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("Open modified an archive of a newer schema")
	}
}

// TestNewerSchemaInWAL: the newer version is only in the -wal file (not
// yet checkpointed), so the header check passes and migrate must refuse.
func TestNewerSchemaInWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "future.db")
	db := rawDB(t, path)
	defer db.Close()
	if _, err := db.Exec(`PRAGMA journal_mode = WAL; CREATE TABLE messages (x); PRAGMA user_version = 999`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open: %v, want ErrNewerSchema", err)
	}
	if v, err := userVersion(ctx, db); err != nil || v != 999 {
		t.Fatalf("version now %d, %v", v, err)
	}
}

func TestNotAnArchive(t *testing.T) {
	dir := t.TempDir()
	valid := filepath.Join(dir, "valid.db")
	s, err := Open(valid)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		mustAdd(t, s, Message{Peer: "x@example.org", Body: strings.Repeat("text ", i), Time: t0})
	}
	s.Close()
	good, err := os.ReadFile(valid)
	if err != nil {
		t.Fatal(err)
	}
	// A real header followed by garbage: SQLite itself finds the damage.
	damaged := append([]byte(nil), good...)
	for i := 100; i < len(damaged); i++ {
		damaged[i] = byte(i * 7)
	}

	for name, content := range map[string][]byte{
		"text":      []byte(strings.Repeat("this is a text file, not a database\n", 20)),
		"short":     []byte("SQLite"),
		"bad-hdr":   append([]byte("SQLite format 3\x00"), make([]byte, 4000)...),
		"damaged":   damaged,
		"truncated": good[:100],
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if err == nil {
				// Acceptable only if SQLite could read it and it is empty.
				s.Close()
				t.Fatalf("Open succeeded")
			}
			t.Log(err)
			if !errors.Is(err, ErrNotArchive) {
				t.Errorf("Open: %v, want ErrNotArchive", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file: %v", err)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, content) {
				t.Fatal("the file was modified")
			}
		})
	}
}

func TestEmptyFileIsNewArchive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustAdd(t, s, Message{Peer: "x@example.org", Body: "first", Time: t0})
}
