package model

import (
	"slices"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// SignIn is where an account stands with its sign-in: signed in (a
// password account always is: its core asks for the password itself), or
// waiting for a sign-in in the browser, which only the user can start.
type SignIn uint8

// Sign-in states of an account.
const (
	// SignedIn: the core has what it signs in with.
	SignedIn SignIn = iota
	// SignInAwaited: an OAuth account without tokens whose need to sign
	// in is known to the user already (it was just set up, or a sign-in
	// was canceled or failed): the core's SignInRequired asks nothing.
	SignInAwaited
	// SignInNeeded: an OAuth account without tokens; only a sign-in in
	// the browser brings it online.
	SignInNeeded
)

// Account is what the views know of one running account: its contacts,
// connection and sign-in state, the chat states worth showing, the
// requests of others, and the messages of a catch-up. Apply turns the
// core's events into it and into the Changes the windows must show.
type Account struct {
	// JID is the account's bare JID.
	JID    string
	Roster *Roster
	State  app.StateChanged
	SignIn SignIn
	// PeerStates holds the chat states worth showing (composing, paused,
	// gone) by bare JID; a message from the peer clears theirs.
	PeerStates map[string]chatstate.State
	// Requests are the subscription requests not answered yet.
	Requests []app.SubscriptionRequest
	// MsgRequests holds the senders outside the contact list: their
	// messages open nothing.
	MsgRequests MessageRequests
	// CaughtUp gathers what the server's archive brought.
	CaughtUp CatchUp
	// Rooms are the group chats joined or being joined, by room JID.
	Rooms map[string]*Room
	// Blocked are the addresses blocked (XEP-0191), on the server or, if
	// it cannot block, on this computer for this run.
	Blocked map[string]bool
	// Bookmarks are the rooms the account keeps (XEP-0402), by room JID:
	// listed even when not joined, and joined at sign-in when autojoin.
	Bookmarks map[string]app.Bookmark
	// Invitations are the invitations to rooms not answered yet.
	Invitations Invitations
	// Browse is the open room browser's state, nil when none is open;
	// RoomService the server's group chat service, once a list found it.
	Browse      *RoomBrowse
	RoomService string
	// Upload is the account's file upload service (XEP-0363) as last
	// heard: Addr "" when the server has none or before sign-in.
	Upload app.UploadService

	// RoomNotify says when a room notifies (account.RoomNotifyAll,
	// RoomNotifyMentions, RoomNotifyNone); nil: when a message names us.
	RoomNotify func(room string) string

	// Now is the clock of the catch-up and the notifications; time.Now
	// when nil.
	Now func() time.Time

	// Notifications held back (see NotifyQuiet): when each peer was last
	// notified, and what came since, in the order it came.
	notedAt map[string]time.Time
	held    []Notification
}

// NotifyQuiet is the least time between two notifications about one
// contact: messages that come sooner are summed up in one notification
// when it has passed ("12 new messages"), so that a contact who writes
// fast (or floods) does not stack up the desktop's notifications.
const NotifyQuiet = 5 * time.Second

// NewAccount returns the state of the account bare, not connected yet.
func NewAccount(bare string) *Account {
	return &Account{
		JID:        bare,
		Roster:     NewRoster(bare),
		State:      app.StateChanged{State: app.Connecting},
		PeerStates: make(map[string]chatstate.State),
	}
}

// NeedsSignIn reports whether only a sign-in in the browser can bring the
// account online.
func (a *Account) NeedsSignIn() bool { return a.SignIn != SignedIn }

func (a *Account) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// View is what Apply needs to know of the windows of the account.
type View interface {
	// ChatOpen reports whether a chat window with peer is open;
	// ChatActive whether the user is looking at it.
	ChatOpen(peer string) bool
	ChatActive(peer string) bool
	// HasConversation reports whether there was a conversation with peer
	// in this run (shown or not).
	HasConversation(peer string) bool
	// OpensChats reports whether a contact's message opens its chat
	// window by itself (a setting).
	OpensChats() bool
	// SigningIn reports whether a browser sign-in of the account is under
	// way.
	SigningIn() bool
}

// Notification is one desktop notification: Count new messages from
// Peer, Last the newest.
type Notification struct {
	Peer  string
	Count int
	Last  string
	// Room is set for a room's message that named us; Nick is who wrote
	// the last.
	Room bool
	Nick string
}

// Changes is what one batch of events changed and asks for, in the order
// the windows should take it.
type Changes struct {
	// State is set when the connection state changed; Online when it
	// became Online, with the SASL mechanism it signed in with.
	State     bool
	Online    bool
	Mechanism string
	// Headers is set when what chat windows show above the messages
	// (presence, names, unread counts) may have changed.
	Headers bool
	// Messages are those to add to their conversations, in order: not
	// those of strangers, which wait in MsgRequests.
	Messages []app.MessageReceived
	// Open lists the peers whose chat window opens by itself.
	Open []string
	// MessageStates and Failed update messages already shown.
	MessageStates []app.MessageStateChanged
	Failed        []app.MessageFailed
	// Corrections are messages corrected (XEP-0308): the row of ID (or
	// ArchiveID) in the conversation with Peer shows the new body.
	Corrections []app.MessageCorrected
	// Files are the events of uploads (UploadProgress, UploadDone,
	// UploadFailed, UploadInterrupted) and of media received (MediaInfo,
	// MediaSaved), in order.
	Files []app.Event
	// Reactions are reactions that changed (XEP-0444), in order.
	Reactions []app.ReactionsChanged
	// Typing lists the peers whose chat state changed.
	Typing []string
	// Notify lists the notifications to send, one per peer, in the order
	// of their first message; NotifyHeld is set while some are held back
	// (see NotifyQuiet and DueNotifications).
	Notify     []Notification
	NotifyHeld bool
	// CatchUp is set when the catch-up gathered more (CaughtUp).
	CatchUp bool
	// Requests and MsgRequests are set when those lists changed.
	Requests, MsgRequests bool
	// BlockedHere lists addresses the server could not block: they are
	// ignored on this computer only.
	BlockedHere []string
	// Blocks is set when the addresses blocked changed.
	Blocks bool
	// CommandsFailed are commands the server refused.
	CommandsFailed []app.CommandFailed
	// Profiles are the events for profile cards and pictures.
	Profiles []app.Event
	// ArchivePrefs is the server's archiving default, when it came.
	ArchivePrefs *app.ArchivePrefs

	// Rooms is set when the rooms listed changed (joined, left, subject,
	// occupants, unread); RoomsTouched are the rooms whose window must
	// show more; RoomMessages the rooms' lines to add, in order.
	Rooms        bool
	RoomsTouched []string
	RoomMessages []app.RoomMessage
	// RoomPresence are occupants who came, went or took another name,
	// for lines in the room's window.
	RoomPresence []app.OccupantChanged
	// RoomFailures and RoomLefts are joins refused and rooms left (by us
	// or because the room removed us), for the windows to say why.
	RoomFailures []app.RoomJoinFailed
	RoomLefts    []app.RoomLeft
	// RoomList is set when the open room browser got its answer.
	RoomList bool
	// RoomConfig are the answers about rooms' settings (RoomConfigForm,
	// RoomConfigured), for their settings dialogs.
	RoomConfig []app.Event
	// Invitations is set when the invitations waiting changed; Invited
	// lists the new ones from contacts, for a notification.
	Invitations bool
	Invited     []Invitation

	// Prompts, at most one of each per batch, the last one heard.
	// SignInRequired is set only when the user must be asked.
	CertUntrusted  *app.CertUntrusted
	SignInRequired *app.SignInRequired
	AuthFailed     *app.AuthFailed
}

// Apply takes a batch of the core's events: events of other accounts are
// ignored. It updates the account and returns what the windows must show
// and do; it touches no window itself.
func (a *Account) Apply(batch []app.Event, v View) Changes {
	var (
		ch       Changes
		notified = make(map[string]int) // index in ch.Notify
		opened   = make(map[string]bool)
		typing   = make(map[string]bool)
		// talked holds the peers of this batch's conversation lines: the
		// views add those conversations only once Apply returns.
		talked = make(map[string]bool)
	)
	setTyping := func(peer string) {
		if !typing[peer] {
			typing[peer] = true
			ch.Typing = append(ch.Typing, peer)
		}
	}
	for _, ev := range batch {
		if ev.Account() != a.JID {
			continue
		}
		a.Roster.Apply(ev)
		switch e := ev.(type) {
		case app.StateChanged:
			a.State = e
			ch.State, ch.Headers = true, true
			if e.State == app.Online {
				ch.Online, ch.Mechanism = true, e.Mechanism
			} else {
				// States heard before the connection dropped are stale.
				clear(a.PeerStates)
			}
		case app.AuthFailed:
			ch.AuthFailed = &e
		case app.SignInRequired:
			// The core's word that only the browser helps now. The user
			// is asked, unless a sign-in is under way or the need is
			// already known; the browser never opens by itself.
			if a.SignIn != SignInAwaited && !v.SigningIn() {
				ch.SignInRequired = &e
			}
			a.SignIn = SignInNeeded
			ch.State = true
		case app.CertUntrusted:
			ch.CertUntrusted = &e
		case app.RosterReset, app.ContactUpdated, app.ContactRemoved:
			ch.Headers = true
		case app.PresenceChanged:
			ch.Headers = true
			if a.PeerStates[e.JID] == "" {
				break
			}
			if show, _ := a.Roster.Presence(e.JID); show == im.Offline {
				// Gone offline while typing: the typing will not end.
				delete(a.PeerStates, e.JID)
				setTyping(e.JID)
			}
		case app.ChatStateChanged:
			if a.stranger(e.JID, v, talked) {
				break // a stranger's typing is shown nowhere
			}
			switch e.State {
			case chatstate.Composing, chatstate.Paused, chatstate.Gone:
				a.PeerStates[e.JID] = e.State
			default:
				delete(a.PeerStates, e.JID)
			}
			setTyping(e.JID)
		case app.MessageReceived:
			a.message(e, v, &ch, notified, opened, talked, setTyping)
		case app.MessageStateChanged:
			ch.MessageStates = append(ch.MessageStates, e)
		case app.MessageFailed:
			ch.Failed = append(ch.Failed, e)
		case app.MessageCorrected:
			ch.Corrections = append(ch.Corrections, e)
		case app.UploadService:
			a.Upload = e
		case app.UploadProgress, app.UploadDone, app.UploadFailed, app.UploadInterrupted, app.MediaInfo, app.MediaSaved:
			ch.Files = append(ch.Files, ev)
		case app.ReactionsChanged:
			if a.stranger(e.Peer, v, talked) {
				break // a stranger's reactions are shown nowhere
			}
			ch.Reactions = append(ch.Reactions, e)
		case app.SubscriptionRequest:
			if a.MsgRequests.IsIgnored(e.From) {
				break
			}
			a.addSubscription(e)
			ch.Requests = true
		case app.Blocked:
			if !e.OnServer {
				ch.BlockedHere = append(ch.BlockedHere, e.JID)
			}
			a.setBlocked(e.JID, true)
			ch.Blocks = true
		case app.Unblocked:
			a.setBlocked(e.JID, false)
			ch.Blocks = true
		case app.BlockList:
			clear(a.Blocked)
			for _, j := range e.JIDs {
				a.setBlocked(j, true)
			}
			ch.Blocks = true
		case app.CommandFailed:
			ch.CommandsFailed = append(ch.CommandsFailed, e)
		case app.ProfileReceived, app.ProfileSaved, app.AvatarChanged:
			ch.Profiles = append(ch.Profiles, ev)
		case app.ArchivePrefs:
			ch.ArchivePrefs = &e
		case app.Bookmarks:
			a.Bookmarks = make(map[string]app.Bookmark, len(e.Rooms))
			for _, b := range e.Rooms {
				a.Bookmarks[b.Room] = b
			}
			ch.Rooms = true
		case app.BookmarkChanged:
			if a.Bookmarks == nil {
				a.Bookmarks = make(map[string]app.Bookmark)
			}
			a.Bookmarks[e.Bookmark.Room] = e.Bookmark
			ch.Rooms = true
		case app.BookmarkRemoved:
			delete(a.Bookmarks, e.Room)
			ch.Rooms = true
		case app.RoomList:
			a.roomList(e, &ch)
		case app.RoomConfigForm, app.RoomConfigured:
			ch.RoomConfig = append(ch.RoomConfig, ev)
		case app.RoomInvitation:
			if inv, isNew := a.invited(e); inv != nil {
				ch.Invitations = true
				if isNew && inv.Contact {
					ch.Invited = append(ch.Invited, *inv)
				}
			}
		case app.RoomInfo, app.RoomJoined, app.RoomJoinFailed, app.OccupantChanged, app.RoomSubject, app.RoomLeft, app.RoomMessage:
			a.applyRoom(ev, v, &ch, notified)
		}
	}
	if ch.Headers {
		ch.Typing = nil // the headers show the typing too
	}
	ch.Notify = a.limit(ch.Notify, a.now())
	ch.NotifyHeld = len(a.held) > 0
	return ch
}

// limit passes the notifications of peers not notified for NotifyQuiet,
// and holds back the others' until it has passed.
func (a *Account) limit(ns []Notification, now time.Time) []Notification {
	if a.notedAt == nil {
		a.notedAt = make(map[string]time.Time)
	}
	out := ns[:0]
	for _, n := range ns {
		if t, ok := a.notedAt[n.Peer]; ok && now.Sub(t) < NotifyQuiet {
			i := slices.IndexFunc(a.held, func(h Notification) bool { return h.Peer == n.Peer })
			if i < 0 {
				a.held = append(a.held, Notification{Peer: n.Peer})
				i = len(a.held) - 1
			}
			a.held[i].Count += n.Count
			a.held[i].Last, a.held[i].Nick, a.held[i].Room = n.Last, n.Nick, n.Room
			continue
		}
		a.notedAt[n.Peer] = now
		out = append(out, n)
	}
	return out
}

// DueNotifications returns the notifications held back whose quiet time
// has passed by now, and when the next of those left falls due (zero when
// none is left).
func (a *Account) DueNotifications(now time.Time) (due []Notification, next time.Time) {
	left := a.held[:0]
	for _, h := range a.held {
		at := a.notedAt[h.Peer].Add(NotifyQuiet)
		if !now.Before(at) {
			a.notedAt[h.Peer] = now
			due = append(due, h)
			continue
		}
		left = append(left, h)
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	clear(a.held[len(left):])
	a.held = left
	return due, next
}

// NextNotification returns when the first notification held back falls
// due; zero when none is held.
func (a *Account) NextNotification() time.Time {
	var next time.Time
	for _, h := range a.held {
		if at := a.notedAt[h.Peer].Add(NotifyQuiet); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// Seen drops what is held back for peer: the user has seen the
// conversation.
func (a *Account) Seen(peer string) {
	a.held = slices.DeleteFunc(a.held, func(h Notification) bool { return h.Peer == peer })
}

// message decides what a message asks for: a conversation line, a
// message request, a window opening by itself, unread counts and
// notifications.
func (a *Account) message(e app.MessageReceived, v View, ch *Changes, notified map[string]int, opened, talked map[string]bool, setTyping func(string)) {
	peer := e.Peer
	if !e.Outgoing && a.stranger(peer, v, talked) {
		// Anyone may write: a stranger's message (kept in the archive)
		// waits in Message requests and opens nothing.
		if a.MsgRequests.Add(peer, e.Msg.Body, e.Time) {
			ch.MsgRequests = true
		}
		return
	}
	// Already there when the archive was read after the message was
	// stored; it still counts as new below.
	ch.Messages = append(ch.Messages, e)
	talked[peer] = true
	if e.Outgoing {
		// Sent by the user elsewhere: no window pops up for it (the
		// conversation keeps it), and having just written there, the user
		// has read what came before. One from the server's archive may be
		// older than what is unread here.
		if e.FromArchive {
			return
		}
		if a.Roster.Unread(peer) > 0 {
			a.Roster.ClearUnread(peer)
			ch.Headers = true
		}
		if i, ok := notified[peer]; ok {
			ch.Notify = slices.Delete(ch.Notify, i, i+1)
			delete(notified, peer)
			for p, j := range notified {
				if j > i {
					notified[p] = j - 1
				}
			}
		}
		a.CaughtUp.forget(peer)
		a.Seen(peer)
		return
	}
	if a.PeerStates[peer] != "" && !e.FromArchive {
		delete(a.PeerStates, peer)
		setTyping(peer)
	}
	open := v.ChatOpen(peer) || opened[peer]
	if !open && !e.FromArchive && v.OpensChats() {
		opened[peer] = true
		ch.Open = append(ch.Open, peer)
		open = true
	}
	if open && v.ChatActive(peer) {
		return
	}
	a.Roster.AddUnread(peer, 1)
	ch.Headers = true
	if e.FromArchive {
		// Possibly old, and possibly many: summed up in one notification
		// once the catch-up is over.
		a.CaughtUp.add(peer, e.Msg.Body, a.now())
		ch.CatchUp = true
		return
	}
	if i, ok := notified[peer]; ok {
		ch.Notify[i].Count++
		ch.Notify[i].Last = e.Msg.Body
		return
	}
	notified[peer] = len(ch.Notify)
	ch.Notify = append(ch.Notify, Notification{Peer: peer, Count: 1, Last: e.Msg.Body})
}

// stranger reports whether peer is outside the conversation: not a
// contact, not the account itself, not someone in a room we are in (a
// private message), and no conversation the user had (in this run, or
// earlier in this batch: talked).
func (a *Account) stranger(peer string, v View, talked map[string]bool) bool {
	if peer == a.JID || talked[peer] {
		return false
	}
	if _, _, ok := a.PrivatePeer(peer); ok {
		return false
	}
	if _, ok := a.Roster.Contact(peer); ok {
		return false
	}
	return !v.HasConversation(peer) && !v.ChatOpen(peer)
}

// setBlocked records that jid is blocked (on) or not.
func (a *Account) setBlocked(jid string, on bool) {
	if a.Blocked == nil {
		a.Blocked = make(map[string]bool)
	}
	if on {
		a.Blocked[jid] = true
	} else {
		delete(a.Blocked, jid)
	}
}
