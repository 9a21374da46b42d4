package views

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/palaver-im/palaver/app"
)

// The UI side of a flood: a peer sends 10 000 messages, which the core
// archives and delivers in batches (see app/flood_bench_test.go; under
// flood its pump delivered batches of up to 165 events). Each batch is
// one session.apply on the UI goroutine; while it runs nothing else is
// drawn or handled, so the time of the longest batch is the longest
// stall. The target is none over 100 ms.
//
// Run with
//
//	CGO_ENABLED=0 go test -run '^$' -bench Flood -benchtime 3x ./views/
//
// ns/op is one whole flood of 10 000 messages; max-batch-ms and
// mean-batch-ms are over every batch of every run, last-batch-ms is the
// mean of the last batch of each run, when the conversation is longest.

// floodMessages is how many messages the peer sends.
const floodMessages = 10_000

// floodPeer is the contact that floods, one of bigRosterBatch's (online).
const floodPeer = "user00000@example.org"

// floodBatches returns the flood cut in batches of size events.
func floodBatches(size int) [][]app.Event {
	start := time.Date(2025, 3, 14, 9, 0, 0, 0, time.Local)
	var out [][]app.Event
	var batch []app.Event
	for i := range floodMessages {
		// Bodies of different lengths, some wrapping over several lines.
		body := fmt.Sprintf("flood %d: ", i) + strings.Repeat("spam and eggs ", 1+i%23)
		batch = append(batch, messageEv(floodPeer, body, start.Add(time.Duration(i)*time.Second), false))
		if len(batch) == size || i == floodMessages-1 {
			out = append(out, batch)
			batch = nil
		}
	}
	return out
}

// BenchmarkFlood10000Messages: the chat window with the peer is open and
// the user looks at it; every batch appends to the window's list, which
// refreshes and stays at the bottom.
func BenchmarkFlood10000Messages(b *testing.B) {
	for _, size := range []int{165, 10} {
		b.Run(fmt.Sprintf("open/batch=%d", size), func(b *testing.B) { benchmarkFlood(b, size, true) })
	}
	for _, size := range []int{165, 10} {
		b.Run(fmt.Sprintf("closed/batch=%d", size), func(b *testing.B) { benchmarkFlood(b, size, false) })
	}
}

// benchmarkFlood applies the flood in batches of size to a signed-in UI
// with a roster of 500, and the chat with the peer open (and active) or
// not: then the first message pops its window up in the background, and
// every batch raises the unread count in the contact list and the
// window's header; the first sends a notification, the rest wait for
// a summary (model.NotifyQuiet).
func benchmarkFlood(b *testing.B, size int, open bool) {
	batches := floodBatches(size)
	var (
		stalls     int
		maxBatch   time.Duration
		sumBatches time.Duration
		sumLast    time.Duration
		runs       int
		where      []string // the first stalls: batch and time
	)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportAllocs()
	b.ResetTimer()
	b.StopTimer() // only the applies are timed
	for range b.N {
		u := benchUI(b)
		notes := &notifyApp{App: u.app}
		u.app = notes
		u.only().apply([]app.Event{stateEv(app.Online)})
		u.only().apply(bigRosterBatch(500))
		var c *chatWindow
		if open {
			u.only().openChat(floodPeer)
			c = u.only().chats[floodPeer]
			c.win.Resize(fyne.NewSize(480, 560))
			if !c.active {
				b.Fatal("the chat window is not active")
			}
		}

		for i, batch := range batches {
			b.StartTimer()
			t0 := time.Now()
			u.only().apply(batch)
			d := time.Since(t0)
			b.StopTimer()

			sumBatches += d
			maxBatch = max(maxBatch, d)
			if d > 100*time.Millisecond {
				stalls++
				if len(where) < 12 {
					where = append(where, fmt.Sprintf("#%d %.0fms", i, ms(d)))
				}
			}
			if i == len(batches)-1 {
				sumLast += d
			}
			if c == nil {
				// Popped up by the first message: the window
				// manager gives it its size.
				c = u.only().chats[floodPeer]
				if c == nil {
					b.Fatal("no chat window popped up")
				}
				c.win.Resize(fyne.NewSize(480, 560))
				c.refresh(false)
			}
			// The list really shows the newest message.
			last := c.conv.msgs[len(c.conv.msgs)-1]
			if last.body != batch[len(batch)-1].(app.MessageReceived).Msg.Body {
				b.Fatalf("after batch %d the conversation ends with %q", i, last.body)
			}
			if _, ok := find(c.list, func(r *messageRow) bool { return r.msg == last && r.Visible() }); !ok {
				b.Fatalf("after batch %d the list does not show the newest message", i)
			}
		}

		if n := len(c.conv.msgs); n != floodMessages || c.list.Length() != floodMessages {
			b.Fatalf("%d messages in the conversation, %d in the list, want %d", n, c.list.Length(), floodMessages)
		}
		unread, sent := u.only().Roster.Unread(floodPeer), len(notes.sent)
		if open && (unread != 0 || sent != 0) {
			b.Fatalf("with the chat open: %d unread, %d notifications", unread, sent)
		}
		// One notification, the rest held back for a summary once
		// model.NotifyQuiet has passed (later than the flood here).
		if !open && (unread != floodMessages || sent != 1) {
			b.Fatalf("with the chat closed: %d unread, %d notifications; want %d and 1", unread, sent, floodMessages)
		}
		runs++
		u.stopSessions()
	}
	if len(where) > 0 {
		b.Logf("%d batches of %d took over 100 ms in %d runs; the first: %s", stalls, size, runs, strings.Join(where, ", "))
	}
	b.ReportMetric(ms(maxBatch), "max-batch-ms")
	b.ReportMetric(ms(sumBatches)/float64(runs*len(batches)), "mean-batch-ms")
	b.ReportMetric(ms(sumLast)/float64(runs), "last-batch-ms")
	b.ReportMetric(float64(stalls)/float64(runs), "stalls>100ms/op")
}
