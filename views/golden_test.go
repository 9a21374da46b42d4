package views

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	ev "github.com/palaver-im/palaver/views/model/modeltest"
	"mellium.im/xmpp/stanza"
)

// fixClock makes time stamps independent of when and where tests run.
func fixClock(t *testing.T) time.Time {
	now := time.Date(2026, 3, 14, 15, 30, 0, 0, time.UTC)
	old := clock
	clock.now = func() time.Time { return now }
	clock.loc = time.UTC
	t.Cleanup(func() { clock = old })
	return now
}

func signedIn(t *testing.T) *harness {
	h := newHarness(t, account.Account{JID: me})
	h.ui.Show()
	h.apply(stateEv(app.Online))
	return h
}

func TestContactListMarkup(t *testing.T) {
	h := signedIn(t)
	h.apply(
		resetEv(
			contact("alice@example.org", "Alice", "Friends"),
			contact("bob@example.org", "Bob", "Friends", "Work"),
			contact("carol@example.org", "", "Work"),
			contact("dave@example.org", "Dave"),
			app.Contact{JID: "erin@example.org", Name: "Erin", Subscription: "none", Pending: true},
		),
		presenceEv("alice@example.org", im.Available, "Reading"),
		presenceEv("bob@example.org", im.Away, "Back at 4"),
		presenceEv("carol@example.org", im.DND, "In a meeting"),
		presenceEv("dave@example.org", im.XA, ""),
	)
	h.ui.only().Roster.AddUnread("alice@example.org", 3)
	h.ui.offline.SetChecked(true)
	h.ui.win.Resize(fyne.NewSize(420, 560))
	saveImage(t, "contactlist", h.ui.win.Canvas())
	assertMarkup(t, "contactlist", h.ui.win.Canvas())
}

func TestChatWindowMarkup(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice", "Friends")), presenceEv(peer, im.Available, ""))
	h.ui.only().openChat(peer)
	c := h.ui.only().chats[peer]
	h.apply(
		messageEv(peer, "Sent while you were away", now.Add(-26*time.Hour), true),
		messageEv(peer, "Hello! Are you coming tonight?", now.Add(-time.Minute), false),
	)
	c.entry.SetText("Yes, see you at eight.")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	c.entry.SetText("This one will bounce")
	c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	ev := app.MessageFailed{ID: "id2", Peer: peer, Err: stanza.Error{Type: stanza.Cancel, Condition: stanza.RecipientUnavailable}}
	ev.Acct = me
	h.apply(ev)
	h.settle() // the rows drawn are measured, their heights handed to the list
	saveImage(t, "chat", c.win.Canvas())
	assertMarkup(t, "chat", c.win.Canvas())
}

// TestChatTypingMarkup shows the typing indicator, day separators and a
// delayed message read from the archive with what its delay element said.
func TestChatTypingMarkup(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "bob@example.org"
	h.apply(resetEv(contact(peer, "Bob")), presenceEv(peer, im.Away, "Back at 4"))
	h.core.history = []history.Message{
		{ID: 1, Peer: peer, Time: now.Add(-4 * 24 * time.Hour), Body: "See you on Tuesday?"},
		{ID: 2, Peer: peer, Dir: history.Out, MsgID: "a", Time: now.Add(-4*24*time.Hour + time.Minute), Body: "Yes!", State: history.Delivered},
		{ID: 3, Peer: peer, Time: now.Add(-17*time.Hour - 16*time.Minute), Body: "Running late, sorry", Delayed: true,
			DelayFrom: "example.org", DelayReason: "Offline Storage"},
	}
	c := openRead(h, peer)
	h.apply(chatStateEv(peer, chatstate.Composing))
	h.settle()
	saveImage(t, "chat_typing", c.win.Canvas())
	assertMarkup(t, "chat_typing", c.win.Canvas())
}

// TestSearchMarkup shows message search results in place of the contacts.
func TestSearchMarkup(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	h.apply(resetEv(contact("alice@example.org", "Alice"), contact("bob@example.org", "Bob")))
	h.core.hits = []history.Hit{
		{Message: history.Message{ID: 9, Peer: "alice@example.org", Time: now.Add(-time.Hour), Body: "Dinner at eight?"},
			Snippet: "\x02Dinner\x03 at eight?"},
		{Message: history.Message{ID: 4, Peer: "bob@example.org", Dir: history.Out, Time: now.Add(-30 * time.Hour), Body: "dinner is on me"},
			Snippet: "\x02dinner\x03 is on me"},
	}
	h.ui.search.entry.SetText("dinner")
	h.runLater()
	h.drain()
	h.ui.win.Resize(fyne.NewSize(420, 560))
	saveImage(t, "search", h.ui.win.Canvas())
	assertMarkup(t, "search", h.ui.win.Canvas())
}

func TestTrustDialogMarkup(t *testing.T) {
	h := signedIn(t)
	ev := app.CertUntrusted{Cert: testCert()}
	ev.Acct = me
	h.apply(ev)
	saveImage(t, "trustdialog", h.ui.win.Canvas())
	assertMarkup(t, "trustdialog", h.ui.win.Canvas())
}

