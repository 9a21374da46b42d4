package avatar_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/palaver-im/palaver/app/avatar"
)

// picture returns a w×h picture with smooth colour and some detail; alpha
// makes its left half translucent.
func picture(w, h int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := range w {
			a := uint8(255)
			if alpha && x < w/2 {
				a = uint8(x * 255 / w)
			}
			copy(row[4*x:], []byte{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), a})
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// encodeGIF encodes a w×h GIF whose first frame covers frame; the colour at
// index 0 is transparent when transparent is set. A second frame follows.
func encodeGIF(t testing.TB, w, h int, frame image.Rectangle, transparent bool) []byte {
	t.Helper()
	first := color.Color(color.RGBA{200, 10, 10, 255})
	if transparent {
		first = color.RGBA{}
	}
	pal := color.Palette{first, color.RGBA{10, 200, 10, 255}}
	f1 := image.NewPaletted(frame, pal)
	for i := range f1.Pix {
		f1.Pix[i] = uint8(i % 2)
	}
	f2 := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	var buf bytes.Buffer
	err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{f1, f2}, Delay: []int{10, 10},
		Config: image.Config{ColorModel: pal, Width: w, Height: h}})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader returns a PNG signature and an IHDR chunk (RGBA, 8 bits)
// claiming w×h pixels, with no pixel data.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 6
	out := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d")
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

// jpegHeader returns a JPEG start, a baseline SOF0 claiming w×h grey
// pixels and the start of a scan, with no data.
func jpegHeader(w, h uint16) []byte {
	return []byte{0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0,
		0xff, 0xda, 0, 8}
}

var regen = flag.Bool("regen", false, "rewrite testdata/4000x3000.jpg")

// big returns a 4000×3000 JPEG: testdata/4000x3000.jpg, a smooth picture
// (red grows to the right, green downwards) that -regen rewrites. It is a
// file because encoding it takes 20 s under the race detector.
func big(t testing.TB) []byte {
	t.Helper()
	path := filepath.Join("testdata", "4000x3000.jpg")
	if *regen {
		img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
		for y := range 3000 {
			for x := range 4000 {
				img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / 4000), uint8(y * 255 / 3000), 128, 255})
			}
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 25}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -regen writes it)", err)
	}
	return data
}

