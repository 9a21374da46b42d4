package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// signIn starts alice on a fake server and returns her connection there.
func signIn(t *testing.T) (*fakeServer, *fakeConn, *probe) {
	t.Helper()
	srv := newFakeServer(t)
	alice := start(t, "alice", srv.account("alice"), "pw")
	conn := srv.next(t)
	alice.waitOnline()
	conn.expect(t, "<presence")
	return srv, conn, alice
}

func TestUnknownPayloadsAreIgnored(t *testing.T) {
	_, conn, alice := signIn(t)
	conn.raw(t, `<message from="bob@localhost/x" type="chat" id="1"><active xmlns="http://jabber.org/protocol/chatstates"/>`+
		`<x xmlns="urn:example:unknown" attr="v"><deep><deeper>text</deeper></deep></x><body>still here</body></message>`)
	m := alice.wait("message", func(e app.Event) bool { _, ok := e.(app.MessageReceived); return ok }).(app.MessageReceived)
	if m.Msg.Body != "still here" || m.Peer != "bob@localhost" {
		t.Errorf("got %+v", m)
	}
	conn.raw(t, `<presence from="bob@localhost/x"><show>away</show><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/><x xmlns="vcard-temp:x:update"><photo/></x></presence>`)
	alice.wait("presence", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.Best.Show == im.Away
	})
}

func TestMegabyteMessageArrivesWhole(t *testing.T) {
	_, conn, alice := signIn(t)
	body := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	conn.raw(t, `<message from="bob@localhost/x" type="chat"><body>`+body+`</body></message>`)
	m := alice.wait("big message", func(e app.Event) bool { _, ok := e.(app.MessageReceived); return ok }).(app.MessageReceived)
	if len(m.Msg.Body) != len(body) || m.Msg.Truncated {
		t.Errorf("body of %d bytes (truncated %v), want %d", len(m.Msg.Body), m.Msg.Truncated, len(body))
	}
}

func TestMalformedXMLEndsSessionWithError(t *testing.T) {
	_, conn, alice := signIn(t)
	mark := alice.mark()
	conn.raw(t, `<message from="bob@localhost/x"><body>broken</mess>`)
	s := alice.waitFrom(mark, "disconnect", isState(app.Waiting)).(app.StateChanged)
	if s.Err == nil {
		t.Error("waiting without an error")
	}
}

func TestServerClosingStreamIsNoticed(t *testing.T) {
	_, conn, alice := signIn(t)
	conn.raw(t, `<presence from="bob@localhost/x"><show>away</show><status>lunch</status></presence>`)
	alice.wait("bob away", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == "bob@localhost" && p.Resources == 1 && p.Best.Show == im.Away
	})
	mark := alice.mark()
	conn.raw(t, `<stream:error><system-shutdown xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error></stream:stream>`)
	alice.waitFrom(mark, "disconnect", isState(app.Waiting))
	// Contacts seen online are no longer confirmed once the session ends:
	// none of their resources counts as available, and their last
	// presence is kept, marked stale (a server that answers no presence
	// probe, RFC 6121 §4.3, never repeats it: issue 9 item 16).
	p := alice.waitFrom(mark, "bob last seen", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == "bob@localhost"
	}).(app.PresenceChanged)
	if !p.Stale || p.Resources != 0 || p.Best.Show != im.Away || p.Best.Status != "lunch" || p.Since.IsZero() {
		t.Errorf("bob after the session ended: stale %v, %d resources, %v %q since %v; want stale, 0, away \"lunch\", a time",
			p.Stale, p.Resources, p.Best.Show, p.Best.Status, p.Since)
	}
}

