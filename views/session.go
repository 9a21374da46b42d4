package views

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/views/model"
)

// session is one running account: its model (model.Account: contacts,
// state, requests), its core, conversations and chat windows. Everything
// in it belongs to the UI goroutine.
type session struct {
	*model.Account
	ui     *UI
	acct   account.Account
	core   Core
	stop   func()
	cancel context.CancelFunc
	closed bool

	// tokens is the token source of an OAuth account's core, nil while it
	// is not signed in (Account.SignIn says what that means).
	tokens model.TokenSource

	convs map[string]*conversation
	chats map[string]*chatWindow
	// prof holds the profile windows and pictures (profile.go), nil
	// until the first is opened.
	prof *profileState
	// notesDue is set while notifications held back are scheduled.
	notesDue bool
	// browser is the open room browser (roombrowse.go), nil if none.
	browser *roomBrowser
	// mediaStates holds what is known of shared files' URLs (files.go).
	mediaStates map[string]*mediaState
}

func newSession(u *UI, a account.Account, core Core, stop func()) *session {
	m := model.NewAccount(a.JID)
	m.Roster.Now = func() time.Time { return clock.now() }
	m.Now = m.Roster.Now
	s := &session{
		Account: m,
		ui:      u,
		acct:    a,
		core:    core,
		stop:    stop,
		convs:   make(map[string]*conversation),
		chats:   make(map[string]*chatWindow),
	}
	m.RoomNotify = s.roomNotify
	return s
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
	if s.browser != nil {
		s.browser.d.Hide()
	}
	if s.stop != nil {
		s.stop()
	}
}

// The session is the model's View of its windows.
var _ model.View = (*session)(nil)

// ChatOpen reports whether a chat window with peer is open.
func (s *session) ChatOpen(peer string) bool { return s.chats[peer] != nil }

// ChatActive reports whether the user looks at the chat with peer.
func (s *session) ChatActive(peer string) bool {
	c := s.chats[peer]
	return c != nil && c.active
}

// HasConversation reports whether there was a conversation with peer.
func (s *session) HasConversation(peer string) bool { return s.convs[peer] != nil }

// OpensChats reports whether a message opens its chat by itself.
func (s *session) OpensChats() bool { return s.ui.openChatsByThemselves() }

// SigningIn reports whether a browser sign-in of the account is under way.
func (s *session) SigningIn() bool { return s.ui.flows[s.acct.JID] != nil }

// apply applies one batch of events. It runs on the UI goroutine (the pump
// calls it through fyne.Do): the model decides (model.Account.Apply), and
// render shows the changes, each widget at most once.
func (s *session) apply(batch []app.Event) {
	if s.closed {
		return
	}
	s.render(s.Apply(batch, s))
}

