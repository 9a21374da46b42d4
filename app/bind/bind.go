// Package bind is the client side of resource binding (RFC 6120 §7).
//
// It replaces mellium.im/xmpp's BindResource for clients: in mellium v0.23.0
// (bind.go, bindPayload.TokenReader) a requested resource is written as the
// text of the still empty JID, so <resource/> always goes out empty and the
// server picks a resource of its own.
package bind

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// NS is the namespace of resource binding.
const NS = "urn:ietf:params:xml:ns:xmpp-bind"

// maxResource bounds a requested resourcepart, in bytes (RFC 7622 §3.4).
const maxResource = 1023

// Feature returns a stream feature that binds the resourcepart of the
// session's local address (the origin JID given to xmpp.NewSession), or
// lets the server choose one when it has none.
//
// The bound address the server returns must be a full JID on the session's
// domain; the session's local address becomes that JID.
// A refusal is returned as a stanza.Error (RFC 6120 §7.6.2), e.g. conflict.
func Feature() xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:       xml.Name{Space: NS, Local: "bind"},
		Necessary:  xmpp.Authn,
		Prohibited: xmpp.Ready,
		Parse: func(ctx context.Context, d *xml.Decoder, start *xml.StartElement) (bool, interface{}, error) {
			return true, nil, d.Skip()
		},
		Negotiate: func(ctx context.Context, session *xmpp.Session, data interface{}) (xmpp.SessionState, io.ReadWriter, error) {
			local := session.LocalAddr()
			bound, err := Negotiate(ctx, session, local.Resourcepart())
			if err != nil {
				return 0, nil, err
			}
			if !strings.EqualFold(bound.Domainpart(), local.Domainpart()) {
				return 0, nil, fmt.Errorf("bind: the server bound %s, an address on another domain than %s", bound, local.Domainpart())
			}
			session.UpdateAddr(bound)
			return xmpp.Ready, nil, nil
		},
	}
}

// Negotiate asks the server to bind resource (the server chooses when it is
// empty) and returns the bound full JID.
// It reads and writes the session's token streams directly, as a stream
// feature must.
func Negotiate(ctx context.Context, session *xmpp.Session, resource string) (jid.JID, error) {
	if len(resource) > maxResource {
		return jid.JID{}, errors.New("bind: the resource is longer than 1023 bytes")
	}
	w := session.TokenWriter()
	defer w.Close()
	r := session.TokenReader()
	defer r.Close()

	id := "bind-" + rand.Text()
	var payload xml.TokenReader
	if resource != "" {
		payload = xmlstream.Wrap(xmlstream.Token(xml.CharData(resource)), xml.StartElement{Name: xml.Name{Local: "resource"}})
	}
	req := stanza.IQ{ID: id, Type: stanza.SetIQ}.Wrap(
		xmlstream.Wrap(payload, xml.StartElement{Name: xml.Name{Space: NS, Local: "bind"}}))
	if _, err := xmlstream.Copy(w, req); err != nil {
		return jid.JID{}, err
	}
	if err := w.Flush(); err != nil {
		return jid.JID{}, err
	}
	return readResult(xml.NewTokenDecoder(r), id)
}

// readResult reads the server's answer to the bind request with id.
func readResult(d *xml.Decoder, id string) (jid.JID, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return jid.JID{}, err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue // whitespace keepalives
		}
		if start.Name.Local != "iq" {
			return jid.JID{}, fmt.Errorf("bind: the server sent <%s/> instead of the bind result", start.Name.Local)
		}
		var resp struct {
			ID   string        `xml:"id,attr"`
			Type stanza.IQType `xml:"type,attr"`
			JID  string        `xml:"urn:ietf:params:xml:ns:xmpp-bind bind>jid"`
			Err  *stanza.Error `xml:"jabber:client error"`
		}
		if err := d.DecodeElement(&resp, &start); err != nil {
			return jid.JID{}, err
		}
		switch {
		case resp.ID != id:
			return jid.JID{}, fmt.Errorf("bind: the server answered %q, not the bind request", resp.ID)
		case resp.Type == stanza.ErrorIQ && resp.Err != nil:
			return jid.JID{}, *resp.Err
		case resp.Type == stanza.ErrorIQ:
			return jid.JID{}, stanza.Error{Condition: stanza.UndefinedCondition}
		case resp.Type != stanza.ResultIQ:
			return jid.JID{}, fmt.Errorf("bind: the server answered with an IQ of type %q", resp.Type)
		}
		bound, err := jid.Parse(strings.TrimSpace(resp.JID))
		if err != nil {
			return jid.JID{}, fmt.Errorf("bind: the server bound an invalid address: %w", err)
		}
		if bound.Localpart() == "" || bound.Resourcepart() == "" {
			return jid.JID{}, fmt.Errorf("bind: the server bound %q, not a full address", bound)
		}
		return bound, nil
	}
}
