package views

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// The room views against the real core and a real Prosody: what the
// People dialog asks is what the room does, and private messages find
// their way both ways.

// liveCore runs a core of its own (another person) and hands its events
// to the test in order.
type liveCore struct {
	t      *testing.T
	c      *app.Client
	events chan app.Event
}

func startLiveCore(t *testing.T, acct account.Account, password string) *liveCore {
	t.Helper()
	l := &liveCore{t: t, c: app.New(acct, func(context.Context) (string, error) { return password, nil }), events: make(chan app.Event, 4096)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		for batch := range l.c.Events() {
			for _, e := range batch {
				select {
				case l.events <- e:
				default: // the test no longer listens
				}
			}
		}
	}()
	go func() { defer close(done); _ = l.c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return l
}

// wait returns the next event that matches, skipping the others.
func (l *liveCore) wait(what string, match func(app.Event) bool) app.Event {
	l.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-l.events:
			if match(e) {
				return e
			}
		case <-deadline:
			l.t.Fatalf("waited in vain for %s", what)
			return nil
		}
	}
}

// until runs what the UI's event pump hands over until ok holds.
func (h *harness) until(what string, ok func() bool) {
	h.t.Helper()
	deadline := time.After(20 * time.Second)
	for !ok() {
		select {
		case f := <-h.queue:
			f()
		case <-deadline:
			h.t.Fatalf("waited in vain for %s", what)
		}
	}
}

func TestRoomModerationLive(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{MUC: true})
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	room := "tea@" + srv.MUCDomain
	acct := account.Account{JID: "alice@" + srv.Domain, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile}
	bobAcct := acct
	bobAcct.JID = "bob@" + srv.Domain

	h := newHarness(t, acct)
	h.ui.start = realCore("alice-pw")
	h.ui.Show()
	s := h.ui.only()
	h.until("alice online", func() bool { return s.State.State == app.Online })

	// Alice creates the room (its owner), then bob comes.
	s.Joining(room, "alice")
	s.core.JoinRoom(room, "alice", "")
	s.openChat(room)
	h.until("alice in the room", func() bool { r := s.Rooms[room]; return r != nil && r.Joined })
	if r := s.Rooms[room]; r.Self.Affiliation != muc.AffiliationOwner || r.Info == nil {
		t.Fatalf("alice is %v in the room, info %+v", r.Self.Affiliation, r.Info)
	}
	bob := startLiveCore(t, bobAcct, "bob-pw")
	bob.wait("bob online", func(e app.Event) bool { st, ok := e.(app.StateChanged); return ok && st.State == app.Online })
	bob.c.JoinRoom(room, "bob", "")
	h.until("bob in alice's room", func() bool { _, ok := s.Rooms[room].Occupants["bob"]; return ok })

	c := s.chats[room]
	c.showPeople()
	pick := func(label string) {
		t.Helper()
		for _, it := range c.personMenu(s.Rooms[room].Occupants["bob"]) {
			if it.Label == label {
				it.Action()
				return
			}
		}
		t.Fatalf("no %q in bob's menu: %q", label, labels(c.personMenu(s.Rooms[room].Occupants["bob"])))
	}
	standing := func() string {
		for _, o := range c.people.rows {
			if o.Nick == "bob" {
				_, w := personWords(o, false)
				return w
			}
		}
		return ""
	}
	// The owner sees bob's real JID (a semi-anonymous room shows it to
	// moderators): every action is offered, and each is done.
	if got := strings.Join(labels(c.personMenu(s.Rooms[room].Occupants["bob"])), ", "); got !=
		"Send private message, Make moderator, Make member, Make admin, Kick…, Ban…" {
		t.Errorf("bob's menu: %s", got)
	}
	pick("Make member")
	h.until("bob a member", func() bool { return standing() == "participant · member" })
	pick("Make moderator")
	h.until("bob a moderator", func() bool { return standing() == "moderator · member" })
	pick("Remove moderator")
	h.until("bob no longer a moderator", func() bool { return standing() == "participant · member" })

	// Bob writes to alice privately: a conversation of its own, and her
	// answer reaches him from her occupant JID.
	bob.c.SendMessage(room+"/alice", "psst")
	pm := room + "/bob"
	h.until("bob's private message", func() bool { return s.chats[pm] != nil && len(s.chats[pm].conv.msgs) == 1 })
	if len(s.MsgRequests.List) != 0 {
		t.Errorf("a private message waits in message requests: %v", s.MsgRequests.List)
	}
	if title := s.chats[pm].win.Title(); !strings.Contains(title, "bob (in ") {
		t.Errorf("the private chat's title is %q", title)
	}
	s.chats[pm].sendText("hello bob")
	bob.wait("alice's private answer", func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Msg.Body == "hello bob" && m.Peer == room+"/alice"
	})

	// Kicked with a reason: bob is told, and leaves the list.
	pick("Kick…")
	d := top(t, c.win)
	test.Type(entryWithPlaceholder(t, d, "Reason (optional)"), "tea time is over")
	test.Tap(button(t, d, "Kick"))
	left := bob.wait("bob kicked", func(e app.Event) bool { _, ok := e.(app.RoomLeft); return ok }).(app.RoomLeft)
	if left.Reason != app.LeftKicked || left.Text != "tea time is over" {
		t.Errorf("bob was told %+v", left)
	}
	h.until("bob gone from the People dialog", func() bool { return standing() == "" })

	// Back, and banned: he may not come again.
	bob.c.JoinRoom(room, "bob", "")
	h.until("bob back", func() bool { return standing() != "" })
	pick("Ban…")
	test.Tap(button(t, top(t, c.win), "Ban"))
	left = bob.wait("bob banned", func(e app.Event) bool { _, ok := e.(app.RoomLeft); return ok }).(app.RoomLeft)
	if left.Reason != app.LeftBanned {
		t.Errorf("bob was told %+v", left)
	}
	bob.c.JoinRoom(room, "bob", "")
	if f := bob.wait("bob refused", func(e app.Event) bool { _, ok := e.(app.RoomJoinFailed); return ok }).(app.RoomJoinFailed); f.Condition != app.RoomBanned {
		t.Errorf("bob's join again: %+v", f)
	}
}

// realCore starts a real app.Client for the UI, signing in with password:
// the views against the real core and a real server.
func realCore(password string) func(account.Account, Credentials) (Core, func()) {
	return func(a account.Account, _ Credentials) (Core, func()) {
		c := app.New(a, func(context.Context) (string, error) { return password, nil })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = c.Run(ctx) }()
		return c, func() { cancel(); <-done }
	}
}
