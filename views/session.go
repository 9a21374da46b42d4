package views

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/views/model"
)

// session is one running account: its core, contact list model,
// conversations and chat windows. Everything in it belongs to the UI
// goroutine.
type session struct {
	ui     *UI
	acct   account.Account
	core   Core
	stop   func()
	cancel context.CancelFunc
	closed bool

	// tokens is the token source of an OAuth account's core, nil while it
	// is not signed in. needsSignIn is set while only a sign-in in the
	// browser can bring the account online; expectSignIn while the
	// core's first SignInRequired is already explained (a sign-in was
	// canceled or failed) and needs no prompt.
	tokens       tokenSource
	needsSignIn  bool
	expectSignIn bool

	roster   *model.Roster
	state    app.StateChanged
	convs    map[string]*conversation
	chats    map[string]*chatWindow
	requests []app.SubscriptionRequest
	// msgRequests holds the senders outside the contact list: their
	// messages open nothing (see requests.go).
	msgRequests messageRequests
	// peerStates holds the chat states worth showing (composing, paused,
	// gone) by bare JID; a message from the peer clears theirs.
	peerStates map[string]chatstate.State
	// caughtUp gathers the messages the server's archive brought, for
	// the one notification that sums them up (see catchUpNotice).
	caughtUp catchUp
}

func newSession(u *UI, a account.Account, core Core, stop func()) *session {
	return &session{
		ui:     u,
		acct:   a,
		core:   core,
		stop:   stop,
		roster: newRoster(a.JID),
		state:  app.StateChanged{State: app.Connecting},
		convs:  make(map[string]*conversation),
		chats:  make(map[string]*chatWindow),

		peerStates: make(map[string]chatstate.State),
	}
}

// newRoster returns the roster of the account bare, dated by the views'
// clock.
func newRoster(bare string) *model.Roster {
	r := model.NewRoster(bare)
	r.Now = func() time.Time { return clock.now() }
	return r
}

// close stops the core and the event loop and closes the chat windows.
func (s *session) close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.cancel != nil {
		s.cancel()
	}
	for _, c := range s.chats {
		c.win.Close()
	}
	s.closeProfiles()
	if s.stop != nil {
		s.stop()
	}
}

