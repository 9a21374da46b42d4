package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// The benchmarks of issue 11: the real binary under Xvfb, signed in to a
// real Prosody, measured from outside as a person's desktop would see it
// (/proc/PID/stat for CPU, /proc/PID/smaps for memory, PALAVER_TRACE for
// the time each event batch holds the UI goroutine, GODEBUG=gctrace=1 for
// Go's live heap). docs/performance.md explains the method and holds the
// figures.

// burstSize is how many chat messages BenchmarkBinaryBurst2000 sends.
const burstSize = 2000

// BenchmarkBinaryBurst2000 signs the real binary in as alice, with bob (a
// real core, online) as her only contact, and makes bob send her 2000
// chat messages as fast as the server takes them.
// With chat=open her chat with bob is open and focused, as a person
// reading along has it; with chat=closed the messages arrive into the
// contact list only (the preference that opens chats by themselves is
// off).
// It reports, per burst: cpu-ms, the process's CPU time (user and
// system, all threads: Go, GLFW and Mesa's llvmpipe) from the first
// message sent until all are shown and the process is quiet again;
// cpu-over-idle-ms, the same less what the process burns idle at the
// rate measured just before the burst (idle-ms/s); max-stall-ms, the
// longest time one event batch held the UI goroutine during the burst;
// and the process's resident memory after the burst and its growth,
// split into palaver-MiB (Go's heap arenas and the executable) and
// gl-MiB (the GL driver's libraries and the C side's anonymous memory),
// with go-heap-MiB (the resident part of Go's heap arenas),
// gl-libs-MiB (the driver's libraries alone) and go-live-MiB, the live Go
// heap after the last collection (gctrace). See docs/performance.md for the method.
//
// All shown means: bob's core got a delivery receipt (XEP-0184) from
// alice's core for every message, the UI applied at least 2000 events
// since the first message, no batch came for a second, and the process
// used no more CPU over 500 ms than idle (plus two clock ticks). With the
// chat open, the window must then show the last message (OCR).
//
// Run it with:
//
//	.ci/with-services go test -run '^$' -bench BinaryBurst2000 -benchtime 1x -count 3 .
func BenchmarkBinaryBurst2000(b *testing.B) {
	for _, open := range []bool{true, false} {
		name := "chat=closed"
		if open {
			name = "chat=open"
		}
		b.Run(name, func(b *testing.B) { benchBurst(b, open) })
	}
}

func benchBurst(b *testing.B, open bool) {
	needDesktop(b)
	if raceEnabled {
		b.Skip("measure without -race")
	}
	bin := buildPerfApp(b)
	var m burstFigures
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		r := newPerfRig(b, open)
		p := r.launch(b, bin)
		r.settle(b, p, open)
		b.StartTimer()
		m.add(r.burst(b, p, open, i))
		b.StopTimer()
		if err := p.quit(); err != nil {
			b.Errorf("palaver did not quit cleanly after the burst: %v", err)
		}
	}
	m.report(b)
}

// BenchmarkBinaryIdle signs the real binary in as alice, with bob online,
// and leaves it alone for 10 s; it reports idle-ms/s, the process's CPU
// time per second of that (user and system, all threads), and its
// resident memory split as BenchmarkBinaryBurst2000 splits it.
// With chat=focused a chat window is open and has the keyboard focus (its
// entry's caret blinks); with chat=none only the main window is open.
//
// Run it with:
//
//	.ci/with-services go test -run '^$' -bench BinaryIdle -benchtime 1x -count 3 .
func BenchmarkBinaryIdle(b *testing.B) {
	for _, open := range []bool{true, false} {
		name := "chat=none"
		if open {
			name = "chat=focused"
		}
		b.Run(name, func(b *testing.B) { benchIdle(b, open) })
	}
}

// idleFor is how long BenchmarkBinaryIdle measures, after caretRest and
// a second more (reported apart, as first-11s-ms/s).
const (
	idleFor   = 10 * time.Second
	caretRest = 10 * time.Second // views.caretRest
)

