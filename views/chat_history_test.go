package views

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// archive returns n archived messages with peer, one a minute up to a
// minute before now, with ids 1..n; every third one is ours.
func archive(peer string, n int, now time.Time) []history.Message {
	ms := make([]history.Message, n)
	for i := range ms {
		m := history.Message{
			ID:    int64(i + 1),
			Peer:  peer,
			MsgID: fmt.Sprintf("m%d", i+1),
			Time:  now.Add(time.Duration(i-n) * time.Minute),
			Body:  fmt.Sprintf("message %d", i+1),
			State: history.Received,
		}
		if i%3 == 2 {
			m.Dir, m.State = history.Out, history.Delivered
		}
		ms[i] = m
	}
	return ms
}

// openRead opens the chat with peer and lets it read its first page: the
// window looks at the archive on a timer (runLater) and reads it on a
// goroutine whose result the UI goroutine applies (drain).
func openRead(h *harness, peer string) *chatWindow {
	h.t.Helper()
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	c.win.Resize(fyne.NewSize(480, 560))
	h.runLater()
	h.drain()
	return c
}

// bodies returns the bodies of c's messages.
func bodies(c *chatWindow) []string {
	out := make([]string, len(c.conv.msgs))
	for i, m := range c.conv.msgs {
		out[i] = m.body
	}
	return out
}

// assertOrdered fails unless c's messages are in time order and none is
// there twice.
func assertOrdered(t *testing.T, c *chatWindow) {
	t.Helper()
	seen := make(map[string]bool)
	for i, m := range c.conv.msgs {
		if seen[m.body] {
			t.Fatalf("message %q is shown twice", m.body)
		}
		seen[m.body] = true
		if i > 0 && m.at.Before(c.conv.msgs[i-1].at) {
			t.Fatalf("message %d %q is older than the one before it", i, m.body)
		}
	}
}

// idle fails if the window started reading the archive.
func idle(t *testing.T, h *harness, c *chatWindow) {
	t.Helper()
	h.runLater()
	if c.conv.loading || len(h.queue) != 0 {
		t.Fatal("the window read the archive without being scrolled to the top")
	}
}

func TestHistoryPagesInFromTheTop(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	h.core.history = archive(peer, 120, now)

	c := openRead(h, peer)
	got := bodies(c)
	if len(got) != historyPage || got[0] != "message 71" || got[len(got)-1] != "message 120" {
		t.Fatalf("opening shows %d messages, %q … %q; want the newest %d", len(got), got[0], got[len(got)-1], historyPage)
	}
	if !c.atBottom() {
		t.Fatal("the window does not show the newest message")
	}
	// message 72 is ours.
	if m := c.conv.msgs[1]; !m.outgoing || m.sender != outgoingSender || c.conv.msgs[0].sender != "Alice" {
		t.Fatalf("senders: %q, %q", c.conv.msgs[0].sender, m.sender)
	}
	idle(t, h, c)

	// The user scrolls to the top: the row of the oldest message is bound,
	// and the page before it is read.
	c.list.ScrollToTop()
	h.runLater()
	if !c.conv.loading {
		t.Fatal("reaching the top did not read older messages")
	}
	h.drain()
	got = bodies(c)
	if len(got) != 2*historyPage || got[0] != "message 21" {
		t.Fatalf("after one page more: %d messages from %q", len(got), got[0])
	}
	assertOrdered(t, c)
	// The view stays on the message that was at the top.
	if at, want := c.list.GetScrollOffset(), c.rowTop(historyPage); at != want {
		t.Fatalf("after the page came in the list is at %v, want %v (message 71)", at, want)
	}
	idle(t, h, c)

	c.list.ScrollToTop()
	h.runLater()
	h.drain()
	if got = bodies(c); len(got) != 120 || got[0] != "message 1" || !c.conv.done {
		t.Fatalf("after the last page: %d messages from %q, done %v", len(got), got[0], c.conv.done)
	}
	// Nothing older: the top no longer reads.
	c.list.ScrollToTop()
	idle(t, h, c)
}