// render shows what a batch changed: the contact list is rebuilt once,
// each touched chat window refreshed once.
func (s *session) render(ch model.Changes) {
	if ch.Online {
		s.ui.signedInWith(s, ch.Mechanism)
		s.ui.followWaitingLink(s) // uri.go
	}
	touched := make(map[*chatWindow]bool)
	for _, e := range ch.Messages {
		s.conversation(e.Peer).add(incomingMsg(s.peerName(e.Peer), e))
		if c := s.chats[e.Peer]; c != nil {
			touched[c] = true
		}
	}
	s.trimConversations(ch.Messages)
	s.renderRooms(ch, touched)
	for _, peer := range ch.Open {
		if s.chats[peer] != nil {
			continue
		}
		c := s.newChatWindow(s.conversation(peer))
		s.chats[peer] = c
		c.show(false)
		touched[c] = true
	}
	for _, e := range ch.MessageStates {
		conv := s.convs[e.Peer]
		if conv == nil || !conv.setState(e.ID, e.State, "") {
			continue
		}
		if c := s.chats[e.Peer]; c != nil {
			touched[c] = true
		}
	}
	for _, e := range ch.Corrections {
		// A conversation not held has nothing to change: the archive
		// has the correction.
		if conv := s.convs[e.Peer]; conv != nil && conv.correct(e) {
			if c := s.chats[e.Peer]; c != nil {
				touched[c] = true
			}
		}
	}
	for _, e := range ch.Failed {
		conv := s.convs[e.Peer]
		if conv == nil || !conv.fail(e.ID, e.Err) {
			continue
		}
		if c := s.chats[e.Peer]; c != nil {
			touched[c] = true
		} else {
			s.ui.showNotice(lang.L("A message to {{.Name}} was not delivered: {{.Error}}", map[string]any{"Name": s.Roster.DisplayName(e.Peer), "Error": errorText(e.Err)}))
		}
	}
	s.applyFiles(ch.Files, touched)
	s.applyReactions(ch.Reactions, touched)
	for _, jid := range ch.BlockedHere {
		s.ui.showNotice(lang.L("Your server cannot block {{.Address}}; Palaver ignores it on this computer until you quit.", map[string]any{"Address": jid}))
	}
	for _, e := range ch.CommandsFailed {
		if s.roomConfigFailed(e) {
			continue // said in the room's settings dialog
		}
		s.ui.showNotice(commandFailedText(e))
	}
	for _, e := range ch.RoomConfig {
		s.roomConfigEvent(e)
	}
	for _, e := range ch.Profiles {
		s.applyProfile(e)
	}
	if ch.ArchivePrefs != nil {
		s.archiveDefault(*ch.ArchivePrefs)
	}

	if s.ui.list.Dirty() || ch.State || ch.Rooms {
		s.ui.showRows()
	}
	if ch.Headers {
		for _, c := range s.chats {
			c.updateHeader()
		}
	}
	for c := range touched {
		c.refresh(false)
	}
	for _, peer := range ch.Typing {
		if c := s.chats[peer]; c != nil {
			c.updateTyping()
		}
	}
	for _, n := range ch.Notify {
		s.ui.app.SendNotification(notification(s.noteName(n), n.Count, n.Last))
	}
	if ch.NotifyHeld {
		s.scheduleNotes()
	}
	if ch.CatchUp {
		s.scheduleCatchUpNotice()
	}
	if ch.Requests {
		s.ui.refreshRequests()
	}
	if ch.MsgRequests {
		s.ui.refreshMessageRequests()
	}
	if ch.RoomList {
		s.refreshRoomBrowser()
	}
	if ch.Invitations {
		s.ui.refreshInvitations()
	}
	for _, inv := range ch.Invited {
		s.ui.app.SendNotification(s.invitationNote(inv))
	}
	if ch.State {
		s.ui.refreshState()
	}
	if ch.CertUntrusted != nil {
		s.ui.showTrustDialog(s, ch.CertUntrusted.Cert)
	}
	if ch.SignInRequired != nil {
		msg := signInRequiredText(*ch.SignInRequired)
		if scope, added := s.ui.scopeNeeded(s, ch.SignInRequired.Err); scope != "" {
			msg = scopeText(scope, added)
		}
		s.ui.askSignInAgain(s, msg)
	}
	s.authFailed(ch.AuthFailed)
}

// authFailed asks for what a refused sign-in needs: a new sign-in in the
// browser (OAuth), nothing when a security rule refused it, else the
// password.
func (s *session) authFailed(e *app.AuthFailed) {
	switch {
	case e == nil:
	case s.acct.UsesOAuth():
		// Not a password to ask for: the server refused the sign-in
		// itself (an unusable mechanism, a disabled account).
		msg := lang.L("The server refused the sign-in of {{.Address}}.", map[string]any{"Address": s.acct.JID})
		if e.Condition == "account-disabled" {
			msg += " " + lang.L("This account is disabled on the server.")
		}
		if e.Text != "" {
			msg += " " + lang.L("The server said: {{.Text}}", map[string]any{"Text": e.Text})
		}
		s.ui.askSignInAgain(s, msg)
	case s.ui.showSecurityRefusal(s, *e):
		// Not the password's fault: asking for it again would not help.
	default:
		msg := authFailedText(*e)
		if e.Condition == app.ConditionNoPassword {
			msg = lang.L("Palaver has no password for {{.Address}}.", map[string]any{"Address": s.acct.JID})
			if err := s.ui.pw.KeychainError(s.acct.JID); err != nil {
				msg += " " + lang.L("The keychain failed: {{.Error}}", map[string]any{"Error": errorText(err)})
			}
		}
		s.ui.askPassword(s, msg)
	}
}

