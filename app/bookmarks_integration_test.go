package app_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"testing"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// Room bookmarks (XEP-0402, and XEP-0048 in private storage) between cores
// of one account on a real Prosody: PEP on, its muc component, and
// mod_bookmarks (which advertises urn:xmpp:bookmarks:1#compat) only where
// the test wants XEP-0402.

// roomMadeBy has user create room and stay in it: two cores of one
// account that autojoin a room nobody is in race to create it, and the
// loser is refused while the winner's new room is locked (XEP-0045
// §10.1.1: item-not-found), which is not what these tests are about.
func roomMadeBy(t *testing.T, srv *prosodytest.Server, user, room string) {
	t.Helper()
	online(t, srv, user, nil).join(room, user, "")
}

// core runs a client of user@srv with its own resource, as another
// device of the same account, and waits until it is online.
func core(t *testing.T, srv *prosodytest.Server, user, resource string) *probe {
	t.Helper()
	a := accountFor(srv, user)
	a.Resource = resource
	p := run(t, user+"/"+resource, app.New(a, func(context.Context) (string, error) { return user + "-pw", nil }))
	p.waitOnline()
	return p
}

// untilNotified waits until the server sends two the notifications of
// one's bookmark changes: Prosody notifies a resource only once it has
// learnt from its caps that it wants them (XEP-0163 §4.3.4), which may
// come after two has read its bookmarks. one sets a throwaway bookmark
// (no autojoin) until two hears of one, then removes it.
func untilNotified(t *testing.T, srv *prosodytest.Server, one, two *probe) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		b := app.Bookmark{Room: fmt.Sprintf("prime%d@%s", i, srv.MUCDomain), Name: "prime"}
		m := two.mark()
		one.c.SetBookmark(b)
		heard := false
		for end := time.Now().Add(time.Second); time.Now().Before(end) && !heard; time.Sleep(20 * time.Millisecond) {
			heard = two.countFrom(m, bookmarkChanged(b)) > 0
		}
		m = two.mark()
		one.c.RemoveBookmark(b.Room)
		if heard {
			two.waitFrom(m, "the throwaway bookmark removed", bookmarkRemoved(b.Room))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("two never heard of one's bookmark changes; events:\n%s", two.dump())
		}
	}
}

func gotBookmarks(e app.Event) bool { _, ok := e.(app.Bookmarks); return ok }

func bookmarkChanged(b app.Bookmark) func(app.Event) bool {
	return func(e app.Event) bool {
		c, ok := e.(app.BookmarkChanged)
		return ok && c.Bookmark == b
	}
}

func bookmarkRemoved(room string) func(app.Event) bool {
	return func(e app.Event) bool {
		r, ok := e.(app.BookmarkRemoved)
		return ok && r.Room == room
	}
}

func roomLeft(room string) func(app.Event) bool {
	return func(e app.Event) bool {
		l, ok := e.(app.RoomLeft)
		return ok && l.Room == room
	}
}

// TestBookmarkSyncsBetweenCores: with XEP-0402 (#compat advertised), a
// bookmark one core sets reaches another core of the same account live as
// a PEP notification (we advertise +notify), and both join the room; a
// core started afresh (a restart: a new Client) finds the bookmark in its
// Bookmarks event and joins by itself (RoomJoined, Rejoined false: its
// first join of the run); removing the bookmark makes every core leave.
// Prosody accepts XEP-0402's publish options (else SetBookmark fails
// with precondition-not-met), and another account cannot read the node
// (access model whitelist).
func TestBookmarkSyncsBetweenCores(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{MUC: true, Modules: []string{"bookmarks"}})
	srv.Register(t, "alice", "alice-pw")
	room := "lobby@" + srv.MUCDomain
	roomMadeBy(t, srv, "bob", room)
	one, two := core(t, srv, "alice", "one"), core(t, srv, "alice", "two")
	for _, p := range []*probe{one, two} {
		b := p.wait(p.name+" bookmarks", gotBookmarks).(app.Bookmarks)
		if b.Legacy || len(b.Rooms) != 0 {
			t.Fatalf("%s: first bookmarks %+v, want none in PEP", p.name, b)
		}
	}
	untilNotified(t, srv, one, two)

	want := app.Bookmark{Room: room, Name: "The lobby", Nick: "Al", Password: "", Autojoin: true}
	m1, m2 := one.mark(), two.mark()
	one.c.SetBookmark(want)
	one.waitFrom(m1, "one's own bookmark", bookmarkChanged(want))
	if j := one.waitFrom(m1, "one joins", joinedRoom(room)).(app.RoomJoined); j.Nick != "Al" {
		t.Errorf("one joined as %q, want the bookmark's nick", j.Nick)
	}
	two.waitFrom(m2, "two hears of the bookmark", bookmarkChanged(want))
	two.waitFrom(m2, "two joins", joinedRoom(room))
	if n := one.count(bookmarkChanged(want)); n != 1 {
		t.Errorf("one got its own change %d times (publish and notification), want once; events:\n%s", n, one.dump())
	}

	// A restart: a new core of the account reads the bookmark and joins.
	two.stop()
	three := core(t, srv, "alice", "three")
	b := three.wait("three's bookmarks", gotBookmarks).(app.Bookmarks)
	if b.Legacy || len(b.Rooms) != 1 || b.Rooms[0] != want {
		t.Fatalf("after a restart: %+v, want [%+v]", b, want)
	}
	if j := three.wait("three autojoins", joinedRoom(room)).(app.RoomJoined); j.Rejoined || j.Nick != "Al" {
		t.Errorf("three's autojoin: %+v, want nick Al, not Rejoined", j)
	}

	// Another account cannot read alice's bookmarks (XEP-0402 §3.3).
	srv.Register(t, "eve", "eve-pw")
	if typ := peekBookmarks(t, dialWirePeer(t, srv, "eve"), "alice@"+srv.Domain); typ != "error" {
		t.Errorf("eve asked for alice's bookmarks and got an IQ of type %q, want an error", typ)
	}

	// Clearing autojoin elsewhere leaves; so does removing.
	m1, m3 := one.mark(), three.mark()
	one.c.RemoveBookmark(room)
	one.waitFrom(m1, "one's removal", bookmarkRemoved(room))
	one.waitFrom(m1, "one leaves", roomLeft(room))
	three.waitFrom(m3, "three hears of the removal", bookmarkRemoved(room))
	three.waitFrom(m3, "three leaves", roomLeft(room))
}

