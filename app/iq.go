package app

import (
	"context"
	"encoding/xml"
	"errors"

	"mellium.im/xmpp"
	"mellium.im/xmpp/stanza"
)

// writeIQ sends an IQ with payload and decodes an error reply into a
// stanza.Error; ok answers pass the response to read (which may be nil).
func writeIQ(ctx context.Context, sess *xmpp.Session, iq stanza.IQ, payload xml.TokenReader, read func(*xml.Decoder, *xml.StartElement) error) error {
	resp, err := sess.SendIQ(ctx, iq.Wrap(payload))
	if err != nil {
		return err
	}
	defer resp.Close()
	d := xml.NewTokenDecoder(resp)
	tok, err := d.Token()
	if err != nil {
		return err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return errors.New("malformed IQ response")
	}
	var typ string
	for _, a := range start.Attr {
		if a.Name.Local == "type" {
			typ = a.Value
		}
	}
	if typ == string(stanza.ErrorIQ) {
		var se stanza.Error
		for {
			tok, err := d.Token()
			if err != nil {
				return errors.New("the server answered with an error it did not explain")
			}
			if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "error" {
				if err := d.DecodeElement(&se, &s); err != nil {
					return err
				}
				return se
			} else if ok {
				if err := d.Skip(); err != nil {
					return err
				}
			}
		}
	}
	if read == nil {
		return nil
	}
	for {
		tok, err := d.Token()
		if err != nil {
			// A result without payload.
			return read(d, nil)
		}
		if s, ok := tok.(xml.StartElement); ok {
			return read(d, &s)
		}
		if _, ok := tok.(xml.EndElement); ok {
			return read(d, nil)
		}
	}
}
