package views

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/views/model"
)

func assertCalls(t *testing.T, c *fakeCore, want ...string) {
	t.Helper()
	if got := c.Calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("core calls:\n%q\nwant\n%q", got, want)
	}
}

// callsWith returns the core calls that start with prefix.
func callsWith(c *fakeCore, prefix string) []string {
	var out []string
	for _, call := range c.Calls() {
		if strings.HasPrefix(call, prefix) {
			out = append(out, call)
		}
	}
	return out
}

func TestBatchRebuildsTheListOnce(t *testing.T) {
	h := signedIn(t)
	before := h.ui.list.Rebuilds()
	batch := []app.Event{resetEv(contact("a@x", "A"), contact("b@x", "B"))}
	for i := 0; i < 50; i++ {
		batch = append(batch, presenceEv("a@x", im.Away, "s"), presenceEv("b@x", im.Available, ""))
	}
	h.ui.only().apply(batch)
	if n := h.ui.list.Rebuilds() - before; n != 1 {
		t.Fatalf("a batch of %d events rebuilt the rows %d times, want 1", len(batch), n)
	}
	if n := len(h.ui.contacts.rows); n != 3 {
		t.Fatalf("the list shows %d rows, want 3", n)
	}
}

func TestIncomingMessageOpensChatCountsUnreadAndNotifies(t *testing.T) {
	start := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")), presenceEv(peer, im.Available, ""))
	notes := countNotifications(h)
	// sent checks that f sends exactly the notification want (nil: none).
	sent := func(want *fyne.Notification, f func()) {
		t.Helper()
		before := len(notes.sent)
		f()
		got := notes.sent[before:]
		if want == nil && len(got) == 0 {
			return
		}
		if len(got) != 1 || *got[0] != *want {
			t.Fatalf("notifications %v, want %v", got, want)
		}
	}

	sent(fyne.NewNotification("Alice", "Hi there"), func() {
		h.apply(messageEv(peer, "Hi there", clock.now(), false))
	})
	c := h.ui.only().chats[peer]
	if c == nil {
		t.Fatal("an incoming message did not open a chat window")
	}
	if c.win.Title() != "(1) Alice" {
		t.Fatalf("chat title %q, want the unread count", c.win.Title())
	}
	if r, _ := h.ui.contacts.find(DefaultGroup, model.ContactKey{Account: me, JID: peer}); h.ui.contacts.rows[r].Unread != 1 {
		t.Fatalf("contact row unread %d, want 1", h.ui.contacts.rows[r].Unread)
	}
	// More from Alice within model.NotifyQuiet wait, and come as one.
	h.later = nil
	sent(nil, func() {
		h.apply(messageEv(peer, "one", clock.now(), false), messageEv(peer, "two", clock.now(), false))
	})
	clock.now = func() time.Time { return start.Add(model.NotifyQuiet) }
	sent(fyne.NewNotification("Alice", "2 new messages"), h.runLater)
	if got := h.ui.only().Roster.Unread(peer); got != 3 {
		t.Fatalf("unread %d, want 3", got)
	}

	// The user focuses the window: everything is read, and further
	// messages neither count nor notify.
	c.entry.FocusGained()
	if got := h.ui.only().Roster.Unread(peer); got != 0 || c.win.Title() != "Alice" {
		t.Fatalf("after focusing: unread %d, title %q", got, c.win.Title())
	}
	sent(nil, func() {
		h.apply(messageEv(peer, "seen at once", clock.now(), false))
	})
	if got := h.ui.only().Roster.Unread(peer); got != 0 {
		t.Fatalf("a message to the focused window counted as unread (%d)", got)
	}
	if len(c.conv.msgs) != 4 {
		t.Fatalf("the window holds %d messages, want 4", len(c.conv.msgs))
	}

	// The app loses the focus: the window no longer counts as seen.
	h.ui.app.Lifecycle().(interface{ OnExitedForeground() func() }).OnExitedForeground()()
	h.apply(messageEv(peer, "while away", clock.now(), false))
	if got := h.ui.only().Roster.Unread(peer); got != 1 {
		t.Fatalf("after the app lost the focus: unread %d, want 1", got)
	}
}

