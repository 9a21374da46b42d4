package app_test

import "testing"

// TestDiscoInfoIsAnswered: others' clients ask what Palaver supports
// (XEP-0030 §3.1) and learn that it is a desktop client doing receipts,
// chat states and pings; a query for a node it does not have gets
// item-not-found (§3.2).
func TestDiscoInfoIsAnswered(t *testing.T) {
	_, conn, _ := signIn(t)
	conn.raw(t, `<iq type="get" id="d1" from="bob@localhost/pc" to="alice@localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	conn.expect(t, `id="d1"`, `type="result"`, `to="bob@localhost/pc"`,
		`category="client"`, `type="pc"`,
		`var="urn:xmpp:receipts"`, `var="http://jabber.org/protocol/chatstates"`,
		`var="urn:xmpp:ping"`, `var="http://jabber.org/protocol/disco#info"`)
	conn.raw(t, `<iq type="get" id="d2" from="bob@localhost/pc"><query xmlns="http://jabber.org/protocol/disco#info" node="http://example.org#x"/></iq>`)
	conn.expect(t, `id="d2"`, `type="error"`, `item-not-found`)
}
