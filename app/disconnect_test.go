package app_test

import (
	"fmt"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// TestCommandsAfterSignOut: commands given right after Disconnect or
// "Invisible", before the core has acted on them, are all carried out: a
// message is sent (once, when connected again) and a Connect brings the
// account back online. Each round runs both ways of going offline.
func TestCommandsAfterSignOut(t *testing.T) {
	srv, alice, bob := twoUsers(t)
	bobJID := "bob@" + srv.Domain
	for round := range 3 {
		for _, how := range []string{"disconnect", "invisible"} {
			body := fmt.Sprintf("after %s %d", how, round)
			am, bm := alice.mark(), bob.mark()
			if how == "disconnect" {
				alice.c.Disconnect()
			} else {
				alice.c.SetPresence(im.Offline, "")
			}
			id := alice.c.SendMessage(bobJID, body)
			alice.c.Connect()
			alice.waitFrom(am, "offline", func(e app.Event) bool {
				s, ok := e.(app.StateChanged)
				return ok && s.State == app.Offline
			})
			alice.waitFrom(am, "online again", func(e app.Event) bool {
				s, ok := e.(app.StateChanged)
				return ok && s.State == app.Online
			})
			bob.waitFrom(bm, body, func(e app.Event) bool {
				m, ok := e.(app.MessageReceived)
				return ok && m.Msg.Body == body
			})
			alice.waitFrom(am, body+" confirmed", func(e app.Event) bool {
				s, ok := e.(app.MessageStateChanged)
				return ok && s.ID == id && (s.State == history.Sent || s.State == history.Delivered)
			})
		}
	}
	// Every message arrived exactly once.
	for round := range 3 {
		for _, how := range []string{"disconnect", "invisible"} {
			body := fmt.Sprintf("after %s %d", how, round)
			if n := bob.count(func(e app.Event) bool { m, ok := e.(app.MessageReceived); return ok && m.Msg.Body == body }); n != 1 {
				t.Errorf("%q arrived %d times", body, n)
			}
		}
	}
}
