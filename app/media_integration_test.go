package app_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/palaver-im/palaver/app"
)

// TestMediaFromProsodyUpload: alice sends a picture and a file through
// Prosody's upload service (XEP-0363); bob's FetchMedia of the picture's
// URL, over https with the account's certificate checks, gives a
// thumbnail that fits and the picture as uploaded, and of the file's URL
// its size and name without downloading it; SaveMedia writes both whole.
func TestMediaFromProsodyUpload(t *testing.T) {
	srv, _, alice, bob, _ := uploadServer(t, 0)

	img := image.NewNRGBA(image.Rect(0, 0, 900, 600))
	for y := range 600 {
		for x := range 900 {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x / 4), uint8(y / 3), 50, 255})
		}
	}
	var pb bytes.Buffer
	if err := png.Encode(&pb, img); err != nil {
		t.Fatal(err)
	}
	picURL := sendFile(t, alice, bob, writeFile(t, "holiday photo.png", pb.Bytes()), app.FileOptions{})
	served := download(t, srv, picURL)
	notes := randomBytes(300 << 10)
	fileURL := sendFile(t, alice, bob, writeFile(t, "notes.bin", notes), app.FileOptions{})

	mark := bob.mark()
	bob.c.FetchMedia(picURL)
	bob.c.FetchMedia(fileURL)
	m := mediaInfo(bob, mark, picURL)
	if m.Err != nil || m.Type != "image/png" || m.Width != 900 || m.Height != 600 || m.Size != int64(len(served)) || m.Name != "holiday photo.png" {
		t.Fatalf("picture: %+v", m)
	}
	checkThumb(t, m.Thumb, 360, 240)
	if full, _ := os.ReadFile(m.File); !bytes.Equal(full, served) {
		t.Error("the cached picture differs from what the service serves")
	}
	f := mediaInfo(bob, mark, fileURL)
	if f.Err != nil || f.Thumb != "" || f.File != "" || f.Size != int64(len(notes)) || f.Name != "notes.bin" {
		t.Fatalf("file: %+v", f)
	}

	dir := t.TempDir()
	for _, tc := range []struct {
		url  string
		want []byte
	}{{picURL, served}, {fileURL, notes}} {
		path := filepath.Join(dir, filepath.Base(tc.url))
		mark := bob.mark()
		bob.c.SaveMedia(tc.url, path)
		if s := mediaSaved(bob, mark, path); s.Err != nil {
			t.Fatalf("save %s: %v", tc.url, s.Err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, tc.want) {
			t.Errorf("saved %d bytes of %s, want %d", len(got), tc.url, len(tc.want))
		}
	}
}