func TestChatFocusMovesWithinWindow(t *testing.T) {
	h := signedIn(t)
	peer := "alice@example.org"
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	if !c.active {
		t.Fatal("a chat the user opened is not active")
	}
	// The user moves the focus to another widget of the window (Tab to
	// the Send button): the window keeps the focus.
	c.win.Canvas().Focus(c.send)
	h.runLater()
	if !c.active {
		t.Fatal("moving the focus inside the window made it inactive")
	}
	// The window loses the focus while the entry has it.
	c.win.Canvas().Focus(c.entry)
	c.entry.FocusLost()
	h.runLater()
	if c.active {
		t.Fatal("the window stayed active after losing the focus")
	}
}

func TestEnterSendsShiftEnterBreaksLine(t *testing.T) {
	h := signedIn(t)
	peer := "bob@example.org"
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	test.Type(c.entry, "first")
	c.entry.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	c.entry.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
	test.Type(c.entry, "second")
	if c.entry.Text != "first\nsecond" {
		t.Fatalf("Shift+Enter: entry holds %q", c.entry.Text)
	}
	if sent := callsWith(h.core, "SendMessage"); len(sent) != 0 {
		t.Fatalf("sent before Enter: %q", sent)
	}
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnter})
	if sent := callsWith(h.core, "SendMessage"); !reflect.DeepEqual(sent, []string{`SendMessage bob@example.org "first\nsecond"`}) {
		t.Fatalf("sent %q", sent)
	}
	if c.entry.Text != "" {
		t.Fatalf("entry not cleared after sending: %q", c.entry.Text)
	}
	c.entry.SetText("  \n ")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if n := len(callsWith(h.core, "SendMessage")); n != 1 {
		t.Fatal("a blank message was sent")
	}
	if len(c.conv.msgs) != 1 || !c.conv.msgs[0].outgoing {
		t.Fatalf("the sent message is not shown as outgoing")
	}
}

func TestMessageFailedMarksTheMessage(t *testing.T) {
	h := signedIn(t)
	peer := "bob@example.org"
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	c.sendText("one")
	c.sendText("two")
	ev := app.MessageFailed{ID: "id1", Peer: peer, Err: app.ErrNotConnected}
	ev.Acct = me
	h.apply(ev)
	const failed = "Not delivered: the account is not connected; try again once it is online"
	if c.conv.msgs[0].failed != failed || c.conv.msgs[1].failed != "" {
		t.Fatalf("failures: %q, %q", c.conv.msgs[0].failed, c.conv.msgs[1].failed)
	}
	if !labelContaining(c.win.Content(), failed) {
		t.Fatal("the failure is not shown")
	}
	// With the window closed the status bar says it.
	c.win.Close()
	ev.ID = "id2"
	h.apply(ev)
	if !h.ui.noticeBar.Visible() || !strings.Contains(h.ui.notice.Text, "not delivered") {
		t.Fatalf("notice %q", h.ui.notice.Text)
	}
}

func TestDelayedMessagesGoWhereTheyWereSent(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "bob@example.org"
	h.apply(resetEv(contact(peer, "Bob")))
	h.apply(messageEv(peer, "new", now, false), messageEv(peer, "old", now.Add(-time.Hour), true))
	msgs := h.ui.only().convs[peer].msgs
	if msgs[0].body != "old" || !msgs[0].delayed || msgs[1].body != "new" || msgs[1].delayed {
		t.Fatalf("order: %q (delayed %v), %q", msgs[0].body, msgs[0].delayed, msgs[1].body)
	}
}

