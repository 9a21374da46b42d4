package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
)

// Corrections (XEP-0308) and replies (XEP-0461) in rooms, on the fake
// server.

// groupLine is a groupchat line of room@conference.localhost from nick
// with id and body, and extra children (a replace, an occupant id, …).
func groupLine(nick, id, body, extra string) string {
	return `<message type="groupchat" from="room@conference.localhost/` + nick + `" id="` + id + `"><body>` + body + `</body>` + extra + `</message>`
}

// replaces is the <replace/> of a correction of id.
func replaces(id string) string {
	return `<replace xmlns="urn:xmpp:message-correct:0" id="` + id + `"/>`
}

// occupantID is the <occupant-id/> a room stamps (XEP-0421).
func occupantID(id string) string {
	return `<occupant-id xmlns="urn:xmpp:occupant-id:0" id="` + id + `"/>`
}

// delayed is a delay stamp an hour ago, as the room's history carries.
func delayed() string {
	return `<delay xmlns="urn:xmpp:delay" stamp="` + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + `" from="room@conference.localhost"/>`
}

// roomCorrected matches a MessageCorrected of line id in room.
func roomCorrected(room, id string) func(app.Event) bool {
	return func(e app.Event) bool {
		c, ok := e.(app.MessageCorrected)
		return ok && c.Peer == room && c.ID == id
	}
}

// roomBodies returns the bodies of p's archive of room, oldest first.
func roomBodies(t *testing.T, p *probe, room string) []string {
	t.Helper()
	var bs []string
	for _, m := range page(t, p, room) {
		bs = append(bs, m.Body)
	}
	return bs
}

// TestRoomCorrectionByNick: in a room without occupant ids, a live
// correction from the nick whose live line it names, still there since,
// corrects the line; a correction from another nick, one from the
// room's history (but the same correction seen again, which changes
// nothing and shows nothing), one after the occupant left and someone else came in
// under the nick, and one after a nick change (to the new nick, or from
// whoever takes the old one) are new lines. An occupant id written in a
// room that does not announce them is no proof of anything.
func TestRoomCorrectionByNick(t *testing.T) {
	conn, alice, room := fakeRoom(t)
	conn.raw(t, occupantPresence("bob")+occupantPresence("mallory")+occupantPresence("carol")+selfPresence)
	alice.wait("joined", func(e app.Event) bool { _, ok := e.(app.RoomJoined); return ok })
	conn.raw(t, groupLine("bob", "b1", "lunh?", occupantID("occ-bob")))
	conn.raw(t, groupLine("carol", "c1", "helo", ""))
	bob := alice.wait("bob's line", roomLine(room, "bob", "lunh?")).(app.RoomMessage)
	carol := alice.wait("carol's line", roomLine(room, "carol", "helo")).(app.RoomMessage)

	mark := alice.mark()
	conn.raw(t, groupLine("bob", "b2", "lunch?", replaces("b1")))
	c := alice.waitFrom(mark, "bob's correction", roomCorrected(room, "b1")).(app.MessageCorrected)
	if c.Body != "lunch?" || !c.Room || c.Nick != "bob" || c.Outgoing || c.ArchiveID != bob.ArchiveID {
		t.Fatalf("correction %+v, line archived as %d", c, bob.ArchiveID)
	}

	// Each of these is a new line.
	newLine := func(what, nick, stanza, body string) {
		t.Helper()
		mark := alice.mark()
		conn.raw(t, stanza)
		m := alice.waitFrom(mark, what, roomLine(room, nick, body)).(app.RoomMessage)
		if m.ArchiveID == 0 || m.ArchiveID == bob.ArchiveID || m.ArchiveID == carol.ArchiveID {
			t.Fatalf("%s: %+v", what, m)
		}
	}
	newLine("another nick", "mallory", groupLine("mallory", "m1", "forged by mallory", replaces("b1")+occupantID("occ-bob")), "forged by mallory")
	newLine("from history", "bob", groupLine("bob", "b3", "from history", replaces("b1")+delayed()), "from history")
	// Bob's correction again, from the room's history: seen before.
	mark = alice.mark()
	conn.raw(t, groupLine("bob", "b2", "lunch?", replaces("b1")+delayed())+groupLine("mallory", "m2", "sync", ""))
	alice.waitFrom(mark, "sync", roomLine(room, "mallory", "sync"))
	if n := countFrom(alice, mark, roomLine(room, "bob", "lunch?")); n != 0 {
		t.Fatalf("a correction seen again showed as a line")
	}
	conn.raw(t, `<presence type="unavailable" from="room@conference.localhost/bob"/>`+occupantPresence("bob"))
	alice.wait("a new bob", entered(room, "bob"))
	newLine("the nick taken over", "bob", groupLine("bob", "b4", "taken over", replaces("b1")+occupantID("occ-bob")), "taken over")
	conn.raw(t, `<presence type="unavailable" from="room@conference.localhost/carol"><x xmlns="http://jabber.org/protocol/muc#user">`+
		`<item affiliation="none" role="participant" nick="carla"/><status code="303"/></x></presence>`+occupantPresence("carla")+occupantPresence("carol"))
	alice.wait("carol is carla", func(e app.Event) bool {
		o, ok := e.(app.OccupantChanged)
		return ok && o.Occupant.Nick == "carol" && o.NewNick == "carla"
	})
	alice.wait("a new carol", entered(room, "carol"))
	newLine("after a nick change", "carla", groupLine("carla", "c2", "hello (carla)", replaces("c1")), "hello (carla)")
	newLine("the old nick taken", "carol", groupLine("carol", "c3", "hello (new carol)", replaces("c1")), "hello (new carol)")

	// The new bob corrects his own live line.
	conn.raw(t, groupLine("bob", "b5", "mine", ""))
	nb := alice.wait("the new bob's line", roomLine(room, "bob", "mine")).(app.RoomMessage)
	mark = alice.mark()
	conn.raw(t, groupLine("bob", "b6", "mine!", replaces("b5")))
	if c := alice.waitFrom(mark, "the new bob's correction", roomCorrected(room, "b5")).(app.MessageCorrected); c.ArchiveID != nb.ArchiveID || c.Body != "mine!" {
		t.Fatalf("correction %+v", c)
	}
	if n := alice.count(func(e app.Event) bool { _, ok := e.(app.MessageCorrected); return ok }); n != 2 {
		t.Fatalf("%d corrections applied, want 2; events:\n%s", n, alice.dump())
	}
	want := []string{"lunch?", "helo", "forged by mallory", "from history", "sync", "taken over", "hello (carla)", "hello (new carol)", "mine!"}
	got := roomBodies(t, alice, room)
	// The history line is timed an hour ago.
	if len(got) != len(want) || got[0] != "from history" || !sameStrings(got[1:], append(want[:3:3], want[4:]...)) {
		t.Fatalf("archive %q, want %q (the history line first)", got, want)
	}
	for _, m := range page(t, alice, room) {
		if m.OccupantID != "" {
			t.Fatalf("an occupant id kept from a room that does not announce them: %+v", m)
		}
	}
}

