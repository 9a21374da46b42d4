package views

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/vcard"
	ev "github.com/palaver-im/palaver/views/model/modeltest"
)

const me = "me@example.org"

// fakeCore records commands. Its Events channel is nil, so the pump
// started by the UI never delivers anything: tests call session.apply
// themselves, on the test goroutine.
type fakeCore struct {
	events  chan []app.Event // nil unless a test feeds the pump
	mu      sync.Mutex
	calls   []string
	acct    account.Account
	tokens  app.Tokens
	nextID  int
	stopped bool
	history []history.Message // what History serves, oldest first
	hits    []history.Hit     // what Search returns
}

func (f *fakeCore) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeCore) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeCore) Events() <-chan []app.Event { return f.events }
func (f *fakeCore) Connect()                   { f.record("Connect") }
func (f *fakeCore) Disconnect()                { f.record("Disconnect") }
func (f *fakeCore) SetAccount(a account.Account) {
	f.mu.Lock()
	f.acct = a
	f.mu.Unlock()
	f.record("SetAccount %s pins=%v", a.JID, a.PinnedCerts)
}
func (f *fakeCore) SetTokens(t app.Tokens) {
	f.mu.Lock()
	f.tokens = t
	f.mu.Unlock()
	if t == nil {
		f.record("SetTokens nil")
		return
	}
	f.record("SetTokens")
}
func (f *fakeCore) SetPresence(s im.Show, status string) {
	f.record("SetPresence %s %q", showText(s), status)
}
func (f *fakeCore) SendMessage(to, body string) string {
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("id%d", f.nextID)
	f.mu.Unlock()
	f.record("SendMessage %s %q", to, body)
	return id
}
func (f *fakeCore) RetryMessage(peer, id string) { f.record("RetryMessage %s %s", peer, id) }
func (f *fakeCore) CorrectMessage(peer, id, body string) string {
	f.record("CorrectMessage %s %s %q", peer, id, body)
	return "c-" + id
}
func (f *fakeCore) JoinRoom(room, nick, password string) {
	f.record("JoinRoom %s %s %q", room, nick, password)
}
func (f *fakeCore) LeaveRoom(room string) { f.record("LeaveRoom %s", room) }
func (f *fakeCore) Block(jid string)      { f.record("Block %s", jid) }
func (f *fakeCore) Unblock(jid string)    { f.record("Unblock %s", jid) }
func (f *fakeCore) SetBookmark(b app.Bookmark) {
	f.record("SetBookmark %s %s %v", b.Room, b.Nick, b.Autojoin)
}
func (f *fakeCore) RemoveBookmark(room string) { f.record("RemoveBookmark %s", room) }
func (f *fakeCore) SendRoomMessage(room, body string) string {
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("r%d", f.nextID)
	f.mu.Unlock()
	f.record("SendRoomMessage %s %q", room, body)
	return id
}
func (f *fakeCore) AddContact(jid, name string, groups []string) {
	f.record("AddContact %s %q %q", jid, name, groups)
}
func (f *fakeCore) UpdateContact(jid, name string, groups []string) {
	f.record("UpdateContact %s %q %q", jid, name, groups)
}
func (f *fakeCore) RemoveContact(jid string) { f.record("RemoveContact %s", jid) }
func (f *fakeCore) Approve(jid string)       { f.record("Approve %s", jid) }
func (f *fakeCore) Deny(jid string)          { f.record("Deny %s", jid) }
func (f *fakeCore) FetchProfile(jid string, refresh bool) {
	f.record("FetchProfile %s %v", jid, refresh)
}
func (f *fakeCore) SetProfile(card vcard.VCard) { f.record("SetProfile %s", card.FullName) }
func (f *fakeCore) ChatActivity(peer string, a chatstate.Activity) {
	f.record("ChatActivity %s %d", peer, a)
}

