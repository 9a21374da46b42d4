package model

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
	ev "github.com/palaver-im/palaver/views/model/modeltest"
)

// fakeView is the windows as Apply sees them.
type fakeView struct {
	open, active, convs map[string]bool
	opensChats          bool
	signingIn           bool
}

func newView() *fakeView {
	return &fakeView{open: map[string]bool{}, active: map[string]bool{}, convs: map[string]bool{}, opensChats: true}
}

func (v *fakeView) ChatOpen(p string) bool        { return v.open[p] }
func (v *fakeView) ChatActive(p string) bool      { return v.active[p] }
func (v *fakeView) HasConversation(p string) bool { return v.convs[p] }
func (v *fakeView) OpensChats() bool              { return v.opensChats }
func (v *fakeView) SigningIn() bool               { return v.signingIn }

// online returns the account me, online, with Ann and Bob as contacts.
func online() *Account {
	a := NewAccount(me)
	a.Apply([]app.Event{ev.State(me, app.Online), ev.Reset(me, ev.Contact("ann@x", "Ann"), ev.Contact("bob@x", "Bob"))}, newView())
	return a
}

func msg(from, body string) app.MessageReceived { return ev.Message(me, from, body, time.Now(), false) }

func archived(from, body string) app.MessageReceived {
	e := msg(from, body)
	e.FromArchive = true
	return e
}

func sent(to, body string) app.MessageReceived {
	e := msg(to, body)
	e.Outgoing = true
	return e
}

func peers(ms []app.MessageReceived) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Peer)
	}
	return out
}

func TestApplyMessages(t *testing.T) {
	cases := []struct {
		name  string
		view  func(*fakeView)
		batch []app.Event
		// What Apply asks for, and Ann's unread count after.
		messages   []string
		open       []string
		notify     []Notification
		annUnread  int
		catchUp    bool
		msgRequest bool
	}{
		0: {name: "a contact's message opens its chat and notifies",
			batch:    []app.Event{msg("ann@x", "hi")},
			messages: []string{"ann@x"}, open: []string{"ann@x"},
			notify: []Notification{{Peer: "ann@x", Count: 1, Last: "hi"}}, annUnread: 1},
		1: {name: "two messages: one window, one notification with the newest",
			batch:    []app.Event{msg("ann@x", "one"), msg("bob@x", "b"), msg("ann@x", "two")},
			messages: []string{"ann@x", "bob@x", "ann@x"}, open: []string{"ann@x", "bob@x"},
			notify: []Notification{{Peer: "ann@x", Count: 2, Last: "two"}, {Peer: "bob@x", Count: 1, Last: "b"}}, annUnread: 2},
		2: {name: "nothing opens by itself when the setting is off",
			view:     func(v *fakeView) { v.opensChats = false },
			batch:    []app.Event{msg("ann@x", "hi")},
			messages: []string{"ann@x"}, notify: []Notification{{Peer: "ann@x", Count: 1, Last: "hi"}}, annUnread: 1},
		3: {name: "the chat the user looks at counts nothing unread",
			view:     func(v *fakeView) { v.open["ann@x"], v.active["ann@x"] = true, true },
			batch:    []app.Event{msg("ann@x", "hi")},
			messages: []string{"ann@x"}},
		4: {name: "the archive's messages open nothing and wait for the catch-up",
			batch:    []app.Event{archived("ann@x", "old")},
			messages: []string{"ann@x"}, annUnread: 1, catchUp: true},
		5: {name: "writing from elsewhere reads what came before, unnotified",
			batch:    []app.Event{msg("ann@x", "hi"), sent("ann@x", "hello")},
			messages: []string{"ann@x", "ann@x"}, open: []string{"ann@x"}},
		6: {name: "a stranger's message waits in message requests",
			batch:      []app.Event{msg("eve@x", "buy")},
			msgRequest: true},
		7: {name: "a stranger written to in this batch is no stranger",
			batch:    []app.Event{sent("eve@x", "who?"), msg("eve@x", "me")},
			messages: []string{"eve@x", "eve@x"}, open: []string{"eve@x"}, notify: []Notification{{Peer: "eve@x", Count: 1, Last: "me"}}},
		8: {name: "a stranger with a conversation this run is no stranger",
			view:     func(v *fakeView) { v.convs["eve@x"] = true },
			batch:    []app.Event{msg("eve@x", "again")},
			messages: []string{"eve@x"}, open: []string{"eve@x"}, notify: []Notification{{Peer: "eve@x", Count: 1, Last: "again"}}},
		9: {name: "another account's message is not this one's",
			batch: []app.Event{ev.Message("other@x", "ann@x", "hi", time.Now(), false)}},
	}
	for i, c := range cases {
		a := online()
		v := newView()
		if c.view != nil {
			c.view(v)
		}
		ch := a.Apply(c.batch, v)
		if got := peers(ch.Messages); !reflect.DeepEqual(got, c.messages) {
			t.Errorf("%d %s: messages %q, want %q", i, c.name, got, c.messages)
		}
		if !reflect.DeepEqual(ch.Open, c.open) {
			t.Errorf("%d %s: open %q, want %q", i, c.name, ch.Open, c.open)
		}
		if (len(ch.Notify) > 0 || len(c.notify) > 0) && !reflect.DeepEqual(ch.Notify, c.notify) {
			t.Errorf("%d %s: notify %v, want %v", i, c.name, ch.Notify, c.notify)
		}
		if n := a.Roster.Unread("ann@x"); n != c.annUnread {
			t.Errorf("%d %s: Ann's unread %d, want %d", i, c.name, n, c.annUnread)
		}
		if ch.CatchUp != c.catchUp || (len(a.CaughtUp.Peers) > 0) != c.catchUp {
			t.Errorf("%d %s: catch-up %v %q", i, c.name, ch.CatchUp, a.CaughtUp.Peers)
		}
		if ch.MsgRequests != c.msgRequest || (len(a.MsgRequests.List) > 0) != c.msgRequest {
			t.Errorf("%d %s: message requests %v %d", i, c.name, ch.MsgRequests, len(a.MsgRequests.List))
		}
	}
}

