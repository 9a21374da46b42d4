package views

import (
	"context"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/palaver-im/palaver/app"
)

// recorder collects the batches the pump applies. Its do queues the
// function like fyne.Do does, so the test decides when the "UI" runs.
type recorder struct {
	mu      sync.Mutex
	batches [][]app.Event
	queued  chan func()
}

func newRecorder() *recorder { return &recorder{queued: make(chan func(), 10)} }

func (r *recorder) do(f func()) { r.queued <- f }

func (r *recorder) apply(b []app.Event) {
	r.mu.Lock()
	r.batches = append(r.batches, b)
	r.mu.Unlock()
}

func (r *recorder) runNext(t *testing.T) {
	t.Helper()
	select {
	case f := <-r.queued:
		f()
	case <-time.After(5 * time.Second):
		t.Fatal("the pump handed nothing to the UI")
	}
}

func (r *recorder) got() [][]app.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]app.Event(nil), r.batches...)
}

func msgs(ids ...string) []app.Event {
	var out []app.Event
	for _, id := range ids {
		out = append(out, app.MessageFailed{ID: id})
	}
	return out
}

func ids(b []app.Event) string {
	s := ""
	for _, e := range b {
		s += e.(app.MessageFailed).ID
	}
	return s
}

func TestPumpJoinsBatchesWhileTheUIIsBusy(t *testing.T) {
	r := newRecorder()
	events := make(chan []app.Event)
	done := make(chan struct{})
	go func() {
		pump(context.Background(), events, r.do, r.apply, 0)
		close(done)
	}()
	events <- msgs("a")
	// The first update is queued but the UI has not run it: the next
	// batches must wait and be joined, not queued as more updates.
	events <- msgs("b")
	events <- msgs("c", "d")
	if n := len(r.queued); n != 1 {
		t.Fatalf("%d updates queued before the UI ran the first, want 1", n)
	}
	r.runNext(t) // the UI runs update 1 ...
	r.runNext(t) // ... and then the joined one
	close(events)
	<-done
	got := r.got()
	if len(got) != 2 || ids(got[0]) != "a" || ids(got[1]) != "bcd" {
		t.Fatalf("batches %v, want [a bcd]", got)
	}
}

func TestPumpUpdatesAtMostOncePerFrame(t *testing.T) {
	r := newRecorder()
	events := make(chan []app.Event)
	const frame = 200 * time.Millisecond
	go pump(context.Background(), events, r.do, r.apply, frame)
	events <- msgs("a")
	start := time.Now()
	r.runNext(t)
	// Batches within the frame wait for its end, then come as one.
	events <- msgs("b")
	events <- msgs("c")
	r.runNext(t)
	if d := time.Since(start); d < frame*3/4 {
		t.Fatalf("second update after %v, want about one frame (%v)", d, frame)
	}
	got := r.got()
	if len(got) != 2 || ids(got[1]) != "bc" {
		t.Fatalf("batches %v, want [a bc]", got)
	}
	close(events)
}

func TestPumpSlowsDownInAFlood(t *testing.T) {
	r := newRecorder()
	events := make(chan []app.Event)
	const frame = 20 * time.Millisecond
	go pump(context.Background(), events, r.do, r.apply, frame)
	flood := make([]string, floodEvents)
	for i := range flood {
		flood[i] = "x"
	}
	// A small update is followed one frame later; a flood's update
	// floodFrames frames later.
	for i, n := range []int{1, floodEvents} {
		events <- msgs(flood[:n]...)
		r.runNext(t)
		start := time.Now()
		events <- msgs("y")
		r.runNext(t)
		d := time.Since(start)
		want := frame
		if n >= floodEvents {
			want = floodFrames * frame
		}
		if d < want*3/4 || (i == 0 && d > floodFrames*frame/2) {
			t.Errorf("after an update of %d events the next came after %v, want about %v", n, d, want)
		}
		time.Sleep(floodFrames * frame) // the next round starts afresh
	}
	close(events)
}

// TestPumpSlowsDownMoreInALongFlood: updates of floodEvents or more
// come floodFrames frames apart at first, floodSlowFrames apart once the
// flood has gone on for floodLongFrames frames, and one frame apart again
// after a small update.
func TestPumpSlowsDownMoreInALongFlood(t *testing.T) {
	r := newRecorder()
	events := make(chan []app.Event, 1)
	const frame = 20 * time.Millisecond
	go pump(context.Background(), events, r.do, r.apply, frame)
	flood := make([]string, floodEvents)
	for i := range flood {
		flood[i] = "x"
	}
	// One flood-sized batch per update, until the flood is long; then
	// time the next gap.
	var gaps []time.Duration
	start := time.Now()
	last := start
	for time.Since(start) < (floodLongFrames+2*floodSlowFrames)*frame {
		events <- msgs(flood...)
		r.runNext(t)
		now := time.Now()
		gaps = append(gaps, now.Sub(last))
		last = now
	}
	if len(gaps) < 4 {
		t.Fatalf("only %d updates", len(gaps))
	}
	if g := gaps[2]; g < floodFrames*frame*3/4 || g > floodSlowFrames*frame*3/4 {
		t.Errorf("early in the flood updates came %v apart, want about %v", g, floodFrames*frame)
	}
	if g := gaps[len(gaps)-1]; g < floodSlowFrames*frame*3/4 {
		t.Errorf("late in the flood updates came %v apart, want about %v", g, floodSlowFrames*frame)
	}
	// A small update ends the flood: the next comes after a frame's wait
	// only (it waits out the long gap of the last flood update first).
	events <- msgs("y")
	r.runNext(t)
	small := time.Now()
	events <- msgs("z")
	r.runNext(t)
	if d := time.Since(small); d > floodFrames*frame/2 {
		t.Errorf("after a small update the next came after %v, want about %v", d, frame)
	}
	close(events)
}

