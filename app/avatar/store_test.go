package avatar_test

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/palaver-im/palaver/app/avatar"
)

// entries lists dir's file names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "avatars")
	s, err := avatar.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700) {
		t.Fatalf("dir: %v %v", fi.Mode(), err)
	}
	pics := []struct {
		data []byte
		ext  string
	}{
		0: {encodePNG(t, picture(8, 8, true)), ".png"},
		1: {encodeJPEG(t, picture(8, 8, false)), ".jpg"},
		2: {encodeGIF(t, 8, 8, image.Rect(0, 0, 8, 8), false), ".gif"},
	}
	for i, p := range pics {
		hash, path, err := s.Put(p.data)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if hash != avatar.Hash(p.data) || path != filepath.Join(dir, hash+p.ext) {
			t.Errorf("%d: Put = %s %s", i, hash, path)
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, p.data) {
			t.Errorf("%d: file holds %d bytes (%v)", i, len(got), err)
		}
		if got, ok := s.Path(hash); !ok || got != path {
			t.Errorf("%d: Path = %q %v", i, got, ok)
		}
		if !s.Has(hash) || !s.Has(strings.ToUpper(hash)) {
			t.Errorf("%d: Has = false", i)
		}
		if h2, p2, err := s.Put(p.data); err != nil || h2 != hash || p2 != path {
			t.Errorf("%d: second Put = %s %s %v", i, h2, p2, err)
		}
	}
	if names := entries(t, dir); len(names) != len(pics) {
		t.Errorf("dir holds %q, want %d pictures and no temporary file", names, len(pics))
	}
	// A store opened again finds them.
	s2, err := avatar.Open(dir)
	if err != nil || !s2.Has(avatar.Hash(pics[0].data)) {
		t.Fatalf("reopened: %v", err)
	}
}

func TestStorePutAs(t *testing.T) {
	s, err := avatar.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const announced = "0123456789ABCDEF0123456789abcdef01234567"
	small := encodePNG(t, picture(4, 4, false))
	path, err := s.PutAs(announced, small)
	if err != nil || filepath.Base(path) != strings.ToLower(announced)+".png" {
		t.Fatalf("PutAs = %q %v", path, err)
	}
	// What is stored under a hash stays: a later picture does not replace it.
	other := encodeJPEG(t, picture(4, 4, false))
	if p2, err := s.PutAs(announced, other); err != nil || p2 != path {
		t.Fatalf("second PutAs = %q %v", p2, err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, small) {
		t.Fatal("picture replaced")
	}
	if s.Has(avatar.Hash(small)) {
		t.Fatal("PutAs stored under the picture's own hash")
	}
}

func TestStoreRejects(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "avatars")
	s, err := avatar.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pic := encodePNG(t, picture(4, 4, false))
	if _, _, err := s.Put([]byte("not a picture")); !errors.Is(err, avatar.ErrNotImage) {
		t.Errorf("Put(text) = %v", err)
	}
	hex39 := strings.Repeat("a", 39)
	for i, h := range []string{
		0:  "",
		1:  "../../../../../../../../tmp/x",
		2:  "../" + hex39[:37],
		3:  "..\\" + hex39[:37],
		4:  "/" + hex39,
		5:  hex39 + "/",
		6:  hex39 + "\x00",
		7:  hex39 + "g",
		8:  hex39 + "a/../../x",
		9:  strings.Repeat("a", 41),
		10: hex39,
		11: "." + hex39,
		12: "c:" + hex39[:38],
	} {
		if _, err := s.PutAs(h, pic); !errors.Is(err, avatar.ErrBadHash) {
			t.Errorf("%d: PutAs(%q) = %v, want ErrBadHash", i, h, err)
		}
		if p, ok := s.Path(h); ok || p != "" {
			t.Errorf("%d: Path(%q) = %q", i, h, p)
		}
		if s.Has(h) {
			t.Errorf("%d: Has(%q)", i, h)
		}
	}
	if names := entries(t, parent); len(names) != 1 || names[0] != "avatars" {
		t.Errorf("parent holds %q", names)
	}
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("store holds %q", names)
	}
	// A directory entry or a file that is no regular file is not a picture.
	h := avatar.Hash(pic)
	if err := os.Mkdir(filepath.Join(dir, h+".png"), 0o700); err != nil {
		t.Fatal(err)
	}
	if s.Has(h) {
		t.Error("a directory counts as a picture")
	}
}

func TestOpenNotADirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := avatar.Open(f); err == nil {
		t.Fatal("Open of a file succeeded")
	}
}

func TestStoreConcurrent(t *testing.T) {
	dir := t.TempDir()
	s, err := avatar.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pics [][]byte
	for i := range 4 {
		pics = append(pics, encodePNG(t, picture(4+i, 4, false)))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Go(func() {
			for j := range 20 {
				p := pics[(g+j)%len(pics)]
				hash, path, err := s.Put(p)
				if err != nil {
					errs <- err
					return
				}
				if got, ok := s.Path(hash); !ok || got != path {
					errs <- errors.New("Path disagrees with Put")
					return
				}
				if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, p) {
					errs <- errors.New("file read back differs")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if names := entries(t, dir); len(names) != len(pics) {
		t.Errorf("dir holds %q", names)
	}
}
