package views

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"mellium.im/xmpp/stanza"
)

func msgStateEv(peer, id string, st history.State) app.MessageStateChanged {
	e := app.MessageStateChanged{ID: id, Peer: peer, State: st}
	e.Acct = me
	return e
}

func msgFailedEv(peer, id string, err error) app.MessageFailed {
	e := app.MessageFailed{ID: id, Peer: peer, Err: err}
	e.Acct = me
	return e
}

// carbonEv is a message the user sent to peer from another device.
func carbonEv(peer, id, body string, at time.Time, archiveID int64) app.MessageReceived {
	e := app.MessageReceived{Msg: im.Message{Message: stanza.Message{ID: id}, Body: body}, Peer: peer, Time: at,
		ArchiveID: archiveID, Outgoing: true}
	e.Acct = me
	return e
}

// archiveEv is a message from peer fetched from the server's archive.
func archiveEv(peer, body string, at time.Time, archiveID int64) app.MessageReceived {
	e := messageEv(peer, body, at, false)
	e.ArchiveID, e.FromArchive = archiveID, true
	return e
}

// notifyApp counts the notifications sent.
type notifyApp struct {
	fyne.App
	sent []*fyne.Notification
}

func (a *notifyApp) SendNotification(n *fyne.Notification) { a.sent = append(a.sent, n) }

func countNotifications(h *harness) *notifyApp {
	a := &notifyApp{App: h.ui.app}
	h.ui.app = a
	return a
}

// sendTwo opens a chat with peer and sends two messages (ids id1, id2).
func sendTwo(t *testing.T, h *harness, peer string) *chatWindow {
	t.Helper()
	c := openRead(h, peer)
	for _, text := range []string{"first", "second"} {
		c.entry.SetText(text)
		c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}
	return c
}

// rowOf returns the bound row that shows m.
func rowOf(t *testing.T, c *chatWindow, m *chatMsg) *messageRow {
	t.Helper()
	r, ok := find(c.list, func(r *messageRow) bool { return r.msg == m && r.Visible() })
	if !ok {
		t.Fatalf("no row shows %q", m.body)
	}
	return r
}

func headerText(r *messageRow) string {
	var b strings.Builder
	for _, s := range r.header.Segments {
		b.WriteString(s.(*widget.TextSegment).Text)
	}
	return b.String()
}

func TestMessageStateMovesTheRow(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := sendTwo(t, h, peer)
	m := c.conv.byID["id1"]
	for i, tc := range []struct {
		ev     app.Event
		state  history.State
		header string
	}{
		0: {nil, history.Pending, "15:30 Sending…  Me"},
		1: {msgStateEv(peer, "id1", history.Sent), history.Sent, "15:30 ✓  Me"},
		2: {msgStateEv(peer, "id1", history.Delivered), history.Delivered, "15:30 ✓✓  Me"},
		// A late acknowledgement does not undo the receipt.
		3: {msgStateEv(peer, "id1", history.Sent), history.Delivered, "15:30 ✓✓  Me"},
		4: {msgStateEv("bob@example.org", "id1", history.Sent), history.Delivered, "15:30 ✓✓  Me"},
	} {
		if tc.ev != nil {
			h.apply(tc.ev)
		}
		if m.state != tc.state {
			t.Errorf("%d: state %v, want %v", i, m.state, tc.state)
		}
		if got := headerText(rowOf(t, c, m)); got != tc.header {
			t.Errorf("%d: header %q, want %q", i, got, tc.header)
		}
	}
	if other := c.conv.byID["id2"]; other.state != history.Pending {
		t.Errorf("the other message moved to %v", other.state)
	}
}

func TestMessageSentOfflineIsPending(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(stateEv(app.Waiting))
	c := sendTwo(t, h, peer)
	m := c.conv.byID["id1"]
	r := rowOf(t, c, m)
	if m.state != history.Pending || r.failure.Visible() || r.retry.Visible() {
		t.Fatalf("sent offline: state %v, failure shown %v", m.state, r.failure.Visible())
	}
	if !strings.Contains(headerText(r), "Sending…") {
		t.Fatalf("header %q does not say it is being sent", headerText(r))
	}
}

