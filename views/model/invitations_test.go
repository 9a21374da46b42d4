package model

import (
	"fmt"
	"testing"

	"github.com/palaver-im/palaver/app"
)

// TestInvitations: kept until answered, one per room and inviter, at
// most MaxInvitations; contacts' new ones notify; none for rooms we are
// in or from blocked addresses.
func TestInvitations(t *testing.T) {
	a := online()
	v := newView()
	inv := func(room, from, reason string) app.Event {
		e := app.RoomInvitation{Room: room, From: from, Reason: reason}
		e.Acct = me
		return e
	}
	ch := a.Apply([]app.Event{inv(room, "ann@x", "tea?"), inv(room, "stranger@y", "\u202espam\x00")}, v)
	if !ch.Invitations || len(a.Invitations.List) != 2 {
		t.Fatalf("changes %v, %d waiting", ch.Invitations, len(a.Invitations.List))
	}
	if len(ch.Invited) != 1 || ch.Invited[0].From != "ann@x" || !ch.Invited[0].Contact {
		t.Errorf("to notify: %+v, want Ann's only", ch.Invited)
	}
	if s := a.Invitations.List[1]; s.Contact || s.Reason != "spam" {
		t.Errorf("the stranger's: contact %v, reason %q", s.Contact, s.Reason)
	}
	// Ann again: merged, moved last, not notified again.
	ch = a.Apply([]app.Event{inv(room, "Ann@x", "tea now!")}, v)
	l := a.Invitations.List
	if len(l) != 2 || l[1].Reason != "tea now!" || len(ch.Invited) != 0 {
		t.Fatalf("after a second invitation: %d waiting, last %q, notify %d", len(l), l[1].Reason, len(ch.Invited))
	}
	// Past the bound the oldest go.
	var evs []app.Event
	for i := range MaxInvitations {
		evs = append(evs, inv(fmt.Sprintf("r%d@muc.x", i), "bob@x", ""))
	}
	a.Apply(evs, v)
	l = a.Invitations.List
	if len(l) != MaxInvitations || l[0].Room != "r0@muc.x" {
		t.Fatalf("%d waiting, oldest %q", len(l), l[0].Room)
	}
	a.Invitations.Remove("r0@muc.x", "BOB@x")
	if a.Invitations.List[0].Room != "r1@muc.x" || !a.Invitations.RemoveRoom("r1@muc.x") || len(a.Invitations.List) != MaxInvitations-2 {
		t.Errorf("removing: %d left", len(a.Invitations.List))
	}
	// None for a room we are in, nor from a blocked address.
	a.Joining("in@muc.x", "me")
	blocked := app.Blocked{JID: "bad@y", OnServer: true}
	blocked.Acct = me
	n := len(a.Invitations.List)
	if ch := a.Apply([]app.Event{blocked, inv("in@muc.x", "ann@x", ""), inv("new@muc.x", "bad@y", "")}, v); ch.Invitations || len(a.Invitations.List) != n {
		t.Errorf("invitations to a room joined or from a blocked address were kept")
	}
}