// History serves the messages in f.history (sorted oldest first) that
// belong to peer and come before the cursor.
func (f *fakeCore) History(ctx context.Context, peer string, before history.Cursor, n int) ([]history.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []history.Message
	for _, m := range f.history {
		if m.Peer != peer {
			continue
		}
		if !before.Time.IsZero() && !(m.Time.Before(before.Time) || m.Time.Equal(before.Time) && m.ID < before.ID) {
			continue
		}
		out = append(out, m)
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}

// HistoryAfter serves the messages in f.history that belong to peer and
// come after the cursor, the oldest n of them.
func (f *fakeCore) HistoryAfter(ctx context.Context, peer string, after history.Cursor, n int) ([]history.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []history.Message
	for _, m := range f.history {
		if m.Peer != peer || !(m.Time.After(after.Time) || m.Time.Equal(after.Time) && m.ID > after.ID) {
			continue
		}
		if out = append(out, m); len(out) == n {
			break
		}
	}
	return out, nil
}

// Search returns f.hits whatever the query.
func (f *fakeCore) Search(ctx context.Context, query string, n int) ([]history.Hit, error) {
	f.record("Search %s", query)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.hits) > n {
		return f.hits[:n], nil
	}
	return f.hits, nil
}

// fakeSecrets is an in-memory keychain that can be made to fail.
type fakeSecrets struct {
	mu   sync.Mutex
	pw   map[string]string
	fail error
	log  []string
}

func (s *fakeSecrets) Password(bare string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	pw, ok := s.pw[bare]
	if !ok {
		return "", account.ErrNoSecret
	}
	return pw, nil
}

func (s *fakeSecrets) SetPassword(bare, pw string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, "set "+bare)
	if s.fail != nil {
		return s.fail
	}
	if s.pw == nil {
		s.pw = make(map[string]string)
	}
	s.pw[bare] = pw
	return nil
}

func (s *fakeSecrets) DeletePassword(bare string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, "delete "+bare)
	if s.fail != nil {
		return s.fail
	}
	delete(s.pw, bare)
	return nil
}

// harness runs a UI on the test goroutine: functions handed to do (from
// keychain goroutines) and after (timers) wait in queues the test drains.
type harness struct {
	t    *testing.T
	ui   *UI
	core *fakeCore
	// cores, when set (newMultiHarness), holds one core per account;
	// otherwise every start gets core.
	cores   map[string]*fakeCore
	secrets *fakeSecrets
	store   *fakeStore   // refresh tokens
	browser *fakeBrowser // opens the OAuth sign-in page
	dir     string
	starts  []account.Account
	pwFunc  app.PasswordFunc
	tokens  app.Tokens // the OAuth tokens of the last start
	queue   chan func()
	later   []func()
	// wrap, when set, gives the core started for a fake one: a core
	// with more abilities (files_test.go).
	wrap func(*fakeCore) Core
}

func newHarness(t *testing.T, accounts ...account.Account) *harness {
	t.Helper()
	return newHarnessWith(t, nil, false, accounts...)
}

// newHarnessWith is newHarness with the app a (nil: Fyne's test app) and
// a system tray present or not.
func newHarnessWith(t *testing.T, a fyne.App, tray bool, accounts ...account.Account) *harness {
	t.Helper()
	if a == nil {
		a = test.NewTempApp(t)
	}
	h := &harness{t: t, core: &fakeCore{}, secrets: &fakeSecrets{}, store: &fakeStore{}, browser: &fakeBrowser{t: t},
		dir: t.TempDir(), queue: make(chan func(), 16)}
	cfg := &account.Config{Accounts: accounts}
	h.ui = New(Options{
		App:     a,
		Dir:     h.dir,
		Config:  cfg,
		Secrets: h.secrets,
		Tokens:  h.store,
		OpenURL: h.browser.open,
		Tray:    tray,
		Start: func(acct account.Account, c Credentials) (Core, func()) {
			h.starts = append(h.starts, acct)
			h.pwFunc, h.tokens = c.Password, c.Tokens
			core := h.core
			if h.cores != nil {
				core = &fakeCore{}
				h.cores[acct.JID] = core
			}
			if h.wrap != nil {
				return h.wrap(core), func() { core.stopped = true }
			}
			return core, func() { core.stopped = true }
		},
	})
	h.ui.do = func(f func()) { h.queue <- f }
	h.ui.after = func(_ time.Duration, f func()) { h.later = append(h.later, f) }
	t.Cleanup(func() {
		for _, f := range h.ui.flows {
			h.ui.cancelSignIn(f)
		}
		h.ui.stopSessions()
	})
	return h
}