func TestRosterPushFromStrangerIsRefused(t *testing.T) {
	_, conn, alice := signIn(t)
	conn.raw(t, `<iq type="set" id="evil" from="mallory@localhost/x"><query xmlns="jabber:iq:roster"><item jid="mallory@localhost" name="Trust me"/></query></iq>`)
	conn.expect(t, `id="evil"`, `type="error"`)
	conn.raw(t, `<iq type="set" id="good"><query xmlns="jabber:iq:roster"><item jid="carol@localhost" name="Carol" subscription="none" ask="subscribe"/></query></iq>`)
	conn.expect(t, `id="good"`, `type="result"`)
	u := alice.wait("push", func(e app.Event) bool { _, ok := e.(app.ContactUpdated); return ok }).(app.ContactUpdated)
	if u.Contact.JID != "carol@localhost" || !u.Contact.Pending {
		t.Errorf("update = %+v", u.Contact)
	}
	if n := alice.count(func(e app.Event) bool {
		u, ok := e.(app.ContactUpdated)
		return ok && u.Contact.JID == "mallory@localhost"
	}); n != 0 {
		t.Error("a roster push from a stranger was applied")
	}
}

func TestPresenceErrorMeansOffline(t *testing.T) {
	_, conn, alice := signIn(t)
	conn.raw(t, `<presence from="bob@localhost/x"/>`)
	alice.wait("bob online", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.Resources == 1
	})
	conn.raw(t, `<presence from="bob@localhost" type="error"><error type="cancel"><remote-server-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`)
	alice.wait("bob offline", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.Resources == 0 && p.Best.Show == im.Offline
	})
}

func TestMultipleResourcesBestWins(t *testing.T) {
	_, conn, alice := signIn(t)
	conn.raw(t, `<presence from="bob@localhost/phone"><show>away</show><priority>1</priority></presence>`)
	conn.raw(t, `<presence from="bob@localhost/desk"><priority>5</priority><status>at desk</status></presence>`)
	alice.wait("desk wins", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.Resources == 2 && p.Best.Show == im.Available && p.Best.Status == "at desk"
	})
	// From a mark: the phone's own presence, before the desk's, looked
	// the same.
	mark := alice.mark()
	conn.raw(t, `<presence from="bob@localhost/desk" type="unavailable"/>`)
	alice.waitFrom(mark, "phone remains", func(e app.Event) bool {
		p, ok := e.(app.PresenceChanged)
		return ok && p.JID == "bob@localhost" && p.Resources == 1 && p.Best.Show == im.Away && p.Best.Status == ""
	})
}

func TestOutgoingStanzas(t *testing.T) {
	_, conn, alice := signIn(t)
	alice.c.SetPresence(im.XA, "on holiday")
	conn.expect(t, "<presence", "<show>xa</show>", "<status>on holiday</status>")
	id := alice.c.SendMessage("bob@localhost", "ping & pong")
	conn.expect(t, `id="`+id+`"`, `type="chat"`, "<body>ping &amp; pong</body>")
	alice.c.Deny("mallory@localhost")
	conn.expect(t, `type="unsubscribed"`, `to="mallory@localhost"`)
	alice.c.SetPresence(im.Offline, "")
	conn.expect(t, `type="unavailable"`)
	alice.wait("offline", isState(app.Offline))
}

func TestSeeOtherHostIsFollowed(t *testing.T) {
	srv, conn, alice := signIn(t)
	other := newFakeServerLike(t, srv)
	mark := alice.mark()
	conn.raw(t, `<stream:error><see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">`+other.ln.Addr().String()+`</see-other-host></stream:error></stream:stream>`)
	// The client goes to the other server at once, not after a backoff.
	other.next(t)
	alice.waitFrom(mark, "online at the other server", isState(app.Online))
	if n := alice.count(isState(app.Waiting)); n != 0 {
		t.Errorf("waited %d times before following the redirect", n)
	}
}

func TestConflictWaitsForTheUser(t *testing.T) {
	srv, conn, alice := signIn(t)
	mark := alice.mark()
	conn.raw(t, `<stream:error><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error></stream:stream>`)
	off := alice.waitFrom(mark, "offline", isState(app.Offline)).(app.StateChanged)
	if off.Err == nil || !strings.Contains(off.Err.Error(), "elsewhere") {
		t.Errorf("offline because %v", off.Err)
	}
	// No reconnection on its own: the other session keeps the resource.
	select {
	case <-srv.conns:
		t.Error("the client reconnected and would push the other session off")
	case <-time.After(1500 * time.Millisecond):
	}
}