func testCert() certs.Info {
	return certs.Info{
		Subject:   "CN=example.org",
		Issuer:    "CN=example.org",
		Names:     []string{"example.org"},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		SHA256:    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Reason:    "it is self-signed, and no authority you trust vouches for it",
		Problem:   certs.SelfSigned,
	}
}

func TestAccountDialogOAuthMarkup(t *testing.T) {
	h := newHarness(t)
	h.ui.Show()
	d := h.chooseMethod("OAuth (your server's sign-in)")
	formEntry(t, d, "Address").SetText("alice@example.org")
	formEntry(t, d, "Client ID").SetText("palaver")
	formEntry(t, d, "Issuer URL").SetText("https://auth.example.org")
	saveImage(t, "accountdialog_oauth", h.ui.win.Canvas())
	assertMarkup(t, "accountdialog_oauth", h.ui.win.Canvas())
}

func TestAccountDialogFacebookMarkup(t *testing.T) {
	h := newHarness(t)
	h.ui.Show()
	h.chooseMethod("Facebook Chat")
	saveImage(t, "accountdialog_facebook", h.ui.win.Canvas())
	assertMarkup(t, "accountdialog_facebook", h.ui.win.Canvas())
}

func TestWaitingDialogMarkup(t *testing.T) {
	h := newHarness(t, account.Account{JID: "alice@gmail.com", Auth: account.AuthOAuth,
		OAuth: account.OAuthSettings{Provider: account.ProviderGoogle, ClientID: "palaver"}})
	h.ui.Show()
	h.ui.authorize(h.ui.only().acct)
	h.browser.waitOpened(1)
	saveImage(t, "waitingdialog", h.ui.win.Canvas())
	assertMarkup(t, "waitingdialog", h.ui.win.Canvas())
}

// TestChatStatesMarkup shows the user's messages in each state: delivered,
// sent (one of them from another device), pending and failed with Retry.
func TestChatStatesMarkup(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")), presenceEv(peer, im.Available, ""))
	c := openRead(h, peer)
	h.apply(messageEv(peer, "Did you get my photos?", now.Add(-10*time.Minute), false))
	for _, text := range []string{"Yes, they are lovely", "Especially the one by the lake", "Sending you mine now", "And this one"} {
		c.entry.SetText(text)
		c.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}
	h.apply(
		msgStateEv(peer, "id1", history.Sent), msgStateEv(peer, "id1", history.Delivered),
		msgStateEv(peer, "id2", history.Sent),
		msgFailedEv(peer, "id4", stanza.Error{Type: stanza.Modify, Condition: stanza.PolicyViolation}),
		carbonEv(peer, "phone1", "(from my phone) see you later", now.Add(time.Second), 9),
	)
	h.settle()
	saveImage(t, "chat_states", c.win.Canvas())
	assertMarkup(t, "chat_states", c.win.Canvas())
}

// TestWaitingBannerMarkup shows the connection bar while the core waits
// to reconnect after the connection stalled.
func TestWaitingBannerMarkup(t *testing.T) {
	now := fixClock(t)
	h := signedIn(t)
	h.apply(resetEv(contact("alice@example.org", "Alice"), contact("bob@example.org", "Bob")))
	w := stateEv(app.Waiting)
	w.Err = fmt.Errorf("%w: the server did not answer a ping within 10s", app.ErrStalled)
	w.RetryAt = now.Add(8 * time.Second)
	h.apply(w)
	h.ui.offline.SetChecked(true)
	h.ui.win.Resize(fyne.NewSize(420, 560))
	saveImage(t, "waiting_banner", h.ui.win.Canvas())
	assertMarkup(t, "waiting_banner", h.ui.win.Canvas())
}

// twoAccountsShown is twoAccounts with fixed presence, unread counts and
// one merged contact, at a fixed size, for the golden views.
func twoAccountsShown(t *testing.T) *harness {
	fixClock(t)
	h := twoAccounts(t)
	h.in(work, ev.Updated(work, ev.Contact("dan@x", "Dan", "Team")), ev.Presence(work, "dan@x", im.Available, "Reading"))
	h.in(home, ev.Updated(home, ev.Contact("dan@y", "Dan")), ev.Presence(home, "dan@y", im.XA, ""))
	h.ui.cfg.Merge(account.ContactRef{Account: work, JID: "dan@x"}, account.ContactRef{Account: home, JID: "dan@y"})
	h.ui.mergesChanged()
	h.ui.session(home).Roster.AddUnread("ann@x", 2)
	h.ui.showRows()
	h.ui.win.Resize(fyne.NewSize(420, 480))
	return h
}

func TestTwoAccountsListMarkup(t *testing.T) {
	h := twoAccountsShown(t)
	saveImage(t, "contactlist_accounts", h.ui.win.Canvas())
	assertMarkup(t, "contactlist_accounts", h.ui.win.Canvas())
}

func TestAccountsWindowMarkup(t *testing.T) {
	h := twoAccountsShown(t)
	h.in(home, ev.State(home, app.Waiting))
	h.ui.cfg.Accounts = append(h.ui.cfg.Accounts, account.Account{JID: "me@old.example", Disabled: true})
	h.ui.showAccounts()
	w := h.ui.accountsWin.win
	defer w.Close()
	w.Resize(fyne.NewSize(560, 420))
	saveImage(t, "accounts", w.Canvas())
	assertMarkup(t, "accounts", w.Canvas())
}
