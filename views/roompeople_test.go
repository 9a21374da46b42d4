package views

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app"
)

// The fake core moderates (roompeople.go's moderator).

func (f *fakeCore) Kick(room, nick, reason string) { f.record("Kick %s %s %q", room, nick, reason) }
func (f *fakeCore) SetRole(room, nick string, role muc.Role, reason string) {
	f.record("SetRole %s %s %s %q", room, nick, role, reason)
}
func (f *fakeCore) SetAffiliation(room, user string, aff muc.Affiliation, reason string) {
	f.record("SetAffiliation %s %s %s %q", room, user, aff, reason)
}

// adminInTea joins tea as me, an admin and moderator, with Ann (owner),
// Bob (a member with a known JID), Cat (a visitor) and Dan (whose JID the
// room hides), and opens its window.
func adminInTea(t *testing.T) (*harness, *chatWindow) {
	t.Helper()
	h := signedIn(t)
	s := h.ui.only()
	s.Joining(tea, "me")
	info := app.RoomInfo{Room: tea, Name: "Tea Room", Moderated: true}
	info.Acct = me
	j := app.RoomJoined{Room: tea, Nick: "me", Self: app.Occupant{Nick: "me", Role: muc.RoleModerator, Affiliation: muc.AffiliationAdmin}}
	j.Acct = me
	j.Occupants = []app.Occupant{
		{Nick: "ann", Role: muc.RoleModerator, Affiliation: muc.AffiliationOwner, JID: "ann@example.org/home"},
		{Nick: "bob", Role: muc.RoleParticipant, Affiliation: muc.AffiliationMember, JID: "bob@example.org/work"},
		{Nick: "cat", Role: muc.RoleVisitor},
		{Nick: "Dan", Role: muc.RoleParticipant},
	}
	h.apply(info, j)
	s.openChat(tea)
	return h, s.chats[tea]
}

// peopleRows returns the People dialog's rows, as their words.
func peopleRows(c *chatWindow) []string {
	var rows []string
	for _, o := range c.people.rows {
		nick, standing := personWords(o, o.Nick == c.people.self)
		rows = append(rows, nick+" / "+standing)
	}
	return rows
}

func labels(items []*fyne.MenuItem) []string {
	var ls []string
	for _, it := range items {
		if !it.IsSeparator {
			ls = append(ls, it.Label)
		}
	}
	return ls
}

func TestPeopleDialog(t *testing.T) {
	h, c := adminInTea(t)
	c.showPeople()
	want := []string{
		"ann / moderator · owner",
		"me (you) / moderator · admin",
		"bob / participant · member",
		"Dan / participant",
		"cat / visitor, no voice",
	}
	if got := peopleRows(c); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r := c.s.Rooms[tea]
	menu := func(nick string) []*fyne.MenuItem { return c.personMenu(r.Occupants[nick]) }
	for nick, want := range map[string]string{
		"ann": "Send private message",
		"bob": "Send private message, Revoke voice, Make moderator, Remove membership, Kick…, Ban…",
		"cat": "Send private message, Grant voice, Make moderator, Kick…",
		"Dan": "Send private message, Revoke voice, Make moderator, Kick…",
	} {
		if got := strings.Join(labels(menu(nick)), ", "); got != want {
			t.Errorf("%s's menu: %s, want %s", nick, got, want)
		}
	}
	pick := func(nick, label string) {
		t.Helper()
		for _, it := range menu(nick) {
			if it.Label == label {
				it.Action()
				return
			}
		}
		t.Fatalf("no %q for %s", label, nick)
	}
	last := func() string {
		calls := h.core.Calls()
		return calls[len(calls)-1]
	}
	// Others act at once.
	pick("cat", "Grant voice")
	if got := last(); got != `SetRole `+tea+` cat participant ""` {
		t.Errorf("granting voice: %s", got)
	}
	pick("bob", "Remove membership")
	if got := last(); got != `SetAffiliation `+tea+` bob@example.org none ""` {
		t.Errorf("removing membership: %s", got)
	}
	// A ban is confirmed first, with a reason; canceled, nothing is done.
	n := len(h.core.Calls())
	pick("bob", "Ban…")
	d := top(t, c.win)
	if !labelContaining(d, "bob (bob@example.org) leaves Tea Room") {
		t.Fatal("the ban is not explained")
	}
	test.Type(entryWithPlaceholder(t, d, "Reason (optional)"), "spam")
	test.Tap(button(t, d, "Cancel"))
	if len(h.core.Calls()) != n {
		t.Fatalf("a canceled ban did %s", last())
	}
	pick("bob", "Ban…")
	d = top(t, c.win)
	test.Type(entryWithPlaceholder(t, d, "Reason (optional)"), "spam")
	test.Tap(button(t, d, "Ban"))
	if got := last(); got != `SetAffiliation `+tea+` bob@example.org outcast "spam"` {
		t.Errorf("banning: %s", got)
	}
	pick("Dan", "Kick…")
	test.Tap(button(t, top(t, c.win), "Kick"))
	if got := last(); got != `Kick `+tea+` Dan ""` {
		t.Errorf("kicking: %s", got)
	}
	// The list follows the room while open.
	gone := app.OccupantChanged{Room: tea, Occupant: app.Occupant{Nick: "Dan"}, Left: true, Reason: app.LeftKicked}
	gone.Acct = me
	h.apply(gone)
	if rows := peopleRows(c); len(rows) != 4 {
		t.Errorf("after Dan left: %q", rows)
	}
	// A private message opens a chat with the occupant's address.
	pick("ann", "Send private message")
	if pm := c.s.chats[tea+"/ann"]; pm == nil || pm.room {
		t.Fatalf("no private chat with ann: %v", pm)
	}
}

