package app

import (
	"strconv"
	"time"

	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/dataform"
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
	// Err is the error behind a condition of Palaver's, when there is one:
	// for ConditionServerNotVerified a *saslauth.VerifyError, or an error
	// that wraps ErrSessionNotSignedIn or ErrSessionNotBound. Text is its
	// English text.
	Err error
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

// MessageCorrected is sent when an archived 1:1 message got a new body
// (last message correction, XEP-0308), once the archive has it: ours, by
// Client.CorrectMessage or from another of our clients, or the peer's,
// from the same full JID as the message it corrects. A correction that
// matches no such message arrives as a MessageReceived instead.
type MessageCorrected struct {
	base
	// Peer is the conversation, as in MessageReceived.
	Peer string
	// ID is the id of the message corrected: the first one's (the id
	// SendMessage returned, or MessageReceived's Msg.ID), also after
	// several corrections.
	ID string
	// Body is the new body.
	Body string
	// Outgoing is set when the message is ours.
	Outgoing bool
	// ArchiveID is the corrected message's id in the local history.
	ArchiveID int64
	// Room is set for a line of a group chat room (Peer is then the
	// room's bare JID, as in RoomMessage, and ID the line's RoomMessage.ID),
	// and Nick is the nickname it was sent under.
	Room bool
	Nick string
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
	OpUnblock        // unblock an address (XEP-0191)
	OpSetArchiving   // change the server archive's default (XEP-0313)
	OpOpenHistory    // open the local message history
	OpKeepHistory    // write to the local message history
	OpOpenPictures   // open the local picture cache
	OpChangeNick     // change our nickname in a room
	OpCreateRoom     // accept the default configuration of a room we created
	OpRoomPresence   // send our presence to a room
	OpKick           // kick an occupant from a room
	OpFetchBookmarks // read the room bookmarks on signing in
	OpSetBookmark    // add or change a room bookmark
	OpRemoveBookmark // remove a room bookmark
	OpSetRole        // change an occupant's role (voice, moderator)
	OpSetAffiliation // change a user's affiliation (member, admin, owner, ban)
	OpInvite         // invite someone to a room
	OpDecline        // decline an invitation to a room
	OpListRooms      // list the rooms of a group chat service
	OpRoomHistory    // read what was missed from a room's archive
	OpRoomConfig     // change a room's configuration
	OpDestroyRoom    // destroy a room
	OpCorrect        // correct our last message (XEP-0308)
	OpReact          // react to a message (XEP-0444)
)

var opNames = [...]string{
	OpSetStatus: "set-status", OpAnnouncePicture: "announce-picture", OpAddContact: "add-contact",
	OpChangeContact: "change-contact", OpRemoveContact: "remove-contact", OpAskPresence: "ask-presence",
	OpAnswerRequest: "answer-request", OpApproveRequest: "approve-request", OpDenyRequest: "deny-request",
	OpBlock: "block", OpUnblock: "unblock", OpSetArchiving: "set-archiving", OpOpenHistory: "open-history",
	OpKeepHistory: "keep-history", OpOpenPictures: "open-pictures", OpChangeNick: "change-nick",
	OpCreateRoom: "create-room", OpRoomPresence: "room-presence", OpKick: "kick",
	OpFetchBookmarks: "fetch-bookmarks", OpSetBookmark: "set-bookmark", OpRemoveBookmark: "remove-bookmark",
	OpSetRole: "set-role", OpSetAffiliation: "set-affiliation", OpInvite: "invite", OpDecline: "decline",
	OpListRooms: "list-rooms", OpRoomHistory: "room-history",
	OpRoomConfig: "room-config", OpDestroyRoom: "destroy-room",
	OpCorrect: "correct", OpReact: "react",
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
// known or changes (from the vCard, XEP-0153, or over PEP, XEP-0084), and
// at sign-in for cached pictures.
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

// Blocked answers Client.Block, and is sent when another client of the
// account blocked an address (a server push, XEP-0191 §3.3). After
// Client.Block the server's push may come too: the same fact twice.
type Blocked struct {
	base
	// JID is the bare address blocked.
	JID string
	// OnServer is true when the server blocks it (XEP-0191); false when
	// the server offers no blocking, so only the UI can ignore it.
	OnServer bool
}

// Unblocked answers Client.Unblock, and is sent when another client of
// the account unblocked an address (a server push, XEP-0191 §3.4). After
// Client.Unblock the server's push may come too: the same fact twice.
type Unblocked struct {
	base
	// JID is the bare address unblocked.
	JID string
	// OnServer is true when the server no longer blocks it; false when the
	// server offers no blocking and only the core's local list changed.
	OnServer bool
}

// BlockList is the whole list of blocked addresses: read from the server
// at the start of each new session (XEP-0191 §3.2; a resumed session keeps
// the last one), or empty when another client of the account unblocked
// every address (§3.4). It replaces what the UI knew.
type BlockList struct {
	base
	// JIDs are the bare addresses blocked, sorted; at most 10 000 are
	// kept, the rest of a larger list is dropped. Do not modify them.
	JIDs []string
	// OnServer is true when the list is the server's; false when the
	// server offers no blocking and JIDs are those blocked locally in this
	// run (Blocked with OnServer false), possibly none.
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

// Occupant is someone in a group chat room (XEP-0045 §5).
type Occupant struct {
	// Nick is the occupant's nickname in the room (at most MaxNick bytes).
	Nick string
	Role muc.Role
	// Affiliation is the occupant's standing with the room (owner, admin,
	// member, outcast, none).
	Affiliation muc.Affiliation
	// JID is the occupant's real full JID when the room shows it to us
	// (non-anonymous rooms, or to moderators of semi-anonymous ones); ""
	// otherwise.
	JID string
	// Show and Status are the occupant's presence in the room.
	Show   im.Show
	Status string
}

// RoomJoined is sent when the room accepted us (our own presence, status
// 110, XEP-0045 §7.2.3): after JoinRoom, and again after every rejoin
// (a new session, or a membership that self-ping found lost), which
// replaces everything known about the room's occupants.
type RoomJoined struct {
	base
	// Room is the room's bare JID.
	Room string
	// Nick is our nickname in the room; the room may have changed the one
	// asked for (status 210).
	Nick string
	// Self is our own occupant entry (role and affiliation).
	Self Occupant
	// Occupants are the others present, in no particular order, at most
	// MaxOccupants; Truncated is set when the room had more.
	Occupants []Occupant
	Truncated bool
	// Created is set when the join created the room (status 201): the core
	// accepted the default configuration (an instant room, XEP-0045
	// §10.1.2) so that it opens to others, and sends RoomJoined once the
	// room answered (its empty RoomSubject may come first); a failure
	// there is a CommandFailed with OpCreateRoom before it.
	Created bool
	// Rejoined is set for a rejoin the core did by itself.
	Rejoined bool
}

// RoomFailure says why a room refused us.
type RoomFailure int

// The reasons of RoomJoinFailed (XEP-0045 §7.2.6 to §7.2.11), from the
// stanza error of the room's answer.
const (
	// RoomRefused: another error; RoomJoinFailed.Err holds it.
	RoomRefused RoomFailure = iota
	// RoomNickInUse: conflict, another occupant has the nickname.
	RoomNickInUse
	// RoomPasswordRequired: not-authorized, a password is needed or the
	// one given is wrong.
	RoomPasswordRequired
	// RoomMembersOnly: registration-required, only members may enter.
	RoomMembersOnly
	// RoomBanned: forbidden, we are an outcast of the room.
	RoomBanned
	// RoomFull: service-unavailable, the room has its maximum of occupants.
	RoomFull
	// RoomNotFound: item-not-found, no such room (and we may not create it).
	RoomNotFound
	// RoomNotAllowed: not-allowed, the service lets us not create rooms.
	RoomNotAllowed
	// RoomNickInvalid: the nickname cannot be used (empty, longer than
	// MaxNick, or not a valid resourcepart, RFC 7622 §3.4); the core
	// refused it without asking the room, or the room said jid-malformed.
	RoomNickInvalid
	// RoomAddressInvalid: the room's address is not a bare JID with a
	// localpart; nothing was sent.
	RoomAddressInvalid
	// RoomNoAnswer: the room did not answer the join in time.
	RoomNoAnswer
)

var roomFailureNames = [...]string{
	RoomRefused: "refused", RoomNickInUse: "nick-in-use", RoomPasswordRequired: "password-required",
	RoomMembersOnly: "members-only", RoomBanned: "banned", RoomFull: "full", RoomNotFound: "not-found",
	RoomNotAllowed: "not-allowed", RoomNickInvalid: "nick-invalid", RoomAddressInvalid: "address-invalid",
	RoomNoAnswer: "no-answer",
}

// String names f for logs and tests; the views word it for users.
func (f RoomFailure) String() string {
	if f >= 0 && int(f) < len(roomFailureNames) {
		return roomFailureNames[f]
	}
	return "room-failure(" + strconv.Itoa(int(f)) + ")"
}

// RoomJoinFailed is sent when a join (or a rejoin) was refused; the core
// forgets the room (it does not try again by itself).
type RoomJoinFailed struct {
	base
	Room string
	Nick string
	// Condition is why; Err is the room's stanza error, if it sent one.
	Condition RoomFailure
	Err       error
	// Rejoin is set when the refused join was a rejoin the core did by
	// itself.
	Rejoin bool
}

// LeaveReason says why someone is no longer in a room (XEP-0045 status
// codes of unavailable presence, §9 and §10).
type LeaveReason int

// The reasons of OccupantChanged.Reason and RoomLeft.Reason.
const (
	// LeftByChoice: the occupant left (for RoomLeft: LeaveRoom).
	LeftByChoice LeaveReason = iota
	// LeftKicked: a moderator kicked the occupant (307).
	LeftKicked
	// LeftBanned: an admin banned the occupant (301).
	LeftBanned
	// LeftAffiliation: removed because the affiliation changed (321).
	LeftAffiliation
	// LeftMembersOnly: removed because the room became members-only (322).
	LeftMembersOnly
	// LeftShutdown: the service is shutting down (332); for RoomLeft the
	// core rejoins by itself when the service is back.
	LeftShutdown
	// LeftError: removed after a technical error (333, or 307 with it).
	LeftError
	// LeftDestroyed: the room was destroyed (XEP-0045 §10.9); RoomLeft's
	// Alternate may name its successor.
	LeftDestroyed
)

var leaveNames = [...]string{
	LeftByChoice: "by-choice", LeftKicked: "kicked", LeftBanned: "banned", LeftAffiliation: "affiliation",
	LeftMembersOnly: "members-only", LeftShutdown: "shutdown", LeftError: "error", LeftDestroyed: "destroyed",
}

// String names r for logs and tests; the views word it for users.
func (r LeaveReason) String() string {
	if r >= 0 && int(r) < len(leaveNames) {
		return leaveNames[r]
	}
	return "leave(" + strconv.Itoa(int(r)) + ")"
}

// OccupantChanged is sent, once the room is joined, when an occupant
// (or we, Self) enters, changes presence, role, affiliation or nickname,
// or leaves.
type OccupantChanged struct {
	base
	Room string
	// Occupant is the occupant as it is now; for a nickname change
	// Occupant.Nick is the old nickname and NewNick the new one (303).
	Occupant Occupant
	NewNick  string
	// Self is set when the occupant is us.
	Self bool
	// Left is set when the occupant left the room; Reason says why
	// (LeftKicked: 307, LeftBanned: 301, ...).
	Left   bool
	Reason LeaveReason
	// Actor is the nickname of the moderator who kicked or banned, and
	// Text the reason they gave; both may be empty.
	Actor string
	Text  string
}

// RoomMessage is sent for each group chat message with a body, once it is
// in the archive; a message seen before (the room's history comes again
// on every join) is not sent again. For a room with an archive
// (RoomInfo.Archive) what we missed is read from it after RoomJoined, in
// the archive's order, with FromHistory set; live lines may come between
// them: place lines by Time.
type RoomMessage struct {
	base
	Room string
	// Nick is the sender's nickname; "" for a message from the room
	// itself.
	Nick string
	Body string
	// ID is the stanza's id (for our own messages, the one
	// SendRoomMessage returned); StanzaID is the id the room gave it
	// (XEP-0359, by the room), "" when it gave none.
	ID       string
	StanzaID string
	// ArchiveID is the message's id in the local history.
	ArchiveID int64
	// Time is when it was sent (the delay stamp, for history), else when
	// it arrived; Delayed is set when it carried a delay stamp.
	Time    time.Time
	Delayed bool
	// Outgoing is set for our own message, reflected by the room (which
	// means the room has it) or in its history.
	Outgoing bool
	// FromHistory is set for a message the room sent as history on
	// joining (before the subject, XEP-0045 §7.2.15), or read from its
	// archive after the join (XEP-0313): it should not raise a
	// notification.
	FromHistory bool
	// Reply, when not nil, says which line this one answers (XEP-0461:
	// in a room, by the stanza id the room gave it, and its author's
	// occupant JID), and which part of Body quotes it.
	Reply *im.Reply
}

// RoomSubject is sent when the room tells its subject: on joining (after
// the history) and whenever someone changes it (XEP-0045 §8.1).
type RoomSubject struct {
	base
	Room string
	// Subject is the subject; "" when there is none.
	Subject string
	// By is the nickname of who set it, "" when unknown or the room.
	By string
}

// RoomLeft is sent when we are no longer in a room: after LeaveRoom (at
// once), or when the room removed us (kicked, banned, destroyed, shut
// down). Except for LeftShutdown the core forgets the room.
type RoomLeft struct {
	base
	Room   string
	Reason LeaveReason
	// Actor and Text are who removed us and why, as the room says; both
	// may be empty.
	Actor string
	Text  string
	// Alternate is the room a destroyed room names as its successor, "" if
	// none.
	Alternate string
}

// RoomInfo is sent before the first RoomJoined of a room in a Run (and
// before a later one when the room could not tell before), and again when
// the room says its configuration changed (status 104), with what the room
// says of itself (disco#info, XEP-0045 §6.4). A room that does not exist
// yet (the join creates it) is told as a RoomInfo with nothing set, then,
// once created, as it is (before or after its RoomJoined). The latest
// RoomInfo of a room holds.
type RoomInfo struct {
	base
	Room string
	// Name and Description are the room's, "" when it gives none.
	Name        string
	Description string
	// The room's features (muc_membersonly, muc_passwordprotected, ...).
	MembersOnly       bool
	PasswordProtected bool
	Moderated         bool
	Persistent        bool
	Public            bool
	NonAnonymous      bool
	// Archive is set when the room keeps a XEP-0313 archive: the core then
	// reads what was missed from it instead of taking the room's history.
	Archive bool
	// OccupantIDs is set when the room stamps its occupants' messages
	// with occupant ids (XEP-0421): corrections are then checked by them.
	OccupantIDs bool
}

// RoomConfigForm answers Client.RoomConfig: the room's configuration form
// (XEP-0045 §10.2), whose fields are named muc#roomconfig_* (and others
// the service adds), or why not (Err; a stanza error forbidden when we
// are not an owner).
type RoomConfigForm struct {
	base
	Room string
	Form dataform.Form
	Err  error
}

// RoomConfigured is sent when the room took the values of
// Client.SetRoomConfig.
type RoomConfigured struct {
	base
	Room string
}

// RoomInvitation is sent when someone invites us to a room: directly
// (XEP-0249), or through the room (mediated, XEP-0045 §7.8.2).
// Invitations from blocked addresses never arrive (the server drops them).
type RoomInvitation struct {
	base
	// Room is the room's bare JID.
	Room string
	// From is the bare JID of who invites; for a mediated invitation as
	// the room names them (it may name none: "").
	From string
	// Reason is the inviter's words; Password the room's password, when
	// the invitation carries one. Both may be "".
	Reason   string
	Password string
	// Direct is set for a direct invitation; a mediated one can be
	// declined (Client.Decline) so that the inviter learns it.
	Direct bool
}

// RoomItem is one room of a group chat service's list.
type RoomItem struct {
	// JID is the room's bare JID; Name its name ("" when it gives none).
	JID  string
	Name string
	// Description, Occupants (-1 when unknown), and the features, as the
	// room's disco#info says; known only for the first rooms of a long
	// list (Detailed is set then).
	Description       string
	Occupants         int
	MembersOnly       bool
	PasswordProtected bool
	Detailed          bool
}

// RoomList answers Client.ListRooms.
type RoomList struct {
	base
	// Service is the group chat service asked (the one found, when
	// ListRooms was given none); "" when the server has none.
	Service string
	// Rooms are its public rooms, sorted by name then JID; Truncated is
	// set when the service listed more than the core keeps.
	Rooms     []RoomItem
	Truncated bool
	// Err says why the list could not be had; Rooms is empty then.
	Err error
}