func TestRetrySendsAgainAndShowsPending(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	c := sendTwo(t, h, peer)
	m := c.conv.byID["id2"]
	h.apply(msgFailedEv(peer, "id2", errors.New("recipient-unavailable")))
	r := rowOf(t, c, m)
	if !r.failure.Visible() || !strings.Contains(r.failure.Text, "recipient-unavailable") || !r.retry.Visible() {
		t.Fatalf("failed: failure %v %q, retry %v", r.failure.Visible(), r.failure.Text, r.retry.Visible())
	}
	if r.failure.Importance != widget.DangerImportance {
		t.Error("the reason is not in the error colour")
	}
	if r1 := rowOf(t, c, c.conv.byID["id1"]); r1.retry.Visible() {
		t.Error("a pending message offers Retry")
	}
	test.Tap(r.retry)
	if got := callsWith(h.core, "RetryMessage"); !slices.Equal(got, []string{"RetryMessage " + peer + " id2"}) {
		t.Fatalf("retry calls %q", got)
	}
	r = rowOf(t, c, m)
	if m.state != history.Pending || r.failure.Visible() || r.retry.Visible() || !strings.Contains(headerText(r), "Sending…") {
		t.Fatalf("after Retry: state %v, failure %v, retry %v, header %q", m.state, r.failure.Visible(), r.retry.Visible(), headerText(r))
	}
	// The core confirms and sends it.
	h.apply(msgStateEv(peer, "id2", history.Pending), msgStateEv(peer, "id2", history.Sent))
	if m.state != history.Sent || !strings.Contains(headerText(rowOf(t, c, m)), "✓") {
		t.Fatalf("after the retry was sent: state %v", m.state)
	}
}

func TestStatesOfArchivedMessages(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "bob@example.org"
	h.core.history = []history.Message{
		{ID: 1, Peer: peer, Dir: history.Out, MsgID: "p", Time: now.Add(-4 * time.Minute), Body: "pending", State: history.Pending},
		{ID: 2, Peer: peer, Dir: history.Out, MsgID: "s", Time: now.Add(-3 * time.Minute), Body: "sent", State: history.Sent},
		{ID: 3, Peer: peer, Dir: history.Out, MsgID: "f", Time: now.Add(-2 * time.Minute), Body: "failed", State: history.Failed},
		{ID: 4, Peer: peer, Time: now.Add(-time.Minute), Body: "theirs"},
	}
	c := openRead(h, peer)
	want := map[string]history.State{"p": history.Pending, "s": history.Sent, "f": history.Failed}
	for id, st := range want {
		if m := c.conv.byID[id]; m == nil || m.state != st {
			t.Fatalf("archived %s: %+v, want state %v", id, m, st)
		}
	}
	if r := rowOf(t, c, c.conv.byID["f"]); !r.retry.Visible() {
		t.Error("an archived failed message offers no Retry")
	}
	// Events move archived messages like live ones.
	h.apply(msgStateEv(peer, "p", history.Sent), msgStateEv(peer, "s", history.Delivered))
	if c.conv.byID["p"].state != history.Sent || c.conv.byID["s"].state != history.Delivered {
		t.Fatal("state events did not move archived messages")
	}
	test.Tap(rowOf(t, c, c.conv.byID["f"]).retry)
	if got := callsWith(h.core, "RetryMessage"); !slices.Equal(got, []string{"RetryMessage " + peer + " f"}) {
		t.Fatalf("retry calls %q", got)
	}
}