func TestNormalize(t *testing.T) {
	smallPNG := encodePNG(t, picture(100, 80, false))
	smallJPEG := encodeJPEG(t, picture(200, 100, false))
	// 256×256 of 16-bit noise: fits, but is too heavy to pass through.
	noisy := image.NewNRGBA64(image.Rect(0, 0, 256, 256))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noisy.Pix {
		noisy.Pix[i] = uint8(rng.Uint32())
	}
	for i := 6; i < len(noisy.Pix); i += 8 {
		noisy.Pix[i], noisy.Pix[i+1] = 0xff, 0xff
	}
	heavyPNG := encodePNG(t, noisy)
	if len(heavyPNG) <= avatar.MaxPassThrough {
		t.Fatalf("noisy PNG is only %d bytes", len(heavyPNG))
	}
	truncated := encodePNG(t, picture(64, 64, false))
	truncated = truncated[:len(truncated)/2]

	for i, tc := range []struct {
		in        []byte
		err       error
		mime      string
		w, h      int
		unchanged bool
	}{
		0:  {in: smallPNG, mime: avatar.PNG, w: 100, h: 80, unchanged: true},
		1:  {in: smallJPEG, mime: avatar.JPEG, w: 200, h: 100, unchanged: true},
		2:  {in: encodeJPEG(t, picture(1024, 768, false)), mime: avatar.JPEG, w: 256, h: 192}, // 4000×3000: TestNormalizeScalesContent
		3:  {in: encodePNG(t, picture(1000, 500, true)), mime: avatar.PNG, w: 256, h: 128},
		4:  {in: encodePNG(t, picture(600, 600, false)), mime: avatar.JPEG, w: 256, h: 256},
		5:  {in: encodePNG(t, picture(100, 1000, false)), mime: avatar.JPEG, w: 26, h: 256},
		6:  {in: encodePNG(t, picture(5000, 1, false)), mime: avatar.JPEG, w: 256, h: 1},
		7:  {in: heavyPNG, mime: avatar.JPEG, w: 256, h: 256},
		8:  {in: encodeGIF(t, 50, 40, image.Rect(0, 0, 50, 40), false), mime: avatar.JPEG, w: 50, h: 40},
		9:  {in: encodeGIF(t, 50, 40, image.Rect(0, 0, 50, 40), true), mime: avatar.PNG, w: 50, h: 40},
		10: {in: encodeGIF(t, 512, 512, image.Rect(0, 0, 512, 512), false), mime: avatar.JPEG, w: 256, h: 256},
		11: {in: encodeGIF(t, 50, 40, image.Rect(10, 10, 20, 20), false), mime: avatar.PNG, w: 50, h: 40},
		12: {in: []byte("hello, this is text and not a picture"), err: avatar.ErrNotImage},
		13: {in: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"), err: avatar.ErrNotImage},
		14: {in: nil, err: avatar.ErrNotImage},
		15: {in: []byte("\x89PNG"), err: avatar.ErrNotImage},
		16: {in: truncated, err: avatar.ErrCorrupt},
		17: {in: pngHeader(100000, 100000), err: avatar.ErrTooManyPixels},
		18: {in: pngHeader(avatar.MaxDimension+1, 10), err: avatar.ErrTooManyPixels},
		19: {in: jpegHeader(6000, 4001), err: avatar.ErrTooManyPixels},
		20: {in: pngHeader(0, 10), err: avatar.ErrCorrupt},
		21: {in: append(pngHeader(10, 10), make([]byte, 20<<20)...), err: avatar.ErrTooLarge},
		22: {in: jpegHeader(10, 10), err: avatar.ErrCorrupt},
		// Large enough to be box-shrunk before CatmullRom.
		23: {in: encodePNG(t, picture(2048, 1024, true)), mime: avatar.PNG, w: 256, h: 128},
		24: {in: encodeGIF(t, 2048, 1024, image.Rect(0, 0, 2048, 1024), false), mime: avatar.JPEG, w: 256, h: 128},
		25: {in: encodeJPEG(t, image.NewGray(image.Rect(0, 0, 2100, 1400))), mime: avatar.JPEG, w: 256, h: 171},
	} {
		out, mime, err := avatar.Normalize(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) || out != nil {
				t.Errorf("%d: got %d bytes, %v; want %v", i, len(out), err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if mime != tc.mime || avatar.Type(out) != mime {
			t.Errorf("%d: type %q (bytes say %q), want %q", i, mime, avatar.Type(out), tc.mime)
		}
		if got := bytes.Equal(out, tc.in); got != tc.unchanged {
			t.Errorf("%d: unchanged = %v, want %v", i, got, tc.unchanged)
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width != tc.w || cfg.Height != tc.h {
			t.Errorf("%d: output %d×%d (%v), want %d×%d", i, cfg.Width, cfg.Height, err, tc.w, tc.h)
		}
	}
}

func TestNormalizeKeepsTransparency(t *testing.T) {
	for _, w := range []int{1000, 2048} {
		out, _, err := avatar.Normalize(encodePNG(t, picture(w, w/2, true)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, a := img.At(0, 64).RGBA(); a > 0x1000 {
			t.Errorf("%d: left edge alpha %#x, want nearly transparent", w, a)
		}
		if _, _, _, a := img.At(255, 64).RGBA(); a != 0xffff {
			t.Errorf("%d: right edge alpha %#x, want opaque", w, a)
		}
	}
}

// A camera-sized picture is scaled with its content intact. It has more
// pixels than Normalize takes from others: the user's own (Publishable)
// goes through the same scaling.
func TestNormalizeScalesContent(t *testing.T) {
	out, mime, err := avatar.Publishable(big(t))
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil || mime != avatar.JPEG {
		t.Fatal(mime, err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 192 {
		t.Fatalf("4000×3000 scaled to %v, want 256×192", b.Size())
	}
	// The red channel grows from left to right and green from top to bottom.
	r0, _, _, _ := img.At(5, 96).RGBA()
	r1, _, _, _ := img.At(250, 96).RGBA()
	_, g0, _, _ := img.At(128, 5).RGBA()
	_, g1, _, _ := img.At(128, 186).RGBA()
	if r0 > 0x2000 || r1 < 0xe000 || g0 > 0x2000 || g1 < 0xe000 {
		t.Errorf("picture distorted: red %#x..%#x green %#x..%#x", r0, r1, g0, g1)
	}
}

// A header claiming 10^10 pixels is refused without allocating them.
func TestNormalizeBombAllocatesNothing(t *testing.T) {
	for i, in := range [][]byte{pngHeader(100000, 100000), jpegHeader(65535, 65535), pngHeader(8000, 8000)} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := avatar.Normalize(in)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, avatar.ErrTooManyPixels) {
			t.Errorf("%d: err = %v", i, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%d: allocated %d bytes", i, n)
		}
	}
}

func TestHash(t *testing.T) {
	for i, tc := range []struct{ in, want string }{
		0: {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		1: {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
	} {
		if got := avatar.Hash([]byte(tc.in)); got != tc.want {
			t.Errorf("%d: Hash(%q) = %s, want %s", i, tc.in, got, tc.want)
		}
	}
}

func TestType(t *testing.T) {
	for i, tc := range []struct{ in, want string }{
		0: {"\x89PNG\r\n\x1a\nrest", avatar.PNG},
		1: {"\xff\xd8\xff\xe0", avatar.JPEG},
		2: {"GIF89a", avatar.GIF},
		3: {"GIF87a", avatar.GIF},
		4: {"GIF90a", ""},
		5: {"<svg/>", ""},
		6: {"", ""},
	} {
		if got := avatar.Type([]byte(tc.in)); got != tc.want {
			t.Errorf("%d: Type(%q) = %q, want %q", i, tc.in, got, tc.want)
		}
	}
}

func BenchmarkPublishable4000x3000(b *testing.B) {
	in := big(b)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, _, err := avatar.Publishable(in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPublishableDropsMetadata(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	plain := encodeJPEG(t, img)
	// An APP1 (Exif) segment right after SOI, as cameras write it.
	secret := []byte("Exif\x00\x00GPS 48.8584N 2.2945E")
	seg := append([]byte{0xFF, 0xE1, 0, byte(len(secret) + 2)}, secret...)
	tagged := append(append(append([]byte{}, plain[:2]...), seg...), plain[2:]...)

	kept, _, err := avatar.Normalize(tagged)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(kept, []byte("GPS")) {
		t.Fatal("test premise: Normalize passes a small JPEG through unchanged")
	}
	out, typ, err := avatar.Publishable(tagged)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("GPS")) || bytes.Contains(out, []byte("Exif")) {
		t.Error("the published picture still carries the metadata")
	}
	got, _, err := image.Decode(bytes.NewReader(out))
	if err != nil || got.Bounds().Dx() != 64 || got.Bounds().Dy() != 48 || typ != avatar.JPEG {
		t.Errorf("published picture: %v, %v, %s", got.Bounds(), err, typ)
	}
}
