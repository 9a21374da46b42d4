// Package saslauth is a SASL stream feature (RFC 6120 §6) for clients.
//
// It differs from mellium.im/xmpp's SASL feature in two ways that a desktop
// client needs: the mechanism is chosen by the client's own preference,
// whatever order the server lists them in, and a <failure/> is returned as
// a *Failure with its condition, so that a wrong password can be told apart
// from a network error and is never retried.
//
// It also carries the options some mechanisms need on the wire (see
// Mechanism) and the OAuth 2.0 mechanisms of the networks Palaver signs in
// to: XMessengerOAuth2, XOAuth2, XFacebookPlatform and OAuthBearer.
package saslauth

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
)

// NS is the SASL namespace.
const NS = "urn:ietf:params:xml:ns:xmpp-sasl"

// maxPayload bounds a challenge or success payload (base64 text).
const maxPayload = 64 << 10

// Failure is a SASL <failure/> sent by the server.
type Failure struct {
	// Condition is the element name of the condition, e.g. "not-authorized".
	Condition string
	// Text is the optional human-readable text.
	Text string
	// Err is what the mechanism learned from the server before the failure, or nil.
	// For OAUTHBEARER it is a *BearerError (or why the server's error could not be read).
	Err error
}

func (f *Failure) Error() string {
	msg := "authentication failed: " + f.Condition
	if f.Text != "" {
		msg += ": " + f.Text
	}
	if f.Err != nil {
		msg += " (" + f.Err.Error() + ")"
	}
	return msg
}

// Unwrap returns Err, so that errors.As finds a *BearerError behind a *Failure.
func (f *Failure) Unwrap() error { return f.Err }

// NoMechanismError is returned when the server offers none of the
// mechanisms the client is willing to use.
type NoMechanismError struct {
	Offered []string
}

func (e *NoMechanismError) Error() string {
	return "the server offers no sign-in method Palaver can use here (it offers: " + strings.Join(e.Offered, ", ") + ")"
}

// Credentials returns the username (localpart), the secret and the
// authorization identity for a mechanism.
// The secret is the password for SCRAM and PLAIN and the OAuth 2.0 access
// token for the OAuth mechanisms of this package.
// The identity is normally empty; XOAuth2 and OAuthBearer then use the bare
// JID of the session.
type Credentials func() (username, secret, identity []byte)

// Mechanism is a SASL mechanism together with how its messages go on the wire.
// The zero options are those of RFC 6120 §6.4.2, which SCRAM and PLAIN use.
type Mechanism struct {
	sasl.Mechanism

	// Raw sends the initial response in <auth/> as it is, not base64-encoded.
	// Responses to challenges are always base64-encoded.
	Raw bool

	// Attrs are further attributes of <auth/>, written after mechanism exactly as given.
	// A prefixed attribute and its namespace declaration are given as qualified
	// names in Name.Local with an empty Name.Space, e.g. "auth:service" and "xmlns:auth".
	// Attributes with a Name.Space are refused: encoding/xml would invent its own
	// prefix for them, and writes invalid declarations for Space "xmlns".
	Attrs []xml.Attr

	// bareJID makes an empty identity from Credentials default to the bare JID
	// of the session (the address the stream was opened for).
	bareJID bool
}

// Wrap returns mechs with the default wire options, for use with Features.
func Wrap(mechs ...sasl.Mechanism) []Mechanism {
	out := make([]Mechanism, len(mechs))
	for i, m := range mechs {
		out[i] = Mechanism{Mechanism: m}
	}
	return out
}

// Outcome is how signing in went, once the features were negotiated.
type Outcome struct {
	// Mechanism is the name of the mechanism that signed in, or that was
	// tried when signing in failed.
	Mechanism string
	// ChannelBindingListed is set when the server listed the channel
	// binding types it supports (XEP-0440).
	ChannelBindingListed bool
}