// TestStateDuringHistoryRead: a state event that comes while the page
// that holds its message is being read is not lost.
func TestStateDuringHistoryRead(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "bob@example.org"
	h.core.history = []history.Message{
		{ID: 1, Peer: peer, Dir: history.Out, MsgID: "x", Time: now.Add(-time.Minute), Body: "hello", State: history.Pending},
	}
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	c.win.Resize(fyne.NewSize(480, 560))
	h.runLater() // the read starts; its result waits in the queue
	if !c.conv.loading {
		t.Fatal("no read under way")
	}
	h.apply(msgStateEv(peer, "x", history.Delivered))
	h.drain()
	if m := c.conv.byID["x"]; m == nil || m.state != history.Delivered {
		t.Fatalf("after the read: %+v, want Delivered", m)
	}
	if c.conv.late != nil {
		t.Error("late states kept after the read")
	}
}

func TestCarbonShowsAsOwnMessage(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	na := countNotifications(h)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	// Alice wrote while the user was away from this computer.
	h.apply(messageEv(peer, "Are you there?", now.Add(-time.Minute), false))
	if h.ui.only().Roster.Unread(peer) != 1 || len(na.sent) != 1 {
		t.Fatalf("setup: unread %d, notifications %d", h.ui.only().Roster.Unread(peer), len(na.sent))
	}
	h.ui.only().chats[peer].win.Close()
	// The user answers on the phone.
	h.apply(carbonEv(peer, "phone1", "Yes, on my phone", now, 7))
	if c := h.ui.only().chats[peer]; c != nil {
		t.Fatal("a message sent elsewhere opened a chat window")
	}
	if len(na.sent) != 1 {
		t.Fatalf("a message sent elsewhere notified: %+v", na.sent[1:])
	}
	if got := h.ui.only().Roster.Unread(peer); got != 0 {
		t.Fatalf("unread %d after the user answered elsewhere, want 0", got)
	}
	conv := h.ui.only().convs[peer]
	m := conv.byArchive[7]
	if m == nil || !m.outgoing || m.sender != outgoingSender || m.state != history.Sent {
		t.Fatalf("the carbon is held as %+v", m)
	}
	// The same message again (from the server's archive) and in the
	// local history read when the window opens: still one.
	again := carbonEv(peer, "phone1", "Yes, on my phone", now, 7)
	again.FromArchive = true
	h.apply(messageEv(peer, "Still there?", now, false), again)
	if got := h.ui.only().Roster.Unread(peer); got != 1 {
		t.Fatalf("unread %d: one of the user's from the archive cleared a newer message", got)
	}
	h.ui.only().chats[peer].win.Close()
	na.sent = nil
	h.core.history = []history.Message{
		{ID: 7, Peer: peer, Dir: history.Out, MsgID: "phone1", Time: now, Body: "Yes, on my phone", State: history.Sent},
	}
	c := openRead(h, peer)
	n := 0
	for _, x := range c.conv.msgs {
		if x.body == "Yes, on my phone" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the carbon is shown %d times", n)
	}
	if r := rowOf(t, c, m); headerText(r) != "15:30 ✓  Me" {
		t.Fatalf("carbon header %q", headerText(r))
	}
	// With the window open, a carbon shows at once.
	h.apply(carbonEv(peer, "phone2", "Leaving now", now, 8))
	if c.conv.byArchive[8] == nil || h.ui.only().Roster.Unread(peer) != 0 || len(na.sent) != 0 {
		t.Fatal("a carbon to an open window is not held, or counted")
	}
	rowOf(t, c, c.conv.byArchive[8])
}