// occupantIDRoom signs alice in on a fake server whose room announces
// occupant ids (XEP-0421) and no archive, and joins it.
func occupantIDRoom(t *testing.T) (*fakeConn, *probe, string) {
	t.Helper()
	const room = "room@conference.localhost"
	srv := newFakeServer(t)
	srv.setAnswer(func(iq string) (string, bool) {
		if !strings.Contains(iq, `to="`+room+`"`) || !strings.Contains(iq, "disco#info") {
			return "", false
		}
		return `<iq type="result" id="` + attr(iq, "id") + `" from="` + room + `"><query xmlns="http://jabber.org/protocol/disco#info">` +
			`<identity category="conference" type="text" name="Room"/><feature var="http://jabber.org/protocol/muc"/>` +
			`<feature var="urn:xmpp:occupant-id:0"/></query></iq>`, true
	})
	alice := start(t, "alice", srv.account("alice"), "pw")
	conn := srv.next(t)
	alice.waitOnline()
	conn.expect(t, "<presence")
	alice.c.JoinRoom(room, "alice", "")
	conn.expect(t, `to="`+room+`/alice"`, `http://jabber.org/protocol/muc`)
	if info := alice.wait("room info", func(e app.Event) bool { _, ok := e.(app.RoomInfo); return ok }).(app.RoomInfo); !info.OccupantIDs {
		t.Fatalf("room info: %+v", info)
	}
	return conn, alice, room
}