func TestHugeMessageIsClippedAndCopiable(t *testing.T) {
	h := signedIn(t)
	peer := "bob@example.org"
	h.apply(resetEv(contact(peer, "Bob")))
	body := strings.Repeat("0123456789 ", 100_000) // 1.1 MB
	// What keeps the window responsive is that the work is bounded: only a
	// clipped preview is laid out. BenchmarkHugeMessage measures the time.
	h.apply(messageEv(peer, body, clock.now(), false))
	c := h.ui.only().chats[peer]
	c.win.Resize(fyne.NewSize(480, 560))
	c.refresh(false)
	m := c.conv.msgs[0]
	if !m.clipped || len(m.preview) > previewBytes {
		t.Fatalf("preview of %d bytes, clipped %v", len(m.preview), m.clipped)
	}
	if rh := c.heights[m]; !rh.measured || rh.h > 5000 {
		t.Fatalf("row height %+v: the clip does not bound the layout", rh)
	}
	saveImage(t, "huge", c.win.Canvas())
	if !labelContaining(c.win.Content(), "message truncated. Full text:") {
		t.Fatal("no truncation note")
	}
	test.Tap(button(t, c.win.Content(), "Copy"))
	if got := h.ui.app.Clipboard().Content(); got != body {
		t.Fatalf("Copy put %d bytes on the clipboard, want the full %d", len(got), len(body))
	}
}

func TestClipPreview(t *testing.T) {
	for i, tc := range []struct {
		in      string
		want    int
		clipped bool
	}{
		0: {"short", 5, false},
		1: {strings.Repeat("é", previewBytes), previewBytes, true}, // 2-byte runes, cut on a boundary
		2: {strings.Repeat("a\n", previewLines+5), 2*previewLines - 1, true},
	} {
		got, clipped := clipPreview(tc.in)
		if len(got) != tc.want || clipped != tc.clipped || !strings.HasPrefix(tc.in, got) {
			t.Errorf("%d: got %d bytes clipped=%v, want %d clipped=%v", i, len(got), clipped, tc.want, tc.clipped)
		}
	}
}

func TestLongMessagesGetTallerRows(t *testing.T) {
	h := signedIn(t)
	peer := "bob@example.org"
	h.apply(resetEv(contact(peer, "Bob")))
	h.apply(messageEv(peer, "short", clock.now(), false), messageEv(peer, strings.Repeat("many words ", 60), clock.now().Add(time.Second), false))
	c := h.ui.only().chats[peer]
	c.win.Resize(fyne.NewSize(480, 560))
	c.refresh(false)
	h.runLater() // measured as drawn, handed to the list a frame later
	measured := func(m *chatMsg) float32 {
		t.Helper()
		rh := c.heights[m]
		if !rh.measured || rh.at != c.width {
			t.Fatalf("%q: height %+v not measured at %v", m.body, rh, c.width)
		}
		return rh.h
	}
	short, long := measured(c.conv.msgs[0]), measured(c.conv.msgs[1])
	if long < short*2 {
		t.Fatalf("a wrapped message is %v high, a one-line one %v", long, short)
	}
	if c.told[1] != long {
		t.Fatalf("the list has %v for the long row, measured %v", c.told[1], long)
	}
	// A narrower window wraps more.
	c.win.Resize(fyne.NewSize(300, 560))
	h.runLater()
	h.runLater()
	if got := measured(c.conv.msgs[1]); got <= long {
		t.Fatalf("narrower window: height %v, was %v", got, long)
	}
}

func TestConnectionIndicator(t *testing.T) {
	h := newHarness(t, account.Account{JID: me})
	h.ui.Show()
	if !strings.HasPrefix(h.ui.stateText.Text, "Connecting") || h.ui.stateAction.Visible() {
		t.Fatalf("start: %q, action visible %v", h.ui.stateText.Text, h.ui.stateAction.Visible())
	}
	w := stateEv(app.Waiting)
	w.Err = errors.New("cannot reach the server")
	w.RetryAt = time.Now().Add(30 * time.Second)
	h.apply(w)
	if !strings.Contains(h.ui.stateText.Text, "cannot reach the server") || !strings.Contains(h.ui.stateText.Text, "Reconnecting in") {
		t.Fatalf("waiting: %q", h.ui.stateText.Text)
	}
	if h.ui.stateAction.Text != "Reconnect now" {
		t.Fatalf("waiting action %q", h.ui.stateAction.Text)
	}
	test.Tap(h.ui.stateAction)
	assertCalls(t, h.core, "Connect")
	if len(h.later) == 0 {
		t.Fatal("no countdown tick scheduled")
	}
	h.apply(stateEv(app.Offline))
	if h.ui.stateAction.Text != "Sign in" {
		t.Fatalf("offline action %q", h.ui.stateAction.Text)
	}
	h.apply(stateEv(app.Online))
	if h.ui.stateText.Text != "Online as "+me || h.ui.stateAction.Visible() {
		t.Fatalf("online: %q", h.ui.stateText.Text)
	}
}

