package upload_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/palaver-im/palaver/app/upload"
)

// picture is a small picture with some detail.
func picture() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			img.Set(x, y, color.NRGBA{uint8(x * 6), uint8(y * 8), uint8(x * y), 255})
		}
	}
	return img
}

// segment is a JPEG marker segment.
func segment(marker byte, payload string) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
}

// taggedJPEG returns a JPEG as a camera writes it (EXIF with a GPS
// position, XMP, a comment, IPTC) and the same file as StripJPEG should
// leave it (only the ICC profile kept besides the picture).
func taggedJPEG(t testing.TB) (tagged, stripped []byte) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	plain := b.Bytes()
	icc := segment(0xE2, "ICC_PROFILE\x00\x01\x01fake profile")
	meta := [][]byte{
		segment(0xE1, "Exif\x00\x00MM\x00*GPSLatitude 48.8584 N GPSLongitude 2.2945 E"),
		segment(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>creator Alice</x:xmpmeta>"),
		segment(0xFE, "shot by Alice"),
		segment(0xED, "Photoshop 3.0\x008BIM IPTC byline Alice"),
		segment(0xE2, "MPF\x00multi picture"),
	}
	tagged = append([]byte{}, plain[:2]...)
	tagged = append(tagged, meta[0]...)
	tagged = append(tagged, icc...)
	for _, m := range meta[1:] {
		tagged = append(tagged, m...)
	}
	tagged = append(tagged, plain[2:]...)
	tagged = append(tagged, "trailing data, Alice"...)
	stripped = append(append(append([]byte{}, plain[:2]...), icc...), plain[2:]...)
	return tagged, stripped
}

// chunk is a PNG chunk with its CRC.
func chunk(typ, data string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE([]byte(typ+data)))
}

// taggedPNG returns a PNG with text, EXIF and time chunks, and the same
// file as StripPNG should leave it.
func taggedPNG(t testing.TB) (tagged, stripped []byte) {
	var b bytes.Buffer
	if err := png.Encode(&b, picture()); err != nil {
		t.Fatal(err)
	}
	plain := b.Bytes()
	ihdrEnd := 8 + 12 + 13
	gama := chunk("gAMA", "\x00\x00\xb1\x8f")
	tagged = append([]byte{}, plain[:ihdrEnd]...)
	tagged = append(tagged, chunk("tEXt", "Author\x00Alice")...)
	tagged = append(tagged, gama...)
	tagged = append(tagged, chunk("zTXt", "Comment\x00\x00x")...)
	tagged = append(tagged, chunk("iTXt", "XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta/>")...)
	tagged = append(tagged, chunk("eXIf", "MM\x00*GPS")...)
	tagged = append(tagged, chunk("tIME", "\x07\xea\x0c\x02\x0e\x18\x00")...)
	tagged = append(tagged, plain[ihdrEnd:]...)
	tagged = append(tagged, "after the end"...)
	stripped = append(append(append([]byte{}, plain[:ihdrEnd]...), gama...), plain[ihdrEnd:]...)
	return tagged, stripped
}

func TestStripJPEG(t *testing.T) {
	tagged, want := taggedJPEG(t)
	got, err := upload.Strip(tagged)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stripped %d bytes, want %d", len(got), len(want))
	}
	samePixels(t, tagged, got)
	// An Adobe segment (colour transform) stays.
	adobe := append(append([]byte{0xFF, 0xD8}, segment(0xEE, "Adobe\x00\x64\x00\x00\x00\x00\x01")...), want[2:]...)
	if got, err := upload.StripJPEG(adobe); err != nil || !bytes.Equal(got, adobe) {
		t.Fatalf("Adobe segment: %v", err)
	}
}

func TestStripPNG(t *testing.T) {
	tagged, want := taggedPNG(t)
	got, err := upload.Strip(tagged)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stripped %d bytes, want %d", len(got), len(want))
	}
	samePixels(t, tagged, got)
}

func TestStripOthersUntouched(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("hello"), []byte("GIF89a...."), {0xFF, 0xD8}} {
		got, err := upload.Strip(in)
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
}

func TestStripRefusesDamaged(t *testing.T) {
	jp, _ := taggedJPEG(t)
	pn, _ := taggedPNG(t)
	for i, in := range [][]byte{
		jp[:len(jp)/2],
		pn[:len(pn)/2],
		append(append([]byte{}, pn[:8]...), 0xFF, 0xFF, 0xFF, 0xFF, 'I', 'D', 'A', 'T'),
		{0xFF, 0xD8, 0xFF, 0xE1, 0x00},
		{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01},
	} {
		if _, err := upload.Strip(in); err == nil {
			t.Errorf("%d: damaged picture accepted", i)
		}
	}
}

func TestCounter(t *testing.T) {
	c := upload.NewCounter(bytes.NewReader(make([]byte, 1000)))
	buf := make([]byte, 300)
	c.Read(buf)
	if c.N() != 300 {
		t.Fatalf("%d", c.N())
	}
	for {
		if _, err := c.Read(buf); err != nil {
			break
		}
	}
	if c.N() != 1000 {
		t.Fatalf("%d", c.N())
	}
}

// samePixels fails unless a and b decode to the same picture.
func samePixels(t testing.TB, a, b []byte) {
	t.Helper()
	ia, _, err := image.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatalf("original: %v", err)
	}
	ib, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("stripped picture does not decode: %v", err)
	}
	if ia.Bounds() != ib.Bounds() {
		t.Fatalf("bounds %v, was %v", ib.Bounds(), ia.Bounds())
	}
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if ia.At(x, y) != ib.At(x, y) {
				t.Fatalf("pixel %d,%d differs", x, y)
			}
		}
	}
}

// fuzzStrip checks that strip never panics, is idempotent, and leaves a
// picture that decodes the same.
func fuzzStrip(t *testing.T, in []byte, strip func([]byte) ([]byte, error), ok func([]byte) bool) {
	out, err := strip(in)
	if err != nil {
		return
	}
	if !ok(out) || len(out) > len(in) {
		t.Fatalf("output of %d bytes from %d", len(out), len(in))
	}
	again, err := strip(out)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("not idempotent: %v", err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(in))
	if err != nil || cfg.Width*cfg.Height > 1<<16 {
		return
	}
	if _, _, err := image.Decode(bytes.NewReader(in)); err != nil {
		return
	}
	samePixels(t, in, out)
}

func FuzzStripJPEG(f *testing.F) {
	tagged, stripped := taggedJPEG(f)
	f.Add(tagged)
	f.Add(stripped)
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x02, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzStrip(t, in, upload.StripJPEG, func(b []byte) bool {
			return len(b) >= 4 && b[0] == 0xFF && b[1] == 0xD8 && bytes.HasSuffix(b, []byte{0xFF, 0xD9})
		})
	})
}

func FuzzStripPNG(f *testing.F) {
	tagged, stripped := taggedPNG(f)
	f.Add(tagged)
	f.Add(stripped)
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzStrip(t, in, upload.StripPNG, upload.IsPNG)
	})
}