func TestHistoryAndLiveMessagesMerge(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	h.core.history = archive(peer, 120, now)

	// The first message opens the window; it is in the archive already
	// when it arrives, so the page read next holds it too.
	first := messageEv(peer, "message 120", h.core.history[119].Time, false)
	first.ArchiveID = 120
	h.apply(first)
	c := h.ui.only().chats[peer]
	// Sent before the page is read, and archived by the time it is.
	c.entry.SetText("sent now")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.core.history = append(h.core.history, history.Message{ID: 121, Peer: peer, Dir: history.Out,
		MsgID: "id1", Time: now, Body: "sent now", State: history.Sent})
	h.runLater()
	h.drain()
	if n := len(c.conv.msgs); n != historyPage {
		t.Fatalf("%d messages after merging the archive, want %d: %q", n, historyPage, bodies(c))
	}
	assertOrdered(t, c)

	// A live message already read from the archive is not added again…
	again := messageEv(peer, "message 119", h.core.history[118].Time, false)
	again.ArchiveID = 119
	h.apply(again)
	// …a new one is.
	next := messageEv(peer, "message 122", now.Add(time.Second), false)
	next.ArchiveID = 122
	h.apply(next)
	if got := bodies(c); len(got) != historyPage+1 || got[len(got)-1] != "message 122" {
		t.Fatalf("after two live messages: %d, last %q", len(got), got[len(got)-1])
	}
	assertOrdered(t, c)
	// A failure report still finds the message sent before the read.
	ev := app.MessageFailed{ID: "id1", Peer: peer}
	ev.Acct = me
	h.apply(ev)
	if m := c.conv.byArchive[121]; m == nil || m.failed == "" {
		t.Fatal("the sent message lost track of its stanza id")
	}
}

func TestDelayedMessageGoesWhereItWasSent(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	h.core.history = archive(peer, 50, now)
	c := openRead(h, peer)

	// The user reads a message in the middle.
	c.list.ScrollTo(20)
	h.runLater()
	before := c.anchor()
	if before.bottom {
		t.Fatal("the list did not scroll up")
	}

	e := messageEv(peer, "late one", now.Add(-45*time.Minute-30*time.Second), true)
	e.Msg.DelayFrom, e.Msg.DelayReason = "example.org", "Offline Storage"
	e.ArchiveID = 51
	h.apply(e)
	got := bodies(c)
	i := indexOf(got, "late one")
	if i < 1 || got[i-1] != "message 5" || got[i+1] != "message 6" {
		t.Fatalf("the delayed message is at %d: %q", i, got[max(i-1, 0):min(i+2, len(got))])
	}
	m := c.conv.msgs[i]
	if !m.delayed || m.delayFrom != "example.org" || m.delayReason != "Offline Storage" {
		t.Fatalf("delay: %v %q %q", m.delayed, m.delayFrom, m.delayReason)
	}
	// Inserted above, it did not move what the user reads.
	if after := c.anchor(); after.m != before.m || after.delta != before.delta {
		t.Fatalf("the view moved from %q+%v to %q+%v", before.m.body, before.delta, after.m.body, after.delta)
	}
	c.list.ScrollTo(i)
	if !labelContaining(c.win.Content(), "Sent today 14:44, delivered late by example.org (Offline Storage)") {
		t.Fatal("the delayed message is not marked")
	}
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

func chatStateEv(jid string, st chatstate.State) app.ChatStateChanged {
	e := app.ChatStateChanged{JID: jid, State: st}
	e.Acct = me
	return e
}

func TestTypingIndicator(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	peer := "bob@example.org"
	h.apply(resetEv(contact(peer, "Bob")), presenceEv(peer, im.Available, ""))
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	c.win.Resize(fyne.NewSize(480, 560))
	listSize := c.list.Size()
	for i, tc := range []struct {
		ev   app.Event
		want string
	}{
		0: {chatStateEv(peer, chatstate.Composing), "Bob is typing…"},
		1: {chatStateEv(peer, chatstate.Paused), "Bob stopped typing"},
		2: {chatStateEv(peer, chatstate.Active), ""},
		3: {chatStateEv(peer, chatstate.Composing), "Bob is typing…"},
		4: {messageEv(peer, "hi", clock.now(), false), ""},
		5: {chatStateEv(peer, chatstate.Inactive), ""},
		6: {chatStateEv(peer, chatstate.Gone), "Bob closed the conversation"},
		7: {chatStateEv("carol@example.org", chatstate.Composing), "Bob closed the conversation"},
		8: {chatStateEv(peer, chatstate.Composing), "Bob is typing…"},
		9: {presenceEv(peer, im.Offline, ""), ""},
	} {
		h.apply(tc.ev)
		if c.typing.Text != tc.want {
			t.Errorf("%d: %q, want %q", i, c.typing.Text, tc.want)
		}
		if c.list.Size() != listSize {
			t.Fatalf("%d: the message list changed size from %v to %v", i, listSize, c.list.Size())
		}
	}
	// A window opened while the peer (a contact) types says so at once.
	h.apply(updatedEv(contact("carol@example.org", "")))
	h.apply(chatStateEv("carol@example.org", chatstate.Composing))
	h.ui.only().openChat("carol@example.org")
	if got := h.ui.only().chats["carol@example.org"].typing.Text; got != "carol@example.org is typing…" {
		t.Fatalf("new window: %q", got)
	}
}

func activity(peer string, as ...chatstate.Activity) []string {
	var out []string
	for _, a := range as {
		out = append(out, fmt.Sprintf("ChatActivity %s %d", peer, a))
	}
	return out
}

func TestChatActivityIsReported(t *testing.T) {
	h := signedIn(t)
	peer := "bob@example.org"
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	want := activity(peer, chatstate.Focused)
	assertActivity := func(step string) {
		t.Helper()
		if got := callsWith(h.core, "ChatActivity"); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n%q\nwant\n%q", step, got, want)
		}
	}
	assertActivity("opened")

	test.Type(c.entry, "hi")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	want = append(want, activity(peer, chatstate.Typed, chatstate.Typed, chatstate.Typed)...)
	assertActivity("typed")

	// Sending clears the entry: that is no typing.
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	want = append(want, activity(peer, chatstate.Sent)...)
	assertActivity("sent")
	if c.entry.Text != "" {
		t.Fatalf("entry holds %q", c.entry.Text)
	}

	// The window loses the focus, then gets it back.
	c.entry.FocusLost()
	h.runLater()
	c.entry.FocusGained()
	want = append(want, activity(peer, chatstate.Unfocused, chatstate.Focused)...)
	assertActivity("focus")

	c.win.Close()
	h.runLater()
	want = append(want, activity(peer, chatstate.Closed)...)
	assertActivity("closed")

	// Signing out closes the windows without telling each peer.
	h.ui.only().openChat(peer)
	before := len(callsWith(h.core, "ChatActivity"))
	h.ui.stopSessions()
	if got := callsWith(h.core, "ChatActivity"); len(got) != before {
		t.Fatalf("closing the session: %q", got[before:])
	}
}

