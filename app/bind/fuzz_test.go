package bind

import (
	"encoding/xml"
	"strings"
	"testing"
)

// FuzzReadResult feeds arbitrary server answers to the reader of the bind
// result: no panic, and a bound address is always a full JID.
func FuzzReadResult(f *testing.F) {
	f.Add(`<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.org/laptop</jid></bind></iq>`)
	f.Add(`<iq type='error' id='b1'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
	f.Add(`<iq type='error' id='b1'/>`)
	f.Add(`<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>example.org</jid></bind></iq>`)
	f.Add(`<message/>`)
	f.Add(` <iq type='result' id='b2'/>`)
	f.Fuzz(func(t *testing.T, s string) {
		j, err := readResult(xml.NewDecoder(strings.NewReader(s)), "b1")
		if err != nil {
			return
		}
		if j.Localpart() == "" || j.Resourcepart() == "" {
			t.Fatalf("bound %q from %q", j, s)
		}
	})
}