func TestPresenceSelector(t *testing.T) {
	h := signedIn(t)
	h.ui.statusEntry.SetText("busy with tests")
	h.ui.showSelect.SetSelected("Do not disturb")
	h.ui.showSelect.SetSelected("Invisible / Offline")
	// Signing in again from Offline makes us visible.
	h.ui.signIn()
	h.ui.signOut()
	assertCalls(t, h.core,
		`SetPresence Do not disturb "busy with tests"`,
		`SetPresence Offline "busy with tests"`,
		`SetPresence Available "busy with tests"`,
		"Disconnect")
}

func TestCommandFailedIsShown(t *testing.T) {
	h := signedIn(t)
	h.apply(resetEv(contact("x@example.org", "X")))
	e := app.CommandFailed{Op: app.OpRemoveContact, JID: "x@example.org", Err: errors.New("forbidden")}
	e.Acct = me
	h.apply(e)
	if !h.ui.noticeBar.Visible() || h.ui.notice.Text != "Could not remove contact x@example.org: forbidden" {
		t.Fatalf("notice %q visible %v", h.ui.notice.Text, h.ui.noticeBar.Visible())
	}
}

func TestContactActions(t *testing.T) {
	h := signedIn(t)
	h.ui.offline.SetChecked(true)
	h.apply(resetEv(contact("x@example.org", "X", "Friends", "Work")))
	if h.ui.chatBtn.Disabled() == false {
		t.Fatal("actions enabled without a selection")
	}
	id, _ := h.ui.contacts.find("Work", model.ContactKey{Account: me, JID: "x@example.org"})
	h.ui.contacts.list.Select(id)
	if h.ui.removeBtn.Disabled() {
		t.Fatal("actions disabled with a contact selected")
	}

	// Remove asks first, and the list waits for the server.
	test.Tap(h.ui.removeBtn)
	test.Tap(button(t, h.overlay(), "Remove"))
	assertCalls(t, h.core, "RemoveContact x@example.org")
	if _, ok := h.ui.contacts.find("Work", model.ContactKey{Account: me, JID: "x@example.org"}); !ok {
		t.Fatal("the contact left the list before the server removed it")
	}

	// Move from the group it was selected in; the other group stays.
	test.Tap(h.ui.groupBtn)
	sel, ok := find(h.overlay(), func(*widget.SelectEntry) bool { return true })
	if !ok || sel.Text != "Work" {
		t.Fatalf("move dialog starts at %q", sel.Text)
	}
	sel.SetText("Family")
	test.Tap(button(t, h.overlay(), "Move"))

	test.Tap(h.ui.renameBtn)
	name, _ := find(h.overlay(), func(e *widget.Entry) bool { return e.Text == "X" })
	name.SetText("Xavier")
	test.Tap(button(t, h.overlay(), "Rename"))
	assertCalls(t, h.core,
		"RemoveContact x@example.org",
		`UpdateContact x@example.org "X" ["Friends" "Family"]`,
		`UpdateContact x@example.org "Xavier" ["Friends" "Work"]`)

	h.apply(removedEv("x@example.org"))
	if _, ok := h.ui.contacts.selected(); ok || !h.ui.chatBtn.Disabled() {
		t.Fatal("the selection outlived the contact")
	}
}

