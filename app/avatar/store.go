package avatar

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrBadHash is returned for a hash that is not 40 hex digits.
var ErrBadHash = errors.New("avatar: not a SHA-1 hash")

// extensions maps the picture types to file name extensions, in the order
// Path looks for them.
var extensions = []struct{ mime, ext string }{{PNG, ".png"}, {JPEG, ".jpg"}, {GIF, ".gif"}}

// Store is an on-disk cache of pictures named by hash.
// A Store is safe for concurrent use, also by several processes: files
// appear whole (written aside, then renamed) and never change once there.
type Store struct {
	dir string
}

// Open opens the cache in dir, creating the directory (mode 0700) if
// needed.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("avatar: %s is not a directory", dir)
	}
	return &Store{dir: dir}, nil
}

// Put stores a picture under its own hash (see Hash) and returns the hash
// and the file's path. Data must be a PNG, JPEG or GIF (ErrNotImage); it
// is stored as given, so callers normalize it first.
// Storing a picture that is already there writes nothing.
func (s *Store) Put(data []byte) (hash, path string, err error) {
	hash = Hash(data)
	path, err = s.PutAs(hash, data)
	return hash, path, err
}

// PutAs stores a picture under hash, which need not be the hash of data:
// it is meant for the normalized form of a picture whose original has that
// hash, as a contact announces it. It returns the file's path.
// If a picture is already stored under hash, PutAs keeps it and writes
// nothing.
func (s *Store) PutAs(hash string, data []byte) (path string, err error) {
	hash, ok := clean(hash)
	if !ok {
		return "", ErrBadHash
	}
	var ext string
	for _, e := range extensions {
		if e.mime == Type(data) {
			ext = e.ext
		}
	}
	if ext == "" {
		return "", ErrNotImage
	}
	if path, ok := s.Path(hash); ok {
		return path, nil
	}
	path = filepath.Join(s.dir, hash+ext)
	f, err := os.CreateTemp(s.dir, ".put-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	return path, nil
}

// Path returns the file of the picture stored under hash, and whether
// there is one. An invalid hash is never found.
func (s *Store) Path(hash string) (string, bool) {
	hash, ok := clean(hash)
	if !ok {
		return "", false
	}
	for _, e := range extensions {
		path := filepath.Join(s.dir, hash+e.ext)
		if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
			return path, true
		}
	}
	return "", false
}

// Has reports whether a picture is stored under hash.
func (s *Store) Has(hash string) bool {
	_, ok := s.Path(hash)
	return ok
}

// clean returns hash in lower case if it is a SHA-1 hash in hex: only
// such names are ever joined to the directory, so no hash can reach
// outside it.
func clean(hash string) (string, bool) {
	if len(hash) != 2*20 {
		return "", false
	}
	for i := 0; i < len(hash); i++ {
		c := hash[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", false
		}
	}
	return strings.ToLower(hash), true
}
