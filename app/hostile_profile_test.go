package app_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"
)

// announce sends bob's presence with a picture hash.
func announce(t *testing.T, conn *fakeConn, hash string) {
	t.Helper()
	conn.raw(t, `<presence from="bob@localhost/pc"><x xmlns="vcard-temp:x:update"><photo>`+hash+`</photo></x></presence>`)
}

func TestHugeOrBrokenPhotoLeavesTheRestOfTheCard(t *testing.T) {
	for i, tc := range []struct {
		name, photo string
	}{
		0: {"20 MB", base64.StdEncoding.EncodeToString(make([]byte, 20<<20))},
		1: {"not base64", "%%%% this is not base64 %%%%"},
		2: {"not an image", base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 not a picture at all"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, conn, alice := signIn(t)
			hash := fmt.Sprintf("%040x", i+1)
			conn.setVCard("bob@localhost", `<FN>Bob</FN><NICKNAME>b</NICKNAME><PHOTO><TYPE>image/png</TYPE><BINVAL>`+tc.photo+`</BINVAL></PHOTO>`)
			announce(t, conn, hash)
			// No picture, but a generated one: the UI hears "no picture".
			alice.waitWithin(2*time.Minute, 0, "no picture for bob", func(e app.Event) bool {
				a, ok := e.(app.AvatarChanged)
				return ok && a.JID == "bob@localhost" && a.Hash == "" && a.Path == ""
			})
			// The rest of the card was kept, and the session is fine.
			mark := alice.mark()
			alice.c.FetchProfile("bob@localhost", false)
			got := receivedProfile(alice, mark, "bob@localhost")
			if got.Card.FullName != "Bob" || got.Card.Nickname != "b" || len(got.Card.Photo.Data) != 0 {
				t.Errorf("card: %+v (err %v)", got.Card, got.Err)
			}
			if n := alice.count(isState(app.Waiting)); n != 0 {
				t.Errorf("the session dropped %d times", n)
			}
			// The same hash again is not fetched again.
			// Bob's only: alice's own card is fetched at sign-in, and under
			// load that may come after this point.
			before := app.VCardFetchesOf(alice.c, "bob@localhost")
			announce(t, conn, hash)
			conn.raw(t, `<message from="bob@localhost/pc" type="chat"><body>sync</body></message>`)
			alice.wait("sync", func(e app.Event) bool { m, ok := e.(app.MessageReceived); return ok && m.Msg.Body == "sync" })
			if n := app.VCardFetchesOf(alice.c, "bob@localhost") - before; n != 0 {
				t.Errorf("fetched a refused hash again %d times", n)
			}
		})
	}
}

func TestDelayStampsInTheFutureOrUnparsable(t *testing.T) {
	_, conn, alice := signIn(t)
	for _, stamp := range []string{"2099-01-01T00:00:00Z", "yesterday-ish", ""} {
		body := "stamp " + stamp
		conn.raw(t, `<message from="bob@localhost/pc" type="chat"><body>`+body+`</body><delay xmlns="urn:xmpp:delay" stamp="`+stamp+`"/></message>`)
		m := alice.wait(body, func(e app.Event) bool {
			m, ok := e.(app.MessageReceived)
			return ok && m.Msg.Body == body
		}).(app.MessageReceived)
		if d := time.Since(m.Time); d < 0 || d > time.Minute {
			t.Errorf("%q: shown at %v, not at arrival", stamp, m.Time)
		}
	}
	msgs, err := alice.c.History(context.Background(), "bob@localhost", history.Cursor{}, 10)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("archive: %d messages, %v", len(msgs), err)
	}
	for _, m := range msgs {
		if m.Time.After(time.Now()) {
			t.Errorf("archived in the future: %+v", m)
		}
	}
}

func TestChatStateFloodReachesTheUIOnlyOnChange(t *testing.T) {
	_, conn, alice := signIn(t)
	var b strings.Builder
	for range 5000 {
		b.WriteString(`<message from="bob@localhost/pc" type="chat"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`)
	}
	for i := range 1000 {
		st := "composing"
		if i%2 == 1 {
			st = "paused"
		}
		fmt.Fprintf(&b, `<message from="bob@localhost/pc" type="chat"><%s xmlns="http://jabber.org/protocol/chatstates"/></message>`, st)
	}
	b.WriteString(`<message from="bob@localhost/pc" type="chat"><body>end</body></message>`)
	start := time.Now()
	conn.raw(t, b.String())
	alice.wait("end", func(e app.Event) bool { m, ok := e.(app.MessageReceived); return ok && m.Msg.Body == "end" })
	t.Logf("6001 stanzas handled in %v", time.Since(start))
	// 5000 identical states are one change; then 999 changes of 1000.
	if n := countStates(alice, "bob@localhost", chatstate.Composing); n != 500 {
		t.Errorf("composing reached the UI %d times, want 500", n)
	}
	if n := countStates(alice, "bob@localhost", chatstate.Paused); n != 500 {
		t.Errorf("paused reached the UI %d times, want 500", n)
	}
	if n := alice.count(isState(app.Waiting)); n != 0 {
		t.Errorf("the session dropped %d times", n)
	}
}