func TestAddContactValidates(t *testing.T) {
	h := signedIn(t)
	h.apply(resetEv(contact("x@example.org", "X", "Friends")))
	h.ui.addContact()
	d := h.overlay()
	jid := entryWithPlaceholder(t, d, "name@example.org")
	jid.SetText("example.org")
	test.Tap(button(t, d, "Add"))
	if !labelContaining(d, "has no user name") {
		t.Fatal("no inline error for an address without user name")
	}
	jid.SetText("x@example.org")
	test.Tap(button(t, d, "Add"))
	if !labelContaining(d, "already in your contacts") {
		t.Fatal("no inline error for a known contact")
	}
	assertCalls(t, h.core)
	jid.SetText(" New@Example.org ")
	sel, _ := find(d, func(*widget.SelectEntry) bool { return true })
	sel.SetText("Friends")
	name, _ := find(d, func(e *widget.Entry) bool { return e.PlaceHolder == "optional" && e != &sel.Entry })
	name.SetText("Newt")
	test.Tap(button(t, d, "Add"))
	assertCalls(t, h.core, `AddContact new@example.org "Newt" ["Friends"]`)
	if h.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the dialog stayed open")
	}
}

func TestSubscriptionRequests(t *testing.T) {
	h := signedIn(t)
	req := func(from string) app.SubscriptionRequest {
		e := app.SubscriptionRequest{From: from, Nick: "Zed"}
		e.Acct = me
		return e
	}
	h.apply(req("z@example.org"), req("y@example.org"), req("z@example.org"))
	if !h.ui.requestsBox.Visible() || len(h.ui.only().Requests) != 2 {
		t.Fatalf("requests: visible %v, %d", h.ui.requestsBox.Visible(), len(h.ui.only().Requests))
	}
	if !labelContaining(h.ui.requestsBox, "Zed <z@example.org> wants to see your presence") {
		t.Fatal("request text missing")
	}
	test.Tap(button(t, h.ui.requestsBox, "Approve"))
	test.Tap(button(t, h.ui.requestsBox, "Deny"))
	assertCalls(t, h.core, "Approve z@example.org", "Deny y@example.org")
	if h.ui.requestsBox.Visible() {
		t.Fatal("answered requests still shown")
	}
}

func TestTrustCertificate(t *testing.T) {
	h := signedIn(t)
	e := app.CertUntrusted{Cert: testCert()}
	e.Acct = me
	h.apply(e)
	if !labelContaining(h.overlay(), "SHA-256:\n01:23:45") {
		t.Fatal("the dialog does not describe the certificate")
	}
	test.Tap(button(t, h.overlay(), "Trust this certificate for "+me))
	assertCalls(t, h.core, "SetAccount me@example.org pins=["+testCert().SHA256+"]", "Connect")
	cfg, err := account.Load(h.dir)
	if err != nil || len(cfg.Accounts) != 1 || !cfg.Accounts[0].IsPinned(testCert().SHA256) {
		t.Fatalf("saved settings %+v, %v", cfg, err)
	}

	// Cancel pins nothing.
	h.apply(e)
	test.Tap(button(t, h.overlay(), "Cancel"))
	if n := len(h.core.Calls()); n != 2 {
		t.Fatalf("Cancel called the core: %q", h.core.Calls())
	}
}

func TestFirstStartAccountDialog(t *testing.T) {
	h := newHarness(t)
	h.ui.Show()
	d := h.overlay()
	if len(h.starts) != 0 {
		t.Fatal("a core started without an account")
	}
	jid := entryWithPlaceholder(t, d, "name@example.org")
	jid.SetText("alice")
	test.Tap(button(t, d, "Save"))
	if !labelContaining(d, "no user name") {
		t.Fatal("no inline error for a bad address")
	}
	jid.SetText("alice@example.org")
	port, _ := find(d, func(e *widget.Entry) bool { return e.PlaceHolder == "optional" && e != jid })
	_ = port
	test.Tap(button(t, d, "Save"))
	if !labelContaining(d, "enter the password") {
		t.Fatal("a new account was accepted without password")
	}
	pw, _ := find(d, func(e *widget.Entry) bool { return e.Password })
	pw.SetText("s3cret")
	test.Tap(button(t, d, "Save"))
	if len(h.starts) != 1 || h.starts[0].JID != "alice@example.org" || !h.starts[0].RememberPassword {
		t.Fatalf("starts %+v", h.starts)
	}
	if got, err := h.pwFunc(context.Background()); got != "s3cret" || err != nil {
		t.Fatalf("password func: %q, %v", got, err)
	}
	h.drain() // the keychain goroutine reports back
	if h.secrets.pw["alice@example.org"] != "s3cret" {
		t.Fatalf("keychain holds %q", h.secrets.pw)
	}
	if _, err := os.Stat(filepath.Join(h.dir, account.FileName)); err != nil {
		t.Fatal("settings not saved:", err)
	}
}

