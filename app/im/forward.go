package im

import (
	"encoding/xml"
	"time"

	"mellium.im/xmpp/stanza"
)

// Namespaces of forwarded messages (XEP-0297), message carbons (XEP-0280)
// and the client stream's stanzas (RFC 6120), which a forwarded message is
// in.
const (
	NSForward = "urn:xmpp:forward:0"
	NSCarbons = "urn:xmpp:carbons:2"
	NSClient  = "jabber:client"
)

// ForwardKind says why a message was forwarded.
type ForwardKind int

// Kinds of forwarded messages.
const (
	// CarbonReceived is a copy of a message another client of the account
	// received (XEP-0280 <received/>).
	CarbonReceived ForwardKind = iota + 1
	// CarbonSent is a copy of a message another client of the account sent
	// (XEP-0280 <sent/>): its To is the peer.
	CarbonSent
	// ArchiveResult is a message from the server's archive, an answer to an
	// ArchiveQuery (XEP-0313 <result/>).
	ArchiveResult
)

var forwardKindNames = [...]string{"", "carbon received", "carbon sent", "archive result"}

// String returns a name for k, for logs.
func (k ForwardKind) String() string {
	if k <= 0 || int(k) >= len(forwardKindNames) {
		return "unknown"
	}
	return forwardKindNames[k]
}

// Forwarded is a message forwarded inside another one (XEP-0297): a
// carbon copy (XEP-0280) or an archive query result (XEP-0313).
//
// SECURITY: anybody can send a message that holds a carbon or an archive
// result. Only those the account's own server sends are real: the caller
// MUST check the outer message with Message.FromAccount (its from is the
// account's bare JID, or absent) and drop the forwarded message otherwise.
// A carbon from anybody else is a forgery that puts words in a contact's
// mouth (CVE-2017-5589 and its kin in many clients). An archive result
// must also answer a query the caller sent: QueryID is that query's id.
type Forwarded struct {
	Kind ForwardKind
	// QueryID is the queryid of an archive result ("" when absent or
	// longer than MaxIDLen).
	QueryID string
	// ResultID is the archive id of an archive result, which is also the
	// stanza id the account's server gave the message (XEP-0313 §4.1.3);
	// "" when absent or longer than MaxIDLen.
	ResultID string
	// Delay is when the forwarding entity got the message (the XEP-0203
	// stamp of <forwarded/>), zero when not given. For an archive result
	// this is when the server archived it.
	Delay time.Time
	// Msg is the forwarded message, decoded like any other, except that
	// its own Forwarded is always nil: one level only.
	Msg Message
}

// decodeWrapper decodes a carbon or archive result element that start
// opens. It returns nil when the element does not hold exactly one
// forwarded message. The element is consumed in either case.
func decodeWrapper(d *xml.Decoder, start xml.StartElement) (*Forwarded, error) {
	f := &Forwarded{}
	switch start.Name.Local {
	case "received":
		f.Kind = CarbonReceived
	case "sent":
		f.Kind = CarbonSent
	default:
		f.Kind = ArchiveResult
		f.QueryID, f.ResultID = idAttr(start, "queryid"), idAttr(start, "id")
	}
	n, ok := 0, false
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name != (xml.Name{Space: NSForward, Local: "forwarded"}) {
				if err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			n++
			if n > 1 {
				if err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			ok, err = decodeForwarded(d, t, f)
			if err != nil {
				return nil, err
			}
		case xml.EndElement:
			if n != 1 || !ok {
				return nil, nil
			}
			return f, nil
		}
	}
}

// decodeForwarded decodes the XEP-0297 <forwarded/> element that start
// opens into f. It reports whether the element held exactly one message in
// the jabber:client namespace with a well-formed header; other children
// than a delay and that message are ignored.
func decodeForwarded(d *xml.Decoder, start xml.StartElement, f *Forwarded) (bool, error) {
	msgs, good, delay := 0, false, false
	for {
		tok, err := d.Token()
		if err != nil {
			return false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name == xml.Name{Space: NSDelay, Local: "delay"} && !delay:
				delay = true
				if stamp, ok := parseStamp(attr(t, "stamp"), false); ok {
					f.Delay = stamp
				}
			case t.Name == xml.Name{Space: NSClient, Local: "message"}:
				msgs++
				if msgs > 1 {
					break
				}
				hdr, err := stanza.NewMessage(t)
				if err != nil {
					break // its addresses are not JIDs: unusable
				}
				w := wireMessage{Ext: wireExt{nested: true}}
				if err := d.DecodeElement(&w, &t); err != nil {
					return false, err
				}
				f.Msg, good = w.message(hdr), true
				continue
			}
			if err := d.Skip(); err != nil {
				return false, err
			}
		case xml.EndElement:
			return msgs == 1 && good, nil
		}
	}
}
