package vcard

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// Get fetches the vCard of to, usually a bare JID; the zero JID asks for
// the account's own.
// It blocks until the answer arrives or ctx ends, and needs Serve to be
// running on s.
//
// A user without a profile gives an empty card and a nil error, whether the
// server answers with an empty vCard or with item-not-found.
// Other refusals come as an error that errors.As finds as a stanza.Error
// or a *stanza.Error.
// Photo problems are signalled as in Decode: the card comes with
// ErrPhotoTooLarge or ErrBadPhoto.
// Get is safe for concurrent use.
func Get(ctx context.Context, s *xmpp.Session, to jid.JID) (VCard, error) {
	return GetIQ(ctx, stanza.IQ{To: to}, s)
}

// GetIQ is Get with the IQ's attributes (to, id, ...) taken from iq; its
// type is set to get.
func GetIQ(ctx context.Context, iq stanza.IQ, s *xmpp.Session) (VCard, error) {
	iq.Type = stanza.GetIQ
	payload := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: NS, Local: "vCard"}})
	v, err := send(ctx, s, iq, payload)
	if se := (stanza.Error{}); errors.As(err, &se) && se.Condition == stanza.ItemNotFound {
		return VCard{}, nil
	}
	return v, err
}

// Set publishes v as the account's own vCard, replacing the one stored;
// an empty v clears it.
// It blocks until the server answers or ctx ends, and needs Serve to be
// running on s.
// A refusal comes as an error that errors.As finds as a stanza.Error or a
// *stanza.Error; NotAllowed tells whether it means that the server does not
// let the user change the profile.
// Set is safe for concurrent use.
func Set(ctx context.Context, s *xmpp.Session, v VCard) error {
	return SetIQ(ctx, stanza.IQ{}, s, v)
}

// SetIQ is Set with the IQ's attributes taken from iq; its type is set to
// set. Servers refuse a to other than the account's own.
func SetIQ(ctx context.Context, iq stanza.IQ, s *xmpp.Session, v VCard) error {
	iq.Type = stanza.SetIQ
	_, err := send(ctx, s, iq, v.TokenReader())
	return err
}

// send sends iq with payload and decodes the answer.
func send(ctx context.Context, s *xmpp.Session, iq stanza.IQ, payload xml.TokenReader) (v VCard, err error) {
	resp, err := s.SendIQElement(ctx, payload, iq)
	if err != nil {
		return VCard{}, err
	}
	defer func() {
		if cerr := resp.Close(); err == nil && cerr != nil {
			v, err = VCard{}, cerr
		}
	}()
	tok, err := resp.Token()
	if err != nil {
		return VCard{}, fmt.Errorf("vcard: reading the answer: %w", err)
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return VCard{}, fmt.Errorf("vcard: expected an IQ, got %T", tok)
	}
	return DecodeIQ(resp, &start)
}

// NotAllowed reports whether err is a stanza error by which the server
// says that it does not let the user change the vCard at all: forbidden,
// not-allowed, feature-not-implemented or service-unavailable.
// bad-request, not-acceptable and the like are not: they are about the
// card sent (such as its size), and another card may be accepted.
func NotAllowed(err error) bool {
	var se stanza.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Condition {
	case stanza.Forbidden, stanza.NotAllowed, stanza.FeatureNotImplemented, stanza.ServiceUnavailable:
		return true
	}
	return false
}

// iqError is an error answer. errors.As finds it as a stanza.Error (by
// Unwrap) or as a *stanza.Error (by As).
type iqError struct {
	err stanza.Error
}

func (e *iqError) Error() string {
	msg := "vcard: the server answered " + string(e.err.Condition)
	if len(e.err.Text) > 0 {
		msg += ": " + e.err.Error()
	}
	return msg
}

func (e *iqError) Unwrap() error { return e.err }

func (e *iqError) As(target any) bool {
	if p, ok := target.(**stanza.Error); ok {
		se := e.err
		*p = &se
		return true
	}
	return false
}
