package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// floodWatcher counts the messages a client receives from one peer, and
// the largest batch of events the client delivered at once, without
// keeping the events.
type floodWatcher struct {
	peer string

	mu       sync.Mutex
	received int
	failed   int   // MessageFailed events (of messages this client sent)
	lastErr  error // the last of them
	maxBatch int
	changed  chan struct{}
}

func watchFlood(b *testing.B, c *app.Client, peer string) *floodWatcher {
	b.Helper()
	w := &floodWatcher{peer: peer, changed: make(chan struct{}, 1)}
	online := make(chan struct{}, 1)
	go func() {
		for batch := range c.Events() {
			n, failed := 0, 0
			var lastErr error
			for _, e := range batch {
				switch e := e.(type) {
				case app.MessageReceived:
					if e.Peer == peer && !e.Outgoing {
						n++
					}
				case app.MessageFailed:
					failed++
					lastErr = e.Err
				case app.StateChanged:
					if e.State == app.Online {
						select {
						case online <- struct{}{}:
						default:
						}
					}
				}
			}
			w.mu.Lock()
			w.received += n
			w.failed += failed
			if lastErr != nil {
				w.lastErr = lastErr
			}
			w.maxBatch = max(w.maxBatch, len(batch))
			w.mu.Unlock()
			select {
			case w.changed <- struct{}{}:
			default:
			}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-online:
	case <-time.After(waitTimeout):
		b.Fatalf("%s did not sign in", c.Account())
	}
	return w
}

// waitReceived waits until n messages have arrived; it gives up when none
// has arrived for quiet. sender is the peer's watcher, to tell why.
func (w *floodWatcher) waitReceived(b *testing.B, n int, quiet time.Duration, sender *floodWatcher) {
	b.Helper()
	last := -1
	timer := time.NewTimer(quiet)
	defer timer.Stop()
	for {
		w.mu.Lock()
		got := w.received
		w.mu.Unlock()
		if got >= n {
			return
		}
		if got != last {
			last = got
			timer.Reset(quiet)
		}
		select {
		case <-w.changed:
		case <-timer.C:
			sender.mu.Lock()
			failed, lastErr := sender.failed, sender.lastErr
			sender.mu.Unlock()
			b.Fatalf("only %d of %d messages from %s arrived, none in the last %v; the sender saw %d fail (last: %v)",
				got, n, w.peer, quiet, failed, lastErr)
		}
	}
}

// archivedCount pages through c's archive of the conversation with peer
// and counts the messages in it.
func archivedCount(b *testing.B, c *app.Client, peer string) int {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := 0
	before := history.Cursor{}
	for {
		page, err := c.History(ctx, peer, before, history.MaxPage)
		if err != nil {
			b.Fatalf("reading the archive: %v", err)
		}
		n += len(page)
		if len(page) < history.MaxPage {
			return n
		}
		before = page[0].At()
	}
}

// BenchmarkFlood10000 measures how long alice's core takes to take in
// 10 000 chat messages that bob's core sends her as fast as it can through
// a real Prosody: from the first SendMessage until alice has emitted all
// 10 000 MessageReceived events and her archive (on disk) holds them all.
// It reports the wall time, the CPU time of the whole test process (both
// cores, and the test's own counting, but not Prosody) and the largest
// batch of events the UI would have had to take at once.
func BenchmarkFlood10000(b *testing.B) {
	const flood = 10_000
	srv := prosodytest.Start(b)
	srv.Register(b, "alice", "alice-pw")
	srv.Register(b, "bob", "bob-pw")
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain

	alice := app.New(accountFor(srv, "alice"), func(context.Context) (string, error) { return "alice-pw", nil })
	alice.SetDataDir(b.TempDir())
	w := watchFlood(b, alice, bobJID)
	bob := app.New(accountFor(srv, "bob"), func(context.Context) (string, error) { return "bob-pw", nil })
	bob.SetDataDir(b.TempDir())
	bw := watchFlood(b, bob, aliceJID)

	var wall, cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		start, cpu0 := time.Now(), cpuTime()
		for j := range flood {
			bob.SendMessage(aliceJID, fmt.Sprintf("flood %d message %d with a little text in it", i, j))
		}
		want := (i + 1) * flood
		w.waitReceived(b, want, 30*time.Second, bw)
		if n := archivedCount(b, alice, bobJID); n != want {
			b.Fatalf("alice's archive holds %d messages from bob, want %d", n, want)
		}
		wall += time.Since(start)
		cpu += cpuTime() - cpu0
	}
	b.StopTimer()
	w.mu.Lock()
	maxBatch := w.maxBatch
	w.mu.Unlock()
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/op")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(flood*b.N)/wall.Seconds(), "msgs/s")
	b.ReportMetric(float64(maxBatch), "max-batch")
}
