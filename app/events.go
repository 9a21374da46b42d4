package app

import (
	"strconv"
	"time"

	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/vcard"
)

// Event is something the core tells the UI.
// Events arrive in batches on Client.Events, in the order they happened.
type Event interface {
	// Account is the bare JID of the account the event belongs to.
	Account() string
}

// base carries the account of every event.
type base struct{ Acct string }

// Account implements Event.
func (b base) Account() string { return b.Acct }

// ConnState is the state of an account's connection.
type ConnState int

// Connection states.
const (
	// Offline: not connected and not trying (signed out, or waiting for the
	// user after an authentication or certificate failure).
	Offline ConnState = iota
	// Connecting: dialing, negotiating TLS and signing in.
	Connecting
	// Online: signed in; the roster has been fetched.
	Online
	// Waiting: the connection failed or dropped; a retry is scheduled.
	Waiting
)

// String names s for logs and tests; the views word it for users.
func (s ConnState) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Online:
		return "online"
	case Waiting:
		return "waiting"
	default:
		return "offline"
	}
}

// StateChanged is sent whenever the connection state changes.
type StateChanged struct {
	base
	State ConnState
	// Bound is the full JID bound when State is Online.
	Bound string
	// Mechanism is the SASL mechanism that signed in, when State is Online.
	Mechanism string
	// Err says why the connection is Waiting or Offline, if it failed.
	Err error
	// RetryAt is when the next attempt starts, for Waiting.
	RetryAt time.Time
}

// AuthFailed is sent when the server rejects the credentials.
// The core does not retry; it waits for Client.Connect.
type AuthFailed struct {
	base
	// Condition is the SASL failure condition, e.g. "not-authorized".
	Condition string
	// Text is the server's explanation, if it gave one.
	Text string
}

// SignInRequired is sent when an OAuth account's authorization is gone:
// the grant was revoked or expired, no refresh token is stored, or the
// server refused a freshly refreshed token. The core does not retry; the
// UI runs the browser sign-in again, passes the new token source to
// Client.SetTokens and calls Client.Connect.
type SignInRequired struct {
	base
	Err error
}

// CertUntrusted is sent when the server's certificate cannot be verified.
// The core stops and waits: the user may pin the certificate with
// account.Account.Pin(Cert.SHA256), pass the account to Client.SetAccount
// and call Client.Connect.
type CertUntrusted struct {
	base
	Cert certs.Info
}

// Contact is a roster item.
type Contact struct {
	// JID is the contact's bare address.
	JID string
	// Name is the name the user gave the contact; may be empty.
	Name string
	// Groups are the roster groups, sorted.
	Groups []string
	// Subscription is "none", "to", "from" or "both" (RFC 6121 §2.1.2.5).
	Subscription string
	// Pending is true while our subscription request awaits an answer.
	Pending bool
}

// DisplayName returns the name, or the address when there is none.
func (c Contact) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.JID
}

// RosterReset replaces the whole contact list (sent after each sign-in).
type RosterReset struct {
	base
	Contacts []Contact
}

// ContactUpdated adds or changes one contact (a roster push).
type ContactUpdated struct {
	base
	Contact Contact
}

// ContactRemoved removes one contact (a roster push).
type ContactRemoved struct {
	base
	JID string
}

// PresenceChanged is sent when a contact's (or another own resource's)
// presence changes.
type PresenceChanged struct {
	base
	// JID is the bare address of the contact.
	JID string
	// Best is the presence that represents the contact now: its most
	// available resource, or an Offline presence.
	Best im.Presence
	// Resources is how many resources are available.
	Resources int
	// Stale is set for presence seen in an earlier session (or run) and
	// not confirmed since: a server that answers no presence probe (the
	// Messenger service) never repeats it. Best is then the last presence
	// seen, Resources 0, and Since when it was last known to hold. A
	// fresh PresenceChanged replaces it.
	Stale bool
	Since time.Time
}

// MessageReceived is sent for each incoming chat or normal message with a
// body, once it is in the archive.
type MessageReceived struct {
	base
	Msg im.Message
	// ArchiveID is the message's id in the local history (history.Message.ID).
	ArchiveID int64
	// Peer is the bare address of the other party.
	Peer string
	// Time is when the message was sent: the delay stamp if there is one,
	// else the time it arrived.
	Time time.Time
	// Outgoing is set for a message the user sent from another device
	// (a Message Carbon, XEP-0280); Peer is then its recipient.
	Outgoing bool
	// FromArchive is set for a message fetched from the server's archive
	// (XEP-0313) after a reconnection: it may be old, and should not
	// raise a notification of its own.
	FromArchive bool
}