func TestDaySeparatorsFollowTheDate(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.core.history = archive(peer, 3, now)
	c := openRead(h, peer)
	if !labelContaining(c.win.Content(), "Today") {
		t.Fatal("no day separator for today")
	}
	// The window stays open past midnight; the user comes back to it.
	clock.now = func() time.Time { return now.Add(24 * time.Hour) }
	c.entry.FocusLost()
	h.runLater()
	c.entry.FocusGained()
	if !labelContaining(c.win.Content(), "Yesterday") || labelContaining(c.win.Content(), "Today") {
		t.Fatal("the day separator still says today")
	}
}

func TestConversationHoldsBoundedMessages(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	const n = 2*maxHeld + 100
	all := archive(peer, n, now)
	h.core.history = all[:historyPage]
	c := openRead(h, peer) // what the archive had at first
	// The rest comes live, as in a flood, in batches; the archive keeps
	// them too (their ids are the archive's).
	h.core.history = all
	var batch []app.Event
	for _, m := range all[historyPage:] {
		e := messageEv(peer, m.Body, m.Time, false)
		e.ArchiveID = m.ID
		batch = append(batch, e)
		if len(batch) == 100 || m.ID == n {
			h.apply(batch...)
			batch = nil
		}
	}
	if held := len(c.conv.msgs); held > maxHeld || held < keepHeld {
		t.Fatalf("the conversation holds %d messages, want %d…%d", held, keepHeld, maxHeld)
	}
	if len(c.heights) > maxHeld {
		t.Errorf("the window keeps %d row heights for %d messages", len(c.heights), len(c.conv.msgs))
	}
	newest := c.conv.msgs[len(c.conv.msgs)-1]
	if newest.body != fmt.Sprintf("message %d", n) || !c.atBottom() {
		t.Fatalf("the newest held is %q, at the bottom %v", newest.body, c.atBottom())
	}
	// Reading back: the page before the oldest held comes from the
	// archive, without a gap or a duplicate.
	oldest := c.conv.msgs[0]
	c.list.ScrollToTop()
	h.runLater()
	h.drain()
	assertOrdered(t, c)
	if i := slicesIndex(c.conv.msgs, oldest); i != historyPage {
		t.Fatalf("after reading back the oldest held before is at %d, want %d", i, historyPage)
	}
	var prev int
	for i, m := range c.conv.msgs {
		var k int
		fmt.Sscanf(m.body, "message %d", &k)
		if i > 0 && k != prev+1 {
			t.Fatalf("a gap: message %d after %d", k, prev)
		}
		prev = k
	}
	// Reading back 20 pages more: what is far below the view goes, so
	// the conversation stays bounded, without a gap.
	for range 20 {
		c.list.ScrollToTop()
		h.runLater()
		h.drain()
	}
	assertBounded(t, c)
	assertContiguous(t, c)
	if !c.conv.newer || c.atBottom() {
		t.Fatalf("after reading back 20 pages: newer %v, at the bottom %v", c.conv.newer, c.atBottom())
	}
	// Closing the window lets what was read back go: reopened, it shows
	// the newest.
	c.win.Close()
	conv := h.ui.only().convs[peer]
	if held := len(conv.msgs); held > maxHeld || conv.newer {
		t.Errorf("after closing the window %d messages are held (newer %v)", held, conv.newer)
	}
	c = openRead(h, peer)
	if last := c.conv.msgs[len(c.conv.msgs)-1]; last.body != fmt.Sprintf("message %d", n) || !c.atBottom() {
		t.Fatalf("reopened, the window ends with %q (at the bottom %v)", last.body, c.atBottom())
	}
}

