package views

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// The UI side of joining a big room (issue 12): a room of 500 occupants
// that sends 1000 lines of history. The core delivers it as the batches
// its pump makes (RoomJoined with every occupant, then the history in
// batches of up to 165 events, then the subject); each batch is one
// session.apply on the UI goroutine, so the longest batch is the longest
// stall (target: none over 100 ms), and the sum until the subject is when
// the room's window is usable (target: under 1 s). Run with
//
//	CGO_ENABLED=0 go test -run '^$' -bench JoinRoom500 -benchtime 5x ./views/
//
// ns/op is one whole join; max-batch-ms is over every batch of every run.

// bigRoomBatches returns a join of a room with occupants others and lines
// of history, cut in batches of size events.
func bigRoomBatches(room string, occupants, lines, size int) [][]app.Event {
	joined := app.RoomJoined{Room: room, Nick: "me", Self: app.Occupant{Nick: "me", Role: muc.RoleParticipant, Affiliation: muc.AffiliationMember}}
	joined.Acct = me
	for i := range occupants {
		o := app.Occupant{Nick: fmt.Sprintf("person %03d", i), Role: muc.RoleParticipant}
		if i%50 == 0 {
			o.Role, o.Affiliation = muc.RoleModerator, muc.AffiliationAdmin
		}
		joined.Occupants = append(joined.Occupants, o)
	}
	out := [][]app.Event{{joined}}
	start := time.Date(2025, 3, 14, 9, 0, 0, 0, time.Local)
	var batch []app.Event
	for i := range lines {
		body := fmt.Sprintf("line %d: ", i) + strings.Repeat("tea and biscuits ", 1+i%17)
		e := app.RoomMessage{Room: room, Nick: fmt.Sprintf("person %03d", i%occupants), Body: body,
			ID: fmt.Sprintf("h%d", i), StanzaID: fmt.Sprintf("s%d", i), Time: start.Add(time.Duration(i) * time.Minute),
			Delayed: true, FromHistory: true}
		e.Acct = me
		batch = append(batch, e)
		if len(batch) == size {
			out = append(out, batch)
			batch = nil
		}
	}
	subject := app.RoomSubject{Room: room, Subject: "Big room"}
	subject.Acct = me
	out = append(out, append(batch, subject))
	return out
}

// BenchmarkJoinRoom500: the user joins a room of 500 with 1000 lines of
// history; its window is open from the start (as the Join dialog opens
// it).
func BenchmarkJoinRoom500(b *testing.B) {
	var maxBatch time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		u := benchUI(b)
		u.app.Settings().SetTheme(Theme()) // nickname colours are Palaver's theme's
		s := u.only()
		room := fmt.Sprintf("big%d@conference.example.org", i)
		i++
		batches := bigRoomBatches(room, 500, 1000, 165)
		s.Joining(room, "me")
		s.openChat(room)
		c := s.chats[room]
		c.win.Resize(fyne.NewSize(480, 560))
		b.StartTimer()
		for _, batch := range batches {
			began := time.Now()
			s.apply(batch)
			maxBatch = max(maxBatch, time.Since(began))
		}
		b.StopTimer()
		if r := s.Rooms[room]; r == nil || !r.Joined || len(r.Occupants) != 500 || r.Subject != "Big room" {
			b.Fatalf("room not joined with 500 occupants and its subject: %+v", r)
		}
		u.stopSessions()
		b.StartTimer()
	}
	b.ReportMetric(float64(maxBatch)/float64(time.Millisecond), "max-batch-ms")
}

// BenchmarkRoomPeople5000: a room of 5000 (app.MaxOccupants) with its
// People dialog open; each op is one batch of 50 presence changes (a
// busy room), which the open list follows: the longest is a stall.
func BenchmarkRoomPeople5000(b *testing.B) {
	u := benchUI(b)
	u.app.Settings().SetTheme(Theme())
	s := u.only()
	const room = "huge@conference.example.org"
	s.Joining(room, "me")
	s.openChat(room)
	c := s.chats[room]
	c.win.Resize(fyne.NewSize(480, 560))
	s.apply(bigRoomBatches(room, 5000, 0, 165)[0])
	began := time.Now()
	c.showPeople()
	open := time.Since(began)
	if c.people == nil || len(c.people.rows) != 5001 {
		b.Fatalf("the People dialog lists %v", c.people)
	}
	shows := []im.Show{im.Away, im.Available}
	var maxBatch time.Duration
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		batch := make([]app.Event, 0, 50)
		for k := range 50 {
			e := app.OccupantChanged{Room: room, Occupant: app.Occupant{Nick: fmt.Sprintf("person %03d", (i*50+k)%5000), Role: muc.RoleParticipant, Show: shows[i%2]}}
			e.Acct = me
			batch = append(batch, e)
		}
		i++
		t := time.Now()
		s.apply(batch)
		maxBatch = max(maxBatch, time.Since(t))
	}
	b.ReportMetric(float64(open)/float64(time.Millisecond), "open-ms")
	b.ReportMetric(float64(maxBatch)/float64(time.Millisecond), "max-batch-ms")
}