// notification words a desktop notification for n new messages from name.
// The contact chose the name and wrote the text: both are made safe for
// the platform's notifications (notifyText), after clipping, so that no
// escape is cut in half.
func notification(name string, n int, last string) *fyne.Notification {
	title := notificationTitle(name)
	if n > 1 {
		return fyne.NewNotification(title, lang.N("{{.Count}} new messages", n, map[string]any{"Count": n}))
	}
	text, clipped := clipPreview(plainText(last))
	if r := []rune(text); len(r) > 200 {
		text, clipped = string(r[:200]), true
	}
	if clipped {
		text += "…" // not translated: a character, not words
	}
	return fyne.NewNotification(title, notificationBody(text))
}

// scheduleNotes arranges for the notifications the model holds back
// (model.NotifyQuiet) to be sent when they fall due.
func (s *session) scheduleNotes() {
	if s.notesDue {
		return
	}
	next := s.NextNotification()
	if next.IsZero() {
		return
	}
	s.notesDue = true
	s.ui.after(max(0, next.Sub(clock.now())), func() {
		s.notesDue = false
		if s.closed {
			return
		}
		due, _ := s.DueNotifications(clock.now())
		for _, n := range due {
			if r := s.Rooms[n.Peer]; s.Roster.Unread(n.Peer) > 0 || r != nil && r.Unread > 0 { // not read meanwhile
				s.ui.app.SendNotification(notification(s.noteName(n), n.Count, n.Last))
			}
		}
		s.scheduleNotes()
	})
}

// noteName is who a notification is from: a contact, or someone in a
// room ("ann in tea").
func (s *session) noteName(n model.Notification) string {
	if !n.Room {
		return s.notifyName(n.Peer)
	}
	name := lang.L("{{.Nick}} in {{.Room}}", map[string]any{"Nick": plainLine(n.Nick), "Room": s.roomTitle(n.Peer)})
	if len(s.ui.sessions) > 1 {
		name += " → " + s.acct.JID
	}
	return name
}

// roomRead marks room read, now that its window is looked at.
func (s *session) roomRead(room string) {
	if s.RoomRead(room) {
		s.ui.showRows()
		if c := s.chats[room]; c != nil {
			c.updateHeader()
		}
	}
}

// notifyName is how a notification names peer: with the account written
// to when several run.
func (s *session) notifyName(peer string) string {
	name := s.peerName(peer)
	if len(s.ui.sessions) > 1 {
		name += " → " + s.acct.JID
	}
	return name
}

// trimConversations bounds the conversations that messages were added
// to (see maxHeld): one whose window shows its newest messages, or has no
// window, drops its oldest.
func (s *session) trimConversations(added []app.MessageReceived) {
	for i, e := range added {
		if i > 0 && added[i-1].Peer == e.Peer {
			continue
		}
		conv := s.convs[e.Peer]
		if conv == nil || len(conv.msgs) <= maxHeld {
			continue
		}
		c := s.chats[e.Peer]
		if c != nil && !c.atBottom() {
			continue // the user reads back: what is in view stays
		}
		for _, m := range conv.trim(keepHeld) {
			if c != nil {
				delete(c.heights, m)
			}
		}
	}
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
	switch {
	case s.closed:
	case c.room:
		// Closing a room's window leaves it, as in Gajim.
		if !c.left {
			s.roomClosed(c.conv.peer)
		}
	default:
		s.core.ChatActivity(c.conv.peer, chatstate.Closed)
	}
	// What the user read back through goes: the archive keeps it.
	switch {
	case c.conv.newer:
		c.conv.reset() // reopened, it shows the newest again
	case len(c.conv.msgs) > maxHeld:
		c.conv.trim(keepHeld)
	}
}

// markRead clears the unread count of peer, whose window the user now
// looks at.
func (s *session) markRead(peer string) {
	s.Roster.ClearUnread(peer)
	s.Seen(peer)
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

// answerRequest approves or denies the request from jid.
func (s *session) answerRequest(jid string, approve bool) {
	if approve {
		s.core.Approve(jid)
	} else {
		s.core.Deny(jid)
	}
	s.Answered(jid)
	s.ui.refreshRequests()
}