// apply applies one batch of events. It runs on the UI goroutine (the pump
// calls it through fyne.Do) and updates each widget at most once: the
// contact list is rebuilt once, each touched chat window refreshed once.
func (s *session) apply(batch []app.Event) {
	if s.closed {
		return
	}
	var (
		stateChanged bool
		authFailed   *app.AuthFailed
		signInReq    *app.SignInRequired
		certFailed   *app.CertUntrusted
		requests     bool
		msgRequests  bool
		touched      = make(map[*chatWindow]bool)
		notify       []string // peers, in order of their first message
		notifyCount  = make(map[string]int)
		notifyText   = make(map[string]string)
		headers      bool
		states       = make(map[string]bool) // peers whose chat state changed
	)
	for _, ev := range batch {
		if ev.Account() != s.acct.JID {
			continue
		}
		s.roster.Apply(ev)
		switch e := ev.(type) {
		case app.StateChanged:
			s.state = e
			stateChanged = true
			headers = true
			if e.State == app.Online {
				s.ui.signedInWith(s, e.Mechanism)
			}
			if e.State != app.Online {
				// States heard before the connection dropped are stale.
				clear(s.peerStates)
			}
		case app.AuthFailed:
			authFailed = &e
		case app.SignInRequired:
			signInReq = &e
		case app.CertUntrusted:
			certFailed = &e
		case app.RosterReset, app.ContactUpdated, app.ContactRemoved:
			headers = true
		case app.PresenceChanged:
			headers = true
			if s.peerStates[e.JID] == "" {
				break
			}
			if show, _ := s.roster.Presence(e.JID); show == im.Offline {
				// Gone offline while typing: the typing will not end.
				delete(s.peerStates, e.JID)
				states[e.JID] = true
			}
		case app.ChatStateChanged:
			if s.stranger(e.JID) {
				break // a stranger's typing is shown nowhere
			}
			switch e.State {
			case chatstate.Composing, chatstate.Paused, chatstate.Gone:
				s.peerStates[e.JID] = e.State
			default:
				delete(s.peerStates, e.JID)
			}
			states[e.JID] = true
		case app.MessageReceived:
			peer := e.Peer
			if !e.Outgoing && s.stranger(peer) {
				// Anyone may write: a stranger's message (kept in the
				// archive) waits in Message requests and opens nothing.
				if s.msgRequests.add(peer, e.Msg.Body, e.Time) {
					msgRequests = true
				}
				break
			}
			conv := s.conversation(peer)
			// Already there when the archive was read after the message
			// was stored; it still counts as new below.
			conv.add(incomingMsg(s.roster.DisplayName(peer), e))
			c := s.chats[peer]
			if e.Outgoing {
				// Sent by the user elsewhere: no window pops up for it
				// (the conversation keeps it), and having just written
				// there, the user has read what came before. One from the
				// server's archive may be older than what is unread here.
				if c != nil {
					touched[c] = true
				}
				if e.FromArchive {
					break
				}
				if s.roster.Unread(peer) > 0 {
					s.roster.ClearUnread(peer)
					headers = true
				}
				if notifyCount[peer] > 0 {
					delete(notifyCount, peer)
					notify = slices.DeleteFunc(notify, func(p string) bool { return p == peer })
				}
				s.caughtUp.forget(peer)
				break
			}
			if s.peerStates[peer] != "" && !e.FromArchive {
				delete(s.peerStates, peer)
				states[peer] = true
			}
			if c == nil && !e.FromArchive && s.ui.openChatsByThemselves() {
				c = s.newChatWindow(conv)
				s.chats[peer] = c
				c.show(false)
			}
			if c != nil {
				touched[c] = true
				if c.active {
					break
				}
			}
			s.roster.AddUnread(peer, 1)
			headers = true
			if e.FromArchive {
				// Possibly old, and possibly many: summed up in one
				// notification once the catch-up is over.
				s.caughtUp.add(peer, e.Msg.Body)
				break
			}
			if notifyCount[peer] == 0 {
				notify = append(notify, peer)
			}
			notifyCount[peer]++
			notifyText[peer] = e.Msg.Body
		case app.MessageStateChanged:
			conv := s.convs[e.Peer]
			if conv == nil || !conv.setState(e.ID, e.State, "") {
				break
			}
			if c := s.chats[e.Peer]; c != nil {
				touched[c] = true
			}
		case app.MessageFailed:
			conv := s.convs[e.Peer]
			if conv == nil || !conv.fail(e.ID, e.Err) {
				break
			}
			if c := s.chats[e.Peer]; c != nil {
				touched[c] = true
			} else {
				s.ui.showNotice(fmt.Sprintf("A message to %s was not delivered: %v", s.roster.DisplayName(e.Peer), e.Err))
			}
		case app.SubscriptionRequest:
			if s.msgRequests.isIgnored(e.From) {
				break
			}
			s.addRequest(e)
			requests = true
		case app.Blocked:
			if !e.OnServer {
				s.ui.showNotice("Your server cannot block " + e.JID + "; Palaver ignores it on this computer until you quit.")
			}
		case app.CommandFailed:
			s.ui.showNotice(commandFailedText(e))
		case app.ProfileReceived, app.ProfileSaved, app.AvatarChanged:
			s.applyProfile(ev)
		case app.ArchivePrefs:
			s.archiveDefault(e)
		}
	}

	if s.ui.list.Dirty() || stateChanged {
		s.ui.showRows()
	}
	if headers {
		for _, c := range s.chats {
			c.updateHeader()
		}
	}
	for c := range touched {
		c.refresh(false)
	}
	if !headers {
		for peer := range states {
			if c := s.chats[peer]; c != nil {
				c.updateTyping()
			}
		}
	}
	for _, peer := range notify {
		s.ui.app.SendNotification(notification(s.notifyName(peer), notifyCount[peer], notifyText[peer]))
	}
	s.scheduleCatchUpNotice()
	if requests {
		s.ui.refreshRequests()
	}
	if msgRequests {
		s.ui.refreshMessageRequests()
	}
	if stateChanged {
		s.ui.refreshState()
	}
	if certFailed != nil {
		s.ui.showTrustDialog(s, certFailed.Cert)
	}
	if signInReq != nil {
		s.signInRequired(*signInReq)
	}
	if authFailed != nil && s.acct.UsesOAuth() {
		// Not a password to ask for: the server refused the sign-in
		// itself (an unusable mechanism, a disabled account).
		msg := fmt.Sprintf("The server refused the sign-in of %s (%s).", s.acct.JID, authFailed.Condition)
		if authFailed.Text != "" {
			msg += " The server said: " + authFailed.Text
		}
		s.ui.askSignInAgain(s, msg)
		authFailed = nil
	}
	if authFailed != nil && s.ui.showSecurityRefusal(s, *authFailed) {
		// Not the password's fault: asking for it again would not help.
		authFailed = nil
	}
	if authFailed != nil {
		msg := authFailedText(*authFailed)
		if authFailed.Condition == app.ConditionNoPassword {
			msg = "Palaver has no password for " + s.acct.JID + "."
			if err := s.ui.pw.keychainError(s.acct.JID); err != nil {
				msg += " The keychain failed: " + err.Error()
			}
		}
		s.ui.askPassword(s, msg)
	}
}