func TestApplyCatchUpForgetsWhatWasAnswered(t *testing.T) {
	a := online()
	a.Apply([]app.Event{archived("ann@x", "old"), archived("bob@x", "old")}, newView())
	a.Apply([]app.Event{sent("ann@x", "answered elsewhere")}, newView())
	if !reflect.DeepEqual(a.CaughtUp.Peers, []string{"bob@x"}) || a.Roster.Unread("ann@x") != 0 {
		t.Fatalf("catch-up %q, Ann's unread %d", a.CaughtUp.Peers, a.Roster.Unread("ann@x"))
	}
}

func TestApplyTyping(t *testing.T) {
	a := online()
	v := newView()
	ch := a.Apply([]app.Event{ev.ChatState(me, "ann@x", chatstate.Composing)}, v)
	if !reflect.DeepEqual(ch.Typing, []string{"ann@x"}) || a.PeerStates["ann@x"] != chatstate.Composing {
		t.Fatalf("typing %q, state %q", ch.Typing, a.PeerStates["ann@x"])
	}
	// The message ends the typing it announced.
	ch = a.Apply([]app.Event{msg("ann@x", "done")}, v)
	if a.PeerStates["ann@x"] != "" || ch.Typing != nil || !ch.Headers {
		t.Fatalf("after the message: state %q, typing %q (headers %v: they show it)", a.PeerStates["ann@x"], ch.Typing, ch.Headers)
	}
	// Gone offline while typing: the typing will not end by itself.
	a.Apply([]app.Event{ev.Presence(me, "bob@x", im.Available, ""), ev.ChatState(me, "bob@x", chatstate.Paused)}, v)
	a.Apply([]app.Event{ev.Presence(me, "bob@x", im.Offline, "")}, v)
	if _, ok := a.PeerStates["bob@x"]; ok {
		t.Error("Bob went offline and still types")
	}
	// A stranger's typing is kept nowhere.
	if ch := a.Apply([]app.Event{ev.ChatState(me, "eve@x", chatstate.Composing)}, v); ch.Typing != nil || a.PeerStates["eve@x"] != "" {
		t.Error("a stranger's typing was kept")
	}
	// Losing the connection forgets every state.
	a.Apply([]app.Event{ev.ChatState(me, "ann@x", chatstate.Composing), ev.State(me, app.Waiting)}, v)
	if len(a.PeerStates) != 0 {
		t.Errorf("states kept across a lost connection: %v", a.PeerStates)
	}
}

func TestApplySignInRequired(t *testing.T) {
	req := app.SignInRequired{}
	req.Acct = me
	cases := []struct {
		from      SignIn
		signingIn bool
		ask       bool
	}{
		0: {SignedIn, false, true},       // the grant went: ask
		1: {SignInAwaited, false, false}, // the user knows already
		2: {SignedIn, true, false},       // the browser is open already
		3: {SignInNeeded, false, true},
	}
	for i, c := range cases {
		a := online()
		a.SignIn = c.from
		v := newView()
		v.signingIn = c.signingIn
		ch := a.Apply([]app.Event{req}, v)
		if (ch.SignInRequired != nil) != c.ask || a.SignIn != SignInNeeded || !ch.State || !a.NeedsSignIn() {
			t.Errorf("%d: asks %v (want %v), now %v", i, ch.SignInRequired != nil, c.ask, a.SignIn)
		}
	}
}

