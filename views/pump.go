package views

import (
	"context"
	"time"

	"github.com/palaver-im/palaver/app"
)

// frame is the shortest time between two applied batches: about one
// display frame, so a flood of events costs at most one UI update per frame.
const frame = 16 * time.Millisecond

// pump reads event batches until events is closed or ctx ends, and hands
// them to apply through do (fyne.Do in the app).
//
// Batches that arrive within one frame of the last update, or while the UI
// has not yet run the previous one, are joined, so that the UI goroutine
// never has more than one update queued and a busy UI slows nothing but
// itself. The pump never waits for the UI except through that one slot.
func pump(ctx context.Context, events <-chan []app.Event, do func(func()), apply func([]app.Event), frame time.Duration) {
	var (
		pending  []app.Event
		last     time.Time
		inFlight bool
		timer    <-chan time.Time
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
			}
		case <-applied:
			inFlight = false
		case <-timer:
			timer = nil
		case <-ctx.Done():
			return
		}
		if len(pending) > 0 && !inFlight && timer == nil {
			if wait := frame - time.Since(last); wait > 0 {
				timer = time.After(wait)
				continue
			}
			batch := pending
			pending = nil
			inFlight = true
			last = time.Now()
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