func benchIdle(b *testing.B, open bool) {
	needDesktop(b)
	if raceEnabled {
		b.Skip("measure without -race")
	}
	bin := buildPerfApp(b)
	var rate, blink float64
	var mem memSplit
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		r := newPerfRig(b, open)
		p := r.launch(b, bin)
		r.settle(b, p, open)
		// The first seconds after the last input: the caret blinks until
		// it rests (views.caretRest, 10 s), then the window is still.
		cpu0, t0 := cpuTime(p.pid), time.Now()
		time.Sleep(caretRest + time.Second)
		blink += float64((cpuTime(p.pid) - cpu0).Milliseconds()) / time.Since(t0).Seconds()
		b.StartTimer()
		cpu0, t0 = cpuTime(p.pid), time.Now()
		time.Sleep(idleFor)
		used, took := cpuTime(p.pid)-cpu0, time.Since(t0)
		b.StopTimer()
		rate += float64(used.Milliseconds()) / took.Seconds()
		mem = mem.plus(readMemSplit(b, p))
		if err := p.quit(); err != nil {
			b.Errorf("palaver did not quit cleanly: %v", err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(rate/n, "idle-ms/s")
	b.ReportMetric(blink/n, "first-11s-ms/s")
	b.ReportMetric(mem.total()/n, "rss-MiB")
	b.ReportMetric(mem.palaver()/n, "palaver-MiB")
	b.ReportMetric(mem.gl()/n, "gl-MiB")
	b.ReportMetric(float64(mem.goHeap)/1024/n, "go-heap-MiB")
	b.ReportMetric(float64(mem.glFiles)/1024/n, "gl-libs-MiB")
	b.ReportMetric(0, "ns/op") // wall time is idleFor by construction
}

// buildPerfApp builds the binary for the benchmarks, without the race
// detector, with Go's heap at its fixed place: since Go 1.26 the heap's
// base address is random, and readMemSplit tells Go's heap arenas apart
// from the C side's anonymous memory by the arena hints Go used before
// (0x00c0<<32, one per 1<<40: runtime/malloc.go, mallocinit).
func buildPerfApp(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "palaver")
	// As released (FyneApp.toml's fyneDo migration, which fyne package
	// and make run build with): without Fyne's thread checks.
	// PALAVER_BENCH_TAGS= (empty) measures with them.
	tags, set := os.LookupEnv("PALAVER_BENCH_TAGS")
	if !set {
		tags = "migrated_fynedo"
	}
	cmd := exec.Command("go", "build", "-tags", tags, "-o", bin, ".")
	exp := "norandomizedheapbase64"
	if e := os.Getenv("GOEXPERIMENT"); e != "" {
		exp = e + "," + exp
	}
	cmd.Env = append(os.Environ(), "GOEXPERIMENT="+exp)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// perfRig is one Prosody with alice (the binary's account, bob her only
// contact, named Bob in Friends) and bob, a real core, online.
type perfRig struct {
	alice string
	bob   *app.Client
	dir   string // alice's profile folder
	prefs string // XDG_CONFIG_HOME for the binary: Fyne's preferences

	mu        sync.Mutex
	delivered map[string]bool // ids of bob's messages alice's core acknowledged
}

// newPerfRig starts the server, bob's core and alice's profile; unless
// opens, the binary will not open a chat by itself when a message comes.
func newPerfRig(b *testing.B, opens bool) *perfRig {
	b.Helper()
	srv := prosodytest.Start(b)
	srv.Register(b, "alice", "alice-pw")
	srv.Register(b, "bob", "bob-pw")
	r := &perfRig{alice: "alice@" + srv.Domain, delivered: map[string]bool{}}
	bobJID := "bob@" + srv.Domain
	srv.SetRoster(b, "alice", []prosodytest.RosterItem{{JID: bobJID, Name: "Bob", Subscription: "both", Groups: []string{"Friends"}}})
	srv.SetRoster(b, "bob", []prosodytest.RosterItem{{JID: r.alice, Name: "Alice", Subscription: "both"}})
	acct := account.Account{JID: r.alice, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}
	r.dir = passwordProfile(b, acct, "alice-pw")

	// Fyne keeps preferences in XDG_CONFIG_HOME/fyne/<app ID>/; the key is
	// views' prefOpenChats.
	r.prefs = b.TempDir()
	fyneDir := filepath.Join(r.prefs, "fyne", "im.palaver.palaver")
	if err := os.MkdirAll(fyneDir, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fyneDir, "preferences.json"), fmt.Appendf(nil, `{"chats.openByThemselves": %t}`, opens), 0o600); err != nil {
		b.Fatal(err)
	}

	bobAcct := acct
	bobAcct.JID = bobJID
	r.bob = app.New(bobAcct, func(context.Context) (string, error) { return "bob-pw", nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.bob.Run(ctx) }()
	online := make(chan struct{})
	go func() {
		signaled := false
		for batch := range r.bob.Events() {
			for _, e := range batch {
				switch e := e.(type) {
				case app.StateChanged:
					if e.State == app.Online && !signaled {
						signaled = true
						close(online)
					}
				case app.MessageStateChanged:
					if e.State == history.Delivered {
						r.mu.Lock()
						r.delivered[e.ID] = true
						r.mu.Unlock()
					}
				}
			}
		}
	}()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-online:
	case <-time.After(20 * time.Second):
		b.Fatal("bob did not sign in")
	}
	return r
}

// deliveredCount returns how many of bob's messages alice's core has
// acknowledged.
func (r *perfRig) deliveredCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.delivered)
}

