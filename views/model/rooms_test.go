package model

import (
	"testing"
	"time"

	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	ev "github.com/palaver-im/palaver/views/model/modeltest"
)

const room = "tea@conference.x"

func joined(nick string, others ...string) app.RoomJoined {
	e := app.RoomJoined{Room: room, Nick: nick, Self: app.Occupant{Nick: nick, Role: muc.RoleParticipant}}
	for _, o := range others {
		e.Occupants = append(e.Occupants, app.Occupant{Nick: o, Role: muc.RoleParticipant})
	}
	e.Acct = me
	return e
}

func roomMsg(nick, body string) app.RoomMessage {
	e := app.RoomMessage{Room: room, Nick: nick, Body: body, Time: time.Now()}
	e.Acct = me
	return e
}

func TestApplyRooms(t *testing.T) {
	a := online()
	v := newView()
	a.Joining(room, "me")
	if r := a.Rooms[room]; r == nil || r.Joined {
		t.Fatal("a room being joined is not listed as joining")
	}
	ch := a.Apply([]app.Event{joined("me", "ann", "bob")}, v)
	r := a.Rooms[room]
	if !ch.Rooms || !r.Joined || len(r.Occupants) != 2 || r.Self.Nick != "me" {
		t.Fatalf("after joining: %+v, changes %+v", r, ch)
	}
	// A line without our nick counts, unnotified; one naming us notifies.
	ch = a.Apply([]app.Event{roomMsg("ann", "hello all"), roomMsg("bob", "Me: tea?")}, v)
	if r.Unread != 2 || r.Mentions != 1 || len(ch.Notify) != 1 || !ch.Notify[0].Room || ch.Notify[0].Nick != "bob" {
		t.Fatalf("unread %d, mentions %d, notify %+v", r.Unread, r.Mentions, ch.Notify)
	}
	if len(ch.RoomMessages) != 2 || len(ch.RoomsTouched) != 1 {
		t.Errorf("room lines %d, touched %v", len(ch.RoomMessages), ch.RoomsTouched)
	}
	// Ours, history and a room looked at count nothing.
	own := roomMsg("me", "yes")
	own.Outgoing = true
	old := roomMsg("ann", "me, from yesterday")
	old.FromHistory = true
	a.Apply([]app.Event{own, old}, v)
	v.open[room], v.active[room] = true, true
	a.Apply([]app.Event{roomMsg("bob", "me again")}, v)
	if r.Unread != 2 || r.Mentions != 1 {
		t.Fatalf("unread %d, mentions %d after lines that do not count", r.Unread, r.Mentions)
	}
	if !a.RoomRead(room) || r.Unread != 0 {
		t.Fatal("reading the room left it unread")
	}
	// Nick changes, ours and another's, and someone leaving.
	nick := func(old, new string, self bool) app.Event {
		e := app.OccupantChanged{Room: room, Occupant: app.Occupant{Nick: old}, NewNick: new, Self: self}
		e.Acct = me
		return e
	}
	left := app.OccupantChanged{Room: room, Occupant: app.Occupant{Nick: "bob"}, Left: true, Reason: app.LeftKicked}
	left.Acct = me
	a.Apply([]app.Event{nick("me", "myself", true), nick("ann", "anna", false), left}, v)
	if r.Nick != "myself" || len(r.Occupants) != 1 || r.Occupants["anna"].Nick != "anna" {
		t.Fatalf("after the changes: nick %q, occupants %v", r.Nick, r.Occupants)
	}
	// Removed from the room: gone, and said why.
	gone := app.RoomLeft{Room: room, Reason: app.LeftBanned}
	gone.Acct = me
	ch = a.Apply([]app.Event{gone}, v)
	if a.Rooms[room] != nil || len(ch.RoomLefts) != 1 {
		t.Fatalf("after being banned: %v, lefts %v", a.Rooms[room], ch.RoomLefts)
	}
	// A refused join is forgotten, and said why.
	a.Joining(room, "me")
	fail := app.RoomJoinFailed{Room: room, Condition: app.RoomNickInUse}
	fail.Acct = me
	ch = a.Apply([]app.Event{fail}, v)
	if a.Rooms[room] != nil || len(ch.RoomFailures) != 1 {
		t.Fatal("a refused join is still listed or not reported")
	}
}

func TestMentions(t *testing.T) {
	for i, c := range []struct {
		body, nick string
		want       bool
	}{
		0: {"hi Ann!", "ann", true},
		1: {"hi Annabel", "ann", false},
		2: {"@ann: tea", "ann", true},
		3: {"joanna", "ann", false},
		4: {"ann", "ann", true},
		5: {"anything", "", false},
		6: {"ann-marie is here", "ann", false},
	} {
		if got := Mentions(c.body, c.nick); got != c.want {
			t.Errorf("%d: Mentions(%q, %q) = %v", i, c.body, c.nick, got)
		}
	}
}

func TestRoomInfo(t *testing.T) {
	a := online()
	v := newView()
	a.Joining(room, "me")
	info := app.RoomInfo{Room: room, Name: " Tea\nroom ", MembersOnly: true, Archive: true}
	info.Acct = me
	ch := a.Apply([]app.Event{info, joined("me", "ann")}, v)
	r := a.Rooms[room]
	if r.Info == nil || r.Info.Name != "Tea room" || !r.Info.MembersOnly || !r.Joined {
		t.Fatalf("info %+v, joined %v", r.Info, r.Joined)
	}
	if !ch.Rooms || len(ch.RoomsTouched) != 1 {
		t.Errorf("changes %+v", ch)
	}
	// Told again when the configuration changed; and known from a join
	// the core did by itself (no Joining first).
	info.Name, info.MembersOnly = "", false
	info2 := info
	info2.Room = "other@conference.x"
	info2.Name = string(make([]byte, 300))
	a.Apply([]app.Event{info, info2}, v)
	if r.Info.Name != "" || r.Info.MembersOnly {
		t.Errorf("after the change: %+v", r.Info)
	}
	if o := a.Rooms[info2.Room]; o == nil || o.Info == nil || len(o.Info.Name) > maxRoomTitle {
		t.Errorf("the other room: %+v", o)
	}
}

