package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// BenchmarkBinaryStartup starts the real binary under Xvfb and measures
// how long its UI goroutine is held from the process's start until it has
// settled (issue 11: nothing on the UI goroutine for longer than 100 ms,
// first paint before the roster). With account=none the profile is empty
// (the first-run account dialog opens); with contacts=0 and
// contacts=5000 alice signs in to a real Prosody with that many contacts
// (BenchmarkBinarySignIn5000's roster).
//
// The binary's trace (PALAVER_TRACE) times every step it runs on the UI
// goroutine: "ran main until Fyne's loop" (from main's package
// initialisation to App.Run: Fyne draws nothing before), each step it
// runs on Fyne's loop after that, and each event batch. It reports, per
// start: startup-max-stall-ms, the longest of those steps, with the
// first counted from the process's start (exec) instead; max-apply-ms,
// the longest event batch alone; to-loop-ms, from the process's start to
// Fyne's loop; first-paint-ms, from the process's start until a frame
// first drew the main window's content; and settled-ms, until the last
// step (then no step came for a second, and with an account the UI knew
// all the contacts). The steps of the first start are logged (-v).
//
// Run it with:
//
//	.ci/with-services go test -run '^$' -bench BinaryStartup -benchtime 3x .
func BenchmarkBinaryStartup(b *testing.B) {
	b.Run("account=none", func(b *testing.B) { benchStartup(b, -1) })
	b.Run("contacts=0", func(b *testing.B) { benchStartup(b, 0) })
	b.Run("contacts=5000", func(b *testing.B) { benchStartup(b, 5000) })
}

// benchStartup measures starts with an empty profile (contacts < 0) or
// alice's with that many contacts.
func benchStartup(b *testing.B, contacts int) {
	needDesktop(b)
	if raceEnabled {
		b.Skip("measure without -race")
	}
	dir := b.TempDir()
	if contacts >= 0 {
		srv := prosodytest.Start(b)
		srv.Register(b, "alice", "alice-pw")
		if contacts > 0 {
			srv.SetRoster(b, "alice", srv.ManyContacts(contacts))
		}
		dir = passwordProfile(b, account.Account{JID: "alice@" + srv.Domain, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}, "alice-pw")
	}
	bin := buildPerfApp(b)
	var stall, apply time.Duration
	var toLoop, paint, settled time.Duration
	b.ResetTimer()
	for i := range b.N {
		// Fyne's preferences are new each time, as on a first start; the
		// font scan's index (XDG_CACHE_HOME) is kept, as on a later one.
		p := launchPerf(b, bin, dir, b.TempDir())
		r := settleStartup(b, p, contacts)
		b.StopTimer()
		stall, apply = max(stall, r.stall), max(apply, r.apply)
		toLoop += r.toLoop
		paint += r.paint
		settled += r.settled
		if i == 0 {
			b.Logf("steps of the first start:\n%s", r.steps)
		}
		if err := p.quit(); err != nil {
			b.Errorf("palaver did not quit cleanly: %v", err)
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(stall.Microseconds())/1000, "startup-max-stall-ms")
	b.ReportMetric(float64(apply.Microseconds())/1000, "max-apply-ms")
	b.ReportMetric(float64(toLoop.Microseconds())/1000/n, "to-loop-ms")
	b.ReportMetric(float64(paint.Microseconds())/1000/n, "first-paint-ms")
	b.ReportMetric(float64(settled.Microseconds())/1000/n, "settled-ms")
	b.ReportMetric(0, "ns/op") // the timed part includes a second of quiet: settled-ms is the start's wall time
}

// startupResult is what one start measured (see BenchmarkBinaryStartup).
type startupResult struct {
	stall, apply           time.Duration
	toLoop, paint, settled time.Duration
	steps                  string // one line per step, for the log
}

// loopStep is the trace's step from main's start to Fyne's loop.
const loopStep = "ran main until Fyne's loop"

// settleStartup waits until the start has settled: Fyne's loop runs, a
// frame drew the main window, with an account the UI knows its contacts,
// and no step came for a second. It fails after a minute.
func settleStartup(b *testing.B, p *perfProc, contacts int) startupResult {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		time.Sleep(100 * time.Millisecond)
		p.mu.Lock()
		var last time.Time
		if len(p.steps) > 0 {
			last = p.steps[len(p.steps)-1].at
		}
		looped := false
		for _, s := range p.steps {
			looped = looped || s.what == loopStep
		}
		done := looped && !p.painted.IsZero() && time.Since(last) >= time.Second &&
			(contacts < 0 || len(p.batches) > 0 && p.known == contacts)
		if done {
			r := startupResult{paint: p.painted.Sub(p.launched), settled: last.Sub(p.launched)}
			var steps strings.Builder
			for _, s := range p.steps {
				took := s.took
				if s.what == loopStep {
					// From the process's start, not main's.
					took = s.at.Sub(p.launched)
					r.toLoop = took
				}
				if strings.HasPrefix(s.what, "applied ") {
					r.apply = max(r.apply, took)
				}
				r.stall = max(r.stall, took)
				fmt.Fprintf(&steps, "  at %4d ms: %s in %.1f ms\n", s.at.Sub(p.launched).Milliseconds(), s.what, float64(took.Microseconds())/1000)
			}
			fmt.Fprintf(&steps, "  at %4d ms: painted the main window\n", r.paint.Milliseconds())
			r.steps = steps.String()
			p.mu.Unlock()
			return r
		}
		p.mu.Unlock()
		if time.Now().After(deadline) {
			b.Fatalf("the start never settled; output:\n%s", p.output())
		}
	}
}