// Features returns the stream features for signing in: XEP-0440's list of
// channel binding types, which the server sends next to its mechanisms,
// and a SASL feature that uses the first of mechs (in that order) which the
// server offers, and that list.
//
// When the server fails the exchange, the error is a *Failure.
// When it offers none of mechs, the error is a *NoMechanismError.
// When it fails to prove what the mechanism requires of it (SCRAM's server
// signature, a sane iteration count, XEP-0474's downgrade protection), the
// error is a *VerifyError.
// A SCRAM-*-PLUS mechanism in mechs is used only when the connection is TLS
// and the server supports the channel binding type it needs; otherwise the
// next of mechs is.
// The outcome is filled in when signing in succeeded.
func Features(creds Credentials, mechs ...Mechanism) ([]xmpp.StreamFeature, *Outcome) {
	o, out := &offer{}, &Outcome{}
	return []xmpp.StreamFeature{channelBindingFeature(o), saslFeature(creds, o, mechs, out)}, out
}

func saslFeature(creds Credentials, o *offer, mechs []Mechanism, out *Outcome) xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:       xml.Name{Space: NS, Local: "mechanisms"},
		Necessary:  xmpp.Secure,
		Prohibited: xmpp.Authn,
		Parse: func(ctx context.Context, d *xml.Decoder, start *xml.StartElement) (bool, interface{}, error) {
			parsed := struct {
				List []string `xml:"urn:ietf:params:xml:ns:xmpp-sasl mechanism"`
			}{}
			err := d.DecodeElement(&parsed, start)
			for i, m := range parsed.List {
				parsed.List[i] = strings.TrimSpace(m)
			}
			return true, parsed.List, err
		},
		Negotiate: func(ctx context.Context, session *xmpp.Session, data interface{}) (xmpp.SessionState, io.ReadWriter, error) {
			offered, _ := data.([]string)
			o.mechanisms = offered
			usable := mechs
			if cs := session.ConnectionState(); !plusUsable(cs, o) {
				usable = slices.DeleteFunc(slices.Clone(mechs), func(m Mechanism) bool {
					return strings.HasSuffix(m.Name, "-PLUS")
				})
			}
			mech, ok := Choose(offered, usable)
			if !ok {
				return 0, nil, &NoMechanismError{Offered: offered}
			}
			out.Mechanism, out.ChannelBindingListed = mech.Name, o.cbListed
			if err := negotiate(ctx, session, creds, o, mech); err != nil {
				return 0, nil, err
			}
			return xmpp.Authn, session.Conn(), nil
		},
	}
}

// Choose returns the first of prefs that appears in offered.
func Choose(offered []string, prefs []Mechanism) (Mechanism, bool) {
	for _, m := range prefs {
		for _, name := range offered {
			if name == m.Name {
				return m, true
			}
		}
	}
	return Mechanism{}, false
}

// finalError is returned by a mechanism step that must still send resp and
// then expects the server's <failure/>, as RFC 7628 §3.2.2 requires.
// The feature puts err into the Failure.
type finalError struct {
	resp []byte
	err  error
}

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

