package avatar_test

import (
	"bytes"
	"errors"
	"image"
	"testing"

	"github.com/palaver-im/palaver/app/avatar"
)

// FuzzNormalize feeds Normalize hostile bytes: it must never panic, fail
// only with its own errors, and succeed only with a picture that decodes
// and fits within MaxSide. Seeds are in testdata/fuzz/FuzzNormalize.
func FuzzNormalize(f *testing.F) {
	f.Add(pngHeader(100000, 100000))
	f.Add(jpegHeader(4000, 3000))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, mime, err := avatar.Normalize(data)
		if err != nil {
			if out != nil || mime != "" {
				t.Fatalf("error %v with %d bytes of %q", err, len(out), mime)
			}
			for _, known := range []error{avatar.ErrTooLarge, avatar.ErrNotImage, avatar.ErrTooManyPixels, avatar.ErrCorrupt} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		if mime != avatar.Type(out) || (mime != avatar.PNG && mime != avatar.JPEG) {
			t.Fatalf("type %q, bytes say %q", mime, avatar.Type(out))
		}
		img, _, err := image.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("output does not decode: %v", err)
		}
		if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 || b.Dx() > avatar.MaxSide || b.Dy() > avatar.MaxSide {
			t.Fatalf("output is %v", b)
		}
	})
}

// FuzzDecode feeds Decode hostile bytes: it must never panic, fail only
// with its own errors, and succeed only with a picture within the limits.
// It shares FuzzNormalize's seeds.
func FuzzDecode(f *testing.F) {
	f.Add(pngHeader(100000, 100000))
	f.Add(jpegHeader(4000, 3000))
	f.Add(png16(f, 2049, 2048, false))
	f.Add(encodeGIF(f, 50, 40, image.Rect(10, 10, 20, 20), true))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, mime, err := avatar.Decode(data, avatar.Received)
		if err != nil {
			if img != nil || mime != "" {
				t.Fatalf("error %v with a picture of %q", err, mime)
			}
			for _, known := range []error{avatar.ErrTooLarge, avatar.ErrNotImage, avatar.ErrTooManyPixels, avatar.ErrCorrupt} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		if mime != avatar.Type(data) {
			t.Fatalf("type %q, bytes say %q", mime, avatar.Type(data))
		}
		b := img.Bounds()
		if b.Dx() < 1 || b.Dy() < 1 || b.Dx() > avatar.Received.Dimension || int64(b.Dx())*int64(b.Dy()) > avatar.Received.Pixels {
			t.Fatalf("picture is %v", b)
		}
	})
}