// TestBookmarkAutojoinClearedLeaves: a bookmark whose autojoin another
// core clears is left, and one set without autojoin is not joined.
func TestBookmarkAutojoinClearedLeaves(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{MUC: true, Modules: []string{"bookmarks"}})
	srv.Register(t, "alice", "alice-pw")
	room, quiet := "lobby@"+srv.MUCDomain, "quiet@"+srv.MUCDomain
	roomMadeBy(t, srv, "bob", room)
	one, two := core(t, srv, "alice", "one"), core(t, srv, "alice", "two")
	one.wait("bookmarks", gotBookmarks)
	two.wait("bookmarks", gotBookmarks)
	untilNotified(t, srv, one, two)
	on := app.Bookmark{Room: room, Autojoin: true}
	m2 := two.mark()
	one.c.SetBookmark(on)
	two.waitFrom(m2, "two joins", joinedRoom(room))
	if j := two.wait("", joinedRoom(room)).(app.RoomJoined); j.Nick != "alice" {
		t.Errorf("joined as %q, want the account's user name", j.Nick)
	}
	off := app.Bookmark{Room: room, Name: "later"}
	m2 = two.mark()
	one.c.SetBookmark(off)
	two.waitFrom(m2, "two hears autojoin cleared", bookmarkChanged(off))
	two.waitFrom(m2, "two leaves", roomLeft(room))

	m2 = two.mark()
	q := app.Bookmark{Room: quiet, Name: "no autojoin"}
	one.c.SetBookmark(q)
	two.waitFrom(m2, "two hears of quiet", bookmarkChanged(q))
	// Everything one sent after the bookmark has reached two once this
	// second change arrived: a join would have come before.
	one.c.SetBookmark(app.Bookmark{Room: quiet, Name: "still no autojoin"})
	two.waitFrom(m2, "two hears of the rename", bookmarkChanged(app.Bookmark{Room: quiet, Name: "still no autojoin"}))
	if n := two.count(joinedRoom(quiet)); n != 0 {
		t.Errorf("two joined a room whose bookmark has no autojoin")
	}
}

// TestBookmarkLegacyPrivateStorage: without #compat (no mod_bookmarks),
// bookmarks live in private XML storage (XEP-0048 in XEP-0049): a
// bookmark set there is read by a core started afresh, which joins it.
func TestBookmarkLegacyPrivateStorage(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{MUC: true})
	srv.Register(t, "alice", "alice-pw")
	room := "lobby@" + srv.MUCDomain
	one := core(t, srv, "alice", "one")
	if b := one.wait("bookmarks", gotBookmarks).(app.Bookmarks); !b.Legacy || len(b.Rooms) != 0 {
		t.Fatalf("first bookmarks %+v, want none, legacy", b)
	}
	want := app.Bookmark{Room: room, Name: "Lobby", Nick: "Al", Password: "secret", Autojoin: true}
	other := app.Bookmark{Room: "other@" + srv.MUCDomain, Name: "Other"}
	m := one.mark()
	one.c.SetBookmark(other)
	one.waitFrom(m, "other stored", bookmarkChanged(other))
	one.c.SetBookmark(want)
	one.waitFrom(m, "stored", bookmarkChanged(want))
	one.stop()

	two := core(t, srv, "alice", "two")
	b := two.wait("bookmarks after a restart", gotBookmarks).(app.Bookmarks)
	if !b.Legacy || len(b.Rooms) != 2 || b.Rooms[0] != other || b.Rooms[1] != want {
		t.Fatalf("after a restart: %+v, want legacy [%+v %+v]", b, other, want)
	}
	two.wait("autojoin", joinedRoom(room))
	m = two.mark()
	two.c.RemoveBookmark(other.Room)
	two.waitFrom(m, "removed", bookmarkRemoved(other.Room))
	two.stop()
	three := core(t, srv, "alice", "three")
	if b := three.wait("bookmarks", gotBookmarks).(app.Bookmarks); len(b.Rooms) != 1 || b.Rooms[0] != want {
		t.Fatalf("after removing one: %+v, want [%+v]", b, want)
	}
}

// peekBookmarks asks, as peer, for the items of owner's bookmarks node
// and returns the answer's IQ type.
func peekBookmarks(t *testing.T, peer *wirePeer, owner string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	items := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "items"}, Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: "urn:xmpp:bookmarks:1"}}})
	q := xmlstream.Wrap(items, xml.StartElement{Name: xml.Name{Space: "http://jabber.org/protocol/pubsub", Local: "pubsub"}})
	resp, err := peer.sess.SendIQElement(ctx, q, stanza.IQ{Type: stanza.GetIQ, To: jid.MustParse(owner)})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	tok, err := resp.Token()
	if err != nil {
		t.Fatal(err)
	}
	start, _ := tok.(xml.StartElement)
	for _, a := range start.Attr {
		if a.Name.Local == "type" {
			return a.Value
		}
	}
	return ""
}