// assertBounded fails unless c's conversation holds at most about
// maxHeld messages, and the window as many heights.
func assertBounded(t *testing.T, c *chatWindow) {
	t.Helper()
	if held := len(c.conv.msgs); held > maxHeld+historyPage {
		t.Fatalf("the conversation holds %d messages, want at most %d", held, maxHeld+historyPage)
	}
	if len(c.heights) > len(c.conv.msgs) {
		t.Fatalf("the window keeps %d row heights for %d messages", len(c.heights), len(c.conv.msgs))
	}
}

// assertContiguous fails unless c holds "message k" bodies one after
// the other, without a gap; it returns the first and last k.
func assertContiguous(t *testing.T, c *chatWindow) (first, last int) {
	t.Helper()
	for i, m := range c.conv.msgs {
		var k int
		if _, err := fmt.Sscanf(m.body, "message %d", &k); err != nil {
			t.Fatalf("row %d is %q", i, m.body)
		}
		if i > 0 && k != last+1 {
			t.Fatalf("a gap: message %d after %d", k, last)
		}
		if i == 0 {
			first = k
		}
		last = k
	}
	return first, last
}

// catchUp runs what the next frames would do and applies the reads of
// the archive they start, until c reads no more.
func (h *harness) catchUp(c *chatWindow) {
	h.t.Helper()
	for range 100 {
		h.runLater()
		switch {
		case c.conv.loading || len(h.queue) > 0:
			h.drain()
		case len(h.later) == 0:
			return
		}
	}
	h.t.Fatal("the window keeps reading the archive")
}

// longChat opens the chat with Alice, whose archive holds n messages,
// and lets it read its first page.
func longChat(t *testing.T, n int) (*harness, *chatWindow, time.Time) {
	t.Helper()
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	h.core.history = archive(peer, n, now)
	return h, openRead(h, peer), now
}

