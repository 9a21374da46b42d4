package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// BenchmarkBinaryRoomBurst2000 is BenchmarkBinaryBurst2000 in a group
// chat (issue 12: a burst of room messages should cost no more than the
// same burst in a one-to-one chat): the real binary joins a room of the
// real Prosody as a person does (Ctrl+J, the address, Enter) and keeps
// its window focused; bob, a real core in the room, sends 2000 lines as
// fast as the server takes them. It reports the same figures; all shown
// means bob's core heard the room reflect every line, the UI applied at
// least 2000 events since the first, no batch came for a second and the
// process is as quiet as before, and the window shows the last line
// (OCR). Run it with:
//
//	.ci/with-services go test -run '^$' -bench BinaryRoomBurst2000 -benchtime 1x -count 3 .
func BenchmarkBinaryRoomBurst2000(b *testing.B) {
	needDesktop(b)
	if raceEnabled {
		b.Skip("measure without -race")
	}
	bin := buildPerfApp(b)
	var m burstFigures
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		r := newRoomRig(b)
		p := r.launch(b, bin)
		r.settleInRoom(b, p)
		b.StartTimer()
		m.add(r.roomBurst(b, p, i))
		b.StopTimer()
		if err := p.quit(); err != nil {
			b.Errorf("palaver did not quit cleanly after the burst: %v", err)
		}
	}
	m.report(b)
}

// roomRig is perfRig with a room: bob is in it before alice comes.
type roomRig struct {
	perfRig
	room string

	hmu     sync.Mutex
	heard   int           // bob's own lines the room reflected
	entered chan struct{} // alice came into the room
}

func newRoomRig(b *testing.B) *roomRig {
	b.Helper()
	srv := prosodytest.StartWith(b, prosodytest.Options{MUC: true})
	srv.Register(b, "alice", "alice-pw")
	srv.Register(b, "bob", "bob-pw")
	r := &roomRig{room: "tea@" + srv.MUCDomain, entered: make(chan struct{}, 1)}
	r.alice = "alice@" + srv.Domain
	bobJID := "bob@" + srv.Domain
	srv.SetRoster(b, "alice", []prosodytest.RosterItem{{JID: bobJID, Name: "Bob", Subscription: "both", Groups: []string{"Friends"}}})
	srv.SetRoster(b, "bob", []prosodytest.RosterItem{{JID: r.alice, Name: "Alice", Subscription: "both"}})
	acct := account.Account{JID: r.alice, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}
	r.dir = passwordProfile(b, acct, "alice-pw")
	r.prefs = b.TempDir()
	if err := os.MkdirAll(filepath.Join(r.prefs, "fyne", "im.palaver.palaver"), 0o700); err != nil {
		b.Fatal(err)
	}

	bobAcct := acct
	bobAcct.JID = bobJID
	r.bob = app.New(bobAcct, func(context.Context) (string, error) { return "bob-pw", nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.bob.Run(ctx) }()
	joined := make(chan struct{})
	go func() {
		once := false
		for batch := range r.bob.Events() {
			for _, e := range batch {
				switch e := e.(type) {
				case app.StateChanged:
					if e.State == app.Online && !once {
						r.bob.JoinRoom(r.room, "bob", "")
					}
				case app.RoomJoined:
					if !once {
						once = true
						close(joined)
					}
				case app.OccupantChanged:
					if e.Occupant.Nick == "alice" && !e.Left {
						select {
						case r.entered <- struct{}{}:
						default:
						}
					}
				case app.RoomMessage:
					if e.Outgoing && !e.FromHistory {
						r.hmu.Lock()
						r.heard++
						r.hmu.Unlock()
					}
				}
			}
		}
	}()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-joined:
	case <-time.After(20 * time.Second):
		b.Fatal("bob did not get into the room")
	}
	return r
}

func (r *roomRig) heardCount() int {
	r.hmu.Lock()
	defer r.hmu.Unlock()
	return r.heard
}

// settleInRoom waits until the binary is signed in, joins the room as a
// person does, focuses its window and waits for the UI to rest.
func (r *roomRig) settleInRoom(b *testing.B, p *perfProc) {
	b.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !p.knows(1) || p.sinceLastBatch() < time.Second {
		if time.Now().After(deadline) {
			b.Fatal("the binary never listed bob")
		}
		time.Sleep(100 * time.Millisecond)
	}
	wid := window(b, "Palaver")
	xdo(b, "windowfocus", "--sync", wid)
	xdo(b, "key", "ctrl+j")
	time.Sleep(500 * time.Millisecond)
	xdo(b, "type", "--delay", "15", r.room)
	xdo(b, "key", "Return")
	select {
	case <-r.entered:
	case <-time.After(20 * time.Second):
		b.Fatalf("alice never entered the room (screenshot: %s)", keep(b, snap(b, wid)))
	}
	win := window(b, "tea")
	waitForAll(b, win, "the room's window", "2 people")
	xdo(b, "windowfocus", "--sync", win)
	for p.sinceLastBatch() < time.Second {
		if time.Now().After(deadline) {
			b.Fatal("the binary's UI never came to rest")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
}

// roomBurst is perfRig.burst with bob's lines going to the room.
func (r *roomRig) roomBurst(b *testing.B, p *perfProc, round int) burstResult {
	b.Helper()
	res := idleBefore(b, p)

	mark := p.mark()
	heard0 := r.heardCount()
	start, cpu0 := time.Now(), cpuTime(p.pid)
	for j := range burstSize {
		r.bob.SendRoomMessage(r.room, fmt.Sprintf("burst %d line %d with a little text in it", round, j))
	}
	events := func() int { n, _, _ := p.since(mark); return n }
	res.settle(b, p, mark, start, func() bool {
		return r.heardCount()-heard0 >= burstSize && events() >= burstSize
	}, func() string {
		return fmt.Sprintf("the room reflected %d of %d lines, the UI applied %d events", r.heardCount()-heard0, burstSize, events())
	})
	res.cpu = res.endCPU - cpu0
	res.overIdle = res.cpu - time.Duration(res.idleRate*res.end.Sub(start).Seconds())*time.Millisecond
	res.after = readMemSplit(b, p)
	res.goLive = p.goLive()
	waitForAll(b, window(b, "tea"), "after the burst, the room's window", fmt.Sprintf("line %d", burstSize-1))
	return res
}