func negotiate(ctx context.Context, session *xmpp.Session, creds Credentials, o *offer, mech Mechanism) error {
	for _, a := range mech.Attrs {
		if a.Name.Space != "" {
			return fmt.Errorf("saslauth: attribute %s of %s has a namespace; give it as a qualified name", a.Name.Local, mech.Name)
		}
	}
	if mech.bareJID {
		bare := session.LocalAddr().Bare().String()
		inner := creds
		creds = func() (username, secret, identity []byte) {
			username, secret, identity = inner()
			if len(identity) == 0 {
				identity = []byte(bare)
			}
			return username, secret, identity
		}
	}
	opts := []sasl.Option{sasl.Credentials(creds), sasl.RemoteMechanisms(o.mechanisms...)}
	if cs := session.ConnectionState(); cs.Version != 0 {
		opts = append(opts, sasl.TLSState(cs))
	}
	m := mech.Mechanism
	scram := strings.HasPrefix(m.Name, "SCRAM-")
	if scram {
		m = guardSCRAM(m, o)
	}
	client := sasl.NewClient(m, opts...)
	more, resp, err := client.Step(nil)
	if err != nil {
		return err
	}
	w := session.TokenWriter()
	defer w.Close()
	r := session.TokenReader()
	defer r.Close()
	d := xml.NewTokenDecoder(r)

	text := encode(resp)
	if mech.Raw && len(resp) > 0 {
		text = string(resp)
	}
	attrs := append([]xml.Attr{{Name: xml.Name{Local: "mechanism"}, Value: mech.Name}}, mech.Attrs...)
	if err := send(w, xml.StartElement{Name: xml.Name{Space: NS, Local: "auth"}, Attr: attrs}, text); err != nil {
		return err
	}
	// final is the error a mechanism reported before its last response;
	// the server must now fail the exchange.
	var final error
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		kind, payload, err := receive(d)
		if err != nil {
			var fail *Failure
			if final != nil && errors.As(err, &fail) {
				fail.Err = final
			}
			return err
		}
		if final != nil {
			return fmt.Errorf("the server went on after an error (%w)", final)
		}
		switch kind {
		case "success":
			// The success payload (additional data) must be checked by the
			// mechanism when it still expects a step, e.g. SCRAM's server
			// signature (RFC 6120 §6.4.6, RFC 5802 §5).
			if more {
				more, _, err = client.Step(payload)
				var ve *VerifyError
				switch {
				case errors.As(err, &ve):
					return err
				case err != nil:
					return &VerifyError{Reason: BadServerProof, Err: err}
				case more:
					// The exchange is not over, yet the server says it is:
					// a SCRAM server that answers <auth/> with <success/>
					// carrying its first message never proved that it knows
					// the password.
					return &VerifyError{Reason: NoServerProof}
				}
			}
			return nil
		case "challenge":
			if !more {
				// A challenge after the final step: answer empty as RFC 4422
				// allows, the server will decide.
				if err := send(w, xml.StartElement{Name: xml.Name{Space: NS, Local: "response"}}, "="); err != nil {
					return err
				}
				continue
			}
			more, resp, err = client.Step(payload)
			var (
				fe *finalError
				ve *VerifyError
			)
			switch {
			case errors.As(err, &fe):
				final, more, resp = fe.err, false, fe.resp
			case errors.As(err, &ve):
				return err
			case err != nil && scram:
				// mellium's SCRAM client checks the server's final message
				// (v=) in this step when it comes as a challenge.
				return &VerifyError{Reason: BadServerProof, Err: err}
			case err != nil:
				return err
			}
			if err := send(w, xml.StartElement{Name: xml.Name{Space: NS, Local: "response"}}, encode(resp)); err != nil {
				return err
			}
		}
	}
}

// encode returns the base64 form of a payload, "=" when it is empty
// (RFC 6120 §6.4.2).
func encode(payload []byte) string {
	if len(payload) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(payload)
}

func send(w xmlstream.TokenWriteFlushCloser, start xml.StartElement, text string) error {
	if _, err := xmlstream.Copy(w, xmlstream.Wrap(xmlstream.Token(xml.CharData(text)), start)); err != nil {
		return err
	}
	return w.Flush()
}

// receive reads the next <challenge/>, <success/> or <failure/>.
func receive(d *xml.Decoder) (kind string, payload []byte, err error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return "", nil, err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue // whitespace keepalives
		}
		if start.Name.Space != NS {
			return "", nil, fmt.Errorf("unexpected <%s/> during authentication", start.Name.Local)
		}
		switch start.Name.Local {
		case "failure":
			return "", nil, decodeFailure(d, start)
		case "challenge", "success":
			var body struct {
				Data string `xml:",chardata"`
			}
			if err := d.DecodeElement(&body, &start); err != nil {
				return "", nil, err
			}
			data := strings.TrimSpace(body.Data)
			if len(data) > maxPayload {
				return "", nil, errors.New("the server sent an oversized authentication payload")
			}
			if data == "=" {
				data = ""
			}
			p, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				return "", nil, fmt.Errorf("the server sent a malformed %s: %w", start.Name.Local, err)
			}
			return start.Name.Local, p, nil
		default:
			return "", nil, fmt.Errorf("unexpected <%s/> during authentication", start.Name.Local)
		}
	}
}

func decodeFailure(d *xml.Decoder, start xml.StartElement) error {
	var f struct {
		Inner []struct {
			XMLName xml.Name
			Text    string `xml:",chardata"`
		} `xml:",any"`
	}
	if err := d.DecodeElement(&f, &start); err != nil {
		return err
	}
	fail := &Failure{}
	for _, el := range f.Inner {
		if el.XMLName.Local == "text" {
			fail.Text = strings.TrimSpace(el.Text)
		} else if fail.Condition == "" {
			fail.Condition = el.XMLName.Local
		}
	}
	if fail.Condition == "" {
		fail.Condition = "not-authorized"
	}
	return fail
}
