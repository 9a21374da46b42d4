package views

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	ev "github.com/palaver-im/palaver/views/model/modeltest"
)

const (
	work = "me@work.example"
	home = "me@home.example"
)

// twoAccounts shows a UI with the accounts work and home, both online,
// each with Ann (ann@x) among its contacts; work also has Bob.
func twoAccounts(t *testing.T) *harness {
	t.Helper()
	h := newMultiHarness(t, account.Account{JID: work}, account.Account{JID: home})
	h.ui.Show()
	if len(h.ui.sessions) != 2 || len(h.cores) != 2 {
		t.Fatalf("%d sessions and %d cores for two accounts", len(h.ui.sessions), len(h.cores))
	}
	h.in(work, ev.State(work, app.Online), ev.Reset(work, ev.Contact("ann@x", "Ann"), ev.Contact("bob@x", "Bob")),
		ev.Presence(work, "ann@x", im.Available, ""), ev.Presence(work, "bob@x", im.Away, ""))
	h.in(home, ev.State(home, app.Online), ev.Reset(home, ev.Contact("ann@x", "Ann")),
		ev.Presence(home, "ann@x", im.DND, ""))
	return h
}

// in applies events as the core of account bare delivers them.
func (h *harness) in(bare string, evs ...app.Event) {
	h.t.Helper()
	s := h.ui.session(bare)
	if s == nil {
		h.t.Fatalf("%s does not run", bare)
	}
	s.apply(evs)
}

// contactRows returns the contact rows shown, as "name@account".
func contactRows(u *UI) []string {
	var out []string
	for _, r := range u.contacts.rows {
		if !r.Header {
			out = append(out, r.Name+"@"+r.Account)
		}
	}
	return out
}

func TestTwoAccountsInOneList(t *testing.T) {
	h := twoAccounts(t)
	want := []string{"Ann@" + work, "Ann@" + home, "Bob@" + work}
	if got := contactRows(h.ui); !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	if !h.ui.contacts.marks {
		t.Error("rows of two accounts carry no account mark")
	}
	if got := h.ui.stateText.Text; got != "All 2 accounts online" {
		t.Errorf("top line %q", got)
	}
	// An event of one account reaches only its session.
	h.in(work, ev.Presence(home, "ann@x", im.Offline, ""))
	if show, _ := h.ui.session(home).Roster.Presence("ann@x"); show != im.DND {
		t.Errorf("home's Ann is %v after an event of home given to work's session", show)
	}
	h.in(home, ev.State(home, app.Waiting))
	if got := h.ui.stateText.Text; got != "1 of 2 accounts online" || !h.ui.stateAction.Visible() {
		t.Fatalf("top line %q, action shown %v", got, h.ui.stateAction.Visible())
	}
	test.Tap(h.ui.stateAction)
	if h.ui.accountsWin == nil {
		t.Fatal("Details… opened no Accounts window")
	}
	c := h.ui.accountsWin.win.Content()
	if !labelContaining(c, "Online as "+work) || !labelContaining(c, "Disconnected") {
		t.Error("the Accounts window does not say each account's state")
	}
	test.Tap(button(t, c, "Reconnect now"))
	if calls := h.cores[home].Calls(); calls[len(calls)-1] != "Connect" {
		t.Errorf("Reconnect now of home: home's core heard %q", calls)
	}
	if slices.Contains(h.cores[work].Calls(), "Connect") {
		t.Error("Reconnect now of home connected work")
	}
	h.ui.accountsWin.win.Close()
}

func TestGroupByAccount(t *testing.T) {
	h := twoAccounts(t)
	h.ui.byAccountItem().Action()
	var headers []string
	for _, r := range h.ui.contacts.rows {
		if r.Header {
			headers = append(headers, r.Group)
		}
	}
	if !slices.Equal(headers, []string{work, home}) || h.ui.contacts.marks {
		t.Fatalf("headers %q (marks %v), want one per account and no marks", headers, h.ui.contacts.marks)
	}
	if !h.ui.app.Preferences().Bool(prefByAccount) {
		t.Error("the choice is not kept")
	}
}

