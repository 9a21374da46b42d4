package views

import (
	"slices"
	"strings"
	"testing"

	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

func TestPrivateMessageFromRoom(t *testing.T) {
	fixClock(t)
	h := signedIn(t)
	notes := countNotifications(h)
	s := h.ui.only()
	s.Joining(tea, "me")
	info := app.RoomInfo{Room: tea, Name: "Tea Room"}
	info.Acct = me
	j := roomJoinedEv("me", "ann")
	j.Occupants[0].Show = im.Away
	h.apply(info, j)
	ann := tea + "/ann"
	// Someone in the room writes privately: a chat of its own opens and
	// notifies, named by nickname and room; no message request.
	h.apply(messageEv(ann, "psst", clock.now(), false))
	c := s.chats[ann]
	if c == nil || c.room {
		t.Fatalf("no private chat window: %v", c)
	}
	if len(s.MsgRequests.List) != 0 || h.ui.msgRequestsBar.Visible() {
		t.Error("a private message waits in message requests")
	}
	if want := "ann (in Tea Room) — Away"; c.title.Text != want {
		t.Errorf("header %q, want %q", c.title.Text, want)
	}
	if !strings.HasSuffix(c.win.Title(), "ann (in Tea Room)") {
		t.Errorf("window title %q", c.win.Title())
	}
	if len(notes.sent) != 1 || notes.sent[0].Title != "ann (in Tea Room)" {
		t.Fatalf("notifications %v", notes.sent)
	}
	if m := c.conv.msgs[0]; m.sender != "ann (in Tea Room)" {
		t.Errorf("the line is signed %q", m.sender)
	}
	// Our answer goes to the occupant's address.
	c.sendText("hi")
	if calls := h.core.Calls(); !slices.Contains(calls, `SendMessage `+ann+` "hi"`) {
		t.Errorf("calls %q", calls)
	}
	// Gone from the room: offline.
	gone := app.OccupantChanged{Room: tea, Occupant: app.Occupant{Nick: "ann", Role: muc.RoleNone}, Left: true}
	gone.Acct = me
	h.apply(gone)
	c.updateHeader()
	if want := "ann (in Tea Room) — Offline"; c.title.Text != want {
		t.Errorf("header %q, want %q", c.title.Text, want)
	}
	// From a room we are not in: a message request, as before.
	h.apply(messageEv("other@conference.example.org/eve", "hello", clock.now(), false))
	if len(s.MsgRequests.List) != 1 {
		t.Errorf("message requests %v", s.MsgRequests.List)
	}
}
