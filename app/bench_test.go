package app_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// counter runs a client and counts events of interest without keeping
// them, so that a benchmark measures the core and not the recorder.
type counter struct {
	c        *app.Client
	messages chan int
	online   chan struct{}
}

func runCounter(b *testing.B, acct account.Account) *counter {
	b.Helper()
	k := &counter{
		c:        app.New(acct, func(context.Context) (string, error) { return "pw", nil }),
		messages: make(chan int, 1024),
		online:   make(chan struct{}, 1),
	}
	// The archive on disk, as in the app.
	k.c.SetDataDir(b.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = k.c.Run(ctx) }()
	go func() {
		for batch := range k.c.Events() {
			n := 0
			for _, e := range batch {
				switch e := e.(type) {
				case app.MessageReceived:
					n++
				case app.StateChanged:
					if e.State == app.Online {
						k.online <- struct{}{}
					}
				}
			}
			if n > 0 {
				k.messages <- n
			}
		}
	}()
	b.Cleanup(func() { cancel(); <-done })
	return k
}

// BenchmarkMessageBurst measures how long the core takes to absorb a burst
// of 2000 chat messages, from the first byte written to the last event
// delivered, and the CPU it uses for that (the in-process server's share,
// one TLS write, is included).
func BenchmarkMessageBurst(b *testing.B) {
	const burst = 2000
	srv := newFakeServer(b)
	k := runCounter(b, srv.account("alice"))
	conn := srv.next(b)
	<-k.online
	// Each round's messages are new ones (the archive drops repeats).
	payload := func(round int) string {
		var sb strings.Builder
		for i := range burst {
			fmt.Fprintf(&sb, `<message from="bob@localhost/x" to="alice@localhost" type="chat" id="r%dm%d"><body>message number %d with a little text in it</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>`, round, i, i)
		}
		return sb.String()
	}
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	for round := range b.N {
		b.StopTimer()
		payload := payload(round)
		b.StartTimer()
		before := cpuTime()
		conn.raw(b, payload)
		for got := 0; got < burst; {
			select {
			case n := <-k.messages:
				got += n
			case <-time.After(30 * time.Second):
				b.Fatalf("only %d of %d messages arrived", got, burst)
			}
		}
		cpu += cpuTime() - before
	}
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/burst")
	}
}

// BenchmarkSignIn5000Contacts signs in to a real Prosody as a user with
// 5000 contacts (all subscribed both ways, in 50 groups) and measures the
// core: time until Online with the roster delivered, time until the
// presence flood that follows has settled (no event for settleQuiet, not
// counted), and the heap in use then.
func BenchmarkSignIn5000Contacts(b *testing.B) {
	benchSignIn5000(b, prosodytest.Start(b))
}

// benchSignIn5000 is BenchmarkSignIn5000Contacts against srv.
func benchSignIn5000(b *testing.B, srv *prosodytest.Server) {
	const contacts = 5000
	const settleQuiet = 300 * time.Millisecond
	srv.Register(b, "alice", "pw")
	srv.SetRoster(b, "alice", srv.ManyContacts(contacts))
	acct := account.Account{JID: "alice@" + srv.Domain, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile}

	var online, settled time.Duration
	var heap uint64
	presences := 0
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		c := app.New(acct, func(context.Context) (string, error) { return "pw", nil })
		begin := time.Now()
		done := make(chan struct{})
		go func() { defer close(done); _ = c.Run(ctx) }()
		var last time.Time
		gotRoster := false
	wait:
		for {
			select {
			case batch := <-c.Events():
				last = time.Now()
				for _, e := range batch {
					switch e := e.(type) {
					case app.RosterReset:
						if len(e.Contacts) != contacts {
							b.Fatalf("roster of %d contacts, want %d", len(e.Contacts), contacts)
						}
						gotRoster = true
					case app.StateChanged:
						if e.State == app.Online {
							online += time.Since(begin)
						}
					case app.PresenceChanged:
						presences++
					}
				}
			case <-time.After(settleQuiet):
				if gotRoster {
					break wait
				}
			case <-time.After(30 * time.Second):
				b.Fatal("sign-in did not finish")
			}
		}
		settled += last.Sub(begin)
		b.StopTimer()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap += ms.HeapInuse
		cancel()
		for range c.Events() {
		}
		<-done
		b.StartTimer()
	}
	b.ReportMetric(float64(online.Milliseconds())/float64(b.N), "online-ms")
	b.ReportMetric(float64(settled.Milliseconds())/float64(b.N), "settled-ms")
	b.ReportMetric(float64(heap)/float64(b.N)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(presences)/float64(b.N), "presences")
}