func TestPrivateMessages(t *testing.T) {
	a := online()
	v := newView()
	a.Joining(room, "me")
	a.Apply([]app.Event{joined("me", "ann")}, v)
	ann := room + "/ann"
	if r, n, ok := a.PrivatePeer(ann); !ok || r != room || n != "ann" {
		t.Fatalf("PrivatePeer(%q) = %q, %q, %v", ann, r, n, ok)
	}
	for _, p := range []string{room, room + "/", "other@conference.x/bob", "ann@x"} {
		if _, _, ok := a.PrivatePeer(p); ok {
			t.Errorf("%q is taken for someone in a room", p)
		}
	}
	// Someone in a room we are in writes: a conversation, which opens
	// and notifies as a contact's does; not a message request.
	ch := a.Apply([]app.Event{msg(ann, "psst"), ev.ChatState(me, ann, chatstate.Composing)}, v)
	if len(ch.Messages) != 1 || len(ch.Open) != 1 || ch.Open[0] != ann || ch.MsgRequests {
		t.Fatalf("messages %v, open %v, message requests %v", ch.Messages, ch.Open, ch.MsgRequests)
	}
	if len(ch.Notify) != 1 || ch.Notify[0].Peer != ann || ch.Notify[0].Room || a.Roster.Unread(ann) != 1 {
		t.Errorf("notify %+v, unread %d", ch.Notify, a.Roster.Unread(ann))
	}
	if a.PeerStates[ann] != chatstate.Composing {
		t.Errorf("typing in private: %q", a.PeerStates[ann])
	}
	// From a room we are not in: a stranger, as before.
	ch = a.Apply([]app.Event{msg("other@conference.x/bob", "hi")}, v)
	if len(ch.Messages) != 0 || !ch.MsgRequests {
		t.Errorf("from a room we are not in: messages %v, message requests %v", ch.Messages, ch.MsgRequests)
	}
}

func TestRoomNotifySetting(t *testing.T) {
	plain, named := roomMsg("ann", "hello all"), roomMsg("bob", "me: tea?")
	old := roomMsg("ann", "me, from yesterday")
	old.FromHistory = true
	own := roomMsg("me", "yes")
	own.Outgoing = true
	cases := []struct {
		name   string
		when   string // "": no setting
		active bool
		batch  []app.Event
		// The notification's count and last line; the unread count.
		count  int
		last   string
		unread int
	}{
		{"by default, a mention", "", false, []app.Event{plain, named}, 1, "me: tea?", 2},
		{"mentions: a mention", account.RoomNotifyMentions, false, []app.Event{plain, named}, 1, "me: tea?", 2},
		{"mentions: nothing else", account.RoomNotifyMentions, false, []app.Event{plain}, 0, "", 1},
		{"all: every line", account.RoomNotifyAll, false, []app.Event{plain, named, plain}, 3, "hello all", 3},
		{"all: not history nor ours", account.RoomNotifyAll, false, []app.Event{old, own}, 0, "", 0},
		{"all: not the room looked at", account.RoomNotifyAll, true, []app.Event{plain}, 0, "", 0},
		{"none: not even a mention, yet counted", account.RoomNotifyNone, false, []app.Event{plain, named}, 0, "", 2},
		{"an unknown word: mentions", "often", false, []app.Event{plain, named}, 1, "me: tea?", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := online()
			v := newView()
			if c.when != "" {
				a.RoomNotify = func(r string) string {
					if r == room {
						return c.when
					}
					return ""
				}
			}
			a.Joining(room, "me")
			a.Apply([]app.Event{joined("me", "ann", "bob")}, v)
			v.open[room], v.active[room] = c.active, c.active
			ch := a.Apply(c.batch, v)
			var count int
			var last string
			if len(ch.Notify) > 0 {
				count, last = ch.Notify[0].Count, ch.Notify[0].Last
			}
			if len(ch.Notify) > 1 || count != c.count || last != c.last {
				t.Errorf("notify %+v, want %d, %q", ch.Notify, c.count, c.last)
			}
			if r := a.Rooms[room]; r.Unread != c.unread {
				t.Errorf("unread %d, want %d", r.Unread, c.unread)
			}
		})
	}
	// Every line still keeps the quiet time between two notifications.
	a := online()
	now := time.Now()
	a.Now = func() time.Time { return now }
	a.RoomNotify = func(string) string { return account.RoomNotifyAll }
	v := newView()
	a.Joining(room, "me")
	a.Apply([]app.Event{joined("me", "ann")}, v)
	if ch := a.Apply([]app.Event{plain}, v); len(ch.Notify) != 1 {
		t.Fatalf("the first line: %+v", ch.Notify)
	}
	if ch := a.Apply([]app.Event{plain}, v); len(ch.Notify) != 0 || !ch.NotifyHeld {
		t.Fatalf("a line a moment later: %+v, held %v", ch.Notify, ch.NotifyHeld)
	}
	due, _ := a.DueNotifications(now.Add(NotifyQuiet))
	if len(due) != 1 || due[0].Count != 1 || !due[0].Room {
		t.Errorf("due %+v", due)
	}
}
