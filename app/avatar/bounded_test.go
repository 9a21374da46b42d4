package avatar_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app/avatar"
)

// png16 returns a w×h 16-bit RGBA PNG, all transparent black: the kind of
// picture that costs the most per pixel to decode (8 bytes), and that
// compresses to almost nothing. Without rows it is a header alone.
func png16(t testing.TB, w, h int, rows bool) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		out.Write(c)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	chunk("IHDR", append(ihdr, 16, 6, 0, 0, 0)) // 16 bits, RGBA
	if !rows {
		return out.Bytes()
	}
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	row := make([]byte, 1+8*w) // filter type 0, then zeros
	for range h {
		z.Write(row)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// allocated returns the bytes allocated while f ran: an upper bound of the
// peak of its live memory.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// peakBound is what a received picture may make Normalize allocate: a
// 16-bit 2048×2048 PNG decodes to 32 MiB, the box shrink copies it to 16
// MiB of 8-bit RGBA, and the last scaling step and encoding take about 10
// MiB more. (Before the received limit, a 6000×4000 one allocated 285 MB.)
const peakBound = 72 << 20

func TestNormalizeReceivedPeak(t *testing.T) {
	in := png16(t, 2048, 2048, true)
	var out []byte
	var err error
	n := allocated(func() { out, _, err = avatar.Normalize(in) })
	if err != nil {
		t.Fatalf("a %d-byte 16-bit PNG of the largest size allowed: %v", len(in), err)
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(out)); err != nil || cfg.Width != avatar.MaxSide {
		t.Fatalf("normalized to %+v, %v", cfg, err)
	}
	t.Logf("%d-byte 16-bit 2048×2048 PNG: %d MiB allocated", len(in), n>>20)
	if n > peakBound {
		t.Errorf("allocated %d MiB, more than %d MiB", n>>20, peakBound>>20)
	}
}

func TestReceivedAndOwnLimits(t *testing.T) {
	for i, tc := range []struct {
		in       []byte
		lim      avatar.Limits
		received error // from Normalize
		decode   error // from Decode with lim
	}{
		// The picture of the issue: 24 Mpx of 16-bit RGBA in 194 KB.
		0: {png16(t, 6000, 4000, false), avatar.Own, avatar.ErrTooManyPixels, avatar.ErrCorrupt},
		1: {png16(t, 2049, 2048, false), avatar.Received, avatar.ErrTooManyPixels, avatar.ErrTooManyPixels},
		2: {png16(t, 2048, 2048, false), avatar.Received, avatar.ErrCorrupt, avatar.ErrCorrupt}, // allowed, but no rows
		3: {png16(t, 8193, 1, false), avatar.Own, avatar.ErrTooManyPixels, avatar.ErrTooManyPixels},
		4: {png16(t, 4000, 6001, false), avatar.Own, avatar.ErrTooManyPixels, avatar.ErrTooManyPixels},
	} {
		var err error
		n := allocated(func() { _, _, err = avatar.Normalize(tc.in) })
		if !errors.Is(err, tc.received) {
			t.Errorf("%d: Normalize: %v, want %v", i, err, tc.received)
		}
		if n > 1<<20 {
			t.Errorf("%d: Normalize allocated %d bytes to refuse", i, n)
		}
		if _, _, err := avatar.Decode(tc.in, tc.lim); !errors.Is(err, tc.decode) {
			t.Errorf("%d: Decode: %v, want %v", i, err, tc.decode)
		}
	}
}

func TestDecode(t *testing.T) {
	for i, tc := range []struct {
		in   []byte
		lim  avatar.Limits
		mime string
		w, h int
		err  error
	}{
		0: {encodePNG(t, picture(100, 80, true)), avatar.Received, avatar.PNG, 100, 80, nil},
		1: {encodeJPEG(t, picture(300, 200, false)), avatar.Received, avatar.JPEG, 300, 200, nil},
		2: {encodeGIF(t, 50, 40, image.Rect(10, 10, 20, 20), false), avatar.Received, avatar.GIF, 50, 40, nil},
		3: {[]byte("<svg/>"), avatar.Received, "", 0, 0, avatar.ErrNotImage},
		4: {encodePNG(t, picture(100, 80, true)), avatar.Limits{Bytes: 100, Dimension: 8192, Pixels: 1 << 20}, "", 0, 0, avatar.ErrTooLarge},
		5: {encodePNG(t, picture(100, 80, true)), avatar.Limits{Bytes: 1 << 20, Dimension: 99, Pixels: 1 << 20}, "", 0, 0, avatar.ErrTooManyPixels},
		6: {jpegHeader(10, 10), avatar.Received, "", 0, 0, avatar.ErrCorrupt},
	} {
		img, mime, err := avatar.Decode(tc.in, tc.lim)
		if tc.err != nil {
			if !errors.Is(err, tc.err) || img != nil || mime != "" {
				t.Errorf("%d: %v, %q, %v; want %v", i, img != nil, mime, err, tc.err)
			}
			continue
		}
		if err != nil || mime != tc.mime || img.Bounds() != image.Rect(0, 0, tc.w, tc.h) {
			t.Errorf("%d: %v %q %v, want %q %d×%d", i, err, mime, img, tc.mime, tc.w, tc.h)
		}
	}
}

// Decodes from any number of goroutines run one at a time.
func TestDecodesRunOneAtATime(t *testing.T) {
	var running, most atomic.Int32
	avatar.SetTestHook(func() {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond) // a slow decode: the others come meanwhile
		running.Add(-1)
	})
	defer avatar.SetTestHook(nil)
	small := encodePNG(t, picture(40, 30, false))
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, _, err = avatar.Normalize(small)
			case 1:
				_, _, err = avatar.Publishable(small)
			default:
				_, _, err = avatar.Decode(small, avatar.Received)
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m != 1 {
		t.Errorf("%d decodes ran at once, want 1", m)
	}
}

// A decoder's panic is an ErrCorrupt, whichever call met it, and the
// next picture decodes.
func TestDecoderPanicIsCorrupt(t *testing.T) {
	small := encodePNG(t, picture(40, 30, false))
	for i, call := range []func() error{
		func() error { _, _, err := avatar.Normalize(small); return err },
		func() error { _, _, err := avatar.Publishable(small); return err },
		func() error { _, _, err := avatar.Decode(small, avatar.Own); return err },
	} {
		avatar.SetTestHook(func() { panic("index out of range") })
		err := call()
		avatar.SetTestHook(nil)
		if !errors.Is(err, avatar.ErrCorrupt) {
			t.Errorf("%d: a panic gave %v, want ErrCorrupt", i, err)
		}
		done := make(chan error, 1)
		go func() { done <- call() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%d: after a panic: %v", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%d: the turn was not given back after a panic", i)
		}
	}
}

func BenchmarkNormalize16BitPNG2048(b *testing.B) {
	in := png16(b, 2048, 2048, true)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := avatar.Normalize(in); err != nil {
			b.Fatal(err)
		}
	}
}
