package views

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/palaver-im/palaver/app"
)

// frame is the shortest time between two applied batches: about one
// display frame, so a flood of events costs at most one UI update per frame.
const frame = 16 * time.Millisecond

// During a flood the pump applies less often: once floodEvents events
// came in one update, or floodMin or more at floodRate events a second or
// more (a peer's burst comes in small batches, a dozen every other
// frame), the next waits floodFrames frames (100 ms). Every
// update repaints, and each message that scrolls into view has its text
// drawn anew; ten updates a second still read as a smooth stream, and
// most messages of a flood then scroll past without being drawn at all.
//
// A flood that goes on for floodLongFrames frames (a second) slows the
// updates further, to one every floodSlowFrames frames (four a second):
// nobody reads hundreds of messages a second, and each update costs
// the same whatever it brings (the rows in view drawn anew, the window
// composited), so a long burst costs what its updates cost. A batch
// smaller than floodEvents ends the flood.
const (
	floodEvents     = 32
	floodMin        = 8
	floodRate       = 200
	floodFrames     = 6
	floodLongFrames = 60
	floodSlowFrames = 15
)

// A flood is over once no event came for floodOver; then afterFlood runs
// (on the pump's goroutine; a pump takes it when it starts). It hands the memory the flood used back to
// the system: Go's heap grows to twice what is live before it collects
// (GOGC=100) and returns freed pages only slowly, so a burst of 2000
// messages left the process about 20 MiB larger for minutes, though
// little of it was still in use. A forced collection of Palaver's heap
// (about 30 MB live) costs some 10 ms of CPU, once per flood, off the UI
// goroutine.
const floodOver = time.Second

var afterFlood = func() { go debug.FreeOSMemory() }

// pump reads event batches until events is closed or ctx ends, and hands
// them to apply through do (fyne.Do in the app).
//
// Batches that arrive within one frame of the last update, or while the UI
// has not yet run the previous one, are joined, so that the UI goroutine
// never has more than one update queued and a busy UI slows nothing but
// itself. The pump never waits for the UI except through that one slot.
func pump(ctx context.Context, events <-chan []app.Event, do func(func()), apply func([]app.Event), frame time.Duration) {
	relieve := afterFlood
	var (
		pending  []app.Event
		last     time.Time
		lastSize int // events in the last update
		// gap is the time between the last two updates.
		gap time.Duration
		// floodSince is when the flooded updates in a row began.
		floodSince time.Time
		inFlight   bool
		timer      <-chan time.Time
		// over fires floodOver after the last event of a flood.
		over  *time.Timer
		overC <-chan time.Time
		// Buffered: in tests do runs apply on this goroutine.
		applied = make(chan struct{}, 1)
	)
	for {
		select {
		case b, ok := <-events:
			if !ok {
				events = nil
			} else {
				pending = append(pending, b...)
				if overC != nil {
					over.Reset(floodOver)
				}
			}
		case <-overC:
			overC = nil
			relieve()
		case <-applied:
			inFlight = false
		case <-timer:
			timer = nil
		case <-ctx.Done():
			return
		}
		if len(pending) > 0 && !inFlight && timer == nil {
			interval := frame
			if flooded(lastSize, gap) {
				interval = floodFrames * frame
				if time.Since(floodSince) >= floodLongFrames*frame {
					interval = floodSlowFrames * frame
				}
			}
			if wait := interval - time.Since(last); wait > 0 {
				timer = time.After(wait)
				continue
			}
			batch := pending
			pending = nil
			inFlight = true
			now := time.Now()
			g := now.Sub(last)
			if flooded(len(batch), g) {
				if !flooded(lastSize, gap) {
					floodSince = now
				}
				if over == nil {
					over = time.NewTimer(floodOver)
				} else {
					over.Reset(floodOver)
				}
				overC = over.C
			}
			last, lastSize, gap = now, len(batch), g
			do(func() {
				apply(batch)
				applied <- struct{}{}
			})
		}
		if events == nil && len(pending) == 0 && !inFlight {
			return
		}
	}
}

// flooded reports whether an update of n events, gap after the one
// before it, is part of a flood.
func flooded(n int, gap time.Duration) bool {
	return n >= floodEvents || n >= floodMin && gap > 0 && time.Duration(n)*time.Second/gap >= floodRate
}

// OnThisGoroutine returns a function that reports whether its caller runs
// on the goroutine that called OnThisGoroutine.
// main calls it on the goroutine that runs Fyne's loop (App.Run must run
// on the main goroutine) and passes the result as Options.OnLoop: once
// that loop has ended, fyne.Do no longer queues a function but runs it on
// the calling goroutine (fyne.io/fyne/v2 internal/driver/glfw/loop.go,
// runOnMainWithWait after "drained"), with GLFW terminated, so only this
// tells a late update from a live one.
// The returned function is safe for concurrent use.
func OnThisGoroutine() func() bool {
	id := goroutineID()
	return func() bool { return goroutineID() == id }
}

// goroutineID returns the id of the calling goroutine, read from the first
// line of its stack trace ("goroutine 18 [running]:"), as Fyne does
// (internal/async/goroutine.go): Go offers no other way.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	var id uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