// MessageFailed is sent when a sent message bounced with an error reply,
// or could not be written to the network.
type MessageFailed struct {
	base
	// ID is the id of the message that failed.
	ID   string
	Peer string
	Err  error
}

// MessageStateChanged is sent when a message the user sent moves on:
// Sent once the server has it, Delivered when the recipient's client
// acknowledged it (XEP-0184), Pending again after RetryMessage. A failure
// is a MessageFailed.
type MessageStateChanged struct {
	base
	// ID is the id SendMessage returned.
	ID    string
	Peer  string
	State history.State
}

// SubscriptionRequest is sent when someone asks to see our presence.
type SubscriptionRequest struct {
	base
	From   string
	Nick   string
	Status string
}

// CommandFailed is sent when a command could not be carried out, for
// example when the server refuses a roster change.
type CommandFailed struct {
	base
	// Op is what failed.
	Op Op
	// JID is the contact it was about, if any.
	JID string
	Err error
}

// Op names what a CommandFailed was about; the views word it.
type Op int

// The operations of CommandFailed.
const (
	OpSetStatus       Op = iota + 1 // send the user's own presence
	OpAnnouncePicture               // send presence with a new picture hash
	OpAddContact
	OpChangeContact // rename, or move to other groups
	OpRemoveContact
	OpAskPresence    // subscribe to a contact's presence
	OpAnswerRequest  // approve or deny, while offline
	OpApproveRequest // approve a subscription request
	OpDenyRequest    // deny a subscription request
	OpBlock
	OpSetArchiving // change the server archive's default (XEP-0313)
	OpOpenHistory  // open the local message history
	OpKeepHistory  // write to the local message history
	OpOpenPictures // open the local picture cache
)

var opNames = [...]string{
	OpSetStatus: "set-status", OpAnnouncePicture: "announce-picture", OpAddContact: "add-contact",
	OpChangeContact: "change-contact", OpRemoveContact: "remove-contact", OpAskPresence: "ask-presence",
	OpAnswerRequest: "answer-request", OpApproveRequest: "approve-request", OpDenyRequest: "deny-request",
	OpBlock: "block", OpSetArchiving: "set-archiving", OpOpenHistory: "open-history",
	OpKeepHistory: "keep-history", OpOpenPictures: "open-pictures",
}

// String names o for logs and tests; the views word it for users.
func (o Op) String() string {
	if o > 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// ChatStateChanged is sent when a contact's chat state changes (XEP-0085):
// typing, stopped typing, left the conversation.
// A message with a body from the contact implies Active and is followed by
// this event only when the message itself carried another state.
type ChatStateChanged struct {
	base
	// JID is the contact's bare address.
	JID   string
	State chatstate.State
}

// ProfileReceived answers FetchProfile, and is sent again when a cached
// profile is refreshed from the server.
type ProfileReceived struct {
	base
	// JID is whose profile it is (a bare address).
	JID  string
	Card vcard.VCard
	// Fetched is when Card came from the server; zero if there is no card
	// (Err says why).
	Fetched time.Time
	// Err is set when the server could not be asked or refused; Card is
	// then the cached one, if any.
	Err error
}

// ProfileSaved answers SetProfile.
type ProfileSaved struct {
	base
	Card vcard.VCard
	// Err is set when the server refused or could not be reached.
	Err error
	// NotAllowed is true when the network does not allow profile changes
	// at all (the Messenger service allows fetching only).
	NotAllowed bool
}

// AvatarChanged is sent when a contact's (or the account's own) picture is
// known or changes (XEP-0153), and at sign-in for cached pictures.
type AvatarChanged struct {
	base
	// JID is whose picture it is (a bare address).
	JID string
	// Hash is the SHA-1 of the image, hex; empty when the contact has no
	// picture (show a generated one).
	Hash string
	// Path is the image file in the on-disk cache, empty when Hash is.
	Path string
}

// Blocked answers Client.Block.
type Blocked struct {
	base
	// JID is the bare address blocked.
	JID string
	// OnServer is true when the server blocks it (XEP-0191); false when
	// the server offers no blocking, so only the UI can ignore it.
	OnServer bool
}

// ContactFeatures is sent when the features of a contact's resource (or
// another resource of the account) become known or change: the hash in
// its presence (XEP-0115 entity capabilities) was verified by a disco#info
// query, or found in the cache. Client.Features answers the same at any
// time.
type ContactFeatures struct {
	base
	// JID is the full JID of the resource.
	JID string
	// Features are the protocol namespaces it supports (XEP-0030
	// features, such as urn:xmpp:receipts), sorted. Do not modify them.
	Features []string
}