// TestRoomCorrectionByOccupantID: in a room that announces occupant ids,
// a correction is applied when it carries the occupant id of the line it
// names, whatever the nick, live or from the room's history; one with
// another occupant id, or none, is a new line, whoever has the nick.
func TestRoomCorrectionByOccupantID(t *testing.T) {
	conn, alice, room := occupantIDRoom(t)
	// The join's history: bob's line, his correction, and one from
	// someone else who had the nick bob.
	conn.raw(t, occupantPresence("bob")+selfPresence+
		groupLine("bob", "h1", "old lien", occupantID("occ-bob")+delayed())+
		groupLine("bob", "h2", "old line", replaces("h1")+occupantID("occ-bob")+delayed())+
		groupLine("bob", "h3", "old forgery", replaces("h1")+occupantID("occ-eve")+delayed())+
		`<message type="groupchat" from="room@conference.localhost"><subject/></message>`)
	alice.wait("the history's correction", roomCorrected(room, "h1"))
	alice.wait("the history's forgery", roomLine(room, "bob", "old forgery"))

	conn.raw(t, groupLine("bob", "b1", "lunh?", occupantID("occ-bob")))
	line := alice.wait("bob's line", roomLine(room, "bob", "lunh?")).(app.RoomMessage)
	// Bob leaves, comes back as robert: the same occupant.
	conn.raw(t, `<presence type="unavailable" from="room@conference.localhost/bob"/>`+occupantPresence("robert"))
	alice.wait("robert", entered(room, "robert"))
	mark := alice.mark()
	conn.raw(t, groupLine("robert", "r1", "lunch?", replaces("b1")+occupantID("occ-bob")))
	c := alice.waitFrom(mark, "the correction", roomCorrected(room, "b1")).(app.MessageCorrected)
	if c.Body != "lunch?" || !c.Room || c.Nick != "bob" || c.Outgoing || c.ArchiveID != line.ArchiveID {
		t.Fatalf("correction %+v, line archived as %d", c, line.ArchiveID)
	}
	// Someone else takes the nick bob: another occupant id, or none.
	conn.raw(t, occupantPresence("bob"))
	alice.wait("a new bob", entered(room, "bob"))
	conn.raw(t, groupLine("bob", "f1", "forged with another id", replaces("b1")+occupantID("occ-eve")))
	alice.wait("another occupant id", roomLine(room, "bob", "forged with another id"))
	conn.raw(t, groupLine("bob", "f2", "forged without id", replaces("b1")))
	alice.wait("no occupant id", roomLine(room, "bob", "forged without id"))
	if n := alice.count(func(e app.Event) bool { _, ok := e.(app.MessageCorrected); return ok }); n != 2 {
		t.Fatalf("%d corrections applied, want 2; events:\n%s", n, alice.dump())
	}
	ms := page(t, alice, room)
	var bodies []string
	for _, m := range ms {
		bodies = append(bodies, m.Body)
	}
	want := []string{"old line", "old forgery", "lunch?", "forged with another id", "forged without id"}
	if !sameStrings(bodies, want) {
		t.Fatalf("archive %q, want %q", bodies, want)
	}
	if ms[0].OccupantID != "occ-bob" || ms[0].Original != "old lien" || ms[1].OccupantID != "occ-eve" || ms[2].OccupantID != "occ-bob" || ms[4].OccupantID != "" {
		t.Fatalf("occupant ids kept: %+v", ms)
	}
}

