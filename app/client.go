// Package app is Palaver's messenger core: one goroutine per account owns
// the XMPP session and talks to the UI through commands in and events out.
//
// Nothing in this package imports Fyne. Every method of Client returns at
// once; work happens on the client's goroutine, and results come back as
// events.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/queue"
	"github.com/palaver-im/palaver/app/vcard"
)

// PasswordFunc returns the password to sign in with. It is called afresh
// for every connection attempt.
type PasswordFunc func(ctx context.Context) (string, error)

// Tokens gives an OAuth account its access tokens; *account.TokenSource
// is one. TokenContext is called afresh for every connection attempt, and
// may block (a keychain prompt): the core calls it on its own goroutine.
type Tokens interface {
	// TokenContext returns a valid access token, refreshing when needed.
	// account.ErrSignInAgain (or ErrSignedOut) means the user must
	// authorize again.
	TokenContext(ctx context.Context) (*oauth2.Token, error)
	// Invalidate reports that the server rejected accessToken, so that the
	// next TokenContext refreshes.
	Invalidate(accessToken string)
}

// Client runs one account.
type Client struct {
	acct     string // bare JID, fixed for the client's life
	events   *queue.Queue[Event]
	out      chan []Event
	cmds     *queue.Queue[command]
	password PasswordFunc

	mu      sync.Mutex
	account account.Account
	tokens  Tokens
	dataDir string
	st      *history.Store // the archive, opened on first use
	closed  bool           // Run has returned: the archive is closed

	// lastHeard is when the server last sent a stanza (UnixNano).
	lastHeard atomic.Int64
	// vcardFetches counts vCard requests, vcardFetchesOf those per
	// address (for tests; guarded by mu).
	vcardFetches   atomic.Int64
	vcardFetchesOf map[string]int
	// pingIdle and pingTimeout override the liveness check's times (for
	// tests); zero means the defaults.
	pingIdle, pingTimeout time.Duration

	// book keeps presence across the sessions of a Run; opened holds the
	// addresses the user opened (see handler.follows).
	book   presenceBook
	opened openedSet
	// caps knows what contacts' clients support (XEP-0115), kept on disk.
	caps capsBook
	// blocks holds the changes of the block list (XEP-0191), carried out
	// in order by the session's block worker (blocking.go), kept while
	// offline.
	blocks *queue.Queue[blockOp]
	// localBlocks are the addresses blocked while the server offered no
	// blocking, for this run.
	localBlocks localBlocks
	// rooms are the group chat rooms joined (XEP-0045, muc.go), kept
	// across sessions to rejoin them.
	rooms roomBook
	// bookmarks are the account's room bookmarks (XEP-0402 or XEP-0048,
	// bookmarks.go), kept across sessions.
	bookmarks bookmarkBook

	// Set up by Run.
	arch    *archiver
	chats   *chatStates
	pics    *avatars
	catchup catchups
}

// New returns a client for a. Call Run to start it.
func New(a account.Account, password PasswordFunc) *Client {
	return &Client{
		acct:     a.JID,
		events:   queue.New[Event](),
		out:      make(chan []Event),
		cmds:     queue.New[command](),
		blocks:   queue.New[blockOp](),
		password: password,
		account:  a,
	}
}

// NewOAuth returns a client for an OAuth account (a.UsesOAuth()) that signs
// in with access tokens from tokens, by the SASL mechanism of its provider.
// Call Run to start it.
func NewOAuth(a account.Account, tokens Tokens) *Client {
	c := New(a, nil)
	c.tokens = tokens
	return c
}

// SetTokens replaces the token source, after the user authorized again
// (see SignInRequired); call Connect afterwards.
func (c *Client) SetTokens(t Tokens) {
	c.mu.Lock()
	c.tokens = t
	c.mu.Unlock()
}

func (c *Client) tokenSource() Tokens {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens
}

// Account returns the bare JID of the client's account.
func (c *Client) Account() string { return c.acct }

// Events returns the channel on which batches of events arrive, oldest
// first. The core never waits for the reader: while the reader is busy,
// events accumulate into the next batch.
// The channel is closed when Run returns.
func (c *Client) Events() <-chan []Event { return c.out }

// SetAccount replaces the account settings used from the next connection
// attempt on (for example after pinning a certificate). The JID must not change.
func (c *Client) SetAccount(a account.Account) {
	c.mu.Lock()
	a.JID = c.acct
	c.account = a
	c.mu.Unlock()
}

// heard records that the server just spoke.
func (c *Client) heard() { c.lastHeard.Store(time.Now().UnixNano()) }

// liveness returns the silence after which the server is pinged and how
// long it has to answer.
func (c *Client) liveness() (idle, timeout time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	idle, timeout = pingIdle, pingTimeout
	if c.pingIdle > 0 {
		idle = c.pingIdle
	}
	if c.pingTimeout > 0 {
		timeout = c.pingTimeout
	}
	return idle, timeout
}

func (c *Client) settings() account.Account {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.account
}

// Connect signs in, or tries again at once after a failure.
func (c *Client) Connect() { c.cmds.Push(cmdConnect{}) }

// Disconnect signs out: it sends unavailable presence, closes the stream,
// and stays offline until Connect.
func (c *Client) Disconnect() { c.cmds.Push(cmdDisconnect{}) }