func TestApplyRequests(t *testing.T) {
	a := online()
	sub := func(from, nick string) app.SubscriptionRequest {
		e := app.SubscriptionRequest{From: from, Nick: nick}
		e.Acct = me
		return e
	}
	ch := a.Apply([]app.Event{sub("carl@x", "C"), sub("Carl@x", "Carl"), sub("dora@x", "")}, newView())
	if !ch.Requests || len(a.Requests) != 2 || a.Requests[0].Nick != "Carl" {
		t.Fatalf("requests %+v", a.Requests)
	}
	a.Answered("dora@x")
	if len(a.Requests) != 1 {
		t.Fatalf("after answering Dora: %+v", a.Requests)
	}
	a.MsgRequests.Ignore("spam@x")
	if ch := a.Apply([]app.Event{sub("spam@x", "")}, newView()); ch.Requests {
		t.Error("an ignored address's request was listed")
	}
	batch := make([]app.Event, MaxSubscriptionRequests+5)
	for i := range batch {
		batch[i] = sub(fmt.Sprintf("s%d@spam", i), "")
	}
	a.Apply(batch, newView())
	if len(a.Requests) != MaxSubscriptionRequests || a.Requests[0].From != "s5@spam" {
		t.Errorf("%d requests kept, oldest %s", len(a.Requests), a.Requests[0].From)
	}
}

func TestApplyFactsForTheWindows(t *testing.T) {
	a := online()
	blocked := app.Blocked{JID: "eve@x"}
	blocked.Acct = me
	onServer := app.Blocked{JID: "mal@x", OnServer: true}
	onServer.Acct = me
	cert := app.CertUntrusted{}
	cert.Acct = me
	auth := app.AuthFailed{Condition: "not-authorized"}
	auth.Acct = me
	ch := a.Apply([]app.Event{blocked, onServer, cert, auth, ev.State(me, app.Online)}, newView())
	if !reflect.DeepEqual(ch.BlockedHere, []string{"eve@x"}) || ch.CertUntrusted == nil || ch.AuthFailed == nil || !ch.Online {
		t.Errorf("changes %+v", ch)
	}
}

func TestNotificationsOfOneContactAreSpaced(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	a := online()
	a.Now = func() time.Time { return now }
	v := newView()
	v.opensChats = false
	ch := a.Apply([]app.Event{msg("ann@x", "one")}, v)
	if len(ch.Notify) != 1 || ch.NotifyHeld {
		t.Fatalf("first message: notify %v, held %v", ch.Notify, ch.NotifyHeld)
	}
	// More from Ann within NotifyQuiet are held back; Bob's first is not.
	now = now.Add(time.Second)
	ch = a.Apply([]app.Event{msg("ann@x", "two"), msg("bob@x", "hi")}, v)
	if len(ch.Notify) != 1 || ch.Notify[0].Peer != "bob@x" || !ch.NotifyHeld {
		t.Fatalf("a second later: notify %v, held %v", ch.Notify, ch.NotifyHeld)
	}
	now = now.Add(time.Second)
	a.Apply([]app.Event{msg("ann@x", "three")}, v)
	if next := a.NextNotification(); !next.Equal(now.Add(-2*time.Second + NotifyQuiet)) {
		t.Fatalf("next due %v", next)
	}
	if due, _ := a.DueNotifications(now); len(due) != 0 {
		t.Fatalf("due too early: %v", due)
	}
	now = now.Add(NotifyQuiet)
	due, next := a.DueNotifications(now)
	if len(due) != 1 || due[0] != (Notification{Peer: "ann@x", Count: 2, Last: "three"}) || !next.IsZero() {
		t.Fatalf("when due: %v, next %v", due, next)
	}
	// What is held for a conversation the user has seen goes.
	now = now.Add(time.Second)
	a.Apply([]app.Event{msg("ann@x", "four")}, v)
	a.Seen("ann@x")
	if !a.NextNotification().IsZero() {
		t.Fatal("a seen conversation's notification is still held")
	}
}

func TestApplyBlocksAndBookmarks(t *testing.T) {
	a := online()
	ev := func(e app.Event) []app.Event { return []app.Event{e} }
	list := app.BlockList{JIDs: []string{"eve@x", "mal@x"}, OnServer: true}
	list.Acct = me
	un := app.Unblocked{JID: "eve@x", OnServer: true}
	un.Acct = me
	if ch := a.Apply(ev(list), newView()); !ch.Blocks || len(a.Blocked) != 2 {
		t.Fatalf("block list: %v", a.Blocked)
	}
	a.Apply(ev(un), newView())
	if a.Blocked["eve@x"] || !a.Blocked["mal@x"] {
		t.Fatalf("after unblocking eve: %v", a.Blocked)
	}
	marks := app.Bookmarks{Rooms: []app.Bookmark{{Room: "a@c.x"}, {Room: "b@c.x"}}}
	marks.Acct = me
	changed := app.BookmarkChanged{Bookmark: app.Bookmark{Room: "a@c.x", Name: "A"}}
	changed.Acct = me
	removed := app.BookmarkRemoved{Room: "b@c.x"}
	removed.Acct = me
	ch := a.Apply([]app.Event{marks, changed, removed}, newView())
	if !ch.Rooms || len(a.Bookmarks) != 1 || a.Bookmarks["a@c.x"].Name != "A" {
		t.Fatalf("bookmarks %v", a.Bookmarks)
	}
}