func TestAccountDialogWithoutRememberForgetsStoredPassword(t *testing.T) {
	h := newHarness(t, account.Account{JID: me, RememberPassword: true})
	h.secrets.pw = map[string]string{me: "old"}
	h.ui.Show()
	if got, err := h.pwFunc(context.Background()); got != "old" || err != nil {
		t.Fatalf("password from keychain: %q, %v", got, err)
	}
	h.ui.showAccountDialog(h.first())
	d := h.overlay()
	remember, _ := find(d, func(c *widget.Check) bool { return c.Text == "Remember password" })
	remember.SetChecked(false)
	host, _ := find(d, func(e *widget.Entry) bool { return e.PlaceHolder == "optional" })
	host.SetText("xmpp.example.org")
	test.Tap(button(t, d, "Save"))
	h.drain()
	if _, ok := h.secrets.pw[me]; ok {
		t.Fatal("the stored password was kept")
	}
	// This session still signs in with it.
	if got, err := h.pwFunc(context.Background()); got != "old" || err != nil {
		t.Fatalf("password after forgetting: %q, %v", got, err)
	}
	assertCalls(t, h.core, "SetAccount me@example.org pins=[]", "Connect")
	if h.core.acct.Host != "xmpp.example.org" || h.core.acct.RememberPassword {
		t.Fatalf("core got %+v", h.core.acct)
	}
}

func TestKeychainFailureKeepsPasswordInMemory(t *testing.T) {
	h := newHarness(t)
	h.secrets.fail = errors.New("saving the password in the keychain: no Secret Service")
	h.ui.Show()
	d := h.overlay()
	entryWithPlaceholder(t, d, "name@example.org").SetText("alice@example.org")
	pw, _ := find(d, func(e *widget.Entry) bool { return e.Password })
	pw.SetText("s3cret")
	test.Tap(button(t, d, "Save"))
	h.drain()
	if !labelContaining(h.overlay(), "no Secret Service") {
		t.Fatal("the keychain failure is not shown")
	}
	if got, err := h.pwFunc(context.Background()); got != "s3cret" || err != nil {
		t.Fatalf("password func: %q, %v", got, err)
	}
}

func TestAuthFailedAsksForPassword(t *testing.T) {
	h := signedIn(t)
	if _, err := h.pwFunc(context.Background()); !errors.Is(err, model.ErrNoPassword) {
		t.Fatalf("no password known: err %v", err)
	}
	e := app.AuthFailed{Condition: "not-authorized"}
	e.Acct = me
	h.apply(e)
	d := h.overlay()
	if !labelContaining(d, "rejected the user name or password") {
		t.Fatal("the dialog does not say why")
	}
	pw, _ := find(d, func(e *widget.Entry) bool { return e.Password })
	pw.SetText("right")
	test.Tap(button(t, d, "Sign in"))
	assertCalls(t, h.core, "Connect")
	if got, _ := h.pwFunc(context.Background()); got != "right" {
		t.Fatalf("password func gives %q", got)
	}
}

func TestNoPasswordPrompt(t *testing.T) {
	h := signedIn(t)
	e := app.AuthFailed{Condition: app.ConditionNoPassword, Text: "no password: ..."}
	e.Acct = me
	h.apply(e)
	h.apply(e) // one dialog, however often it is asked
	if !labelContaining(h.overlay(), "Palaver has no password for "+me) {
		t.Fatal("no-password prompt text")
	}
	test.Tap(button(t, h.overlay(), "Cancel"))
	if h.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("a second password dialog was stacked")
	}
}