// TestReadingBackAndDownAgain: the user scrolls back through a long
// conversation and down again. The window holds a bounded part of it,
// reads older pages going up and newer ones coming down, keeps the
// user's place, and ends at the newest, where live messages show again;
// one arriving while the newest are not held is not lost.
func TestReadingBackAndDownAgain(t *testing.T) {
	const n = 3000
	h, c, now := longChat(t, n)
	peer := c.conv.peer

	// Up, a view's height at a time, as far as the archive goes.
	view := c.list.Size().Height
	for step := 0; !c.conv.done || c.list.GetScrollOffset() > 0; step++ {
		if step > 2*n {
			t.Fatalf("no top after %d steps: %d held, done %v", step, len(c.conv.msgs), c.conv.done)
		}
		c.list.ScrollToOffset(c.list.GetScrollOffset() - view)
		h.catchUp(c)
		assertBounded(t, c)
	}
	if first, _ := assertContiguous(t, c); first != 1 || !c.conv.newer {
		t.Fatalf("at the top: the first held is message %d, newer %v", first, c.conv.newer)
	}

	// A message arrives live meanwhile: the archive has it, the window
	// does not hold it yet.
	late := history.Message{ID: n + 1, Peer: peer, MsgID: "late", Time: now, Body: fmt.Sprintf("message %d", n+1), State: history.Received}
	h.core.mu.Lock()
	h.core.history = append(h.core.history, late)
	h.core.mu.Unlock()
	e := messageEv(peer, late.Body, late.Time, false)
	e.ArchiveID = late.ID
	h.apply(e)
	assertContiguous(t, c)
	// live archives message k and delivers it.
	live := func(k int) {
		m := history.Message{ID: int64(k), Peer: peer, Time: now.Add(time.Duration(k-n) * time.Second), Body: fmt.Sprintf("message %d", k), State: history.Received}
		h.core.mu.Lock()
		h.core.history = append(h.core.history, m)
		h.core.mu.Unlock()
		e := messageEv(peer, m.Body, m.Time, false)
		e.ArchiveID = m.ID
		h.apply(e)
	}
	injected := false

	// Down again, to the end.
	for step := 0; c.conv.newer || !c.atBottom(); step++ {
		if step > 2*n {
			t.Fatalf("no bottom after %d steps: %d held, newer %v", step, len(c.conv.msgs), c.conv.newer)
		}
		before := c.list.GetScrollOffset()
		top := c.conv.msgs[c.list.RowAt(before)]
		c.list.ScrollToOffset(before + view)
		h.runLater()
		if c.conv.readingNewer && !injected {
			// Another arrives while newer ones are being read: it is
			// in the page read, or waits for the read to end.
			injected = true
			live(n + 2)
		}
		h.catchUp(c)
		assertBounded(t, c)
		// The place holds while pages come and go: the row that was at
		// the top is still above the view, or in it.
		if i := slicesIndex(c.conv.msgs, top); i >= 0 && c.list.Top(i) > c.list.GetScrollOffset() {
			t.Fatalf("step %d: the row that was at the top is below the view", step)
		}
	}
	if !injected {
		t.Fatal("no read of newer messages was seen under way")
	}
	if _, last := assertContiguous(t, c); last != n+2 {
		t.Fatalf("at the bottom the newest held is message %d, want %d", last, n+2)
	}
	// Now live messages show again.
	live(n + 3)
	if _, last := assertContiguous(t, c); last != n+3 || !c.atBottom() {
		t.Fatalf("a live message at the bottom: the newest held is %d, at the bottom %v", last, c.atBottom())
	}
}

// TestWritingWhileReadingBack: sending from a window read far back
// brings the newest messages back first, then the new one after them.
func TestWritingWhileReadingBack(t *testing.T) {
	const n = 3000
	h, c, _ := longChat(t, n)
	for range 25 {
		c.list.ScrollToTop()
		h.catchUp(c)
	}
	if !c.conv.newer {
		t.Fatalf("25 pages back, the newest are still held (%d messages)", len(c.conv.msgs))
	}
	if m, _ := c.lastOwn(); m != nil {
		t.Fatalf("Up would edit %q, which is not our last message", m.body)
	}
	c.sendText("hello again")
	h.catchUp(c)
	got := bodies(c)
	if len(got) != historyPage+1 || got[len(got)-1] != "hello again" || got[len(got)-2] != fmt.Sprintf("message %d", n) || !c.atBottom() {
		t.Fatalf("after sending: %d messages, ending %q; at the bottom %v", len(got), got[max(0, len(got)-2):], c.atBottom())
	}
}

func slicesIndex(ms []*chatMsg, m *chatMsg) int {
	for i, x := range ms {
		if x == m {
			return i
		}
	}
	return -1
}