// newMultiHarness is newHarness with a core of its own for each account
// started (cores[JID]; core is the first account's once shown).
func newMultiHarness(t *testing.T, accounts ...account.Account) *harness {
	h := newHarness(t, accounts...)
	h.cores = make(map[string]*fakeCore)
	return h
}

// first returns the first account of the settings, "" when none.
func (h *harness) first() string {
	if len(h.ui.cfg.Accounts) == 0 {
		return ""
	}
	return h.ui.cfg.Accounts[0].JID
}

// stopSessions stops every account.
func (u *UI) stopSessions() {
	for len(u.sessions) > 0 {
		u.stopSession(u.sessions[0].acct.JID)
	}
}

// drain runs the next function handed to do, waiting for it.
func (h *harness) drain() {
	h.t.Helper()
	select {
	case f := <-h.queue:
		f()
	case <-time.After(5 * time.Second):
		h.t.Fatal("nothing was handed to the UI goroutine")
	}
}

// settle runs timer callbacks until none is queued (at most a few
// rounds): what the next frames would do, such as handing the heights of
// the rows just drawn to a chat's list.
func (h *harness) settle() {
	for i := 0; i < 5 && len(h.later) > 0; i++ {
		h.runLater()
	}
}

// runLater runs the timer callbacks queued so far.
func (h *harness) runLater() {
	fs := h.later
	h.later = nil
	for _, f := range fs {
		f()
	}
}

func (h *harness) apply(evs ...app.Event) {
	h.t.Helper()
	h.ui.only().apply(evs)
}

// Event constructors for the account me (see modeltest).

func stateEv(s app.ConnState) app.StateChanged   { return ev.State(me, s) }
func resetEv(cs ...app.Contact) app.RosterReset  { return ev.Reset(me, cs...) }
func updatedEv(c app.Contact) app.ContactUpdated { return ev.Updated(me, c) }
func removedEv(jid string) app.ContactRemoved    { return ev.Removed(me, jid) }
func presenceEv(jid string, show im.Show, status string) app.PresenceChanged {
	return ev.Presence(me, jid, show, status)
}
func messageEv(from, body string, at time.Time, delayed bool) app.MessageReceived {
	return ev.Message(me, from, body, at, delayed)
}
func typingStateEv(jid string, s chatstate.State) app.ChatStateChanged {
	return ev.ChatState(me, jid, s)
}

var contact = ev.Contact

// walk visits o and everything drawn inside it.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) bool {
	if !visit(o) {
		return false
	}
	var children []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		children = x.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(x).Objects()
	}
	for _, c := range children {
		if !walk(c, visit) {
			return false
		}
	}
	return true
}

// find returns the first object under root of type T that ok accepts.
func find[T fyne.CanvasObject](root fyne.CanvasObject, ok func(T) bool) (T, bool) {
	var found T
	var hit bool
	walk(root, func(o fyne.CanvasObject) bool {
		if x, is := o.(T); is && (ok == nil || ok(x)) {
			found, hit = x, true
			return false
		}
		return true
	})
	return found, hit
}

func button(t *testing.T, root fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	b, ok := find(root, func(b *widget.Button) bool { return b.Text == text })
	if !ok {
		t.Fatalf("no button %q", text)
	}
	return b
}

func entryWithPlaceholder(t *testing.T, root fyne.CanvasObject, ph string) *widget.Entry {
	t.Helper()
	e, ok := find(root, func(e *widget.Entry) bool { return e.PlaceHolder == ph })
	if !ok {
		t.Fatalf("no entry with placeholder %q", ph)
	}
	return e
}

// labelContaining returns whether a visible label under root contains s.
func labelContaining(root fyne.CanvasObject, s string) bool {
	_, ok := find(root, func(l *widget.Label) bool { return l.Visible() && strings.Contains(l.Text, s) })
	return ok
}

// overlay returns the top overlay (dialog) of the main window.
func (h *harness) overlay() fyne.CanvasObject {
	h.t.Helper()
	top := h.ui.win.Canvas().Overlays().Top()
	if top == nil {
		h.t.Fatal("no dialog is shown")
	}
	return top
}