func TestEventsOfOtherAccountsAreIgnored(t *testing.T) {
	h := signedIn(t)
	e := app.RosterReset{Contacts: []app.Contact{contact("a@x", "A")}}
	e.Acct = "someone@else"
	h.apply(e)
	if h.ui.only().Roster.Len() != 0 {
		t.Fatal("another account's roster was applied")
	}
}

func TestOpenChatByDoubleTap(t *testing.T) {
	h := signedIn(t)
	h.apply(resetEv(contact("a@x", "A")), presenceEv("a@x", im.Available, ""))
	h.ui.win.Resize(fyne.NewSize(420, 600))
	row, ok := find(h.ui.win.Content(), func(r *contactRow) bool { return r.row.JID == "a@x" })
	if !ok {
		t.Fatal("contact row not drawn")
	}
	test.DoubleTap(row)
	if c := h.ui.only().chats["a@x"]; c == nil || !c.active {
		t.Fatal("double tap did not open an active chat")
	}
	// Tapping a header folds its group.
	hdr, _ := find(h.ui.win.Content(), func(r *contactRow) bool { return r.row.Header })
	test.Tap(hdr)
	if rows := h.ui.contacts.rows; len(rows) != 1 || !rows[0].Collapsed {
		t.Fatalf("rows after folding: %+v", rows)
	}
}

func TestEmptyListSaysWhy(t *testing.T) {
	h := newHarness(t, account.Account{JID: me})
	h.ui.Show()
	if !h.ui.emptyHint.Visible() || !strings.Contains(h.ui.emptyHint.Text, "once you are signed in") {
		t.Fatalf("before sign-in: %q", h.ui.emptyHint.Text)
	}
	h.apply(stateEv(app.Online), resetEv())
	if !strings.Contains(h.ui.emptyHint.Text, "No contacts yet") {
		t.Fatalf("empty roster: %q", h.ui.emptyHint.Text)
	}
	h.apply(resetEv(contact("a@x", "A")))
	if h.ui.emptyHint.Visible() {
		t.Fatal("hint shown over contacts")
	}
	h.ui.filter.SetText("zz")
	if !h.ui.emptyHint.Visible() || !strings.Contains(h.ui.emptyHint.Text, "No contact matches") {
		t.Fatalf("no match: %q", h.ui.emptyHint.Text)
	}
}

func TestPasswordPromptLeavesKeychainAloneWithoutRemember(t *testing.T) {
	h := signedIn(t)
	h.secrets.fail = errors.New("no keychain here")
	e := app.AuthFailed{Condition: app.ConditionNoPassword}
	e.Acct = me
	h.apply(e)
	pw, _ := find(h.overlay(), func(e *widget.Entry) bool { return e.Password })
	pw.SetText("typed")
	test.Tap(button(t, h.overlay(), "Sign in"))
	if len(h.secrets.log) != 0 || h.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatalf("keychain used %q, overlay %v", h.secrets.log, h.ui.win.Canvas().Overlays().Top())
	}
	if got, _ := h.pwFunc(context.Background()); got != "typed" {
		t.Fatalf("password func %q", got)
	}
}

func TestUntickingRememberForgetsAndReportsFailure(t *testing.T) {
	h := newHarness(t, account.Account{JID: me, RememberPassword: true})
	h.ui.Show()
	h.secrets.fail = errors.New("keychain locked")
	e := app.AuthFailed{Condition: "not-authorized"}
	e.Acct = me
	h.apply(e)
	d := h.overlay()
	pw, _ := find(d, func(e *widget.Entry) bool { return e.Password })
	pw.SetText("new")
	remember, _ := find(d, func(c *widget.Check) bool { return c.Text == "Remember password" })
	remember.SetChecked(false)
	test.Tap(button(t, d, "Sign in"))
	h.drain()
	if !reflect.DeepEqual(h.secrets.log, []string{"delete " + me}) {
		t.Fatalf("keychain calls %q", h.secrets.log)
	}
	if !labelContaining(h.overlay(), "may still be in the keychain") {
		t.Fatal("the failed delete is not reported")
	}
	cfg, _ := account.Load(h.dir)
	if cfg.Accounts[0].RememberPassword {
		t.Fatal("the setting was not saved")
	}
}

