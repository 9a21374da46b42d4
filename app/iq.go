package app

import (
	"context"
	"encoding/xml"
	"errors"
	"io"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/ping"
	"mellium.im/xmpp/stanza"
)

// ErrUnexplained is an error answer without a stanza error in it.
var ErrUnexplained = errors.New("the server answered with an error it did not explain")

// sendIQ sends an IQ with payload and waits for the answer (RFC 6120
// §8.2.3).
// An error answer comes back as its stanza.Error, decoded by mellium
// (stanza.UnmarshalIQError, which uses stanza.UnmarshalError).
// A result's payload, its first child element, goes to read with a decoder
// positioned after the payload's start, or nil when the result is empty;
// read may be nil.
// sendIQ is safe for concurrent use, as sess.SendIQElement is.
func sendIQ(ctx context.Context, sess *xmpp.Session, iq stanza.IQ, payload xml.TokenReader, read func(*xml.Decoder, *xml.StartElement) error) error {
	resp, err := sess.SendIQElement(ctx, payload, iq)
	if err != nil {
		return err
	}
	defer resp.Close()
	tok, err := resp.Token()
	if err != nil {
		return err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return errors.New("malformed IQ response")
	}
	// mellium's stanza.UnmarshalError takes character data between the
	// IQ's children for an element and dereferences its nil start
	// (stanza/error.go, with xmlstream's Iter): whitespace there, which XML
	// allows, panics. Drop it first.
	r := &childElements{r: resp}
	answer, err := stanza.UnmarshalIQError(r, start)
	if err != nil {
		var se stanza.Error
		if answer.Type == stanza.ErrorIQ && !errors.As(err, &se) {
			return ErrUnexplained
		}
		return err
	}
	if read == nil {
		return nil
	}
	// mellium's UnmarshalIQElement would decode the payload too, but it
	// takes the first token inside the IQ for the payload's start without
	// checking (session_iq.go, unmarshalIQ): whitespace before the payload,
	// which XML allows, panics there. Skip to the first element here.
	d := xml.NewTokenDecoder(xmlstream.Inner(r))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return read(d, nil) // a result without payload
		}
		if err != nil {
			return err
		}
		if s, ok := tok.(xml.StartElement); ok {
			return read(d, &s)
		}
	}
}

// childElements passes on the tokens of an element's content (r starts
// after its start element) without the character data, comments and
// processing instructions between its children; what is inside the
// children passes unchanged.
type childElements struct {
	r     xml.TokenReader
	depth int
}

// Token returns the next token that is not loose text between children.
func (c *childElements) Token() (xml.Token, error) {
	for {
		tok, err := c.r.Token()
		switch tok.(type) {
		case xml.StartElement:
			c.depth++
		case xml.EndElement:
			c.depth--
		case xml.CharData, xml.Comment, xml.ProcInst, xml.Directive:
			if c.depth == 0 && err == nil {
				continue
			}
			if c.depth == 0 {
				return nil, err
			}
		}
		return tok, err
	}
}

// pingServer pings to (XEP-0199 §4.2) and reports whether an answer came:
// a result or an error answer alike, for both prove that the server
// received and handled everything sent before the ping (it handles a
// stream in order, RFC 6120 §10.1). Servers answer an unknown IQ with
// service-unavailable or feature-not-implemented; either is an answer.
// mellium's ping.Send decodes error answers with stanza.UnmarshalError and
// so panics on whitespace inside them (stanza/error.go, see sendIQ); a
// recovered panic left the ping unanswered forever, and with it the
// liveness check. The error is nil or the failure to get an answer.
func pingServer(ctx context.Context, sess *xmpp.Session, to jid.JID) error {
	err := sendIQ(ctx, sess, stanza.IQ{Type: stanza.GetIQ, To: to},
		xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: ping.NS, Local: "ping"}}), nil)
	var se stanza.Error
	if errors.As(err, &se) || errors.Is(err, ErrUnexplained) {
		return nil
	}
	return err
}
