package model

import (
	"reflect"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
	ev "github.com/palaver-im/palaver/views/model/modeltest"
)

const me = "me@example.org"

// testRoster is one account's Roster listed alone, as the window shows a
// single account.
type testRoster struct {
	*Roster
	list *Contacts
}

func newRoster() testRoster {
	r := NewRoster(me)
	l := NewContacts()
	l.SetRosters(r)
	return testRoster{r, l}
}

func (t testRoster) Rows() []Row            { return t.list.Rows() }
func (t testRoster) Rebuilds() int          { return t.list.Rebuilds() }
func (t testRoster) Dirty() bool            { return t.list.Dirty() }
func (t testRoster) SetFilter(s string)     { t.list.SetFilter(s) }
func (t testRoster) SetShowOffline(on bool) { t.list.SetShowOffline(on) }
func (t testRoster) ToggleGroup(g string)   { t.list.ToggleGroup(Row{Header: true, Group: g}) }

func resetEv(cs ...app.Contact) app.RosterReset  { return ev.Reset(me, cs...) }
func updatedEv(c app.Contact) app.ContactUpdated { return ev.Updated(me, c) }
func removedEv(jid string) app.ContactRemoved    { return ev.Removed(me, jid) }
func stateEv(s app.ConnState) app.StateChanged   { return ev.State(me, s) }
func presenceEv(jid string, show im.Show, status string) app.PresenceChanged {
	return ev.Presence(me, jid, show, status)
}
func messageEv(from, body string, at time.Time, delayed bool) app.MessageReceived {
	return ev.Message(me, from, body, at, delayed)
}
func avatarChangedEv(jid, hash, path string) app.AvatarChanged { return ev.Avatar(me, jid, hash, path) }

var contact = ev.Contact

