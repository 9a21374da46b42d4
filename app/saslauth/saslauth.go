// Package saslauth is a SASL stream feature (RFC 6120 §6) for clients.
//
// It differs from mellium.im/xmpp's SASL feature in two ways that a desktop
// client needs: the mechanism is chosen by the client's own preference,
// whatever order the server lists them in, and a <failure/> is returned as
// a *Failure with its condition, so that a wrong password can be told apart
// from a network error and is never retried.
package saslauth

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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
}

func (f *Failure) Error() string {
	if f.Text != "" {
		return "authentication failed: " + f.Condition + ": " + f.Text
	}
	return "authentication failed: " + f.Condition
}

// NoMechanismError is returned when the server offers none of the
// mechanisms the client is willing to use.
type NoMechanismError struct {
	Offered []string
}

func (e *NoMechanismError) Error() string {
	return "the server offers no sign-in method Palaver can use here (it offers: " + strings.Join(e.Offered, ", ") + ")"
}

// Credentials returns the username (localpart), secret and authorization
// identity for a mechanism.
type Credentials func() (username, secret, identity []byte)

// Feature returns a client SASL stream feature that uses the first of
// mechs (in that order) which the server offers.
func Feature(creds Credentials, mechs ...sasl.Mechanism) xmpp.StreamFeature {
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
			mech, ok := Choose(offered, mechs)
			if !ok {
				return 0, nil, &NoMechanismError{Offered: offered}
			}
			if err := negotiate(ctx, session, creds, offered, mech); err != nil {
				return 0, nil, err
			}
			return xmpp.Authn, session.Conn(), nil
		},
	}
}

// Choose returns the first of prefs that appears in offered.
func Choose(offered []string, prefs []sasl.Mechanism) (sasl.Mechanism, bool) {
	for _, m := range prefs {
		for _, name := range offered {
			if name == m.Name {
				return m, true
			}
		}
	}
	return sasl.Mechanism{}, false
}

func negotiate(ctx context.Context, session *xmpp.Session, creds Credentials, offered []string, mech sasl.Mechanism) error {
	opts := []sasl.Option{sasl.Credentials(creds), sasl.RemoteMechanisms(offered...)}
	if cs := session.ConnectionState(); cs.Version != 0 {
		opts = append(opts, sasl.TLSState(cs))
	}
	client := sasl.NewClient(mech, opts...)
	more, resp, err := client.Step(nil)
	if err != nil {
		return err
	}
	w := session.TokenWriter()
	defer w.Close()
	r := session.TokenReader()
	defer r.Close()
	d := xml.NewTokenDecoder(r)

	if err := send(w, xml.StartElement{
		Name: xml.Name{Space: NS, Local: "auth"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "mechanism"}, Value: mech.Name}},
	}, resp); err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		kind, payload, err := receive(d)
		if err != nil {
			return err
		}
		switch kind {
		case "success":
			// The success payload (additional data) must be checked by the
			// mechanism when it still expects a step, e.g. SCRAM's server
			// signature.
			if more {
				if more, _, err = client.Step(payload); err != nil {
					return fmt.Errorf("the server's proof of identity did not verify: %w", err)
				}
			}
			return nil
		case "challenge":
			if !more {
				// A challenge after the final step: answer empty as RFC 4422
				// allows, the server will decide.
				if err := send(w, xml.StartElement{Name: xml.Name{Space: NS, Local: "response"}}, nil); err != nil {
					return err
				}
				continue
			}
			more, resp, err = client.Step(payload)
			if err != nil {
				return err
			}
			if err := send(w, xml.StartElement{Name: xml.Name{Space: NS, Local: "response"}}, resp); err != nil {
				return err
			}
		}
	}
}

func send(w xmlstream.TokenWriteFlushCloser, start xml.StartElement, payload []byte) error {
	text := "="
	if len(payload) > 0 {
		text = base64.StdEncoding.EncodeToString(payload)
	}
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
