package model

import (
	"reflect"
	"testing"

	"github.com/palaver-im/palaver/app/im"
	ev "github.com/palaver-im/palaver/views/model/modeltest"
)

// accountLines renders rows as lines does, each contact with its account.
func accountLines(rows []Row) []string {
	var out []string
	for i, l := range lines(rows) {
		if !rows[i].Header {
			l += " @" + rows[i].Account
		}
		out = append(out, l)
	}
	return out
}

func twoAccounts() (*Contacts, *Roster, *Roster) {
	work, home := NewRoster("me@work"), NewRoster("me@home")
	work.Apply(ev.Reset("me@work", ev.Contact("ann@x", "Ann", "Friends"), ev.Contact("bob@x", "Bob", "Team")))
	work.Apply(ev.Presence("me@work", "ann@x", im.Available, ""))
	home.Apply(ev.Reset("me@home", ev.Contact("ann@x", "Ann", "Friends"), ev.Contact("cat@y", "Cat")))
	home.Apply(ev.Presence("me@home", "cat@y", im.Away, ""))
	c := NewContacts()
	c.SetRosters(work, home)
	c.SetShowOffline(true)
	return c, work, home
}

func TestContactsMergeAccounts(t *testing.T) {
	c, _, home := twoAccounts()
	want := []string{
		"# Contacts 1/1", "  Cat away @me@home",
		// One group for both accounts; the same address on two accounts
		// is two contacts, in account order when alike.
		"# Friends 1/2", "  Ann  @me@work", "  Ann offline @me@home",
		"# Team 0/1", "  Bob offline @me@work",
	}
	if got := accountLines(c.Rows()); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n%q\nwant\n%q", got, want)
	}
	// Unread counts are per account: home's Ann is not work's.
	home.AddUnread("ann@x", 2)
	c.SetShowOffline(false)
	want = []string{
		"# Contacts 1/1", "  Cat away @me@home",
		"# Friends 1/2", "  Ann  @me@work", "  Ann offline (2) @me@home",
		"# Team 0/1",
	}
	if got := accountLines(c.Rows()); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows with home's unread:\n%q\nwant\n%q", got, want)
	}
	if got := (Row{Account: "me@home", JID: "ann@x"}).Key(); got != (ContactKey{"me@home", "ann@x"}) {
		t.Errorf("Key = %v", got)
	}
}

func TestContactsByAccount(t *testing.T) {
	c, work, _ := twoAccounts()
	c.SetByAccount(true)
	empty := NewRoster("me@empty")
	c.SetRosters(work, c.Rosters()[1], empty)
	want := []string{
		"# me@work 1/2", "  Ann  @me@work", "  Bob offline @me@work",
		"# me@home 1/2", "  Cat away @me@home", "  Ann offline @me@home",
		"# me@empty 0/0", // an account without contacts still has its header
	}
	if got := accountLines(c.Rows()); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n%q\nwant\n%q", got, want)
	}
	// Collapsing an account's header is remembered apart from groups.
	c.ToggleGroup(c.Rows()[0])
	if got := accountLines(c.Rows())[:2]; !reflect.DeepEqual(got, []string{"# me@work 1/2 collapsed", "# me@home 1/2"}) {
		t.Fatalf("after collapsing me@work: %q", got)
	}
	c.SetByAccount(false)
	for _, r := range c.Rows() {
		if r.Collapsed {
			t.Errorf("group %q collapsed by the account's toggle", r.Group)
		}
	}
}

func TestContactsDirtyFollowsRosters(t *testing.T) {
	c, work, home := twoAccounts()
	c.Rows()
	n := c.Rebuilds()
	home.Apply(ev.Presence("me@home", "ann@x", im.DND, ""))
	if !c.Dirty() {
		t.Fatal("a change of one account's roster left the list clean")
	}
	c.Rows()
	c.Rows()
	if c.Rebuilds() != n+1 || work.Dirty() || home.Dirty() {
		t.Errorf("%d rebuilds for one change, rosters dirty %v %v", c.Rebuilds()-n, work.Dirty(), home.Dirty())
	}
	if c.Len() != 4 || c.Roster("me@home") != home || c.Roster("me@nowhere") != nil {
		t.Errorf("Len %d, Roster lookups wrong", c.Len())
	}
}

func TestContactsMetacontacts(t *testing.T) {
	c, work, home := twoAccounts()
	ann := []ContactKey{{"me@work", "ann@x"}, {"me@home", "ann@x"}}
	c.SetMerged([][]ContactKey{ann})
	home.AddUnread("ann@x", 2)
	work.AddUnread("ann@x", 1)
	rows := c.Rows()
	want := []string{
		"# Contacts 1/1", "  Cat away @me@home",
		// One row: work's Ann is online, so the row is hers (the chat
		// goes there), with the unread messages of both.
		"# Friends 1/1", "  Ann  (3) @me@work",
		"# Team 0/1", "  Bob offline @me@work",
	}
	if got := accountLines(rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n%q\nwant\n%q", got, want)
	}
	if rows[3].Merged != 2 || rows[1].Merged != 0 {
		t.Errorf("Merged %d for Ann, %d for Cat", rows[3].Merged, rows[1].Merged)
	}
	if got := c.Members(ContactKey{"me@home", "ann@x"}); !reflect.DeepEqual(got, ann) {
		t.Errorf("Members = %v", got)
	}
	// Work's Ann leaves, home's is busy: home's is shown now.
	work.Apply(ev.Presence("me@work", "ann@x", im.Offline, ""))
	home.Apply(ev.Presence("me@home", "ann@x", im.DND, "busy"))
	if got := accountLines(c.Rows())[3]; got != "  Ann dnd busy (3) @me@home" {
		t.Errorf("after work's Ann left: %q", got)
	}
	// Grouped by account, each account lists its own.
	c.SetByAccount(true)
	n := 0
	for _, r := range c.Rows() {
		if r.JID == "ann@x" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("grouped by account, Ann shows %d times, want 2", n)
	}
	// A metacontact whose other member is not listed (its account is
	// disabled) is an ordinary row.
	c.SetByAccount(false)
	c.SetRosters(home)
	for _, r := range c.Rows() {
		if r.JID == "ann@x" && r.Merged != 0 {
			t.Errorf("Ann alone is marked merged (%d)", r.Merged)
		}
	}
}