// lines renders rows compactly: "# Group 1/3" for headers, "  name show status (unread)".
func lines(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if r.Header {
			s := "# " + r.Group + " " + itoa(r.Online) + "/" + itoa(r.Total)
			if r.Collapsed {
				s += " collapsed"
			}
			out = append(out, s)
			continue
		}
		s := "  " + r.Name + " " + r.Show.String()
		if r.Status != "" {
			s += " " + r.Status
		}
		if r.Unread > 0 {
			s += " (" + itoa(r.Unread) + ")"
		}
		if r.Stale {
			s += " [last seen]"
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func sampleRoster() testRoster {
	r := newRoster()
	for _, e := range []app.Event{
		resetEv(
			contact("zoe@x", "zoe", "Friends"),
			contact("adam@x", "Adam", "Friends", "Work"),
			contact("bob@x", "bob", "Work"),
			contact("carl@x", ""),
			contact("dora@x", "Dora", "friends"), // a different group: case matters on the wire
		),
		presenceEv("zoe@x", im.Away, "lunch"),
		presenceEv("bob@x", im.DND, ""),
		presenceEv("carl@x", im.Available, ""),
	} {
		r.Apply(e)
	}
	return r
}

func TestRosterGroupsAndOrder(t *testing.T) {
	r := sampleRoster()
	r.SetShowOffline(true)
	got := lines(r.Rows())
	want := []string{
		"# Contacts 1/1",
		"  carl@x ",
		"# Friends 1/2",
		"  zoe away lunch", // online first, although "adam" < "zoe"
		"  Adam offline",
		"# friends 0/1",
		"  Dora offline",
		"# Work 1/2",
		"  bob dnd",
		"  Adam offline", // a contact in two groups shows in both
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n%q\nwant\n%q", got, want)
	}
}

func TestRosterNameOrderIgnoresCase(t *testing.T) {
	r := newRoster()
	r.Apply(resetEv(contact("1@x", "beta"), contact("2@x", "Alpha"), contact("3@x", "alpha2"), contact("4@x", "Gamma")))
	r.SetShowOffline(true)
	got := lines(r.Rows())
	want := []string{"# Contacts 0/4", "  Alpha offline", "  alpha2 offline", "  beta offline", "  Gamma offline"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
}

func TestRosterOfflineToggle(t *testing.T) {
	r := sampleRoster()
	got := lines(r.Rows())
	want := []string{
		"# Contacts 1/1", "  carl@x ",
		"# Friends 1/2", "  zoe away lunch",
		"# friends 0/1", // headers stay so that groups do not vanish
		"# Work 1/2", "  bob dnd",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows without offline contacts:\n%q\nwant\n%q", got, want)
	}
	r.SetShowOffline(true)
	if n := len(r.Rows()); n != 10 {
		t.Fatalf("with offline contacts: %d rows, want 10", n)
	}
}

func TestRosterFilter(t *testing.T) {
	r := sampleRoster()
	r.SetFilter("  ADA ")
	// The filter finds offline contacts too and hides groups without a match.
	want := []string{"# Friends 1/2", "  Adam offline", "# Work 1/2", "  Adam offline"}
	if got := lines(r.Rows()); !reflect.DeepEqual(got, want) {
		t.Fatalf("filter by name: %q, want %q", got, want)
	}
	r.SetFilter("carl@")
	want = []string{"# Contacts 1/1", "  carl@x "}
	if got := lines(r.Rows()); !reflect.DeepEqual(got, want) {
		t.Fatalf("filter by address: %q, want %q", got, want)
	}
	r.SetFilter("nobody")
	if got := r.Rows(); len(got) != 0 {
		t.Fatalf("filter without match: %q", lines(got))
	}
}

func TestRosterUnread(t *testing.T) {
	r := sampleRoster()
	r.AddUnread("dora@x", 2)
	r.AddUnread("zoe@x", 1)
	got := lines(r.Rows())
	want := []string{
		"# Contacts 1/1", "  carl@x ",
		"# Friends 1/2", "  zoe away lunch (1)",
		"# friends 0/1", "  Dora offline (2)", // unread messages show an offline contact
		"# Work 1/2", "  bob dnd",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n%q\nwant\n%q", got, want)
	}
	r.ClearUnread("dora@x")
	if r.Unread("dora@x") != 0 || len(r.Rows()) != 7 {
		t.Fatalf("after reading: unread %d, rows %q", r.Unread("dora@x"), lines(r.Rows()))
	}
}

func TestRosterCollapse(t *testing.T) {
	r := sampleRoster()
	r.ToggleGroup("Friends")
	want := []string{"# Contacts 1/1", "  carl@x ", "# Friends 1/2 collapsed", "# friends 0/1", "# Work 1/2", "  bob dnd"}
	if got := lines(r.Rows()); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
}

func TestRosterPushesAndSignOut(t *testing.T) {
	r := sampleRoster()
	r.Apply(removedEv("bob@x"))
	r.Apply(updatedEv(contact("carl@x", "Carl", "Work")))
	want := []string{"# Friends 1/2", "  zoe away lunch", "# friends 0/1", "# Work 1/2", "  Carl "}
	if got := lines(r.Rows()); !reflect.DeepEqual(got, want) {
		t.Fatalf("after pushes: %q, want %q", got, want)
	}
	// Losing the connection leaves everyone's presence as last seen
	// (a server that answers no probe never repeats it).
	r.Apply(stateEv(app.Waiting))
	want = []string{"# Friends 1/2", "  zoe away lunch [last seen]", "# friends 0/1", "# Work 1/2", "  Carl  [last seen]"}
	if got := lines(r.Rows()); !reflect.DeepEqual(got, want) {
		t.Fatalf("after sign-out: %q, want %q", got, want)
	}
}

func TestRosterRebuildsOnlyWhenAsked(t *testing.T) {
	r := sampleRoster()
	if r.Rebuilds() != 0 {
		t.Fatalf("Apply rebuilt the rows %d times; it should only mark them stale", r.Rebuilds())
	}
	r.Rows()
	r.Rows()
	if r.Rebuilds() != 1 {
		t.Fatalf("two Rows calls without changes rebuilt %d times, want 1", r.Rebuilds())
	}
	r.Apply(app.MessageFailed{}) // not about the roster
	r.Rows()
	if r.Rebuilds() != 1 {
		t.Fatalf("an unrelated event caused a rebuild")
	}
}

func typingStateEv(jid string, s chatstate.State) app.ChatStateChanged {
	return ev.ChatState(me, jid, s)
}

// typingRows returns the JIDs of the rows marked typing.
func typingRows(r testRoster) []string {
	var out []string
	for _, row := range r.Rows() {
		if row.Typing {
			out = append(out, row.JID)
		}
	}
	return out
}

func TestRosterTyping(t *testing.T) {
	r := sampleRoster()
	for i, tc := range []struct {
		ev   app.Event
		want []string
	}{
		0:  {typingStateEv("zoe@x", chatstate.Composing), []string{"zoe@x"}},
		1:  {typingStateEv("zoe@x", chatstate.Paused), nil},
		2:  {typingStateEv("zoe@x", chatstate.Composing), []string{"zoe@x"}},
		3:  {typingStateEv("zoe@x", chatstate.Active), nil},
		4:  {typingStateEv("zoe@x", chatstate.Composing), []string{"zoe@x"}},
		5:  {typingStateEv("zoe@x", chatstate.Inactive), nil},
		6:  {typingStateEv("zoe@x", chatstate.Composing), []string{"zoe@x"}},
		7:  {typingStateEv("zoe@x", chatstate.Gone), nil},
		8:  {typingStateEv("bob@x", chatstate.Composing), []string{"bob@x"}},
		9:  {messageEv("bob@x", "hi", time.Now(), false), nil}, // the message implies Active
		10: {typingStateEv("bob@x", chatstate.Composing), []string{"bob@x"}},
		11: {presenceEv("bob@x", im.Offline, "bye"), nil},
		12: {typingStateEv("carl@x", chatstate.Composing), []string{"carl@x"}},
		13: {stateEv(app.Waiting), nil},
		14: {typingStateEv("stranger@x", chatstate.Composing), nil},
	} {
		r.Apply(tc.ev)
		if got := typingRows(r); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d: typing %q, want %q", i, got, tc.want)
		}
	}
	if !r.Typing("stranger@x") {
		t.Error("a stranger's typing is not kept for their chat window")
	}
}

func TestRosterTypingRebuildsOnlyOnChange(t *testing.T) {
	r := sampleRoster()
	r.Rows()
	n := r.Rebuilds()
	r.Apply(typingStateEv("zoe@x", chatstate.Paused)) // was not typing
	r.Apply(messageEv("zoe@x", "hi", time.Now(), false))
	r.Apply(typingStateEv("stranger@x", chatstate.Composing))
	r.Rows()
	if r.Rebuilds() != n {
		t.Errorf("events that change no row rebuilt the rows")
	}
}

func TestRosterAvatars(t *testing.T) {
	r := sampleRoster()
	r.Rows()
	n := r.Rebuilds()
	r.Apply(avatarChangedEv("zoe@x", "abc", "/cache/abc.png"))
	r.Apply(avatarChangedEv(me, "def", "/cache/def.png")) // the own picture: no row
	rows := r.Rows()
	if r.Rebuilds() != n+1 {
		t.Errorf("%d rebuilds, want 1", r.Rebuilds()-n)
	}
	for _, row := range rows {
		want := ""
		if row.JID == "zoe@x" {
			want = "abc"
		}
		if !row.Header && (row.Avatar != want || (want != "") != (row.AvatarPath != "")) {
			t.Errorf("row %s: avatar %q %q", row.JID, row.Avatar, row.AvatarPath)
		}
	}
	if h, p := r.Avatar(me); h != "def" || p != "/cache/def.png" {
		t.Errorf("own avatar %q %q", h, p)
	}
	r.Apply(avatarChangedEv("zoe@x", "abc", "/cache/abc.png"))
	r.Rows()
	if r.Rebuilds() != n+1 {
		t.Error("the same picture again rebuilt the rows")
	}
	r.Apply(avatarChangedEv("zoe@x", "", ""))
	if h, _ := r.Avatar("zoe@x"); h != "" || !r.Dirty() {
		t.Errorf("a removed picture is kept (%q) or not shown", h)
	}
	// A roster reset does not forget pictures: they come apart from it.
	r.Apply(avatarChangedEv("zoe@x", "abc", "/cache/abc.png"))
	r.Apply(resetEv(contact("zoe@x", "zoe")))
	if h, _ := r.Avatar("zoe@x"); h != "abc" {
		t.Error("a roster reset forgot a picture")
	}
}
