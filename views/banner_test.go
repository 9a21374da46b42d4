package views

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/palaver-im/palaver/app"
)

func TestWaitingText(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 30, 0, 0, time.UTC)
	stall := fmt.Errorf("%w: the server did not answer a ping within 10s", app.ErrStalled)
	long := errors.New(strings.Repeat("x", 300))
	for i, tc := range []struct {
		err  error
		at   time.Time
		want string
	}{
		0: {stall, now.Add(8 * time.Second), "Disconnected: the server stopped answering. Reconnecting in 8 s…"},
		1: {errors.New("connection refused."), now.Add(7500 * time.Millisecond), "Disconnected: connection refused. Reconnecting in 8 s…"},
		2: {nil, now.Add(time.Millisecond), "Disconnected. Reconnecting in 1 s…"},
		3: {nil, now, "Disconnected. Reconnecting…"},
		4: {stall, time.Time{}, "Disconnected: the server stopped answering. Reconnecting…"},
	} {
		if got := waitingText(tc.err, tc.at, now); got != tc.want {
			t.Errorf("%d: %q\nwant %q", i, got, tc.want)
		}
	}
	if got := waitingText(long, now.Add(30*time.Second), now); !strings.HasSuffix(got, "x… Reconnecting in 30 s…") || len([]rune(got)) > 160 {
		t.Errorf("a long reason: %q", got)
	}
}

// TestCountdownTicks runs the connection bar's count with a fake clock:
// it goes down a second at a time, one timer at a time, and stops once
// the core is online.
func TestCountdownTicks(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	var waits []time.Duration
	h.ui.after = func(d time.Duration, f func()) {
		waits = append(waits, d)
		h.later = append(h.later, f)
	}
	set := func(d time.Duration) { clock.now = func() time.Time { return now.Add(d) } }
	w := stateEv(app.Waiting)
	w.Err = fmt.Errorf("%w: the server did not answer a ping within 10s", app.ErrStalled)
	w.RetryAt = now.Add(3500 * time.Millisecond)
	h.apply(w)
	const reason = "Disconnected: the server stopped answering."
	if got := h.ui.stateText.Text; got != reason+" Reconnecting in 4 s…" {
		t.Fatalf("waiting: %q", got)
	}
	if len(waits) != 1 || waits[0] != 500*time.Millisecond {
		t.Fatalf("timers %v, want one for when the count changes (500ms)", waits)
	}
	// Refreshing the bar for another reason sets no second timer.
	h.ui.refreshState()
	if len(h.later) != 1 {
		t.Fatalf("%d timers after a refresh, want 1", len(h.later))
	}
	for i, want := range []string{"3 s", "2 s", "1 s"} {
		set(time.Duration(i)*time.Second + 500*time.Millisecond)
		h.runLater()
		if got := h.ui.stateText.Text; got != reason+" Reconnecting in "+want+"…" {
			t.Fatalf("tick %d: %q", i, got)
		}
		if len(h.later) != 1 || waits[len(waits)-1] != time.Second {
			t.Fatalf("tick %d: %d timers, last waits %v", i, len(h.later), waits[len(waits)-1])
		}
	}
	set(3500 * time.Millisecond)
	h.runLater()
	if got := h.ui.stateText.Text; got != reason+" Reconnecting…" || len(h.later) != 0 {
		t.Fatalf("due: %q, %d timers", got, len(h.later))
	}
	if h.ui.stateAction.Text != "Reconnect now" || !h.ui.stateAction.Visible() {
		t.Fatal("no Reconnect now while waiting")
	}

	// The next attempt fails too; the core comes online during the count.
	w.RetryAt = now.Add(10 * time.Second)
	h.apply(w)
	if len(h.later) != 1 {
		t.Fatalf("%d timers for the new count, want 1", len(h.later))
	}
	// Another failure moves the attempt while the count runs: the timer
	// set for the old one must not start a second chain.
	w.RetryAt = now.Add(12500 * time.Millisecond)
	h.apply(w)
	set(4 * time.Second)
	h.runLater()
	if len(h.later) != 1 || h.ui.stateText.Text != reason+" Reconnecting in 9 s…" {
		t.Fatalf("moved attempt: %d timers, %q", len(h.later), h.ui.stateText.Text)
	}
	test.Tap(h.ui.stateAction)
	assertCalls(t, h.core, "Connect")
	h.apply(stateEv(app.Online))
	set(5 * time.Second)
	h.runLater() // the timer set before: it must do nothing
	if got := h.ui.stateText.Text; got != "Online as "+me || len(h.later) != 0 {
		t.Fatalf("online: %q, %d timers left", got, len(h.later))
	}
}
