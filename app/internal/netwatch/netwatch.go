// Package netwatch reports when the operating system says that the network
// is back or that the system woke from sleep, so that a client waiting to
// reconnect can retry at once instead of at the end of its backoff.
//
// On Linux it listens on the system D-Bus to NetworkManager (the
// StateChanged signal) and to systemd-logind (PrepareForSleep). Elsewhere,
// and on Linux systems without a system bus or without both services, the
// Watcher is inert: its channel only closes when the context ends, and Err
// says why. Nothing here is needed for correctness: the connection manager
// notices sleep on every system by its own clock check (the monotonic clock
// stops while the system sleeps) and retries on its backoff timer anyway;
// these events only make the retry come sooner.
//
// Events are hints, not facts: a local process on the bus may send one
// that is not true, so a reader should treat one as "worth a try now",
// never as proof that the network works.
package netwatch

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// Event is something the system reported that makes a retry worth trying
// now.
type Event uint8

const (
	// NetworkUp means connectivity came back: on Linux, NetworkManager's
	// state rose to NM_STATE_CONNECTED_GLOBAL (70) from a lower state.
	NetworkUp Event = iota + 1
	// Resumed means the system woke from sleep: on Linux, logind sent
	// PrepareForSleep(false).
	Resumed
)

// String returns the event's name.
func (e Event) String() string {
	switch e {
	case NetworkUp:
		return "NetworkUp"
	case Resumed:
		return "Resumed"
	}
	return "Event(" + strconv.Itoa(int(e)) + ")"
}

// ErrNoService says that a service netwatch listens to is not on the
// system bus (Err wraps it and names the service).
var ErrNoService = errors.New("netwatch: service not on the system bus")

// Watcher delivers the events of one Watch call. Its methods are safe for
// concurrent use.
type Watcher struct {
	events chan Event
	wake   chan struct{}
	// done is closed when the Watcher has let go of everything it held
	// (the bus connection, its goroutine), just after events is closed.
	done chan struct{}
	// seen counts the signals of ours that the source has read, for
	// tests.
	seen atomic.Int64

	mu sync.Mutex
	// pending holds the events the reader has not taken yet, each kind
	// at most once, oldest first.
	pending []Event
	err     error
}

func newWatcher() *Watcher {
	return &Watcher{
		events: make(chan Event),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

// inert returns a Watcher that never reports anything and whose channel
// closes when ctx ends. It holds no goroutine while it waits.
func inert(ctx context.Context, err error) *Watcher {
	w := newWatcher()
	w.err = err
	context.AfterFunc(ctx, func() {
		close(w.events)
		close(w.done)
	})
	return w
}

// Events returns the channel of events. Nobody waits for the reader: while
// an event of one kind waits to be read, more of that kind are merged into
// it, so a slow reader finds at most one of each kind, oldest first. The
// channel is closed when the context given to Watch ends, and only then.
func (w *Watcher) Events() <-chan Event { return w.events }

// Err returns nil while the Watcher listens to everything it can on this
// system, or else why it does not (or no longer does): no system bus, a
// service missing (wrapping ErrNoService), the bus connection lost, or an
// unsupported system (wrapping errors.ErrUnsupported). It is meant for a
// debug log; the channel works the same either way.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Watcher) setErr(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

// post records e for the reader. It never blocks.
func (w *Watcher) post(e Event) {
	w.mu.Lock()
	if !slices.Contains(w.pending, e) {
		w.pending = append(w.pending, e)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// forward hands the pending events to the reader until ctx ends, then
// calls stop, closes the channel and done. lost, if not nil, is closed
// when the source of events is gone for good: lostErr is then what Err
// reports.
func (w *Watcher) forward(ctx context.Context, stop func(), lost <-chan struct{}, lostErr error) {
	defer close(w.done)
	defer close(w.events)
	defer stop()
	for ctx.Err() == nil {
		var (
			out  chan<- Event
			next Event
		)
		w.mu.Lock()
		if len(w.pending) > 0 {
			out, next = w.events, w.pending[0]
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-lost:
			if ctx.Err() == nil { // not our own cancellation
				w.setErr(lostErr)
			}
			lost = nil
		case out <- next:
			// post only appends, so next is still first.
			w.mu.Lock()
			w.pending = w.pending[1:]
			w.mu.Unlock()
		}
	}
}
