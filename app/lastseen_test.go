package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// bobIs matches bob's presence with show, fresh or last seen (stale).
func bobIs(show im.Show, stale bool) func(app.Event) bool {
	return func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == "bob@localhost" && p.Best.Show == show && p.Stale == stale
	}
}

// TestLastSeenPresenceSurvivesReconnectAndRestart: the fake server, like
// the Messenger service, answers no presence probe. Bob's presence seen
// before a reconnection stays, marked last seen, instead of turning
// offline; fresh presence replaces it; and a restart shows it again.
func TestLastSeenPresenceSurvivesReconnectAndRestart(t *testing.T) {
	srv := newFakeServer(t)
	dir := t.TempDir()
	newAlice := func() *app.Client {
		c := app.New(srv.account("alice"), func(context.Context) (string, error) { return "pw", nil })
		c.SetDataDir(dir)
		return c
	}
	alice := run(t, "alice", newAlice())
	conn := srv.next(t)
	alice.waitOnline()
	conn.expect(t, "<presence")
	conn.raw(t, `<presence from="bob@localhost/pc"><show>away</show><status>lunch</status></presence>`)
	alice.wait("bob away", bobIs(im.Away, false))

	mark := alice.mark()
	before := time.Now()
	conn.sess.Conn().Close()
	conn = srv.next(t)
	alice.waitFrom(mark, "online again", isState(app.Online))
	p := alice.waitFrom(mark, "bob last seen away", bobIs(im.Away, true)).(app.PresenceChanged)
	if p.Best.Status != "lunch" || p.Since.Before(before) || p.Since.After(time.Now()) {
		t.Errorf("last seen: status %q since %v (the connection dropped at %v)", p.Best.Status, p.Since, before)
	}
	if n := countFrom(alice, mark, bobIs(im.Offline, false)); n != 0 {
		t.Errorf("bob was shown offline %d times though nobody said so", n)
	}

	mark = alice.mark()
	conn.raw(t, `<presence from="bob@localhost/pc"><show>dnd</show></presence>`)
	alice.waitFrom(mark, "bob busy, fresh", bobIs(im.DND, false))

	alice.stop()
	again := run(t, "alice again", newAlice())
	p = again.wait("bob last seen busy after a restart", bobIs(im.DND, true)).(app.PresenceChanged)
	if p.Since.IsZero() {
		t.Error("last seen without a time")
	}
	conn = srv.next(t)
	again.waitOnline()
	conn.expect(t, "<presence")
	conn.raw(t, `<presence from="bob@localhost/pc" type="unavailable"/>`)
	again.wait("bob offline, fresh", bobIs(im.Offline, false))
}

// countFrom counts the events at or after from that match.
func countFrom(p *probe, from int, match func(app.Event) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.events[min(from, len(p.events)):] {
		if match(e) {
			n++
		}
	}
	return n
}