func TestEventsReachTheUIThroughThePump(t *testing.T) {
	h := newHarness(t, account.Account{JID: me})
	h.core.events = make(chan []app.Event)
	h.ui.Show()
	go func() {
		h.core.events <- []app.Event{stateEv(app.Online), resetEv(contact("a@x", "A"))}
	}()
	h.drain() // the pump hands the batch to the UI goroutine
	if h.ui.stateText.Text != "Online as "+me || h.ui.only().Roster.Len() != 1 {
		t.Fatalf("state %q, %d contacts", h.ui.stateText.Text, h.ui.only().Roster.Len())
	}
	// Stopping the session stops the pump too.
	h.ui.stopSessions()
	if !h.core.stopped {
		t.Fatal("the core was not stopped")
	}
}

func TestCaretRestsAfterTenSecondsWithoutInput(t *testing.T) {
	h := signedIn(t)
	peer := "alice@example.org"
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	e := c.entry
	if !e.focused || e.resting {
		t.Fatalf("a chat the user opened: focused %v, resting %v", e.focused, e.resting)
	}
	h.later = nil
	e.TypedRune('h')
	if len(h.later) != 1 {
		t.Fatalf("%d timers after a key, want the rest's", len(h.later))
	}
	stale := h.later[0]
	e.TypedRune('i') // more input: the first timer is too early now
	stale()
	if e.resting {
		t.Fatal("the caret rested although a key came since the timer was set")
	}
	h.runLater()
	if !e.resting || c.win.Canvas().Focused() != e {
		t.Fatalf("after the quiet time: resting %v, the window's focus %v", e.resting, c.win.Canvas().Focused())
	}
	if !h.ui.calm.settings.calm.Load() || fyne.CurrentApp().Settings().ShowAnimations() {
		t.Fatal("the caret rests but the app's animations (its blinking) are on")
	}
	if !c.active {
		t.Fatal("a resting caret made the chat inactive")
	}
	// The next key wakes it and is typed.
	e.TypedRune('!')
	if e.resting || e.Text != "hi!" || h.ui.calm.settings.calm.Load() {
		t.Fatalf("after a key: resting %v, text %q, calm %v", e.resting, e.Text, h.ui.calm.settings.calm.Load())
	}
	// An unfocused entry has no caret to rest.
	e.FocusLost()
	h.runLater()
	if e.resting {
		t.Error("an entry without the focus rests its caret")
	}
}

func TestMeMessageIsAnAction(t *testing.T) {
	h := signedIn(t)
	peer := "bob@example.org"
	h.apply(resetEv(contact(peer, "Bob")))
	h.apply(messageEv(peer, "/me waves", clock.now(), false), messageEv(peer, "/meh, not an action", clock.now(), false))
	c := h.ui.only().chats[peer]
	c.win.Resize(fyne.NewSize(480, 560))
	c.refresh(false)
	h.settle()
	action, plain := c.conv.msgs[0], c.conv.msgs[1]
	if !action.action || action.preview != "* Bob waves" || action.body != "/me waves" {
		t.Fatalf("the action shows %q (action %v), copies %q", action.preview, action.action, action.body)
	}
	if plain.action || plain.preview != "/meh, not an action" {
		t.Fatalf("not an action: %q (action %v)", plain.preview, plain.action)
	}
	r, ok := find(c.win.Content(), func(r *messageRow) bool { return r.msg == action })
	if !ok || !r.body.TextStyle.Italic || !strings.Contains(r.body.Text, "* Bob waves") {
		t.Fatal("the action's row is not in italics with the sender's name")
	}
	if r, ok := find(c.win.Content(), func(r *messageRow) bool { return r.msg == plain }); !ok || r.body.TextStyle.Italic {
		t.Error("a row drawn after an action stays in italics")
	}
}