// TestRoomOwnCorrection: only our last line in the room may be
// corrected, once the room reflected it; the correction goes to the room
// naming our line by the id we gave it; the room's copy of it changes
// nothing and shows no line. Another of our clients under our nick
// corrects our line too. Out of the room, a correction is refused.
func TestRoomOwnCorrection(t *testing.T) {
	conn, alice, room := fakeRoom(t)
	conn.raw(t, occupantPresence("bob")+selfPresence)
	alice.wait("joined", func(e app.Event) bool { _, ok := e.(app.RoomJoined); return ok })
	send := func(body string) app.RoomMessage {
		t.Helper()
		id := alice.c.SendRoomMessage(room, body)
		conn.expect(t, `id="`+id+`"`, "<body>"+body+"</body>")
		conn.raw(t, groupLine("alice", id, body, `<origin-id xmlns="urn:xmpp:sid:0" id="`+id+`"/>`))
		return alice.wait("our line "+body, roomLine(room, "alice", body)).(app.RoomMessage)
	}
	first := send("one")
	last := send("tow")
	if !last.Outgoing || last.ArchiveID == 0 {
		t.Fatalf("our line: %+v", last)
	}

	mark := alice.mark()
	alice.c.CorrectMessage(room, first.ID, "1")
	if f := alice.waitFrom(mark, "not the last", isCorrectFailed).(app.CommandFailed); f.JID != room {
		t.Fatalf("refusal: %+v", f)
	}
	mark = alice.mark()
	alice.c.CorrectMessage(room, "b1", "1")
	alice.waitFrom(mark, "not ours", isCorrectFailed)

	mark = alice.mark()
	cid := alice.c.CorrectMessage(room, last.ID, "two")
	s := conn.expect(t, `id="`+cid+`"`, `<body>two</body>`)
	sent := decodeSent(t, s)
	if sent.To.String() != room || sent.Type != "groupchat" || sent.Replace != last.ID || sent.OriginID != cid || sent.ReceiptRequested {
		t.Fatalf("sent %s", s)
	}
	c := alice.waitFrom(mark, "our correction", roomCorrected(room, last.ID)).(app.MessageCorrected)
	if c.Body != "two" || !c.Outgoing || !c.Room || c.Nick != "alice" || c.ArchiveID != last.ArchiveID {
		t.Fatalf("correction %+v, line archived as %d", c, last.ArchiveID)
	}
	// The room's copy: nothing more.
	conn.raw(t, groupLine("alice", cid, "two", replaces(last.ID)+`<origin-id xmlns="urn:xmpp:sid:0" id="`+cid+`"/>`))
	conn.raw(t, groupLine("bob", "b1", "after", ""))
	alice.wait("bob's line", roomLine(room, "bob", "after"))
	if n := countFrom(alice, mark, roomCorrected(room, last.ID)); n != 1 {
		t.Fatalf("our correction announced %d times", n)
	}
	if n := countFrom(alice, mark, roomLine(room, "alice", "two")); n != 0 {
		t.Fatalf("the room's copy of our correction showed as a line")
	}
	// Another of our clients, under our nick, corrects it again.
	mark = alice.mark()
	conn.raw(t, groupLine("alice", "other", "two!", replaces(last.ID)))
	if c := alice.waitFrom(mark, "our other client's correction", roomCorrected(room, last.ID)).(app.MessageCorrected); !c.Outgoing || c.Body != "two!" {
		t.Fatalf("correction %+v", c)
	}
	if got, want := roomBodies(t, alice, room), []string{"one", "two!", "after"}; !sameStrings(got, want) {
		t.Fatalf("archive %q, want %q", got, want)
	}

	alice.c.LeaveRoom(room)
	conn.expect(t, `type="unavailable"`)
	mark = alice.mark()
	alice.c.CorrectMessage(room, last.ID, "late")
	alice.waitFrom(mark, "out of the room", isCorrectFailed)
}

// TestRoomReplies: a reply to a room line names it by the stanza id the
// room gave it and its author by occupant JID, quoting it as a fallback;
// the room's copy and an occupant's reply keep what they answer in the
// archive and the event. A line without a stanza id is answered with the
// quotation alone.
func TestRoomReplies(t *testing.T) {
	conn, alice, room := fakeRoom(t)
	conn.raw(t, occupantPresence("bob")+selfPresence)
	alice.wait("joined", func(e app.Event) bool { _, ok := e.(app.RoomJoined); return ok })

	id := alice.c.SendRoomReply(room, "yes", app.ReplyTo{ID: "s1", Author: room + "/bob", Quote: "lunch?"})
	s := conn.expect(t, `id="`+id+`"`, `<reply xmlns="urn:xmpp:reply:0"`)
	sent := decodeSent(t, s)
	if sent.To.String() != room || sent.Type != "groupchat" || sent.Body != "> lunch?\nyes" || sent.Reply == nil ||
		sent.Reply.ID != "s1" || sent.Reply.To != room+"/bob" || !sent.Reply.HasFallback || sent.Reply.FallbackEnd != 9 {
		t.Fatalf("sent %s", s)
	}
	conn.raw(t, groupLine("alice", id, "&gt; lunch?\nyes", `<origin-id xmlns="urn:xmpp:sid:0" id="`+id+`"/>`+
		`<reply xmlns="urn:xmpp:reply:0" to="`+room+`/bob" id="s1"/><fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="9"/></fallback>`+
		`<stanza-id xmlns="urn:xmpp:sid:0" by="`+room+`" id="s2"/>`))
	ours := alice.wait("our reply", roomLine(room, "alice", "> lunch?\nyes")).(app.RoomMessage)
	if !ours.Outgoing || ours.Reply == nil || ours.Reply.ID != "s1" {
		t.Fatalf("our reply: %+v", ours)
	}
	conn.raw(t, groupLine("bob", "b2", "&gt; yes\ngood", `<reply xmlns="urn:xmpp:reply:0" to="`+room+`/alice" id="s2"/>`+
		`<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="6"/></fallback>`))
	theirs := alice.wait("bob's reply", roomLine(room, "bob", "> yes\ngood")).(app.RoomMessage)
	if theirs.Reply == nil || theirs.Reply.ID != "s2" || theirs.Reply.To != room+"/alice" {
		t.Fatalf("bob's reply: %+v", theirs)
	}
	ms := page(t, alice, room)
	if len(ms) != 2 || ms[0].ReplyID != "s1" || ms[0].ReplyTo != room+"/bob" || ms[0].Text() != "yes" ||
		ms[1].ReplyID != "s2" || ms[1].ReplyTo != room+"/alice" || ms[1].Text() != "good" {
		t.Fatalf("archive: %+v", ms)
	}

	// No stanza id to name: the quotation alone.
	id = alice.c.SendRoomReply(room, "ok", app.ReplyTo{Author: room + "/bob", Quote: "no id"})
	s = conn.expect(t, `id="`+id+`"`)
	if sent := decodeSent(t, s); sent.Body != "> no id\nok" || sent.Reply != nil || strings.Contains(s, "urn:xmpp:fallback:0") {
		t.Fatalf("sent %s", s)
	}
}

