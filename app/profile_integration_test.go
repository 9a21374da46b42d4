package app_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/prosodytest"
	"github.com/palaver-im/palaver/app/vcard"
)

// friends starts a server where alice and bob see each other's presence,
// and signs both in, each with a data folder of its own.
func friends(t *testing.T) (srv *prosodytest.Server, alice, bob *probe) {
	t.Helper()
	srv = prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	srv.SetRoster(t, "alice", []prosodytest.RosterItem{{JID: "bob@" + srv.Domain, Name: "Bob", Subscription: "both"}})
	srv.SetRoster(t, "bob", []prosodytest.RosterItem{{JID: "alice@" + srv.Domain, Name: "Alice", Subscription: "both"}})
	alice = startIn(t, srv, "alice", t.TempDir())
	bob = startIn(t, srv, "bob", t.TempDir())
	alice.waitOnline()
	bob.waitOnline()
	return srv, alice, bob
}

// startIn runs user's client with its data in dir.
func startIn(t *testing.T, srv *prosodytest.Server, user, dir string) *probe {
	t.Helper()
	pw := user + "-pw"
	c := app.New(accountFor(srv, user), func(context.Context) (string, error) { return pw, nil })
	c.SetDataDir(dir)
	return run(t, user, c)
}

// testPNG returns a w×h PNG of one colour.
func testPNG(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func savedProfile(p *probe, from int) app.ProfileSaved {
	p.t.Helper()
	return p.waitFrom(from, "profile saved", func(e app.Event) bool { _, ok := e.(app.ProfileSaved); return ok }).(app.ProfileSaved)
}

func receivedProfile(p *probe, from int, jid string) app.ProfileReceived {
	p.t.Helper()
	return p.waitFrom(from, "profile of "+jid, func(e app.Event) bool {
		r, ok := e.(app.ProfileReceived)
		return ok && r.JID == jid
	}).(app.ProfileReceived)
}

func avatarOf(p *probe, from int, jid, hash string) app.AvatarChanged {
	p.t.Helper()
	return p.waitFrom(from, "picture "+hash+" of "+jid, func(e app.Event) bool {
		a, ok := e.(app.AvatarChanged)
		return ok && a.JID == jid && a.Hash == hash
	}).(app.AvatarChanged)
}

func TestProfilePublishedFetchedAndCached(t *testing.T) {
	srv, alice, bob := friends(t)
	bobJID, aliceJID := "bob@"+srv.Domain, "alice@"+srv.Domain

	// Bob publishes a card with a 600×400 photo.
	photo := testPNG(t, 600, 400, color.RGBA{200, 30, 30, 255})
	card := vcard.VCard{
		FullName: "Bob Builder",
		Name:     vcard.Name{Family: "Builder", Given: "Bob"},
		Nickname: "bobby",
		Photo:    vcard.Photo{Type: "image/png", Data: photo},
		Birthday: "1990-04-12",
		Emails:   []vcard.Email{{Address: "bob@example.org", Kinds: []string{"WORK"}}},
		Phones:   []vcard.Phone{{Number: "+1 555 0100", Kinds: []string{"CELL"}}},
		Org:      vcard.Org{Name: "Builders", Units: []string{"Roofs"}},
		Title:    "Foreman",
		URL:      "https://example.org/bob",
		Note:     "Can we fix it?",
	}
	mark := bob.mark()
	bob.c.SetProfile(card)
	if saved := savedProfile(bob, mark); saved.Err != nil {
		t.Fatalf("bob's profile not saved: %v", saved.Err)
	}

	// Alice fetches it: every field arrives, and the picture is in her
	// cache, scaled to at most 256×256.
	mark = alice.mark()
	alice.c.FetchProfile(bobJID, true)
	got := receivedProfile(alice, mark, bobJID)
	if got.Err != nil || got.Fetched.IsZero() {
		t.Fatalf("fetch: err %v, fetched %v", got.Err, got.Fetched)
	}
	want := card
	want.Photo.Data = nil
	got.Card.Photo.Data = nil
	got.Card.Photo.Type = want.Photo.Type // scaled: the type may change
	if got.Card.FullName != want.FullName || got.Card.Nickname != want.Nickname || got.Card.Name != want.Name ||
		got.Card.Birthday != want.Birthday || got.Card.Title != want.Title || got.Card.URL != want.URL ||
		got.Card.Note != want.Note || got.Card.Org.Name != want.Org.Name || !slices.Equal(got.Card.Org.Units, want.Org.Units) ||
		len(got.Card.Emails) != 1 || got.Card.Emails[0].Address != "bob@example.org" ||
		len(got.Card.Phones) != 1 || got.Card.Phones[0].Number != "+1 555 0100" {
		t.Errorf("alice got card %+v\nwant %+v", got.Card, want)
	}
	pic := alice.waitFrom(0, "bob's picture", func(e app.Event) bool {
		a, ok := e.(app.AvatarChanged)
		return ok && a.JID == bobJID && a.Hash != ""
	}).(app.AvatarChanged)
	f, err := os.Open(pic.Path)
	if err != nil {
		t.Fatalf("picture file: %v", err)
	}
	cfg, _, err := image.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width > 256 || cfg.Height > 256 || cfg.Width < 200 {
		t.Errorf("cached picture %dx%d, %v; want scaled to fit 256", cfg.Width, cfg.Height, err)
	}

	// Asked again without refresh, the card comes from the cache, even
	// offline.
	alice.c.Disconnect()
	alice.wait("offline", isState(app.Offline))
	mark = alice.mark()
	alice.c.FetchProfile(bobJID, false)
	cached := receivedProfile(alice, mark, bobJID)
	if cached.Err != nil || cached.Card.FullName != "Bob Builder" || cached.Card.Note != "Can we fix it?" {
		t.Errorf("cached card: %+v (err %v)", cached.Card, cached.Err)
	}

	// Alice's own update is read back from the server.
	mark = alice.mark()
	alice.c.Connect()
	alice.waitFrom(mark, "online again", isState(app.Online))
	mark = alice.mark()
	alice.c.SetProfile(vcard.VCard{FullName: "Alice Liddell", Nickname: "al", Emails: []vcard.Email{{Address: "alice@example.org"}}})
	if saved := savedProfile(alice, mark); saved.Err != nil {
		t.Fatalf("alice's profile not saved: %v", saved.Err)
	}
	mark = alice.mark()
	alice.c.FetchProfile(aliceJID, true)
	own := receivedProfile(alice, mark, aliceJID)
	if own.Err != nil || own.Card.FullName != "Alice Liddell" || own.Card.Nickname != "al" || len(own.Card.Emails) != 1 {
		t.Errorf("alice's own card read back: %+v (err %v)", own.Card, own.Err)
	}
}

func TestPictureHashChangeIsFetchedOnce(t *testing.T) {
	srv, alice, bob := friends(t)
	bobJID := "bob@" + srv.Domain

	red := testPNG(t, 64, 64, color.RGBA{255, 0, 0, 255})
	blue := testPNG(t, 64, 64, color.RGBA{0, 0, 255, 255})
	for i, photo := range [][]byte{red, blue} {
		// Bob's only: alice's own card, fetched at sign-in, may come late.
		// The picture comes over PEP (XEP-0084) or from the vCard: one
		// fetch either way (pepavatar_integration_test.go has each).
		before := app.VCardFetchesOf(alice.c, bobJID)
		pepBefore, _ := app.PEPAvatarCounts(alice.c)
		mark := alice.mark()
		bmark := bob.mark()
		bob.c.SetProfile(vcard.VCard{FullName: "Bob", Photo: vcard.Photo{Type: "image/png", Data: photo}})
		saved := savedProfile(bob, bmark)
		if saved.Err != nil || len(saved.Card.Photo.Data) == 0 {
			t.Fatalf("%d: save: %v", i, saved.Err)
		}
		// Bob's presence now announces the hash of the picture as
		// published; alice fetches it once and shows the picture.
		ch := avatarOf(alice, mark, bobJID, avatar.Hash(saved.Card.Photo.Data))
		if _, err := os.Stat(ch.Path); err != nil {
			t.Errorf("%d: picture file: %v", i, err)
		}
		// Bob's presence changes again with the same hash: no new fetch.
		pmark := alice.mark()
		bob.c.SetPresence(im.Away, "away for a bit")
		alice.waitFrom(pmark, "bob away", func(e app.Event) bool {
			p, ok := e.(app.PresenceChanged)
			return ok && p.JID == bobJID && p.Best.Status == "away for a bit"
		})
		bob.c.SetPresence(im.Available, "")
		time.Sleep(300 * time.Millisecond)
		pepAfter, _ := app.PEPAvatarCounts(alice.c)
		if n := app.VCardFetchesOf(alice.c, bobJID) - before + int(pepAfter-pepBefore); n != 1 {
			t.Errorf("%d: alice fetched bob's picture %d times for one new hash, want 1", i, n)
		}
	}
}

func TestChatStatesTravelBothWays(t *testing.T) {
	srv, alice, bob := friends(t)
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain

	state := func(p *probe, from int, jid string, st chatstate.State) {
		p.t.Helper()
		p.waitFrom(from, jid+" "+string(st), func(e app.Event) bool {
			c, ok := e.(app.ChatStateChanged)
			return ok && c.JID == jid && c.State == st
		})
	}

	// Alice writes first: her message carries <active/>, so Bob knows
	// she understands chat states.
	alice.c.SendMessage(bobJID, "hi")
	bob.wait("hi", func(e app.Event) bool { m, ok := e.(app.MessageReceived); return ok && m.Msg.Body == "hi" })

	mark := alice.mark()
	bob.c.ChatActivity(aliceJID, chatstate.Typed)
	bob.c.ChatActivity(aliceJID, chatstate.Typed) // no second notification
	state(alice, mark, bobJID, chatstate.Composing)
	// Five seconds without typing: paused.
	state(alice, mark, bobJID, chatstate.Paused)
	if n := countStates(alice, bobJID, chatstate.Composing); n != 1 {
		t.Errorf("alice saw composing %d times, want 1", n)
	}

	// Now Bob has shown support too: Alice's typing reaches him.
	mark = bob.mark()
	alice.c.ChatActivity(bobJID, chatstate.Typed)
	state(bob, mark, aliceJID, chatstate.Composing)
	alice.c.SendMessage(bobJID, "done typing")
	bob.waitFrom(mark, "done typing", func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Msg.Body == "done typing" && m.Msg.ChatState == chatstate.Active
	})
	alice.c.ChatActivity(bobJID, chatstate.Closed)
	state(bob, mark, aliceJID, chatstate.Gone)
}

