package history

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors of the Store.
var (
	// ErrNewerSchema: the database was written by a newer version of the
	// program; it is left untouched.
	ErrNewerSchema = errors.New("history: the archive was written by a newer version of Palaver")
	// ErrNotArchive: the file exists but is not an SQLite database (or is
	// damaged); it is left untouched.
	ErrNotArchive = errors.New("history: the file is not a readable message archive")
	// ErrClosed: the Store has been closed (returned by its methods).
	ErrClosed = errors.New("history: store closed")
)

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection or process before failing with SQLITE_BUSY.
const busyTimeoutMS = 10000

// Store is the message archive of one account. It is safe for concurrent
// use; reads run in parallel with each other and with one writer (WAL),
// writes are serialized.
type Store struct {
	db   *sql.DB
	path string // "" for in-memory

	// wsem serializes this process's write transactions, so that writers
	// queue here (honouring ctx) instead of polling SQLite's busy handler.
	wsem chan struct{}

	stmts statements

	closeMu sync.RWMutex
	closed  bool
}

// Open opens (creating it if needed) the archive at path, or a private
// in-memory archive if path is "". It creates missing parent directories
// with mode 0700 and a new file with mode 0600, and migrates an older
// schema. It returns ErrNewerSchema for an archive written by a newer
// version and ErrNotArchive for a file that is not an SQLite database;
// in both cases the file is not modified.
func Open(path string) (*Store, error) {
	var dsn string
	if path == "" {
		// Every connection to ":memory:" is a database of its own: one
		// connection, kept forever, is the whole archive.
		dsn = ":memory:?" + pragmas(false)
	} else {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		path = abs
		if err := prepareFile(path); err != nil {
			return nil, err
		}
		dsn = fileURI(path) + "?" + pragmas(true)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	if path == "" {
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(4)
	}
	s := &Store{db: db, path: path, wsem: make(chan struct{}, 1)}
	if err := s.migrate(context.Background(), migrations); err != nil {
		db.Close()
		return nil, wrapOpenErr(path, err)
	}
	if err := s.stmts.prepare(db); err != nil {
		db.Close()
		return nil, wrapOpenErr(path, err)
	}
	return s, nil
}

// pragmas is the DSN query that sets the per-connection pragmas; database/sql
// runs it on every connection it opens. WAL is persistent (a property of the
// file) but is set each time too, which is a no-op once the file is in WAL.
func pragmas(file bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if file {
		q.Add("_pragma", "journal_mode(WAL)")
		// Each transaction in Palaver that writes begins with a write, so
		// take the write lock at BEGIN: a deferred transaction that has to
		// upgrade from read to write can fail with SQLITE_BUSY at once,
		// without waiting for busy_timeout.
		q.Set("_txlock", "immediate")
	}
	return q.Encode()
}

// fileURI returns path as an SQLite URI, so that '?', '#' and '%' in a path
// cannot be taken for URI syntax.
func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if runtime.GOOS == "windows" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// sqliteMagic starts every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// prepareFile creates path's directory and, if path does not exist, an
// empty file with mode 0600 (SQLite would use 0644; its -wal and -shm
// files copy the database file's mode). For an existing file it checks the
// header, so that a file that is not a database, or one written by a newer
// schema, is refused before SQLite writes to it (setting WAL mode rewrites
// the header).
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("history: %w", err)
	}
	f, err = os.Open(path)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	var hdr [100]byte
	n, err := io.ReadFull(f, hdr[:])
	switch {
	case n == 0 && err == io.EOF:
		return nil // an empty file is an empty database
	case err != nil:
		return fmt.Errorf("%w: %s: too short for an SQLite database", ErrNotArchive, path)
	case !bytes.Equal(hdr[:16], sqliteMagic):
		return fmt.Errorf("%w: %s: not an SQLite database", ErrNotArchive, path)
	case !validHeader(hdr[:]):
		return fmt.Errorf("%w: %s: damaged database header", ErrNotArchive, path)
	}
	// The header's user_version (offset 60) is only a first check: with WAL
	// the newest value may still be in the -wal file; migrate checks again.
	if v := int32(binary.BigEndian.Uint32(hdr[60:64])); int(v) > len(migrations) {
		return fmt.Errorf("%w: %s has schema version %d, this version knows up to %d", ErrNewerSchema, path, v, len(migrations))
	}
	return nil
}

// validHeader checks the fixed fields of an SQLite database header
// (https://sqlite.org/fileformat.html#the_database_header).
func validHeader(h []byte) bool {
	ps := int(binary.BigEndian.Uint16(h[16:18]))
	if ps == 1 {
		ps = 65536
	}
	return ps >= 512 && ps&(ps-1) == 0 &&
		(h[18] == 1 || h[18] == 2) && (h[19] == 1 || h[19] == 2) &&
		h[21] == 64 && h[22] == 32 && h[23] == 32
}

// wrapOpenErr adds the path to an error from Open, classifying SQLite's
// "not a database" and "malformed" errors as ErrNotArchive.
func wrapOpenErr(path string, err error) error {
	if errors.Is(err, ErrNewerSchema) || errors.Is(err, ErrNotArchive) {
		return fmt.Errorf("%w (%s)", err, path)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		if c := se.Code() & 0xff; c == sqlite3.SQLITE_NOTADB || c == sqlite3.SQLITE_CORRUPT {
			return fmt.Errorf("%w: %s: %v", ErrNotArchive, path, err)
		}
	}
	if path == "" {
		path = "in-memory archive"
	}
	return fmt.Errorf("history: open %s: %w", path, err)
}

// Close checkpoints the write-ahead log into the database file and closes
// the Store. Calls after the first return nil.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.path != "" {
		if _, err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, fmt.Errorf("history: checkpoint: %w", err))
		}
	}
	errs = append(errs, s.stmts.close(), s.db.Close())
	return errors.Join(errs...)
}

// use marks the start of an operation; done must be called at its end.
// It fails once the Store is closed.
func (s *Store) use() (done func(), err error) {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return nil, ErrClosed
	}
	return s.closeMu.RUnlock, nil
}

// write runs f in a write transaction, one at a time per Store.
func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error) error {
	done, err := s.use()
	if err != nil {
		return err
	}
	defer done()
	select {
	case s.wsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.wsem }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: begin: %w", err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: commit: %w", err)
	}
	return nil
}
