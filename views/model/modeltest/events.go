// Package modeltest builds the core's events for tests of the model and
// the views: each constructor takes the account the event is of.
package modeltest

import (
	"time"

	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// State returns the event of acct's connection entering s.
func State(acct string, s app.ConnState) app.StateChanged {
	e := app.StateChanged{State: s}
	e.Acct = acct
	return e
}

// Reset returns acct's roster, replaced by cs.
func Reset(acct string, cs ...app.Contact) app.RosterReset {
	e := app.RosterReset{Contacts: cs}
	e.Acct = acct
	return e
}

// Updated returns a roster push of c to acct.
func Updated(acct string, c app.Contact) app.ContactUpdated {
	e := app.ContactUpdated{Contact: c}
	e.Acct = acct
	return e
}

// Removed returns a roster push removing jid from acct's roster.
func Removed(acct, jid string) app.ContactRemoved {
	e := app.ContactRemoved{JID: jid}
	e.Acct = acct
	return e
}

// Presence returns jid's presence as acct sees it; im.Offline makes it
// unavailable.
func Presence(acct, jid string, show im.Show, status string) app.PresenceChanged {
	p := im.Presence{Show: show, Status: status}
	if show == im.Offline {
		p.Type = stanza.UnavailablePresence
	}
	e := app.PresenceChanged{JID: jid, Best: p, Resources: 1}
	e.Acct = acct
	return e
}

// Message returns a message from peer to acct sent at; delayed marks it
// delivered late (XEP-0203).
func Message(acct, from, body string, at time.Time, delayed bool) app.MessageReceived {
	m := im.Message{Body: body}
	if delayed {
		m.Delay = at
	}
	e := app.MessageReceived{Msg: m, Peer: from, Time: at}
	e.Acct = acct
	return e
}

// ChatState returns jid's chat state (XEP-0085) towards acct.
func ChatState(acct, jid string, s chatstate.State) app.ChatStateChanged {
	e := app.ChatStateChanged{JID: jid, State: s}
	e.Acct = acct
	return e
}

// Avatar returns the news that jid's picture is hash, cached at path.
func Avatar(acct, jid, hash, path string) app.AvatarChanged {
	e := app.AvatarChanged{JID: jid, Hash: hash, Path: path}
	e.Acct = acct
	return e
}

// Contact returns a roster item with a mutual subscription.
func Contact(jid, name string, groups ...string) app.Contact {
	return app.Contact{JID: jid, Name: name, Groups: groups, Subscription: "both"}
}
