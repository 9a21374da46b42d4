package app_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
)

// A room's archive on the fake server: what a room (or someone posing as
// one) may answer that Prosody never would.

// TestRoomArchiveHostileAndFailing: a room says it has an archive; the
// join asks for no history and the core asks the archive for the last
// lines once in. Only results of that query, from the room itself, about
// the room, are taken (ours marked Outgoing); the query's failure is a
// CommandFailed with OpRoomHistory, and we stay in the room.
func TestRoomArchiveHostileAndFailing(t *testing.T) {
	const room = "room@conference.localhost"
	stamp := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	result := func(from, queryID, id, msgFrom, body string) string {
		return `<message from="` + from + `"><result xmlns="urn:xmpp:mam:2" queryid="` + queryID + `" id="` + id + `">` +
			`<forwarded xmlns="urn:xmpp:forward:0"><delay xmlns="urn:xmpp:delay" stamp="` + stamp + `"/>` +
			`<message xmlns="jabber:client" type="groupchat" from="` + msgFrom + `"><body>` + body + `</body></message>` +
			`</forwarded></result></message>`
	}
	srv := newFakeServer(t)
	srv.setAnswer(func(iq string) (string, bool) {
		if !strings.Contains(iq, `to="`+room+`"`) {
			return "", false
		}
		id := attr(iq, "id")
		switch {
		case strings.Contains(iq, "disco#info"):
			return `<iq type="result" id="` + id + `" from="` + room + `"><query xmlns="http://jabber.org/protocol/disco#info">` +
				`<identity category="conference" type="text" name="Room"/><feature var="http://jabber.org/protocol/muc"/>` +
				`<feature var="urn:xmpp:mam:2"/><feature var="muc_persistent"/></query></iq>`, true
		case strings.Contains(iq, "urn:xmpp:mam:2"):
			qid := regexp.MustCompile(`queryid="([^"]*)"`).FindStringSubmatch(iq)
			if qid == nil {
				return "", false
			}
			return result(room, qid[1], "s1", room+"/bob", "old line") +
				result(room, "other-query", "s2", room+"/mallory", "another query") +
				result(room+"/mallory", qid[1], "s3", room+"/mallory", "from an occupant") +
				result(room, qid[1], "s4", "elsewhere@conference.localhost/mallory", "another room") +
				result(room, qid[1], "", room+"/mallory", "no id") +
				result(room, qid[1], "s5", room+"/alice", "my old line") +
				`<iq type="error" id="` + id + `" from="` + room + `"><error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`, true
		}
		return "", false
	})
	alice := start(t, "alice", srv.account("alice"), "pw")
	conn := srv.next(t)
	alice.waitOnline()
	conn.expect(t, "<presence")

	alice.c.JoinRoom(room, "alice", "")
	join := conn.expect(t, `to="`+room+`/alice"`, `http://jabber.org/protocol/muc`)
	if !strings.Contains(join, `maxstanzas="0"`) {
		t.Errorf("the join of a room with an archive asks for history: %s", join)
	}
	conn.raw(t, selfPresence)
	q := conn.expect(t, `urn:xmpp:mam:2`, `to="`+room+`"`)
	if !strings.Contains(q, "<before") || !strings.Contains(q, ">100</max>") {
		t.Errorf("a first reading asks for the last 100 lines: %s", q)
	}
	f := alice.wait("the reading failed", func(e app.Event) bool {
		f, ok := e.(app.CommandFailed)
		return ok && f.Op == app.OpRoomHistory
	}).(app.CommandFailed)
	if f.JID != room || !strings.Contains(f.Err.Error(), "resource-constraint") {
		t.Errorf("failure: %+v", f)
	}
	var got []app.RoomMessage
	for _, e := range eventsOf(alice) {
		if m, ok := e.(app.RoomMessage); ok {
			got = append(got, m)
		}
	}
	if len(got) != 2 || got[0].Body != "old line" || got[1].Body != "my old line" {
		t.Fatalf("history: %+v", got)
	}
	if m := got[0]; !m.FromHistory || !m.Delayed || m.Outgoing || m.StanzaID != "s1" || m.Nick != "bob" || m.Time.Format(time.RFC3339) != stamp {
		t.Errorf("history line: %+v", m)
	}
	if m := got[1]; !m.FromHistory || !m.Outgoing || m.StanzaID != "s5" {
		t.Errorf("own history line: %+v", m)
	}
	evs := eventsOf(alice)
	i, j := slices.IndexFunc(evs, func(e app.Event) bool { _, ok := e.(app.RoomInfo); return ok }),
		slices.IndexFunc(evs, func(e app.Event) bool { _, ok := e.(app.RoomJoined); return ok })
	if i < 0 || j < i {
		t.Errorf("RoomInfo at %d, RoomJoined at %d", i, j)
	} else if info := evs[i].(app.RoomInfo); info.Name != "Room" || !info.Archive || !info.Persistent || info.MembersOnly {
		t.Errorf("room info: %+v", info)
	}

	// Still in the room.
	id := alice.c.SendRoomMessage(room, "still here")
	conn.expect(t, `type="groupchat"`, "<body>still here</body>", id)

	// Out and in again: the reading starts after the newest line we have
	// (the room's results come again, and are not shown twice).
	mark := alice.mark()
	alice.c.LeaveRoom(room)
	conn.expect(t, `type="unavailable"`, `to="`+room+`/alice"`)
	alice.c.JoinRoom(room, "alice", "")
	conn.expect(t, `to="`+room+`/alice"`, `http://jabber.org/protocol/muc`)
	conn.raw(t, selfPresence)
	q = conn.expect(t, `urn:xmpp:mam:2`, `to="`+room+`"`)
	if !strings.Contains(q, ">s5</after>") || strings.Contains(q, "<before") {
		t.Errorf("a rejoin reads after the newest line: %s", q)
	}
	alice.waitFrom(mark, "the second reading failed", func(e app.Event) bool {
		f, ok := e.(app.CommandFailed)
		return ok && f.Op == app.OpRoomHistory
	})
	if n := alice.count(func(e app.Event) bool { _, ok := e.(app.RoomMessage); return ok }); n != 2 {
		t.Errorf("%d lines after the second reading, want the first 2", n)
	}
	if n := alice.count(func(e app.Event) bool { _, ok := e.(app.RoomInfo); return ok }); n != 2 {
		t.Errorf("%d RoomInfo: a join after leaving asks again", n)
	}
}