func TestChatsAndNotificationsAreKeyedByAccount(t *testing.T) {
	h := twoAccounts(t)
	notes := countNotifications(h)
	at := time.Now()
	h.in(home, ev.Message(home, "ann@x", "hi home", at, false))
	if n := h.ui.session(home).Roster.Unread("ann@x"); n != 1 {
		t.Fatalf("home's Ann has %d unread", n)
	}
	if n := h.ui.session(work).Roster.Unread("ann@x"); n != 0 {
		t.Fatalf("work's Ann has %d unread from a message to home", n)
	}
	if len(notes.sent) != 1 || !strings.Contains(notes.sent[0].Title, home) {
		t.Fatalf("notifications %v: want one naming %s", notes.sent, home)
	}
	// Opening work's Ann from the list writes from work.
	h.ui.contacts.onOpen(model.ContactKey{Account: work, JID: "ann@x"})
	c := h.ui.session(work).chats["ann@x"]
	if c == nil || c == h.ui.session(home).chats["ann@x"] {
		t.Fatal("work's Ann opened no chat of work's own")
	}
	if !strings.Contains(c.win.Title(), work) || !strings.Contains(c.entry.PlaceHolder, work) {
		t.Errorf("the chat window (%q, %q) does not say it writes from %s", c.win.Title(), c.entry.PlaceHolder, work)
	}
	c.sendText("hello from work")
	if !slices.Contains(h.cores[work].Calls(), `SendMessage ann@x "hello from work"`) {
		t.Errorf("work's core heard %q", h.cores[work].Calls())
	}
	if slices.ContainsFunc(h.cores[home].Calls(), func(s string) bool { return strings.HasPrefix(s, "SendMessage") }) {
		t.Error("home's core sent the message written from work")
	}
}

func TestOneStatusForEveryAccount(t *testing.T) {
	h := twoAccounts(t)
	h.ui.showSelect.SetSelected(showLabel(im.Away))
	for _, a := range []string{work, home} {
		if calls := h.cores[a].Calls(); calls[len(calls)-1] != `SetPresence Away ""` {
			t.Errorf("%s's core heard %q", a, calls)
		}
	}
	if got := h.ui.stateText.Text; got != "Away · All 2 accounts online" {
		t.Errorf("top line %q", got)
	}
}