// launch starts the binary on alice's profile, tracing its UI batches and
// its garbage collections.
func (r *perfRig) launch(b *testing.B, bin string) *perfProc {
	b.Helper()
	return launchPerf(b, bin, r.dir, r.prefs)
}

// launchPerf starts the binary bin on the profile dir, with Fyne's
// preferences in prefs (XDG_CONFIG_HOME), tracing its UI steps and its
// garbage collections; it quits it at the end of the benchmark.
func launchPerf(b *testing.B, bin, dir, prefs string) *perfProc {
	b.Helper()
	p := &perfProc{done: make(chan struct{})}
	p.cmd = exec.Command(bin, "--config-dir", dir)
	p.cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LANGUAGE=en", "PALAVER_TRACE=1", "GODEBUG=gctrace=1", "XDG_CONFIG_HOME="+prefs)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.launched = time.Now()
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p.pid = p.cmd.Process.Pid
	p.exe = bin
	if real, err := filepath.EvalSymlinks(bin); err == nil {
		p.exe = real // as /proc/PID/smaps names it
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	b.Cleanup(func() {
		_ = p.quit()
		if b.Failed() {
			b.Logf("palaver output:\n%s", p.output())
		}
	})
	return p
}

// settle waits until the binary is signed in with bob listed and, if
// open, opens the chat with bob as a person does (a double-click on his
// row) and gives its window the keyboard focus; then until no batch came
// for a second and a second more has passed (the first paints).
func (r *perfRig) settle(b *testing.B, p *perfProc, open bool) {
	b.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !p.knows(1) || p.sinceLastBatch() < time.Second {
		if time.Now().After(deadline) {
			b.Fatal("the binary never listed bob")
		}
		time.Sleep(100 * time.Millisecond)
	}
	wid := window(b, "Palaver")
	if open {
		openChat(b, wid, "Bob")
		chat := window(b, "Bob")
		xdo(b, "windowfocus", "--sync", chat)
	} else {
		xdo(b, "windowfocus", "--sync", wid)
	}
	for p.sinceLastBatch() < time.Second {
		if time.Now().After(deadline) {
			b.Fatal("the binary's UI never came to rest")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
}

// burstResult is what one burst measured.
type burstResult struct {
	cpu, overIdle, stall, wall time.Duration
	idleRate                   float64 // ms of CPU per second before the burst
	before, after              memSplit
	goLive                     float64 // MiB, the last GC's live heap
	// end is when the process became quiet, and endCPU its CPU time then.
	end    time.Time
	endCPU time.Duration
}

// idleBefore measures the process's idle CPU rate over 2 s and its
// memory, before a burst.
func idleBefore(b *testing.B, p *perfProc) burstResult {
	var res burstResult
	c0, t0 := cpuTime(p.pid), time.Now()
	time.Sleep(2 * time.Second)
	res.idleRate = float64((cpuTime(p.pid) - c0).Milliseconds()) / time.Since(t0).Seconds()
	res.before = readMemSplit(b, p)
	return res
}

// settle waits, sampling the process's CPU time every 50 ms, until
// arrived holds, no UI batch came for a second since, and a 500 ms window
// used no more CPU than the idle rate allows (plus two clock ticks): the
// start of that window is the burst's end. It fails after 3 minutes,
// saying what stuck reports. stall and wall are the longest batch since
// mark and the time from start to the last batch.
func (res *burstResult) settle(b *testing.B, p *perfProc, mark int, start time.Time, arrived func() bool, stuck func() string) {
	b.Helper()
	type sample struct {
		at  time.Time
		cpu time.Duration
	}
	var samples []sample
	allowance := time.Duration(res.idleRate*0.5)*time.Millisecond + 20*time.Millisecond
	deadline := start.Add(3 * time.Minute)
	for {
		now := sample{time.Now(), cpuTime(p.pid)}
		samples = append(samples, now)
		_, stall, lastBatch := p.since(mark)
		if arrived() && time.Since(lastBatch) >= time.Second {
			// The sample 500 ms ago starts the quiet window.
			k := len(samples) - 1
			for k > 0 && now.at.Sub(samples[k].at) < 500*time.Millisecond {
				k--
			}
			if now.at.Sub(samples[k].at) >= 500*time.Millisecond && now.cpu-samples[k].cpu <= allowance {
				res.end, res.endCPU = samples[k].at, samples[k].cpu
				res.stall = stall
				res.wall = lastBatch.Sub(start)
				return
			}
		}
		if now.at.After(deadline) {
			b.Fatalf("the burst never settled: %s", stuck())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// burst measures the idle rate for 2 s, makes bob send burstSize
// messages and waits until all are shown and the process is quiet.
// round goes into the bodies, to tell bursts apart in a failure's output.
func (r *perfRig) burst(b *testing.B, p *perfProc, open bool, round int) burstResult {
	b.Helper()
	res := idleBefore(b, p)

	mark := p.mark()
	start, cpu0 := time.Now(), cpuTime(p.pid)
	var last string
	for j := range burstSize {
		last = fmt.Sprintf("burst %d message %d with a little text in it", round, j)
		r.bob.SendMessage(r.alice, last)
	}

	events := func() int { n, _, _ := p.since(mark); return n }
	res.settle(b, p, mark, start, func() bool {
		return r.deliveredCount() >= burstSize && events() >= burstSize
	}, func() string {
		return fmt.Sprintf("%d of %d messages acknowledged, %d events applied by the UI", r.deliveredCount(), burstSize, events())
	})
	res.cpu = res.endCPU - cpu0
	res.overIdle = res.cpu - time.Duration(res.idleRate*res.end.Sub(start).Seconds())*time.Millisecond
	res.after = readMemSplit(b, p)
	res.goLive = p.goLive()
	if open {
		// The last message is on screen (its number is what OCR reads
		// best).
		waitForAll(b, window(b, "Bob"), "after the burst, the chat window", fmt.Sprintf("message %d", burstSize-1))
	}
	return res
}

// burstFigures sums burstResults for reporting.
type burstFigures struct {
	n                   int
	cpu, overIdle, wall time.Duration
	stall               time.Duration // the longest of all
	idleRate, goLive    float64
	before, after       memSplit
}

func (f *burstFigures) add(r burstResult) {
	f.n++
	f.cpu += r.cpu
	f.overIdle += r.overIdle
	f.wall += r.wall
	f.stall = max(f.stall, r.stall)
	f.idleRate += r.idleRate
	f.goLive += r.goLive
	f.before = f.before.plus(r.before)
	f.after = f.after.plus(r.after)
}

func (f *burstFigures) report(b *testing.B) {
	n := float64(f.n)
	if n == 0 {
		return
	}
	b.ReportMetric(float64(f.cpu.Milliseconds())/n, "cpu-ms")
	b.ReportMetric(float64(f.overIdle.Milliseconds())/n, "cpu-over-idle-ms")
	b.ReportMetric(f.idleRate/n, "idle-ms/s")
	b.ReportMetric(float64(f.wall.Milliseconds())/n, "shown-ms")
	b.ReportMetric(float64(f.stall.Microseconds())/1000, "max-stall-ms")
	b.ReportMetric(f.after.total()/n, "rss-MiB")
	b.ReportMetric((f.after.total()-f.before.total())/n, "rss-growth-MiB")
	b.ReportMetric(f.after.palaver()/n, "palaver-MiB")
	b.ReportMetric((f.after.palaver()-f.before.palaver())/n, "palaver-growth-MiB")
	b.ReportMetric(f.after.gl()/n, "gl-MiB")
	b.ReportMetric((f.after.gl()-f.before.gl())/n, "gl-growth-MiB")
	b.ReportMetric(float64(f.after.goHeap)/1024/n, "go-heap-MiB")
	b.ReportMetric(float64(f.after.glFiles)/1024/n, "gl-libs-MiB")
	b.ReportMetric(f.goLive/n, "go-live-MiB")
	b.ReportMetric(0, "ns/op") // the timed part includes 2 s of idle and OCR: shown-ms is the burst's wall time
}

// perfProc is the running binary with what its output says: the UI's
// event batches (PALAVER_TRACE) and Go's collections (gctrace).
type perfProc struct {
	cmd  *exec.Cmd
	pid  int
	exe  string
	done chan struct{}
	err  error // the exit status, once done is closed
	once sync.Once

	mu      sync.Mutex
	out     bytes.Buffer // all output, for a failure
	partial []byte       // an unfinished line
	batches []traceBatch
	known   int     // contacts the UI knows, per the last batch
	live    float64 // MiB live after the last collection

	// What BenchmarkBinaryStartup measures: when the process was
	// started, every step the trace reports (each batch too), and when
	// a frame first drew the main window's content.
	launched time.Time
	steps    []traceStep
	painted  time.Time
}

// traceStep is one line of PALAVER_TRACE that says how long something
// held the UI goroutine: "palaver-trace: <what> in <N> µs".
type traceStep struct {
	at   time.Time
	what string
	took time.Duration
}

// stepLine matches a trace line that times a step on the UI goroutine.
var stepLine = regexp.MustCompile(`palaver-trace: (.+?) in (\d+) µs`)

// traceBatch is one line of PALAVER_TRACE: the UI applied events in took.
type traceBatch struct {
	at     time.Time
	events int
	took   time.Duration
}

// gcLine matches gctrace's heap sizes: "4->5->2 MB, 6 MB goal" (heap at
// the start of the collection, at its end, live; runtime/extern.go).
var gcLine = regexp.MustCompile(`^gc \d+ @.* (\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

// Write takes the binary's output, stdout and stderr, line by line.
func (p *perfProc) Write(data []byte) (int, error) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out.Write(data)
	p.partial = append(p.partial, data...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		line := string(p.partial[:i])
		p.partial = p.partial[i+1:]
		if m := stepLine.FindStringSubmatch(line); m != nil {
			us, _ := strconv.Atoi(m[2])
			p.steps = append(p.steps, traceStep{at: now, what: m[1], took: time.Duration(us) * time.Microsecond})
		}
		// A trace line can follow the start of a gctrace line, which
		// the runtime writes a piece per write(2) (runtime/print.go):
		// look for it anywhere in the line. (A burst once stayed
		// "unsettled" at 1988 of 2000 events, a batch short: perhaps
		// so.)
		if strings.Contains(line, "palaver-trace: painted the main window") && p.painted.IsZero() {
			p.painted = now
		}
		if k := strings.Index(line, "palaver-trace: applied "); k > 0 {
			line = line[k:]
		}
		var n, us, known int
		if _, err := fmt.Sscanf(line, "palaver-trace: applied %d events in %d µs, %d contacts", &n, &us, &known); err == nil {
			p.batches = append(p.batches, traceBatch{at: now, events: n, took: time.Duration(us) * time.Microsecond})
			p.known = known
			continue
		}
		if m := gcLine.FindStringSubmatch(line); m != nil {
			live, _ := strconv.Atoi(m[3])
			p.live = float64(live)
		}
	}
	return len(data), nil
}

func (p *perfProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// knows reports whether the UI's last batch left it knowing n contacts.
func (p *perfProc) knows(n int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.batches) > 0 && p.known == n
}

// sinceLastBatch returns how long ago the UI applied its last batch.
func (p *perfProc) sinceLastBatch() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.batches) == 0 {
		return 0
	}
	return time.Since(p.batches[len(p.batches)-1].at)
}

// mark returns a mark for since: the batches so far.
func (p *perfProc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.batches)
}

// since returns, of the batches after mark, how many events they held,
// the longest time one took and when the last came (the zero time if
// none came).
func (p *perfProc) since(mark int) (events int, longest time.Duration, last time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tb := range p.batches[mark:] {
		events += tb.events
		longest = max(longest, tb.took)
		last = tb.at
	}
	return events, longest, last
}

// goLive returns the live Go heap after the last collection, in MiB.
func (p *perfProc) goLive() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live
}

// quit interrupts the binary as a desktop session ending would and waits
// for it to exit (it is killed after 15 s).
func (p *perfProc) quit() error {
	p.once.Do(func() {
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.err = fmt.Errorf("still running 15 s after SIGINT (killed): %v", p.err)
		}
	})
	return p.err
}

// memSplit is a process's resident memory (Rss in /proc/PID/smaps, KiB)
// by who it belongs to; docs/performance.md explains the split.
type memSplit struct {
	goHeap  int // anonymous memory in Go's heap arenas
	exe     int // the executable's mappings and its bss
	glFiles int // the GL driver's libraries (and Mesa's shader cache)
	cAnon   int // other anonymous memory: C's malloc, thread stacks, Mesa's buffers, shared images
	other   int // other files: libc, Xlib, GLFW's X extensions, locales, vdso
}

// palaver is what Palaver's own code holds, in MiB: Go's heap and the
// executable.
func (m memSplit) palaver() float64 { return float64(m.goHeap+m.exe) / 1024 }

// gl is what the GL driver holds, in MiB: its libraries and the C side's
// anonymous memory, most of which is Mesa's (an upper bound: GLFW, Xlib
// and Go's own off-heap metadata are in it too).
func (m memSplit) gl() float64 { return float64(m.glFiles+m.cAnon) / 1024 }

// total is the process's resident memory in MiB.
func (m memSplit) total() float64 {
	return float64(m.goHeap+m.exe+m.glFiles+m.cAnon+m.other) / 1024
}

func (m memSplit) plus(o memSplit) memSplit {
	return memSplit{m.goHeap + o.goHeap, m.exe + o.exe, m.glFiles + o.glFiles, m.cAnon + o.cAnon, m.other + o.other}
}

// glLibrary reports whether a mapped file belongs to the GL driver: the
// GL dispatch libraries (glvnd), Mesa's GLX and DRI driver (llvmpipe),
// LLVM and what only they load (on Debian 12: libz3, libstdc++, libxml2
// and libicu, libedit, libtinfo, libffi, libzstd, libelf, libsensors,
// libdrm, libexpat for driconf) and Mesa's shader cache files.
func glLibrary(path string) bool {
	if strings.Contains(path, "/dri/") || strings.Contains(path, "mesa_shader_cache") || strings.HasSuffix(path, "_dri.so") {
		return true
	}
	base := filepath.Base(path)
	for _, prefix := range []string{
		"libGL", "libEGL", "libgbm", "libglapi", "libgallium", "libLLVM", "libdrm",
		"libz3", "libstdc++", "libgcc_s", "libxml2", "libicu", "libedit", "libtinfo", "libffi",
		"libzstd", "liblzma", "libelf", "libsensors", "libexpat", "libxshmfence",
		"libxcb-glx", "libxcb-dri", "libxcb-present", "libxcb-sync", "libX11-xcb",
	} {
		if strings.HasPrefix(base, prefix) {
			return true
		}
	}
	return false
}

// goArena reports whether an anonymous mapping at addr lies where Go puts
// its heap arenas on 64-bit Linux without heap base randomization: at
// the hints i<<40 | 0x00c0<<32 (runtime/malloc.go, mallocinit), growing
// upwards, far below where mmap places C's mappings.
func goArena(addr uint64) bool {
	return addr>>32&0xff == 0xc0 && addr < 0x7f<<40
}

// readMemSplit reads the process's mappings from /proc/PID/smaps and
// splits their resident memory.
func readMemSplit(b *testing.B, p *perfProc) memSplit {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", p.pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var m memSplit
	var target *int
	var exeEnd uint64 // where the executable's last mapping ends
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			lo, hi, ok := strings.Cut(fields[0], "-")
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if !ok || err1 != nil || err2 != nil {
				continue
			}
			path := strings.Join(fields[5:], " ")
			switch {
			case path == p.exe:
				target, exeEnd = &m.exe, end
			case path == "" && start == exeEnd:
				target = &m.exe // the executable's bss beyond its file
			case strings.HasPrefix(path, "/SYSV") || strings.HasPrefix(path, "/memfd:") || strings.HasPrefix(path, "/dev/shm/"):
				target = &m.cAnon // shared memory: the images GLX puts on the X server (MIT-SHM)
			case strings.HasPrefix(path, "/") && glLibrary(path):
				target = &m.glFiles
			case strings.HasPrefix(path, "/"):
				target = &m.other
			case path == "" && goArena(start):
				target = &m.goHeap
			case path == "" || path == "[heap]" || path == "[stack]" || strings.HasPrefix(path, "[anon"):
				target = &m.cAnon
			default:
				target = &m.other // [vdso], [vvar], [vsyscall]
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "Rss:"); ok && target != nil {
			kib, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			*target += kib
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return m
}
