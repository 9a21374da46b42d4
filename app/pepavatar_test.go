package app_test

import (
	"encoding/base64"
	"fmt"
	"image/color"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/avatar"
)

// TestPEPAvatarMetadataNotFollowed: metadata that is not a contact's
// (a stranger's, or from a resource rather than the bare JID) or that
// names nothing usable (too large, on the web, past the first infos)
// makes no request; the contact's good metadata that follows is the
// first one fetched, and its picture shown.
func TestPEPAvatarMetadataNotFollowed(t *testing.T) {
	pic := testPNG(t, 8, 8, color.RGBA{1, 2, 3, 255})
	id := avatar.Hash(pic)
	other := strings.Repeat("e", 40)
	srv := newFakeServer(t)
	srv.setAnswer(func(iq string) (string, bool) {
		m := stanzaID.FindStringSubmatch(iq)
		if m == nil || !strings.Contains(iq, "urn:xmpp:avatar:data") {
			return "", false
		}
		return `<iq type="result" id="` + m[1] + `" from="bob@localhost"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:data"><item id="` + id +
			`"><data xmlns="urn:xmpp:avatar:data">` + base64.StdEncoding.EncodeToString(pic) + `</data></item></items></pubsub></iq>`, true
	})
	alice := start(t, "alice", srv.account("alice"), "pw")
	conn := srv.next(t)
	alice.waitOnline()

	info := func(id string, bytes int, extra string) string {
		return fmt.Sprintf(`<info id="%s" bytes="%d" type="image/png"%s/>`, id, bytes, extra)
	}
	event := func(from, infos string) string {
		return `<message from="` + from + `" to="alice@localhost" type="headline" id="` + fmt.Sprint(len(infos)) + `"><event xmlns="http://jabber.org/protocol/pubsub#event"><items node="urn:xmpp:avatar:metadata"><item id="x"><metadata xmlns="urn:xmpp:avatar:metadata">` +
			infos + `</metadata></item></items></event></message>`
	}
	for _, bad := range []string{
		0: event("eve@localhost", info(other, 10, "")),
		1: event("bob@localhost/phone", info(other, 10, "")),
		2: event("bob@localhost", info(other, avatar.MaxInput+1, "")),
		3: event("bob@localhost", info(other, 10, ` url="https://example.org/a.png"`)),
		4: event("bob@localhost", strings.Repeat(`<info id="nope" bytes="1"/>`, 8)+info(other, 10, "")),
	} {
		conn.raw(t, bad)
	}
	conn.raw(t, event("bob@localhost", info(id, len(pic), "")))
	req := conn.expect(t, "urn:xmpp:avatar:data")
	if !strings.Contains(req, `id="`+id+`"`) || !strings.Contains(req, `to="bob@localhost"`) {
		t.Errorf("first data request is not for bob's good id:\n%s", req)
	}
	ch := alice.wait("bob's picture", func(e app.Event) bool {
		a, ok := e.(app.AvatarChanged)
		return ok && a.JID == "bob@localhost" && a.Hash == id
	}).(app.AvatarChanged)
	if ch.Path == "" {
		t.Error("no picture file")
	}
	if f, r := app.PEPAvatarCounts(alice.c); f != 1 || r != 0 {
		t.Errorf("%d fetches, %d refused; want 1, 0", f, r)
	}
}