func countStates(p *probe, jid string, st chatstate.State) int {
	return p.count(func(e app.Event) bool {
		c, ok := e.(app.ChatStateChanged)
		return ok && c.JID == jid && c.State == st
	})
}

func TestOfflineMessageKeepsItsTimeAndTheArchiveSurvivesRestart(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	bob := startIn(t, srv, "bob", t.TempDir())
	bob.waitOnline()

	// Alice is offline: the server keeps Bob's messages for her.
	sentAt := time.Now()
	bob.c.SendMessage(aliceJID, "while you were out")
	bob.c.SendMessage(aliceJID, "second one")
	time.Sleep(1500 * time.Millisecond) // so that arrival differs from the stamp

	dir := t.TempDir()
	alice := startIn(t, srv, "alice", dir)
	alice.waitOnline()
	var got []app.MessageReceived
	for _, body := range []string{"while you were out", "second one"} {
		got = append(got, alice.wait(body, func(e app.Event) bool {
			m, ok := e.(app.MessageReceived)
			return ok && m.Msg.Body == body
		}).(app.MessageReceived))
	}
	for _, m := range got {
		if m.Msg.Delay.IsZero() {
			t.Fatalf("%q arrived without <delay/>", m.Msg.Body)
		}
		if !m.Time.Equal(m.Msg.Delay) || m.Time.Sub(sentAt).Abs() > time.Second {
			t.Errorf("%q shown at %v, delay stamp %v, sent at %v", m.Msg.Body, m.Time, m.Msg.Delay, sentAt)
		}
		if m.ArchiveID == 0 {
			t.Errorf("%q has no archive id", m.Msg.Body)
		}
	}
	id := alice.c.SendMessage(bobJID, "back now")
	bob.wait("back now", func(e app.Event) bool { m, ok := e.(app.MessageReceived); return ok && m.Msg.Body == "back now" })
	alice.wait("back now sent", func(e app.Event) bool {
		m, ok := e.(app.MessageStateChanged)
		return ok && m.ID == id && m.State >= history.Sent
	})

	// Restart alice on the same data folder: the archive has it all, in
	// order, the offline ones marked as delayed.
	alice.stop()
	again := startIn(t, srv, "alice", dir)
	again.waitOnline()
	msgs, err := again.c.History(context.Background(), bobJID, history.Cursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range msgs {
		bodies = append(bodies, m.Body)
	}
	if !slices.Equal(bodies, []string{"while you were out", "second one", "back now"}) {
		t.Fatalf("archive after restart: %q", bodies)
	}
	if !msgs[0].Delayed || msgs[0].Dir != history.In || msgs[2].Dir != history.Out || msgs[2].State != history.Sent {
		t.Errorf("archived: %+v", msgs)
	}
	hits, err := again.c.Search(context.Background(), "were", 10)
	if err != nil || len(hits) != 1 || hits[0].Peer != bobJID {
		t.Errorf("search: %+v, %v", hits, err)
	}
}
