package model

import (
	"strings"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// Invitations to rooms (XEP-0249, XEP-0045 §7.8.2): anyone may invite,
// so an invitation only asks; nothing is joined until the user says so.

// MaxInvitations bounds the invitations waiting; past it the oldest is
// dropped.
const MaxInvitations = 20

// Lengths an invitation's parts are clipped to, in bytes.
const (
	maxInviteJID      = 1023
	maxInviteReason   = 1000
	maxInvitePassword = 1023
)

// Invitation is an invitation to a room, waiting for the user's answer.
// Its Reason is plain text (PlainText), clipped.
type Invitation struct {
	app.RoomInvitation
	// Contact is set when who invites is in the contacts.
	Contact bool
	At      time.Time
}

// Invitations holds the invitations waiting, oldest first: at most one
// per room and inviter, at most MaxInvitations.
type Invitations struct {
	List []*Invitation
}

// add records e; it returns the invitation and whether it is new (not
// one of the same room and inviter, which it replaces).
func (l *Invitations) add(e app.RoomInvitation, contact bool, at time.Time) (*Invitation, bool) {
	inv := &Invitation{RoomInvitation: e, Contact: contact, At: at}
	for i, old := range l.List {
		if old.Room == e.Room && strings.EqualFold(old.From, e.From) {
			// The newest goes last, so that the oldest is dropped.
			l.List = append(append(l.List[:i:i], l.List[i+1:]...), inv)
			return inv, false
		}
	}
	if len(l.List) >= MaxInvitations {
		l.List[0] = nil
		l.List = l.List[1:]
	}
	l.List = append(l.List, inv)
	return inv, true
}

// Remove drops the invitation to room from from.
func (l *Invitations) Remove(room, from string) {
	for i, inv := range l.List {
		if inv.Room == room && strings.EqualFold(inv.From, from) {
			l.List = append(l.List[:i:i], l.List[i+1:]...)
			return
		}
	}
}

// RemoveRoom drops every invitation to room (it is being joined).
func (l *Invitations) RemoveRoom(room string) bool {
	n := len(l.List)
	out := l.List[:0]
	for _, inv := range l.List {
		if inv.Room != room {
			out = append(out, inv)
		}
	}
	clear(l.List[len(out):])
	l.List = out
	return len(out) != n
}

// invited takes an invitation: clipped and cleaned, dropped when it is
// to a room the account is in or joining, or from an address blocked;
// it returns the invitation and whether it is new.
func (a *Account) invited(e app.RoomInvitation) (*Invitation, bool) {
	e.Room = im.Clip(PlainLine(e.Room), maxInviteJID)
	e.From = im.Clip(PlainLine(e.From), maxInviteJID)
	e.Reason = strings.TrimSpace(PlainText(im.Clip(e.Reason, maxInviteReason)))
	e.Password = im.Clip(e.Password, maxInvitePassword)
	if e.Room == "" || a.Rooms[e.Room] != nil {
		return nil, false
	}
	if e.From != "" && (a.Blocked[e.From] || a.MsgRequests.IsIgnored(e.From)) {
		return nil, false
	}
	_, contact := a.Roster.Contact(e.From)
	contact = contact && e.From != ""
	return a.Invitations.add(e, contact, a.now())
}