func TestArchiveMessagesNotifyOnce(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	na := countNotifications(h)
	alice, bob, carol := "alice@example.org", "bob@example.org", "carol@example.org"
	h.apply(resetEv(contact(alice, "Alice"), contact(bob, "Bob"), contact(carol, "Carol")))
	// The catch-up comes in two batches.
	h.apply(archiveEv(alice, "a1", now.Add(-3*time.Hour), 1), archiveEv(alice, "a2", now.Add(-2*time.Hour), 2),
		archiveEv(bob, "b1", now.Add(-time.Hour), 3))
	h.apply(archiveEv(carol, "c1", now.Add(-time.Minute), 4))
	if len(na.sent) != 0 {
		t.Fatalf("archive messages notified one by one: %+v", na.sent)
	}
	if len(h.ui.only().chats) != 0 {
		t.Fatal("archive messages opened chat windows")
	}
	for peer, n := range map[string]int{alice: 2, bob: 1, carol: 1} {
		if got := h.ui.only().Roster.Unread(peer); got != n {
			t.Errorf("unread from %s: %d, want %d", peer, got, n)
		}
	}
	// The user reads Carol's before the catch-up is over.
	openRead(h, carol)
	// While messages still come, the summary waits.
	h.runLater()
	if len(na.sent) != 0 {
		t.Fatal("the summary came before the catch-up was quiet")
	}
	clock.now = func() time.Time { return now.Add(catchUpQuiet) }
	h.runLater()
	if len(na.sent) != 1 {
		t.Fatalf("%d notifications after the catch-up, want 1", len(na.sent))
	}
	if got := na.sent[0]; got.Title != "Palaver" || got.Content != "3 new messages from Alice and Bob" {
		t.Fatalf("summary %q: %q", got.Title, got.Content)
	}
	h.runLater()
	if len(na.sent) != 1 || len(h.later) != 0 {
		t.Fatal("the summary repeats")
	}
}

func TestCatchUpNotification(t *testing.T) {
	for i, tc := range []struct {
		names        []string
		total        int
		last         string
		title, words string
	}{
		0: {nil, 0, "", "", ""},
		1: {[]string{"Alice"}, 1, "hi", "Alice", "hi"},
		2: {[]string{"Alice"}, 4, "hi", "Alice", "4 new messages"},
		3: {[]string{"Alice", "Bob"}, 3, "", "Palaver", "3 new messages from Alice and Bob"},
		4: {[]string{"Alice", "Bob", "Carol"}, 3, "", "Palaver", "3 new messages from Alice, Bob and Carol"},
		5: {[]string{"Alice", "Bob", "Carol", "Dave"}, 9, "", "Palaver", "9 new messages from Alice, Bob and 2 others"},
	} {
		n := catchUpNotification(tc.names, tc.total, tc.last)
		if n == nil {
			if tc.title != "" {
				t.Errorf("%d: no notification", i)
			}
			continue
		}
		if n.Title != tc.title || n.Content != tc.words {
			t.Errorf("%d: %q %q, want %q %q", i, n.Title, n.Content, tc.title, tc.words)
		}
	}
}

func TestChatHeaderAvatarAndProfile(t *testing.T) {
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	a, ok := find(c.win.Content(), func(a *avatar) bool { return a.jid == peer })
	if !ok {
		t.Fatal("the chat header has no picture of the peer")
	}
	if a.side != 32 {
		t.Errorf("picture side %v, want 32", a.side)
	}
	test.Tap(button(t, c.win.Content(), "Profile"))
	if h.ui.only().profiles().cards[peer] == nil {
		t.Fatal("Profile opened no card")
	}
	if got := callsWith(h.core, "FetchProfile"); !slices.Equal(got, []string{"FetchProfile " + peer + " false"}) {
		t.Fatalf("fetch calls %q", got)
	}
}

func TestClosingSessionClosesProfiles(t *testing.T) {
	h, _ := profileHarness(t)
	s := h.ui.only()
	c := cardWith(t, h)
	s.showProfile(me)
	own := s.profiles().own
	open := func(w fyne.Window) bool { return slices.Contains(fyne.CurrentApp().Driver().AllWindows(), w) }
	if !open(c.win) || !open(own.win) {
		t.Fatal("the profile windows are not open")
	}
	h.ui.stopSessions() // no sweep: closing the session is enough
	if open(c.win) || open(own.win) {
		t.Error("the profile windows of a closed session stay open")
	}
	if s.prof != nil {
		t.Error("the closed session's profile state is kept")
	}
}
