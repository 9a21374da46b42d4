package views

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
)

// Scrolling back through a long conversation (issue 11): the archive
// holds 100 000 messages with one contact; the user opens the chat and
// scrolls from the newest to the oldest a view's height at a time, then
// down again to the newest. The window reads pages from the real archive
// (SQLite on disk) as its top or bottom comes into view, and holds a
// bounded part of the conversation.
//
// Run with
//
//	CGO_ENABLED=0 go test -run '^$' -bench ScrollBack -benchtime 1x ./views/
//
// Each step is timed on the UI goroutine: the scroll itself (rows bound,
// measured, laid out) and, apart, each page read applied; the reads run
// on their own goroutines, as in the binary. Painting is not included
// (the test driver has no GL). max-step-ms is the longest UI step, the
// stall a user could feel. The walk is done twice; heap-growth-1st-MB is
// Go's live heap after the first less before it, heap-growth-2nd-MB the
// same for the second (after a collection each). The first holds Fyne's
// text-metrics cache of every text measured: the GL driver's loop drops
// an entry a minute after its last use (internal/cache), which the test
// driver never does, so in the binary it holds what was measured in the
// last minute. The second walk measures the same texts again: whatever
// it adds is Palaver's, and grows with the conversation walked.

// scrollBackMessages is the conversation's length.
const scrollBackMessages = 100_000

// storeCore is a fake core whose history is a real archive.
type storeCore struct {
	*fakeCore
	st *history.Store
}

func (c *storeCore) History(ctx context.Context, peer string, before history.Cursor, n int) ([]history.Message, error) {
	return c.st.Page(ctx, peer, before, n)
}

func (c *storeCore) HistoryAfter(ctx context.Context, peer string, after history.Cursor, n int) ([]history.Message, error) {
	return c.st.PageAfter(ctx, peer, after, n)
}

// longArchive writes n messages with peer, one a minute up to now, of
// many lengths (some wrapping over lines), every third one ours.
func longArchive(b *testing.B, peer string, n int) *history.Store {
	st, err := history.Open(filepath.Join(b.TempDir(), "history.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	start := time.Now().Add(-time.Duration(n) * time.Minute)
	var batch []history.Message
	for i := range n {
		m := history.Message{Peer: peer, MsgID: fmt.Sprintf("m%d", i), Time: start.Add(time.Duration(i) * time.Minute),
			Body: fmt.Sprintf("message %d: ", i) + strings.Repeat("spam and eggs ", 1+i%23), State: history.Received}
		if i%3 == 2 {
			m.Dir, m.State = history.Out, history.Delivered
		}
		if batch = append(batch, m); len(batch) == 500 || i == n-1 {
			if _, err := st.AddBatch(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return st
}

func BenchmarkScrollBack100000(b *testing.B) {
	const peer = "alice@example.org"
	st := longArchive(b, peer, scrollBackMessages)
	var (
		maxStep, sumSteps time.Duration
		steps, reads      int
		maxHeldMsgs       int
		growth            [2]float64
	)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	liveHeap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		a := test.NewTempApp(b)
		queue := make(chan func(), 16)
		var later []func()
		u := New(Options{App: a, Dir: b.TempDir(), Config: &account.Config{Accounts: []account.Account{{JID: me}}},
			Start: func(account.Account, Credentials) (Core, func()) {
				return &storeCore{fakeCore: &fakeCore{}, st: st}, nil
			}})
		u.do = func(f func()) { queue <- f }
		u.after = func(_ time.Duration, f func()) { later = append(later, f) }
		u.Show()
		s := u.only()
		s.apply([]app.Event{stateEv(app.Online)})
		s.apply([]app.Event{resetEv(contact(peer, "Alice"))})
		s.openChat(peer)
		c := s.chats[peer]
		c.win.Resize(fyne.NewSize(480, 560))

		// timed runs f as one UI step.
		timed := func(f func()) {
			t0 := time.Now()
			f()
			d := time.Since(t0)
			maxStep = max(maxStep, d)
			sumSteps += d
			steps++
		}
		// settle runs the timers due and applies the reads they start,
		// each a step, until the window reads no more.
		settle := func() {
			for range 100 {
				fs := later
				later = nil
				for _, f := range fs {
					timed(f)
				}
				switch {
				case c.conv.loading:
					f := <-queue // the read, done on its goroutine
					timed(f)
					reads++
				case len(later) == 0:
					maxHeldMsgs = max(maxHeldMsgs, len(c.conv.msgs))
					return
				}
			}
			b.Fatal("the window keeps reading")
		}
		settle()
		heap0 := liveHeap()
		view := c.list.Size().Height

		b.StartTimer()
		for walk := range 2 {
			up, down := walkBack(b, c, view, timed, settle)
			if !strings.HasPrefix(up, "message 0:") || !strings.HasPrefix(down, fmt.Sprintf("message %d:", scrollBackMessages-1)) {
				b.Fatalf("walk %d: the top shows %q, the bottom %q", walk, up, down)
			}
			b.StopTimer()
			heap := liveHeap()
			growth[walk] += float64(int64(heap)-int64(heap0)) / 1e6
			heap0 = heap
			b.StartTimer()
		}
		b.StopTimer()
		u.stopSessions()
	}
	b.ReportMetric(ms(maxStep), "max-step-ms")
	b.ReportMetric(ms(sumSteps)/float64(steps), "mean-step-ms")
	b.ReportMetric(float64(steps)/float64(b.N), "steps/op")
	b.ReportMetric(float64(reads)/float64(b.N), "reads/op")
	b.ReportMetric(float64(maxHeldMsgs), "max-held")
	b.ReportMetric(growth[0]/float64(b.N), "heap-growth-1st-MB")
	b.ReportMetric(growth[1]/float64(b.N), "heap-growth-2nd-MB")
}

// walkBack scrolls c from the bottom to the top of its conversation a
// view's height a step, and down again, and returns the bodies of the
// first and last messages held at the turns.
func walkBack(b *testing.B, c *chatWindow, view float32, timed func(func()), settle func()) (top, bottom string) {
	for i := 0; !c.conv.done || c.list.GetScrollOffset() > 0; i++ {
		if i > 2*scrollBackMessages {
			b.Fatalf("no top after %d steps", i)
		}
		timed(func() { c.list.ScrollToOffset(c.list.GetScrollOffset() - view) })
		settle()
	}
	top = c.conv.msgs[0].body
	for i := 0; c.conv.newer || !c.atBottom(); i++ {
		if i > 2*scrollBackMessages {
			b.Fatalf("no bottom after %d steps", i)
		}
		timed(func() { c.list.ScrollToOffset(c.list.GetScrollOffset() + view) })
		settle()
	}
	return top, c.conv.msgs[len(c.conv.msgs)-1].body
}
