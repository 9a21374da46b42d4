package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
)

// BenchmarkJoinRoom500 measures the core joining a room of 500 occupants
// that sends 1000 lines of history (XEP-0045 §7.2.14, as a room without
// an archive does): from the room's first byte to the last history line
// delivered as an event, with the CPU used for it (the in-process
// server's one write included). The room's answer is written at once, as
// fast as a local server could; the views' share is
// views.BenchmarkJoinRoom500. Run with
//
//	go test -run '^$' -bench JoinRoom500 -benchtime 5x ./app/
func BenchmarkJoinRoom500(b *testing.B) {
	const occupants, lines = 500, 1000
	srv := newFakeServer(b)
	c := app.New(srv.account("alice"), func(context.Context) (string, error) { return "pw", nil })
	c.SetDataDir(b.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	online := make(chan struct{}, 1)
	joined := make(chan int, 16)
	history := make(chan int, 1024)
	go func() {
		for batch := range c.Events() {
			n := 0
			for _, e := range batch {
				switch e := e.(type) {
				case app.StateChanged:
					if e.State == app.Online {
						online <- struct{}{}
					}
				case app.RoomJoined:
					joined <- len(e.Occupants)
				case app.RoomMessage:
					if e.FromHistory {
						n++
					}
				}
			}
			if n > 0 {
				history <- n
			}
		}
	}()
	conn := srv.next(b)
	<-online
	answer := func(room string) string {
		var sb strings.Builder
		for i := range occupants {
			fmt.Fprintf(&sb, `<presence from="%s/person%03d"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="none" role="participant"/></x></presence>`, room, i)
		}
		fmt.Fprintf(&sb, `<presence from="%s/alice"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="member" role="participant"/><status code="110"/></x></presence>`, room)
		start := time.Now().Add(-48 * time.Hour).UTC()
		for i := range lines {
			fmt.Fprintf(&sb, `<message type="groupchat" from="%s/person%03d" id="h%d"><body>line %d with a little tea in it</body>`+
				`<delay xmlns="urn:xmpp:delay" from="%s" stamp="%s"/><stanza-id xmlns="urn:xmpp:sid:0" by="%s" id="s%d"/></message>`,
				room, i%occupants, i, i, room, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), room, i)
		}
		fmt.Fprintf(&sb, `<message type="groupchat" from="%s"><subject>Big room</subject></message>`, room)
		return sb.String()
	}
	var cpu, wall time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for round := range b.N {
		b.StopTimer()
		room := fmt.Sprintf("big%d@conference.localhost", round)
		payload := answer(room)
		c.JoinRoom(room, "alice", "")
		conn.expect(b, `to="`+room+`/alice"`, `http://jabber.org/protocol/muc`)
		b.StartTimer()
		began, before := time.Now(), cpuTime()
		conn.raw(b, payload)
		select {
		case n := <-joined:
			if n != occupants {
				b.Fatalf("joined with %d occupants, want %d", n, occupants)
			}
		case <-time.After(30 * time.Second):
			b.Fatal("the room was never joined")
		}
		for got := 0; got < lines; {
			select {
			case n := <-history:
				got += n
			case <-time.After(30 * time.Second):
				b.Fatalf("only %d of %d history lines arrived", got, lines)
			}
		}
		wall += time.Since(began)
		cpu += cpuTime() - before
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/join")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/join")
}