// SetPresence sets the account's own presence. Offline signs out
// (invisible, as unavailable presence); any other show signs in if needed.
func (c *Client) SetPresence(show im.Show, status string) {
	c.cmds.Push(cmdPresence{show: show, status: status})
}

// SendMessage sends a chat message to the address to and returns the
// message's id, with which later MessageStateChanged and MessageFailed
// events refer to it. The message is kept in the archive as pending until
// the server has it: while offline it waits for the next connection.
func (c *Client) SendMessage(to, body string) string {
	id := NewID()
	c.opened.add(to)
	c.cmds.Push(cmdMessage{id: id, to: to, body: body})
	return id
}

// RetryMessage sends a failed message again (with the same id, so that a
// recipient that got it after all can tell).
func (c *Client) RetryMessage(peer, id string) { c.cmds.Push(cmdRetry{peer: peer, id: id}) }

// AddContact adds a contact to the roster and asks to see their presence.
func (c *Client) AddContact(jid, name string, groups []string) {
	c.cmds.Push(cmdRoster{op: opAdd, jid: jid, name: name, groups: groups})
}

// UpdateContact renames a contact or changes its groups.
func (c *Client) UpdateContact(jid, name string, groups []string) {
	c.cmds.Push(cmdRoster{op: opUpdate, jid: jid, name: name, groups: groups})
}

// RemoveContact removes a contact from the roster (which also cancels the
// subscriptions both ways, RFC 6121 §2.5).
func (c *Client) RemoveContact(jid string) {
	c.cmds.Push(cmdRoster{op: opRemove, jid: jid})
}

// Approve accepts a subscription request from jid, and asks for theirs in
// return when we do not see their presence yet.
func (c *Client) Approve(jid string) { c.cmds.Push(cmdSubscription{jid: jid, approve: true}) }

// Deny refuses a subscription request from jid.
func (c *Client) Deny(jid string) { c.cmds.Push(cmdSubscription{jid: jid}) }

// FetchProfile asks for jid's vCard (the account's own with its own bare
// JID). The answer is a ProfileReceived event: at once from the cache when
// there is one, unless refresh is set, and from the server otherwise.
func (c *Client) FetchProfile(jid string, refresh bool) {
	c.opened.add(jid)
	c.cmds.Push(cmdFetchProfile{jid: jid, refresh: refresh})
}

// SetProfile publishes the account's own vCard; a ProfileSaved event
// tells how it went. The card is kept locally either way.
func (c *Client) SetProfile(card vcard.VCard) { c.cmds.Push(cmdSetProfile{card: card}) }

// ChatActivity tells the core what the user did in the conversation with
// peer (a bare JID); the core sends the chat states that follow from it
// (XEP-0085), only on change and only to contacts that support them.
func (c *Client) ChatActivity(peer string, a chatstate.Activity) {
	if a != chatstate.Closed {
		c.opened.add(peer) // the user has the chat open
	}
	c.cmds.Push(cmdActivity{peer: peer, activity: a})
}

// NewID returns a random stanza id.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type command interface{}

type cmdConnect struct{}
type cmdDisconnect struct{}
type cmdPresence struct {
	show   im.Show
	status string
}

// cmdMessage is SendMessage; oob is set for a shared file (its URL, as in
// the body), reply for SendReply.
type cmdMessage struct {
	id, to, body string
	oob          string
	reply        *ReplyTo
}
type cmdRetry struct{ peer, id string }

// cmdAcked comes from the outbox's confirmation ping: the server has the
// messages ids, written on session.
type cmdAcked struct {
	session uint64
	ids     []string
}

// cmdReceipt comes from the handler: acknowledge message id from to
// (XEP-0184).
type cmdReceipt struct {
	to jid.JID
	id string
}

// cmdBounced comes from the handler: the message id to peer came back
// with an error.
type cmdBounced struct{ peer, id string }
type cmdFetchProfile struct {
	jid     string
	refresh bool
}
type cmdSetProfile struct{ card vcard.VCard }

// cmdOwnPhoto comes from the profile workers: the hash of our own picture.
type cmdOwnPhoto struct{ hash string }
type cmdActivity struct {
	peer     string
	activity chatstate.Activity
}

type rosterOp int

const (
	opAdd rosterOp = iota
	opUpdate
	opRemove
)

// commandOp is the Op of a CommandFailed about o.
func (o rosterOp) commandOp() Op {
	switch o {
	case opAdd:
		return OpAddContact
	case opUpdate:
		return OpChangeContact
	default:
		return OpRemoveContact
	}
}

type cmdRoster struct {
	op     rosterOp
	jid    string
	name   string
	groups []string
}
type cmdSubscription struct {
	jid     string
	approve bool
}

// emit queues an event for the UI; it never blocks.
func (c *Client) emit(e Event) { c.events.Push(e) }

// pump moves queued events to the Events channel in batches until ctx ends.
func (c *Client) pump(ctx context.Context, done <-chan struct{}) {
	defer close(c.out)
	for {
		select {
		case <-c.events.Ready():
		case <-done:
			// Deliver what is left, unless nobody listens any more.
			if batch := c.events.Take(); len(batch) > 0 {
				select {
				case c.out <- batch:
				case <-ctx.Done():
				}
			}
			return
		}
		batch := c.events.Take()
		if len(batch) == 0 {
			continue
		}
		select {
		case c.out <- batch:
		case <-ctx.Done():
			return
		}
	}
}