// signInRequired takes the core's word that the OAuth account needs a new
// sign-in in the browser. The user is asked, unless a sign-in is under way
// or the need is already known; the browser never opens by itself.
func (s *session) signInRequired(e app.SignInRequired) {
	s.needsSignIn = true
	u := s.ui
	expected := s.expectSignIn
	s.expectSignIn = false
	if expected || u.flows[s.acct.JID] != nil {
		u.refreshState()
		return
	}
	u.askSignInAgain(s, signInRequiredText(e))
	u.refreshState()
}

// notification words a desktop notification for n new messages from name.
// The contact chose the name and wrote the text: both are made safe for
// the platform's notifications (notifyText), after clipping, so that no
// escape is cut in half.
func notification(name string, n int, last string) *fyne.Notification {
	title := notificationTitle(name)
	if n > 1 {
		return fyne.NewNotification(title, fmt.Sprintf("%d new messages", n))
	}
	text, clipped := clipPreview(plainText(last))
	if r := []rune(text); len(r) > 200 {
		text, clipped = string(r[:200]), true
	}
	if clipped {
		text += "…"
	}
	return fyne.NewNotification(title, notificationBody(text))
}

// notifyName is how a notification names peer: with the account written
// to when several run.
func (s *session) notifyName(peer string) string {
	name := s.roster.DisplayName(peer)
	if len(s.ui.sessions) > 1 {
		name += " → " + s.acct.JID
	}
	return name
}

func (s *session) conversation(peer string) *conversation {
	conv := s.convs[peer]
	if conv == nil {
		conv = newConversation(peer)
		s.convs[peer] = conv
	}
	return conv
}

// openChat opens (or raises) the chat with peer because the user asked.
func (s *session) openChat(peer string) {
	c := s.chats[peer]
	if c == nil {
		c = s.newChatWindow(s.conversation(peer))
		s.chats[peer] = c
	}
	c.show(true)
}

func (s *session) chatClosed(c *chatWindow) {
	c.active = false
	if s.chats[c.conv.peer] == c {
		delete(s.chats, c.conv.peer)
	}
	if !s.closed {
		s.core.ChatActivity(c.conv.peer, chatstate.Closed)
	}
}

// markRead clears the unread count of peer, whose window the user now
// looks at.
func (s *session) markRead(peer string) {
	s.roster.ClearUnread(peer)
	if s.ui.list.Dirty() {
		s.ui.showRows()
	}
	if c := s.chats[peer]; c != nil {
		c.updateHeader()
	}
}

// deactivateChats is called when the app loses the focus.
func (s *session) deactivateChats() {
	for _, c := range s.chats {
		c.setActive(false)
	}
}

func (s *session) addRequest(e app.SubscriptionRequest) {
	for i, r := range s.requests {
		if strings.EqualFold(r.From, e.From) {
			s.requests[i] = e
			return
		}
	}
	if len(s.requests) >= maxSubscriptionRequests {
		// Anyone may ask: the oldest unanswered request goes.
		s.requests[0] = app.SubscriptionRequest{}
		s.requests = s.requests[1:]
	}
	s.requests = append(s.requests, e)
}

// answerRequest approves or denies the request from jid.
func (s *session) answerRequest(jid string, approve bool) {
	if approve {
		s.core.Approve(jid)
	} else {
		s.core.Deny(jid)
	}
	out := s.requests[:0]
	for _, r := range s.requests {
		if r.From != jid {
			out = append(out, r)
		}
	}
	clear(s.requests[len(out):])
	s.requests = out
	s.ui.refreshRequests()
}
