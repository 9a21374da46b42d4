package views

import (
	"context"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/vcard"
	"github.com/palaver-im/palaver/views/model"
)

// Core is the part of the messenger core (app.Client) that the views use.
// Every method must return at once.
type Core interface {
	Events() <-chan []app.Event
	Connect()
	Disconnect()
	SetAccount(account.Account)
	// SetTokens replaces an OAuth account's token source (nil: not
	// signed in); the views call Connect afterwards.
	SetTokens(app.Tokens)
	SetPresence(show im.Show, status string)
	// SendMessage queues a message and returns its id; it never fails at
	// once: offline, the message waits (history.Pending) until online.
	SendMessage(to, body string) (id string)
	// RetryMessage sends the failed message id to peer again, with the
	// same id; app.MessageStateChanged reports it Pending, then Sent.
	RetryMessage(peer, id string)
	AddContact(jid, name string, groups []string)
	UpdateContact(jid, name string, groups []string)
	RemoveContact(jid string)
	Approve(jid string)
	Deny(jid string)
	FetchProfile(jid string, refresh bool)
	SetProfile(card vcard.VCard)
	ChatActivity(peer string, a chatstate.Activity)
	// SetArchiveDefault asks the server to archive by default d (XEP-0313
	// preferences); app.ArchivePrefs reports the result.
	SetArchiveDefault(d im.ArchiveDefault)
	// JoinRoom joins a group chat (XEP-0045) as nick; LeaveRoom leaves
	// it; SendRoomMessage sends to it and returns the message's id (the
	// room reflects it as a RoomMessage with that ID).
	JoinRoom(room, nick, password string)
	LeaveRoom(room string)
	SendRoomMessage(room, body string) (id string)
	// History and Search read the local archive and may block briefly:
	// the views call them off the UI goroutine.
	// HistoryAfter pages the other way, towards the newest.
	History(ctx context.Context, peer string, before history.Cursor, n int) ([]history.Message, error)
	HistoryAfter(ctx context.Context, peer string, after history.Cursor, n int) ([]history.Message, error)
	Search(ctx context.Context, query string, n int) ([]history.Hit, error)
}

var _ Core = (*app.Client)(nil)

// Credentials are what a core signs in with.
type Credentials struct {
	// Password gives a password account's password; the core calls it
	// afresh on every connection attempt.
	Password app.PasswordFunc
	// Tokens gives an OAuth account (account.Account.UsesOAuth) its access
	// tokens. Nil means not signed in: the core reports
	// app.SignInRequired, and once the user has signed in in the browser
	// the views pass the tokens to Core.SetTokens.
	Tokens app.Tokens
}

// StartFunc starts a core for an account and returns it with a function
// that stops it: app.NewOAuth with c.Tokens for an OAuth account, app.New
// with c.Password otherwise.
type StartFunc func(a account.Account, c Credentials) (core Core, stop func())

// SecretStore keeps remembered passwords (see model.SecretStore).
type SecretStore = model.SecretStore
