package saslauth_test

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app/saslauth"
)

// FuzzReceive feeds arbitrary server replies to the reader of
// <challenge/>, <success/> and <failure/>: it must never panic, must keep
// payloads bounded, and a failure must always carry a condition.
func FuzzReceive(f *testing.F) {
	f.Add(`<challenge xmlns="urn:ietf:params:xml:ns:xmpp-sasl">cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==</challenge>`)
	f.Add(`<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl">=</success>`)
	f.Add(`<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized/><text xml:lang="en">bad</text></failure>`)
	f.Add(`  <challenge xmlns="urn:ietf:params:xml:ns:xmpp-sasl">!!!</challenge>`)
	f.Add(`<iq xmlns="jabber:client" type="get"/>`)
	f.Fuzz(func(t *testing.T, s string) {
		kind, payload, err := saslauth.Receive(xml.NewDecoder(strings.NewReader(s)))
		var fail *saslauth.Failure
		if errors.As(err, &fail) && fail.Condition == "" {
			t.Fatalf("failure without condition from %q", s)
		}
		if err == nil && kind != "challenge" && kind != "success" {
			t.Fatalf("kind %q without error", kind)
		}
		if len(payload) > 64<<10 {
			t.Fatalf("payload of %d bytes", len(payload))
		}
	})
}
