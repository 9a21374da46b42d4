package views

import (
	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// Core is the part of the messenger core (app.Client) that the views use.
// Every method must return at once.
type Core interface {
	Events() <-chan []app.Event
	Connect()
	Disconnect()
	SetAccount(account.Account)
	SetPresence(show im.Show, status string)
	SendMessage(to, body string) (id string)
	AddContact(jid, name string, groups []string)
	UpdateContact(jid, name string, groups []string)
	RemoveContact(jid string)
	Approve(jid string)
	Deny(jid string)
}

var _ Core = (*app.Client)(nil)

// StartFunc starts a core for an account and returns it with a function
// that stops it. The core asks password for the password on every
// connection attempt.
type StartFunc func(a account.Account, password app.PasswordFunc) (c Core, stop func())

// SecretStore keeps remembered passwords; account.Keychain is one.
// Its methods may block (the OS keychain answers over D-Bus), so the views
// call them off the UI goroutine.
type SecretStore interface {
	Password(bare string) (string, error)
	SetPassword(bare, password string) error
	DeletePassword(bare string) error
}

var _ SecretStore = account.Keychain{}