// eventsOf returns a copy of the events p recorded so far.
func eventsOf(p *probe) []app.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events)
}

// TestRoomArchiveFloodIsBounded: a room answers a reading of its archive
// with more results than the core reads per join (maxRoomArchive, 10
// here); it takes that many, in order.
func TestRoomArchiveFloodIsBounded(t *testing.T) {
	const room = "room@conference.localhost"
	srv := newFakeServer(t)
	srv.setAnswer(func(iq string) (string, bool) {
		if !strings.Contains(iq, `to="`+room+`"`) {
			return "", false
		}
		id := attr(iq, "id")
		switch {
		case strings.Contains(iq, "disco#info"):
			return `<iq type="result" id="` + id + `" from="` + room + `"><query xmlns="http://jabber.org/protocol/disco#info">` +
				`<feature var="urn:xmpp:mam:2"/></query></iq>`, true
		case strings.Contains(iq, "urn:xmpp:mam:2"):
			qid := regexp.MustCompile(`queryid="([^"]*)"`).FindStringSubmatch(iq)
			if qid == nil {
				return "", false
			}
			var b strings.Builder
			for i := range 25 {
				fmt.Fprintf(&b, `<message from="%s"><result xmlns="urn:xmpp:mam:2" queryid="%s" id="s%d"><forwarded xmlns="urn:xmpp:forward:0">`+
					`<message xmlns="jabber:client" type="groupchat" from="%s/bob"><body>line %d</body></message></forwarded></result></message>`,
					room, qid[1], i, room, i)
			}
			b.WriteString(`<iq type="result" id="` + id + `" from="` + room + `"><fin xmlns="urn:xmpp:mam:2" complete="true"/></iq>`)
			return b.String(), true
		}
		return "", false
	})
	c := app.New(srv.account("alice"), func(context.Context) (string, error) { return "pw", nil })
	app.SetRoomArchiveMax(c, 10)
	alice := run(t, "alice", c)
	conn := srv.next(t)
	alice.waitOnline()
	conn.expect(t, "<presence")
	alice.c.JoinRoom(room, "alice", "")
	conn.expect(t, `to="`+room+`/alice"`, `http://jabber.org/protocol/muc`)
	conn.raw(t, selfPresence)
	alice.wait("line 9", func(e app.Event) bool { m, ok := e.(app.RoomMessage); return ok && m.Body == "line 9" })
	// What could still come has come once a later live line is here.
	conn.raw(t, `<message type="groupchat" from="`+room+`/bob"><body>live</body></message>`)
	alice.wait("live", func(e app.Event) bool { m, ok := e.(app.RoomMessage); return ok && m.Body == "live" })
	var got []string
	for _, e := range eventsOf(alice) {
		if m, ok := e.(app.RoomMessage); ok && m.FromHistory {
			got = append(got, m.Body)
		}
	}
	if len(got) != 10 || got[0] != "line 0" || got[9] != "line 9" {
		t.Errorf("%d history lines, first %q", len(got), got[:min(len(got), 1)])
	}
}
