package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
)

// waitTimeout bounds every wait for an event from a real server.
const waitTimeout = 15 * time.Second

// probe runs a Client and records every event it emits.
type probe struct {
	t      testing.TB
	name   string
	c      *app.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	events []app.Event
	more   chan struct{}
}

// start runs a client for acct with a fixed password.
func start(t testing.TB, name string, acct account.Account, password string) *probe {
	t.Helper()
	return run(t, name, app.New(acct, func(context.Context) (string, error) { return password, nil }))
}

// run runs c and records its events.
func run(t testing.TB, name string, c *app.Client) *probe {
	t.Helper()
	p := &probe{t: t, name: name, c: c, done: make(chan struct{}), more: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		for batch := range p.c.Events() {
			p.mu.Lock()
			p.events = append(p.events, batch...)
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		defer close(p.done)
		_ = p.c.Run(ctx)
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *probe) stop() {
	p.cancel()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Errorf("%s: Run did not return after cancel", p.name)
	}
}

// mark returns a position in the event history for waitFrom.
func (p *probe) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.events)
}

// wait returns the first event ever recorded that matches.
func (p *probe) wait(what string, match func(app.Event) bool) app.Event {
	p.t.Helper()
	return p.waitFrom(0, what, match)
}

// waitFrom returns the first event at or after position from that matches.
func (p *probe) waitFrom(from int, what string, match func(app.Event) bool) app.Event {
	p.t.Helper()
	return p.waitWithin(waitTimeout, from, what, match)
}

// waitWithin is waitFrom with a timeout of its own, for work that is slow
// under the race detector (megabytes of XML).
func (p *probe) waitWithin(timeout time.Duration, from int, what string, match func(app.Event) bool) app.Event {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for _, e := range p.events[min(from, len(p.events)):] {
			if match(e) {
				p.mu.Unlock()
				return e
			}
		}
		p.mu.Unlock()
		select {
		case <-p.more:
		case <-deadline:
			p.t.Fatalf("%s: timed out waiting for %s; events:\n%s", p.name, what, p.dump())
			return nil
		}
	}
}

// countFrom counts the events at or after position from that match.
func (p *probe) countFrom(from int, match func(app.Event) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.events[min(from, len(p.events)):] {
		if match(e) {
			n++
		}
	}
	return n
}

func (p *probe) count(match func(app.Event) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.events {
		if match(e) {
			n++
		}
	}
	return n
}

func (p *probe) dump() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, e := range p.events {
		fmt.Fprintf(&b, "  %T %+v\n", e, e)
	}
	return b.String()
}

func (p *probe) waitOnline() app.StateChanged {
	p.t.Helper()
	return p.wait("online", isState(app.Online)).(app.StateChanged)
}

func isState(s app.ConnState) func(app.Event) bool {
	return func(e app.Event) bool {
		sc, ok := e.(app.StateChanged)
		return ok && sc.State == s
	}
}
