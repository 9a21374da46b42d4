package app_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
)

// tinyPNG is a valid 2×2 picture, base64 as a vCard carries it.
func tinyPNG(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// presenceOf matches a presence event about jid.
func presenceOf(jid string) func(app.Event) bool {
	return func(e app.Event) bool { p, ok := e.(app.PresenceChanged); return ok && p.JID == jid }
}

// TestStrangersPresenceFetchesNothing: presence with picture hashes from a
// thousand addresses outside the roster asks no vCard (which would tell
// each our full JID and that we are online), keeps no state and shows
// nothing; a contact's announcement still works.
func TestStrangersPresenceFetchesNothing(t *testing.T) {
	_, conn, alice := signIn(t)
	conn.expect(t, "vcard-temp") // our own card, asked at sign-in
	before := app.VCardFetches(alice.c)
	photo := tinyPNG(t)
	const strangers = 1000
	var b strings.Builder
	for i := range strangers {
		who := fmt.Sprintf("stranger%d@localhost", i)
		// Answered with a real picture, so that a fetch would be stored.
		conn.setVCard(who, `<FN>S</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>`+photo+`</BINVAL></PHOTO>`)
		fmt.Fprintf(&b, `<presence from="%s/r"><x xmlns="vcard-temp:x:update"><photo>%040x</photo></x></presence>`, who, i+1)
	}
	// A contact's own flood of resources is bounded too.
	for i := range app.MaxResources + 50 {
		fmt.Fprintf(&b, `<presence from="bob@localhost/r%d"/>`, i)
	}
	conn.setVCard("bob@localhost", `<FN>Bob</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>`+photo+`</BINVAL></PHOTO>`)
	b.WriteString(`<presence from="bob@localhost/pc"><x xmlns="vcard-temp:x:update"><photo>` + strings.Repeat("b", 40) + `</photo></x></presence>`)
	conn.raw(t, b.String())
	// Bob's presence comes after every stranger's: once his picture is
	// there, theirs were handled (and fetched, by the old code).
	alice.wait("bob's picture", func(e app.Event) bool {
		a, ok := e.(app.AvatarChanged)
		return ok && a.JID == "bob@localhost" && a.Hash != ""
	})
	if n := app.VCardFetches(alice.c) - before; n != 1 {
		t.Errorf("%d vCard requests, want 1 (bob's)", n)
	}
	if n := alice.count(func(e app.Event) bool {
		var who string
		switch e := e.(type) {
		case app.PresenceChanged:
			who = e.JID
		case app.AvatarChanged:
			who = e.JID
		case app.ProfileReceived:
			who = e.JID
		}
		return strings.HasPrefix(who, "stranger")
	}); n != 0 {
		t.Errorf("%d events about strangers reached the UI", n)
	}
	if n := alice.count(func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == "bob@localhost" && p.Resources > app.MaxResources
	}); n != 0 {
		t.Errorf("bob was shown with more than %d resources %d times", app.MaxResources, n)
	}
	live, stale, opened := app.PresenceSizes(alice.c)
	if live != 1 || stale != 0 || opened != 0 {
		t.Errorf("presence kept for %d live, %d last seen, %d opened addresses; want bob only", live, stale, opened)
	}
	if known, asked := app.PictureSizes(alice.c); known > 1 || asked > 1 {
		t.Errorf("pictures kept for %d known, %d asked addresses; want bob only", known, asked)
	}
	for _, who := range []string{"stranger0@localhost", "stranger999@localhost"} {
		if app.HasCachedProfile(alice.c, who) {
			t.Errorf("a profile of %s was stored", who)
		}
	}
}

// TestOpenedAddressesAreFollowedAndBounded: the presence of an address the
// user opened is shown although it is no contact; the user opening ever
// more addresses keeps at most MaxOpened of them.
func TestOpenedAddressesAreFollowedAndBounded(t *testing.T) {
	_, conn, alice := signIn(t)
	const n = app.MaxOpened + 50
	for i := range n {
		alice.c.ChatActivity(fmt.Sprintf("s%d@localhost", i), chatstate.Focused)
	}
	if _, _, opened := app.PresenceSizes(alice.c); opened != app.MaxOpened {
		t.Errorf("%d opened addresses kept, want %d", opened, app.MaxOpened)
	}
	last := fmt.Sprintf("s%d@localhost", n-1)
	conn.raw(t, `<presence from="s0@localhost/r"/><presence from="`+last+`/r"/><presence from="bob@localhost/sync"/>`)
	alice.wait("the last opened one", presenceOf(last))
	alice.wait("sync", presenceOf("bob@localhost"))
	if alice.count(presenceOf("s0@localhost")) != 0 {
		t.Error("the presence of the least recently opened address (forgotten) was followed")
	}
}