// TestRoomArchiveCorrections: corrections read from a room's archive
// (XEP-0313) are applied when the room announces occupant ids and the
// ids match; another occupant id is a new line. In a room without
// occupant ids, an archived correction is a new line.
func TestRoomArchiveCorrections(t *testing.T) {
	const room = "room@conference.localhost"
	stamp := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	for _, withIDs := range []bool{true, false} {
		srv := newFakeServer(t)
		srv.setAnswer(func(iq string) (string, bool) {
			if !strings.Contains(iq, `to="`+room+`"`) {
				return "", false
			}
			id := attr(iq, "id")
			switch {
			case strings.Contains(iq, "disco#info"):
				feature := ""
				if withIDs {
					feature = `<feature var="urn:xmpp:occupant-id:0"/>`
				}
				return `<iq type="result" id="` + id + `" from="` + room + `"><query xmlns="http://jabber.org/protocol/disco#info">` +
					`<feature var="urn:xmpp:mam:2"/>` + feature + `</query></iq>`, true
			case strings.Contains(iq, "urn:xmpp:mam:2"):
				qid := regexp.MustCompile(`queryid="([^"]*)"`).FindStringSubmatch(iq)
				if qid == nil {
					return "", false
				}
				var b strings.Builder
				for i, l := range []struct{ id, body, extra string }{
					{"h1", "old lien", occupantID("occ-bob")},
					{"h2", "old line", replaces("h1") + occupantID("occ-bob")},
					{"h3", "old forgery", replaces("h1") + occupantID("occ-eve")},
				} {
					fmt.Fprintf(&b, `<message from="%s"><result xmlns="urn:xmpp:mam:2" queryid="%s" id="s%d"><forwarded xmlns="urn:xmpp:forward:0">`+
						`<delay xmlns="urn:xmpp:delay" stamp="%s"/><message xmlns="jabber:client" type="groupchat" from="%s/bob" id="%s"><body>%s</body>%s</message>`+
						`</forwarded></result></message>`, room, qid[1], i, stamp, room, l.id, l.body, l.extra)
				}
				b.WriteString(`<iq type="result" id="` + id + `" from="` + room + `"><fin xmlns="urn:xmpp:mam:2" complete="true"/></iq>`)
				return b.String(), true
			}
			return "", false
		})
		alice := start(t, "alice", srv.account("alice"), "pw")
		conn := srv.next(t)
		alice.waitOnline()
		conn.expect(t, "<presence")
		alice.c.JoinRoom(room, "alice", "")
		conn.expect(t, `to="`+room+`/alice"`, `http://jabber.org/protocol/muc`)
		conn.raw(t, selfPresence)
		alice.wait("the forgery", roomLine(room, "bob", "old forgery"))
		want := []string{"old lien", "old line", "old forgery"}
		corrected := 0
		if withIDs {
			alice.wait("the correction", roomCorrected(room, "h1"))
			want, corrected = []string{"old line", "old forgery"}, 1
		}
		conn.raw(t, groupLine("bob", "b1", "live", ""))
		alice.wait("live", roomLine(room, "bob", "live"))
		if n := alice.count(func(e app.Event) bool { _, ok := e.(app.MessageCorrected); return ok }); n != corrected {
			t.Fatalf("occupant ids %v: %d corrections applied, want %d", withIDs, n, corrected)
		}
		if got := roomBodies(t, alice, room); !sameStrings(got, append(want, "live")) {
			t.Fatalf("occupant ids %v: archive %q, want %q", withIDs, got, append(want, "live"))
		}
	}
}
