package app_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image/color"
	"os"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/prosodytest"
	"github.com/palaver-im/palaver/app/vcard"
)

// rawIQ sends the IQ in raw (an <iq/> in jabber:client) on sess and fails
// the test unless the answer is a result.
func rawIQ(t *testing.T, sess *xmpp.Session, raw string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := sess.SendIQ(ctx, xml.NewDecoder(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("%s: %v", raw[:min(len(raw), 200)], err)
	}
	defer resp.Close()
	tok, err := resp.Token()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := tok.(xml.StartElement)
	typ := ""
	for _, a := range s.Attr {
		if a.Name.Local == "type" {
			typ = a.Value
		}
	}
	if !ok || typ != "result" {
		t.Fatalf("%s: answer %v", raw[:min(len(raw), 200)], tok)
	}
}

// rawPublish publishes a PEP avatar on sess as raw XML: data (as base64
// of the bytes given) under id, then metadata naming id with bytes.
func rawPublish(t *testing.T, sess *xmpp.Session, id string, data []byte, bytes int) {
	t.Helper()
	rawIQ(t, sess, `<iq xmlns="jabber:client" type="set" id="d-`+id+`"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:xmpp:avatar:data"><item id="`+id+`"><data xmlns="urn:xmpp:avatar:data">`+
		base64.StdEncoding.EncodeToString(data)+`</data></item></publish></pubsub></iq>`)
	rawIQ(t, sess, `<iq xmlns="jabber:client" type="set" id="m-`+id+`"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:xmpp:avatar:metadata"><item id="`+id+`"><metadata xmlns="urn:xmpp:avatar:metadata">`+
		fmt.Sprintf(`<info id="%s" bytes="%d" type="image/png" width="8" height="8"/>`, id, bytes)+`</metadata></item></publish></pubsub></iq>`)
}

// waitRefused waits until c refused more than refused PEP avatar data.
func waitRefused(t *testing.T, p *probe, refused int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, n := app.PEPAvatarCounts(p.c); n > refused {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s refused no PEP avatar data; events:\n%s", p.name, p.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPEPAvatarOnProsody: alice publishes her picture with SetProfile; bob
// gets it over PEP (XEP-0084) without fetching her vCard, then her new one,
// then its removal. A stranger's forged metadata, and metadata from one of
// alice's resources instead of her bare JID, are ignored; data whose
// SHA-1 is not its id, and data larger than its metadata says, are
// refused. After a restart bob shows the cached picture and fetches
// nothing, although the server sends him alice's last metadata again.
func TestPEPAvatarOnProsody(t *testing.T) {
	srv := prosodytest.Start(t)
	for _, u := range []string{"alice", "bob", "eve"} {
		srv.Register(t, u, u+"-pw")
	}
	aliceJID, bobJID, eveJID := "alice@"+srv.Domain, "bob@"+srv.Domain, "eve@"+srv.Domain
	srv.SetRoster(t, "alice", []prosodytest.RosterItem{{JID: bobJID, Subscription: "both"}})
	srv.SetRoster(t, "bob", []prosodytest.RosterItem{{JID: aliceJID, Subscription: "both"}})
	bobDir := t.TempDir()
	alice := startIn(t, srv, "alice", t.TempDir())
	bob := startIn(t, srv, "bob", bobDir)
	alice.waitOnline()
	bob.waitOnline()

	publish := func(photo []byte) string {
		t.Helper()
		amark, bmark := alice.mark(), bob.mark()
		card := vcard.VCard{FullName: "Alice"}
		if photo != nil {
			card.Photo = vcard.Photo{Type: avatar.PNG, Data: photo}
		}
		alice.c.SetProfile(card)
		saved := savedProfile(alice, amark)
		if saved.Err != nil {
			t.Fatalf("alice's profile not saved: %v", saved.Err)
		}
		hash := ""
		if photo != nil {
			hash = avatar.Hash(saved.Card.Photo.Data)
		}
		ch := avatarOf(bob, bmark, aliceJID, hash)
		if hash != "" {
			if _, err := os.Stat(ch.Path); err != nil {
				t.Errorf("bob's copy of alice's picture: %v", err)
			}
		}
		if id, ok := app.PEPAvatarOf(bob.c, aliceJID); !ok || id != hash {
			t.Errorf("bob saw alice's PEP avatar %q (%v), want %q", id, ok, hash)
		}
		return hash
	}
	red := publish(testPNG(t, 64, 64, color.RGBA{255, 0, 0, 255}))
	if fetches, _ := app.PEPAvatarCounts(bob.c); fetches != 1 {
		t.Errorf("bob fetched PEP data %d times, want 1", fetches)
	}
	blue := publish(testPNG(t, 64, 64, color.RGBA{0, 0, 255, 255}))
	if blue == red {
		t.Fatal("two pictures, one hash")
	}
	publish(nil)
	// Every picture came over PEP: the presence hashes that followed did
	// not make bob fetch alice's vCard.
	if n := app.VCardFetchesOf(bob.c, aliceJID); n != 0 {
		t.Errorf("bob fetched alice's vCard %d times, want 0 (PEP first)", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	green := testPNG(t, 8, 8, color.RGBA{0, 255, 0, 255})
	greenID := avatar.Hash(green)

	// Eve, a stranger, publishes a sound picture and sends bob its
	// metadata; alice's second resource sends him metadata from her full
	// JID. Neither is followed; eve's message after them comes through.
	eve := rawClient(t, srv, "eve")
	rawPublish(t, eve, greenID, green, len(green))
	alice2 := rawClient(t, srv, "alice")
	bmark := bob.mark()
	rawPublish(t, alice2, greenID, green, len(green))
	// That was alice's own publish: bob gets it. Remove it again.
	avatarOf(bob, bmark, aliceJID, greenID)
	bmark = bob.mark()
	rawIQ(t, alice2, `<iq xmlns="jabber:client" type="set" id="m-none"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:xmpp:avatar:metadata"><item><metadata xmlns="urn:xmpp:avatar:metadata"/></item></publish></pubsub></iq>`)
	avatarOf(bob, bmark, aliceJID, "")

	fetches, refused := app.PEPAvatarCounts(bob.c)
	bmark = bob.mark()
	forged := `<event xmlns="http://jabber.org/protocol/pubsub#event"><items node="urn:xmpp:avatar:metadata"><item id="` + greenID +
		`"><metadata xmlns="urn:xmpp:avatar:metadata"><info id="` + greenID + fmt.Sprintf(`" bytes="%d" type="image/png"/>`, len(green)) + `</metadata></item></items></event>`
	for _, s := range []*xmpp.Session{eve, alice2} {
		msg := `<message xmlns="jabber:client" type="headline" to="` + bobJID + `">` + forged + `</message>`
		if err := s.Send(ctx, xml.NewDecoder(strings.NewReader(msg))); err != nil {
			t.Fatal(err)
		}
	}
	after := im.Message{Message: stanza.Message{ID: "e-after", To: jid.MustParse(bobJID), Type: stanza.ChatMessage}, Body: "hi bob"}
	if err := eve.Send(ctx, after.TokenReader()); err != nil {
		t.Fatal(err)
	}
	bob.waitFrom(bmark, "eve's message", got(eveJID, "hi bob"))
	// alice2's forgery went before eve's message on another stream: give
	// it the time of a round trip through the server.
	ping := alice2.Send(ctx, xml.NewDecoder(strings.NewReader(`<message xmlns="jabber:client" type="chat" id="a-after" to="`+bobJID+`"><body>from alice2</body></message>`)))
	if ping != nil {
		t.Fatal(ping)
	}
	bob.waitFrom(bmark, "alice2's message", got(aliceJID, "from alice2"))
	if f, _ := app.PEPAvatarCounts(bob.c); f != fetches {
		t.Errorf("forged metadata made bob fetch PEP data (%d fetches, was %d)", f, fetches)
	}
	if n := countFrom(bob, bmark, func(e app.Event) bool { _, ok := e.(app.AvatarChanged); return ok }); n != 0 {
		t.Errorf("forged metadata changed %d pictures; events:\n%s", n, bob.dump())
	}
	if _, ok := app.PEPAvatarOf(bob.c, eveJID); ok {
		t.Error("bob followed a stranger's PEP avatar")
	}

	// Data whose SHA-1 is not its id: refused, nothing stored or shown.
	yellow := testPNG(t, 8, 8, color.RGBA{255, 255, 0, 255})
	purpleID := avatar.Hash(testPNG(t, 8, 8, color.RGBA{128, 0, 128, 255}))
	bmark = bob.mark()
	rawPublish(t, alice2, purpleID, yellow, len(yellow))
	waitRefused(t, bob, refused)
	// Data larger than its metadata says: refused before decoding.
	big := testPNG(t, 200, 200, color.RGBA{1, 2, 3, 255})
	if len(big) <= 200 {
		t.Fatalf("the large picture has %d bytes", len(big))
	}
	bigID := avatar.Hash(big)
	_, refused = app.PEPAvatarCounts(bob.c)
	rawPublish(t, alice2, bigID, big, 100)
	waitRefused(t, bob, refused)
	for _, id := range []string{purpleID, bigID} {
		if n := countFrom(bob, bmark, func(e app.Event) bool { a, ok := e.(app.AvatarChanged); return ok && a.Hash == id }); n != 0 {
			t.Errorf("refused data %s shown; events:\n%s", id, bob.dump())
		}
		if _, err := os.Stat(bobDir + "/avatars/" + id + ".png"); err == nil {
			t.Errorf("refused data %s stored", id)
		}
	}

	// A last good picture, then bob restarts: the cached picture shows,
	// and the metadata the server sends at sign-in fetches nothing.
	last := publish(testPNG(t, 48, 48, color.RGBA{10, 200, 10, 255}))
	bob.stop()
	bob = startIn(t, srv, "bob", bobDir)
	avatarOf(bob, 0, aliceJID, last)
	bob.waitOnline()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if id, ok := app.PEPAvatarOf(bob.c, aliceJID); ok && id == last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob did not get alice's last metadata at sign-in; events:\n%s", bob.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if f, _ := app.PEPAvatarCounts(bob.c); f != 0 {
		t.Errorf("bob fetched %d PEP data after a restart, want 0 (cached)", f)
	}
	if n := app.VCardFetchesOf(bob.c, aliceJID); n != 0 {
		t.Errorf("bob fetched alice's vCard %d times after a restart, want 0", n)
	}
}

// contactsOn registers alice and bob on srv as each other's contacts and
// signs both in.
func contactsOn(t *testing.T, srv *prosodytest.Server) (alice, bob *probe) {
	t.Helper()
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	srv.SetRoster(t, "alice", []prosodytest.RosterItem{{JID: "bob@" + srv.Domain, Subscription: "both"}})
	srv.SetRoster(t, "bob", []prosodytest.RosterItem{{JID: "alice@" + srv.Domain, Subscription: "both"}})
	alice = startIn(t, srv, "alice", t.TempDir())
	bob = startIn(t, srv, "bob", t.TempDir())
	alice.waitOnline()
	bob.waitOnline()
	return alice, bob
}

// setPicture sets alice's profile with photo and returns the hash of the
// picture as published, once bob shows it.
func setPicture(t *testing.T, alice, bob *probe, photo []byte) string {
	t.Helper()
	amark, bmark := alice.mark(), bob.mark()
	alice.c.SetProfile(vcard.VCard{FullName: "Alice", Photo: vcard.Photo{Type: avatar.PNG, Data: photo}})
	saved := savedProfile(alice, amark)
	if saved.Err != nil {
		t.Fatalf("alice's profile not saved: %v", saved.Err)
	}
	hash := avatar.Hash(saved.Card.Photo.Data)
	avatarOf(bob, bmark, alice.c.Account(), hash)
	if n := countFrom(alice, amark, func(e app.Event) bool {
		f, ok := e.(app.CommandFailed)
		return ok && f.Op == app.OpAnnouncePicture
	}); n != 0 {
		t.Errorf("publishing the picture failed; events:\n%s", alice.dump())
	}
	return hash
}

// TestPEPAvatarPublishOptionsRefused: the avatar nodes exist with the
// server's default configuration (another client made them), so Prosody
// refuses our publish-options (XEP-0060 §7.1.5, precondition-not-met); the
// picture is published again without them, and bob gets it over PEP.
func TestPEPAvatarPublishOptionsRefused(t *testing.T) {
	srv := prosodytest.Start(t)
	alice, bob := contactsOn(t, srv)
	aliceJID := "alice@" + srv.Domain
	old := testPNG(t, 8, 8, color.RGBA{9, 9, 9, 255})
	bmark := bob.mark()
	rawPublish(t, rawClient(t, srv, "alice"), avatar.Hash(old), old, len(old))
	avatarOf(bob, bmark, aliceJID, avatar.Hash(old))

	hash := setPicture(t, alice, bob, testPNG(t, 32, 32, color.RGBA{200, 100, 0, 255}))
	if n := app.PEPAvatarPublishes(alice.c); n != 1 {
		t.Errorf("alice published %d times, want 1", n)
	}
	if id, ok := app.PEPAvatarOf(bob.c, aliceJID); !ok || id != hash {
		t.Errorf("bob's PEP avatar of alice: %q, %v; want %q", id, ok, hash)
	}
	if n := app.VCardFetchesOf(bob.c, aliceJID); n != 0 {
		t.Errorf("bob fetched alice's vCard %d times, want 0", n)
	}
}

// TestPEPAvatarWithVCardConversion: with Prosody's mod_vcard_legacy the
// account advertises XEP-0398; setting the vCard puts the picture into PEP
// (the server does it), so alice does not publish it a second time, and
// bob gets it over PEP all the same; removing it works too.
func TestPEPAvatarWithVCardConversion(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{
		Modules: []string{"vcard_legacy"},
		Host:    `modules_disabled = { "s2s", "vcard" }`,
	})
	alice, bob := contactsOn(t, srv)
	aliceJID := "alice@" + srv.Domain

	hash := setPicture(t, alice, bob, testPNG(t, 32, 32, color.RGBA{0, 100, 200, 255}))
	if id, ok := app.PEPAvatarOf(bob.c, aliceJID); !ok || id != hash {
		t.Errorf("bob's PEP avatar of alice: %q, %v; want %q (the server's conversion)", id, ok, hash)
	}
	if n := app.PEPAvatarPublishes(alice.c); n != 0 {
		t.Errorf("alice published %d times although the server converted the vCard", n)
	}
	// The vCard still says the picture, for those that read vCards.
	mark := bob.mark()
	bob.c.FetchProfile(aliceJID, true)
	if p := receivedProfile(bob, mark, aliceJID); p.Err != nil || p.Card.FullName != "Alice" {
		t.Errorf("alice's card: %+v, %v", p.Card, p.Err)
	}

	mark = bob.mark()
	amark := alice.mark()
	alice.c.SetProfile(vcard.VCard{FullName: "Alice"})
	if saved := savedProfile(alice, amark); saved.Err != nil {
		t.Fatal(saved.Err)
	}
	avatarOf(bob, mark, aliceJID, "")
}

// TestVCardAvatarWithoutPEP: carol's client knows only vCard avatars
// (XEP-0153): it sets her vCard and announces the hash in presence, and
// publishes nothing over PEP. Alice, who reads PEP avatars, gets carol's
// picture from the vCard as before.
func TestVCardAvatarWithoutPEP(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "carol", "carol-pw")
	carolJID := "carol@" + srv.Domain
	srv.SetRoster(t, "alice", []prosodytest.RosterItem{{JID: carolJID, Subscription: "both"}})
	srv.SetRoster(t, "carol", []prosodytest.RosterItem{{JID: "alice@" + srv.Domain, Subscription: "both"}})
	alice := startIn(t, srv, "alice", t.TempDir())
	alice.waitOnline()

	pic := testPNG(t, 16, 16, color.RGBA{50, 60, 70, 255})
	hash := avatar.Hash(pic)
	carol := rawClient(t, srv, "carol")
	rawIQ(t, carol, `<iq xmlns="jabber:client" type="set" id="v1"><vCard xmlns="vcard-temp"><FN>Carol</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>`+
		base64.StdEncoding.EncodeToString(pic)+`</BINVAL></PHOTO></vCard></iq>`)
	mark := alice.mark()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := carol.Send(ctx, xml.NewDecoder(strings.NewReader(`<presence xmlns="jabber:client"><x xmlns="vcard-temp:x:update"><photo>`+hash+`</photo></x></presence>`))); err != nil {
		t.Fatal(err)
	}
	ch := avatarOf(alice, mark, carolJID, hash)
	if _, err := os.Stat(ch.Path); err != nil {
		t.Errorf("carol's picture: %v", err)
	}
	if n := app.VCardFetchesOf(alice.c, carolJID); n != 1 {
		t.Errorf("alice fetched carol's vCard %d times, want 1", n)
	}
	if f, _ := app.PEPAvatarCounts(alice.c); f != 0 {
		t.Errorf("alice fetched %d PEP avatars of a contact without any", f)
	}
	if _, ok := app.PEPAvatarOf(alice.c, carolJID); ok {
		t.Error("alice thinks carol has a PEP avatar")
	}
}