func TestPeopleOfAPlainParticipant(t *testing.T) {
	h := signedIn(t)
	s := h.ui.only()
	s.Joining(tea, "me")
	j := roomJoinedEv("me", "ann")
	j.Self.Role = muc.RoleParticipant
	h.apply(j)
	s.openChat(tea)
	c := s.chats[tea]
	if got := labels(c.personMenu(s.Rooms[tea].Occupants["ann"])); strings.Join(got, ", ") != "Send private message" {
		t.Errorf("a participant's menu: %q", got)
	}
}

func TestPeopleShot(t *testing.T) {
	h, c := adminInTea(t)
	fyne.CurrentApp().Settings().SetTheme(Theme())
	c.win.Resize(fyne.NewSize(480, 560))
	c.showPeople()
	h.settle()
	saveImage(t, "room_people", c.win.Canvas())
	// Bob's menu, open.
	row, ok := find(c.people.list, func(r *personRow) bool { return r.nick.Text == "bob" })
	if !ok {
		t.Fatal("Bob's row is not drawn")
	}
	more := row.more
	test.Tap(more)
	h.settle()
	saveImage(t, "room_people_menu", c.win.Canvas())
	// The ban, asked first.
	for _, it := range c.personMenu(c.s.Rooms[tea].Occupants["bob"]) {
		if it.Label == "Ban…" {
			it.Action()
		}
	}
	test.Type(entryWithPlaceholder(t, top(t, c.win), "Reason (optional)"), "spam, again")
	h.settle()
	saveImage(t, "room_people_ban", c.win.Canvas())
}

// top returns the top overlay (dialog) of the window w.
func top(t *testing.T, w fyne.Window) fyne.CanvasObject {
	t.Helper()
	o := w.Canvas().Overlays().Top()
	if o == nil {
		t.Fatal("no dialog is shown")
	}
	return o
}

func TestPeopleOfABigRoom(t *testing.T) {
	h := signedIn(t)
	s := h.ui.only()
	s.Joining(tea, "me")
	j := roomJoinedEv("me")
	for i := range 5000 {
		j.Occupants = append(j.Occupants, app.Occupant{Nick: fmt.Sprintf("n%04d", i), Role: muc.RoleParticipant})
	}
	h.apply(j)
	s.openChat(tea)
	c := s.chats[tea]
	c.showPeople()
	if n := len(c.people.rows); n != 5001 {
		t.Fatalf("%d rows", n)
	}
	drawn := 0
	walk(c.people.list, func(o fyne.CanvasObject) bool {
		if _, ok := o.(*personRow); ok {
			drawn++
		}
		return true
	})
	if drawn == 0 || drawn > 50 {
		t.Errorf("%d rows drawn for 5001 people", drawn)
	}
}