// TestPumpSlowsDownInASteadyStream: a peer's burst reaches the pump in
// small batches; a dozen events every frame is a flood too, while three
// a frame (what a busy room can bring) is not.
func TestPumpSlowsDownInASteadyStream(t *testing.T) {
	const frame = 20 * time.Millisecond
	for _, tc := range []struct {
		each  int
		flood bool
	}{{12, true}, {3, false}} {
		r := newRecorder()
		events := make(chan []app.Event)
		ctx, cancel := context.WithCancel(context.Background())
		go pump(ctx, events, r.do, r.apply, frame)
		batch := make([]string, tc.each)
		for i := range batch {
			batch[i] = "x"
		}
		go func() {
			tick := time.NewTicker(frame)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					select {
					case events <- msgs(batch...):
					case <-ctx.Done():
						return
					}
				}
			}
		}()
		var gaps []time.Duration
		last := time.Now()
		for range 8 {
			r.runNext(t)
			now := time.Now()
			gaps = append(gaps, now.Sub(last))
			last = now
		}
		cancel()
		// The last few updates, once the pump has seen the pace.
		for _, g := range gaps[4:] {
			if tc.flood && g < floodFrames*frame*3/4 || !tc.flood && g > floodFrames*frame/2 {
				t.Errorf("%d events a frame: updates came %v apart, want flood %v (gaps %v)", tc.each, g, tc.flood, gaps)
				break
			}
		}
	}
}

// TestPumpRelievesMemoryAfterAFlood: once a flood is over (no event for
// floodOver), afterFlood runs once; quiet talk never runs it.
func TestPumpRelievesMemoryAfterAFlood(t *testing.T) {
	ran := make(chan time.Time, 4)
	old := afterFlood
	afterFlood = func() { ran <- time.Now() }
	defer func() { afterFlood = old }()
	r := newRecorder()
	events := make(chan []app.Event)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const frame = 5 * time.Millisecond
	go pump(ctx, events, r.do, r.apply, frame)

	// Quiet talk: small updates, far apart.
	for range 3 {
		events <- msgs("a")
		r.runNext(t)
		time.Sleep(4 * frame)
	}
	// A flood, whose last event comes well after its first update.
	flood := make([]string, floodEvents)
	for i := range flood {
		flood[i] = "x"
	}
	events <- msgs(flood...)
	r.runNext(t)
	time.Sleep(floodOver / 2)
	lastEvent := time.Now()
	events <- msgs("y")
	r.runNext(t)
	select {
	case at := <-ran:
		if d := at.Sub(lastEvent); d < floodOver*3/4 {
			t.Fatalf("afterFlood ran %v after the flood's last event, want %v", d, floodOver)
		}
	case <-time.After(5 * floodOver):
		t.Fatal("afterFlood did not run after a flood")
	}
	// Once only, and not for the quiet talk before.
	select {
	case <-ran:
		t.Fatal("afterFlood ran twice")
	case <-time.After(2 * floodOver):
	}
}

func TestPumpDeliversTheRestWhenEventsClose(t *testing.T) {
	r := newRecorder()
	events := make(chan []app.Event, 2)
	events <- msgs("a")
	events <- msgs("b")
	close(events)
	done := make(chan struct{})
	go func() {
		pump(context.Background(), events, r.do, r.apply, 0)
		close(done)
	}()
	r.runNext(t)
	r.runNext(t)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("pump did not return after delivering the rest")
	}
	if got := r.got(); len(got) != 2 || ids(got[0]) != "a" || ids(got[1]) != "b" {
		t.Fatalf("batches %v, want [a b]", got)
	}
}

func TestPumpStopsWithContext(t *testing.T) {
	r := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		pump(ctx, make(chan []app.Event), r.do, r.apply, 0)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("pump did not stop")
	}
}

func TestOnThisGoroutine(t *testing.T) {
	here := OnThisGoroutine()
	if !here() {
		t.Fatal("false on the goroutine that made it")
	}
	other := make(chan bool)
	go func() { other <- here() }()
	if <-other {
		t.Fatal("true on another goroutine")
	}
}

// TestNothingRunsOffTheLoop: once Fyne's loop has ended, fyne.Do runs a
// function on the caller's goroutine (with GLFW gone). That happens when
// Fyne's own SIGTERM handler quits before Palaver's; such a call must not
// reach a widget, and the views stop.
func TestNothingRunsOffTheLoop(t *testing.T) {
	for i, tc := range []struct {
		onLoop  bool
		ran     bool
		stopped bool
	}{
		0: {onLoop: true, ran: true},
		1: {onLoop: false, stopped: true},
	} {
		u := New(Options{App: test.NewTempApp(t), OnLoop: func() bool { return tc.onLoop }})
		ran := false
		// The test driver's fyne.Do runs f on this goroutine, as Fyne's
		// does once its loop has ended.
		u.do(func() { ran = true })
		if ran != tc.ran || u.stopped.Load() != tc.stopped {
			t.Errorf("%d: ran %v, stopped %v; want %v, %v", i, ran, u.stopped.Load(), tc.ran, tc.stopped)
		}
		// After stopping, nothing runs even on the loop.
		if tc.stopped {
			u.do(func() { ran = true })
			if ran {
				t.Errorf("%d: ran after the views stopped", i)
			}
		}
	}
}
