package saslauth_test

import (
	"encoding/xml"
	"errors"
	"net/url"
	"strings"
	"testing"

	"mellium.im/sasl"

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

// FuzzFacebookChallenge feeds arbitrary X-FACEBOOK-PLATFORM challenges to the
// parser and to the mechanism: no panic, a parsed challenge has a method and
// a nonce, and the answer carries them back intact.
func FuzzFacebookChallenge(f *testing.F) {
	f.Add([]byte("version=1&method=auth.xmpp_login&nonce=AA4EFEE16F2AB64B131EEFFE6EACDDB8"))
	f.Add([]byte("method=auth.xmpp_login&nonce=a%26b%3Dc&version=1"))
	f.Add([]byte("version=1&method=auth.xmpp_login"))
	f.Add([]byte("nonce=1&nonce=2&method=m"))
	f.Add([]byte("method=%zz&nonce=1"))
	f.Add([]byte("method=m;nonce=1"))
	f.Add([]byte("=&&=="))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, challenge []byte) {
		method, nonce, err := saslauth.ParseFacebookChallenge(challenge)
		if err == nil && (method == "" || nonce == "") {
			t.Fatalf("%q parsed without method or nonce", challenge)
		}
		client := sasl.NewClient(saslauth.XFacebookPlatform("123").Mechanism, sasl.Credentials(func() ([]byte, []byte, []byte) {
			return []byte("alice"), []byte("tok&en"), nil
		}))
		if more, _, err := client.Step(nil); err != nil || !more {
			t.Fatalf("start: %v %v", more, err)
		}
		_, resp, stepErr := client.Step(challenge)
		if len(challenge) == 0 {
			return // success without data
		}
		if (err == nil) != (stepErr == nil) {
			t.Fatalf("parser says %v, mechanism says %v", err, stepErr)
		}
		if err != nil {
			return
		}
		v, perr := url.ParseQuery(string(resp))
		if perr != nil || v.Get("method") != method || v.Get("nonce") != nonce ||
			v.Get("access_token") != "tok&en" || v.Get("api_key") != "123" || v.Get("v") != "1.0" || v.Get("call_id") == "" {
			t.Fatalf("answer %q to %q", resp, challenge)
		}
	})
}

// FuzzBearerError feeds arbitrary OAUTHBEARER error challenges to the JSON
// parser and to the mechanism: no panic, bounded input, a parsed error
// always has a status, and the mechanism never accepts an error challenge.
func FuzzBearerError(f *testing.F) {
	f.Add([]byte(`{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}`))
	f.Add([]byte(`{"status":"insufficient_scope","scope":"xmpp read"}`))
	f.Add([]byte(`{"status":"invalid_token",`))
	f.Add([]byte(`{"scope":"xmpp"}`))
	f.Add([]byte(`{"status":42}`))
	f.Add([]byte(`{"status":"\u0000\ud800"} `))
	f.Add([]byte(`null`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte("\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		be, err := saslauth.ParseBearerError(data)
		if (be == nil) == (err == nil) {
			t.Fatalf("%q: %v and %v", data, be, err)
		}
		if err == nil && (be.Status == "" || len(data) > saslauth.MaxBearerJSON) {
			t.Fatalf("%q accepted as %#v", data, be)
		}
		client := sasl.NewClient(saslauth.OAuthBearer.Mechanism, sasl.Credentials(func() ([]byte, []byte, []byte) {
			return []byte("alice"), []byte("tok"), []byte("alice@example.org")
		}))
		if more, _, err := client.Step(nil); err != nil || !more {
			t.Fatalf("start: %v %v", more, err)
		}
		_, _, stepErr := client.Step(data)
		if (len(data) == 0) != (stepErr == nil) {
			t.Fatalf("%q: step error %v", data, stepErr)
		}
		var got *saslauth.BearerError
		if errors.As(stepErr, &got) != (err == nil) {
			t.Fatalf("%q: step error %v, parser %v", data, stepErr, err)
		}
	})
}
