package netwatch

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor is how long a test waits for something that should happen.
const waitFor = 10 * time.Second

// next returns the next event, failing the test if none comes in time or
// the channel is closed.
func next(t *testing.T, w *Watcher) Event {
	t.Helper()
	select {
	case e, ok := <-w.Events():
		if !ok {
			t.Fatal("the channel was closed; want an event")
		}
		return e
	case <-time.After(waitFor):
		t.Fatalf("no event within %v", waitFor)
	}
	return 0
}

// expect fails the test unless the next event is want.
func expect(t *testing.T, w *Watcher, want Event) {
	t.Helper()
	if got := next(t, w); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// quiet fails the test if an event comes, or the channel closes, within d.
func quiet(t *testing.T, w *Watcher, d time.Duration) {
	t.Helper()
	select {
	case e, ok := <-w.Events():
		if !ok {
			t.Fatal("the channel was closed before the context ended")
		}
		t.Fatalf("got %v, want nothing", e)
	case <-time.After(d):
	}
}

// closes fails the test unless the channel is closed (after any events
// still waiting) and the Watcher let go of everything within waitFor.
func closes(t *testing.T, w *Watcher) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case _, ok := <-w.Events():
			if ok {
				continue
			}
		case <-deadline:
			t.Fatalf("the channel was not closed within %v of the end of the context", waitFor)
		}
		break
	}
	select {
	case <-w.done:
	case <-deadline:
		t.Fatal("the Watcher did not finish")
	}
}

// noLeak fails the test unless the number of goroutines falls back to at
// most before within waitFor.
func noLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEventString(t *testing.T) {
	for e, want := range map[Event]string{NetworkUp: "NetworkUp", Resumed: "Resumed", 0: "Event(0)", 9: "Event(9)"} {
		if got := e.String(); got != want {
			t.Errorf("Event(%d).String() = %q, want %q", uint8(e), got, want)
		}
	}
}

func TestInert(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	why := errors.New("why")
	w := inert(ctx, why)
	if w.Err() != why {
		t.Errorf("Err() = %v, want %v", w.Err(), why)
	}
	// Nothing waits while it is inert.
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines while inert, %d before", n, before)
	}
	quiet(t, w, 50*time.Millisecond)
	cancel()
	closes(t, w)
	if w.Err() != why {
		t.Errorf("Err() = %v after the end, want %v", w.Err(), why)
	}
}

// TestSlowReader posts many events to nobody: posting never waits, and the
// reader then finds one of each kind, oldest first, and nothing more.
func TestSlowReader(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newWatcher()
	var stops atomic.Int32
	go w.forward(ctx, func() { stops.Add(1) }, nil, nil)
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		for range 1000 {
			w.post(NetworkUp)
			w.post(Resumed)
		}
	}()
	select {
	case <-posted:
	case <-time.After(waitFor):
		t.Fatal("post blocked on a reader that does not read")
	}
	expect(t, w, NetworkUp)
	expect(t, w, Resumed)
	quiet(t, w, 50*time.Millisecond)
	// Again, in the other order.
	w.post(Resumed)
	w.post(Resumed)
	w.post(NetworkUp)
	expect(t, w, Resumed)
	expect(t, w, NetworkUp)
	quiet(t, w, 50*time.Millisecond)
	cancel()
	closes(t, w)
	if n := stops.Load(); n != 1 {
		t.Errorf("stop called %d times, want 1", n)
	}
	if w.Err() != nil {
		t.Errorf("Err() = %v, want nil", w.Err())
	}
	noLeak(t, before)
}

// TestLost: when the source is gone, Err says so and the channel stays
// open until the context ends.
func TestLost(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newWatcher()
	lost := make(chan struct{})
	gone := errors.New("gone")
	go w.forward(ctx, func() {}, lost, gone)
	w.post(Resumed)
	expect(t, w, Resumed)
	close(lost)
	deadline := time.Now().Add(waitFor)
	for w.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("Err() stayed nil after the source was lost")
		}
		time.Sleep(time.Millisecond)
	}
	if w.Err() != gone {
		t.Errorf("Err() = %v, want %v", w.Err(), gone)
	}
	quiet(t, w, 50*time.Millisecond)
	cancel()
	closes(t, w)
}
