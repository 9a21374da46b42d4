package views

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/palaver-im/palaver/app"
)

// BenchmarkPictureChat1000 scrolls a chat of 1000 picture messages (each
// with its own 360×270 thumbnail in the cache, as the core leaves them)
// from the newest to the oldest, one window height a step, painting the
// window after each step as the driver would (Fyne's software painter:
// rows bound, pictures decoded, text drawn). The target: no step over
// 50 ms, and the pictures decoded not kept beyond the rows in view.
//
//	CGO_ENABLED=0 go test -run '^$' -bench PictureChat -benchtime 3x ./views/
//
// max-step-ms is the slowest step; heap-MB the Go heap after the scroll
// (after a GC) minus before it: 1000 decoded thumbnails would be 389 MB.
func BenchmarkPictureChat1000(b *testing.B) {
	b.Run("pictures", func(b *testing.B) { benchPictureChat(b, true) })
	// The same scroll through 1000 lines of text, for what painting
	// costs without pictures.
	b.Run("text", func(b *testing.B) { benchPictureChat(b, false) })
}

func benchPictureChat(b *testing.B, pictures bool) {
	const n = 1000
	dir := b.TempDir()
	peer := "user00001@example.org"
	var msgs, infos []app.Event
	start := time.Date(2025, 3, 14, 9, 0, 0, 0, time.Local)
	for i := range n {
		img := image.NewNRGBA(image.Rect(0, 0, 360, 270))
		c := color.NRGBA{R: uint8(i), G: uint8(i * 7), B: uint8(i * 13), A: 0xff}
		for y := range 270 {
			for x := range 360 {
				img.SetNRGBA(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			b.Fatal(err)
		}
		thumb := filepath.Join(dir, fmt.Sprintf("t%04d.png", i))
		if err := os.WriteFile(thumb, buf.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
		url := fmt.Sprintf("https://upload.example.org/%04d/photo.png", i)
		if !pictures {
			url = fmt.Sprintf("line %d: the quick brown fox jumps over the lazy dog, %d times", i, i)
		}
		msgs = append(msgs, messageEv(peer, url, start.Add(time.Duration(i)*time.Minute), false))
		info := app.MediaInfo{URL: url, Type: "image/png", Size: int64(buf.Len()), Name: "photo.png", Width: 720, Height: 540, Thumb: thumb}
		info.Acct = me
		infos = append(infos, info)
	}
	var maxStep, sumStep time.Duration
	var steps int
	var heap float64
	b.ReportAllocs()
	b.ResetTimer()
	b.StopTimer()
	for range b.N {
		u := benchUI(b)
		s := u.only()
		s.apply([]app.Event{stateEv(app.Online)})
		s.apply(bigRosterBatch(10))
		s.apply(infos)
		s.openChat(peer)
		c := s.chats[peer]
		c.win.Resize(fyne.NewSize(480, 700))
		s.apply(msgs)
		c.refresh(true)
		c.win.Canvas().Capture()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		for off := c.list.GetScrollOffset(); ; off -= c.list.Size().Height {
			t0 := time.Now()
			c.list.ScrollToOffset(max(off, 0))
			c.win.Canvas().Capture()
			d := time.Since(t0)
			maxStep, sumStep, steps = max(maxStep, d), sumStep+d, steps+1
			if off <= 0 {
				break
			}
		}
		b.StopTimer()
		if r, ok := find(c.list, func(r *messageRow) bool { return r.msg == c.conv.msgs[0] && r.Visible() }); !ok || r.media.thumb.Visible() != pictures {
			b.Fatal("the oldest picture is not shown at the top")
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / (1 << 20)
	}
	b.ReportMetric(float64(maxStep)/float64(time.Millisecond), "max-step-ms")
	b.ReportMetric(float64(sumStep)/float64(steps)/float64(time.Millisecond), "mean-step-ms")
	b.ReportMetric(heap/float64(b.N), "heap-MB")
}