func TestDisableEnableAndRemoveAccount(t *testing.T) {
	h := twoAccounts(t)
	homeCore := h.cores[home]
	h.ui.setEnabled(home, false)
	if !homeCore.stopped || h.ui.session(home) != nil {
		t.Fatal("disabling home left it running")
	}
	if got := contactRows(h.ui); !slices.Equal(got, []string{"Ann@" + work, "Bob@" + work}) {
		t.Fatalf("rows after disabling home: %q", got)
	}
	cfg, err := account.Load(h.dir)
	if err != nil || !cfg.Find(home).Disabled {
		t.Fatalf("disabled not saved: %+v, %v", cfg, err)
	}
	if got := h.ui.stateText.Text; got != "Online as "+work {
		t.Errorf("top line with one account running: %q", got)
	}
	h.ui.setEnabled(home, true)
	if h.ui.session(home) == nil || h.cores[home] == homeCore || h.starts[len(h.starts)-1].JID != home {
		t.Fatal("enabling home did not start it again")
	}

	// Removing home with its local data deletes its folder, not work's.
	for _, a := range []string{work, home} {
		if err := os.MkdirAll(account.DataDir(h.dir, a), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(account.DataDir(h.dir, a), "history.db"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h.ui.removeAccount(home)
	d := h.overlay()
	check, ok := find(d, func(c *widget.Check) bool { return strings.Contains(c.Text, "messages and pictures") })
	if !ok || check.Checked {
		t.Fatal("removal does not offer (unticked) to delete the local data")
	}
	check.SetChecked(true)
	test.Tap(button(t, d, "Remove"))
	if h.ui.session(home) != nil || h.ui.cfg.Find(home) != nil {
		t.Fatal("home still runs or is still set up")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(account.DataDir(h.dir, home)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("home's local data is still there")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(account.DataDir(h.dir, work), "history.db")); err != nil {
		t.Fatalf("work's archive went too: %v", err)
	}
}

func TestAccountsWindowReorders(t *testing.T) {
	h := twoAccounts(t)
	h.ui.showAccounts()
	defer h.ui.accountsWin.win.Close()
	h.ui.moveAccount(home, 0)
	if h.ui.cfg.Accounts[0].JID != home || h.ui.sessions[0].acct.JID != home {
		t.Fatal("home did not move first")
	}
	if got := contactRows(h.ui); !slices.Equal(got, []string{"Ann@" + home, "Ann@" + work, "Bob@" + work}) {
		t.Fatalf("rows after moving home first: %q", got)
	}
	cfg, _ := account.Load(h.dir)
	if cfg == nil || cfg.Accounts[0].JID != home {
		t.Error("the order is not saved")
	}
	if !labelContaining(h.ui.accountsWin.win.Content(), home) {
		t.Error("the Accounts window does not list home")
	}
}

func TestAddContactAsksWhichAccount(t *testing.T) {
	h := twoAccounts(t)
	h.ui.addContact()
	d := h.overlay()
	sel, ok := find(d, func(s *widget.Select) bool { return slices.Equal(s.Options, []string{work, home}) })
	if !ok {
		t.Fatal("Add contact offers no choice of account")
	}
	sel.SetSelected(home)
	entryWithPlaceholder(t, d, "name@example.org").SetText("cat@y")
	test.Tap(button(t, d, "Add"))
	if !slices.Contains(h.cores[home].Calls(), `AddContact cat@y "" []`) {
		t.Errorf("home's core heard %q", h.cores[home].Calls())
	}
}

// menuItem returns the item labelled label of r's context menu.
func menuItem(t *testing.T, u *UI, r Row, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range u.contactMenuItems(r) {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("no %q in the menu of %s@%s", label, r.JID, r.Account)
	return nil
}

// listed returns the contact row of jid on account.
func listed(t *testing.T, u *UI, acct, jid string) Row {
	t.Helper()
	for _, r := range u.contacts.rows {
		if !r.Header && r.Account == acct && r.JID == jid {
			return r
		}
	}
	t.Fatalf("no row of %s on %s", jid, acct)
	return Row{}
}

func TestMergeContacts(t *testing.T) {
	h := twoAccounts(t)
	// Home's Ann is the one to merge work's with: the same address first.
	menuItem(t, h.ui, listed(t, h.ui, home, "ann@x"), "Merge with…").Action()
	d := h.overlay()
	sel, ok := find(d, func(s *widget.Select) bool { return len(s.Options) == 2 })
	if !ok || sel.Selected != "Ann <ann@x> on "+work {
		t.Fatalf("the choice starts at %q", sel.Selected)
	}
	test.Tap(button(t, d, "Merge"))
	if got := contactRows(h.ui); !slices.Equal(got, []string{"Ann@" + work, "Bob@" + work}) {
		t.Fatalf("rows after merging Ann: %q", got)
	}
	ann := listed(t, h.ui, work, "ann@x")
	if ann.Merged != 2 {
		t.Errorf("Merged %d", ann.Merged)
	}
	cfg, err := account.Load(h.dir)
	if err != nil || len(cfg.Merged) != 1 || len(cfg.Merged[0].Members) != 2 {
		t.Fatalf("merge not saved: %+v, %v", cfg, err)
	}
	// Work's Ann is online, home's busy: a chat goes to work; the menu
	// offers home's too.
	h.ui.contacts.onOpen(ann.Key())
	if h.ui.session(work).chats["ann@x"] == nil {
		t.Fatal("the merged contact's chat did not open on the account she is available on")
	}
	menuItem(t, h.ui, ann, "Chat from "+home).Action()
	if h.ui.session(home).chats["ann@x"] == nil {
		t.Fatal("Chat from home opened nothing on home")
	}
	// Work's Ann leaves: the row is home's now.
	h.in(work, ev.Presence(work, "ann@x", im.Offline, ""))
	if r := listed(t, h.ui, home, "ann@x"); r.Merged != 2 || r.Show != im.DND {
		t.Errorf("after work's Ann left: %+v", r)
	}
	menuItem(t, h.ui, listed(t, h.ui, home, "ann@x"), "Separate").Action()
	h.ui.list.SetShowOffline(true)
	h.ui.showRows()
	// Online first: home's Ann (busy) and Bob (away), then work's Ann.
	if got := contactRows(h.ui); !slices.Equal(got, []string{"Ann@" + home, "Bob@" + work, "Ann@" + work}) {
		t.Fatalf("rows after separating: %q", got)
	}
	if cfg, _ := account.Load(h.dir); cfg == nil || len(cfg.Merged) != 0 {
		t.Error("separating is not saved")
	}
}

func TestAccountMarksAreDistinct(t *testing.T) {
	h := twoAccounts(t)
	w, o := h.ui.accountColor(work), h.ui.accountColor(home)
	if w == o {
		t.Fatalf("both accounts are marked %v", w)
	}
	// The mark follows the account's place: moved first, home takes
	// the first colour, and drawn rows are drawn again.
	gen := h.ui.contacts.markGen
	h.ui.moveAccount(home, 0)
	if h.ui.accountColor(home) != w || h.ui.contacts.markGen == gen {
		t.Errorf("after moving home first: %v (want %v), redrawn %v", h.ui.accountColor(home), w, h.ui.contacts.markGen != gen)
	}
}

func TestAccountWithAStatusOfItsOwn(t *testing.T) {
	h := twoAccounts(t)
	last := func(a string) string {
		calls := h.cores[a].Calls()
		for i := len(calls) - 1; i >= 0; i-- {
			if strings.HasPrefix(calls[i], "SetPresence") {
				return calls[i]
			}
		}
		return ""
	}
	choice := h.ui.statusChoice(h.ui.session(home))
	choice.SetSelected(showLabel(im.Away))
	if got := last(home); got != `SetPresence Away ""` {
		t.Fatalf("home's own status: %q", got)
	}
	h.ui.showSelect.SetSelected(showLabel(im.DND))
	if last(work) != `SetPresence Do not disturb ""` || last(home) != `SetPresence Away ""` {
		t.Fatalf("the selector at the top set work %q and home %q", last(work), last(home))
	}
	// A restart keeps it: home comes back Away, whatever the others say.
	h.ui.stopSession(home)
	h.ui.startAccount(*h.ui.cfg.Find(home))
	if last(home) != `SetPresence Away ""` || h.ui.showSelect.Selected != showLabel(im.DND) {
		t.Fatalf("after a restart home says %q, the selector %q", last(home), h.ui.showSelect.Selected)
	}
	h.ui.statusChoice(h.ui.session(home)).SetSelected(sameStatus)
	if got := last(home); got != `SetPresence Do not disturb ""` {
		t.Fatalf("home following the others again: %q", got)
	}
}

func TestTwoBrowserSignInsAtOnce(t *testing.T) {
	srv := newAuthServer(t)
	a, b := oauthAccount(srv, false), oauthAccount(srv, false)
	a.JID, b.JID = work, home
	h := newMultiHarness(t, a, b)
	h.ui.Show()
	// Work's sign-in waits in the browser; home's is finished there
	// meanwhile, each with its own loopback listener.
	h.ui.authorize(a)
	first := h.browser.waitOpened(1)
	h.browser.setAnswer(signedInAnswer)
	h.ui.authorize(b)
	second := h.browser.waitOpened(2)
	if len(h.ui.flows) != 2 {
		t.Fatalf("%d sign-ins under way, want 2", len(h.ui.flows))
	}
	if first.Query().Get("redirect_uri") == second.Query().Get("redirect_uri") {
		t.Error("both sign-ins wait on the same redirect URI")
	}
	h.drain() // home's outcome
	if h.ui.flows[home] != nil || h.ui.flows[work] == nil {
		t.Fatalf("after home's sign-in: flows %v", h.ui.flows)
	}
	if s := h.ui.session(home); s == nil || s.NeedsSignIn() || !slices.Contains(h.cores[home].Calls(), "Connect") {
		t.Fatalf("home is not signed in: %v", h.cores[home].Calls())
	}
	if slices.Contains(h.cores[work].Calls(), "SetTokens") {
		t.Error("work got tokens from home's sign-in")
	}
}

func TestNoPasswordIsSaidPlainly(t *testing.T) {
	h := signedIn(t)
	e := stateEv(app.Offline)
	e.Err = fmt.Errorf("no password: %w", model.ErrNoPassword) // as app wraps it
	h.apply(e)
	if got := h.ui.stateText.Text; got != "Offline: Palaver needs the password of this account" {
		t.Errorf("top line %q", got)
	}
}

func TestBlockAndUnblock(t *testing.T) {
	h := twoAccounts(t)
	bob := listed(t, h.ui, work, "bob@x")
	menuItem(t, h.ui, bob, "Block…").Action()
	test.Tap(button(t, h.overlay(), "Block"))
	if calls := h.cores[work].Calls(); calls[len(calls)-1] != "Block bob@x" {
		t.Fatalf("work's core heard %q", calls)
	}
	blocked := app.Blocked{JID: "bob@x", OnServer: true}
	blocked.Acct = work
	h.in(work, blocked)
	menuItem(t, h.ui, listed(t, h.ui, work, "bob@x"), "Unblock").Action()
	if calls := h.cores[work].Calls(); calls[len(calls)-1] != "Unblock bob@x" {
		t.Fatalf("work's core heard %q", calls)
	}
	// The account's list of what it blocks, with Unblock.
	h.ui.showBlocked(work)
	d := h.overlay()
	if !labelContaining(d, "bob@x") {
		t.Fatal("the blocked list does not show bob")
	}
	test.Tap(button(t, d, "Unblock"))
	if labelContaining(d, "bob@x") {
		t.Error("bob is still listed after Unblock")
	}
	if slices.Contains(h.cores[home].Calls(), "Block bob@x") {
		t.Error("blocking on work reached home")
	}
}
