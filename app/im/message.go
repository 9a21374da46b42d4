package im

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/chatstate"
)

// Namespaces of delayed delivery: XEP-0203 and its legacy form XEP-0091.
const (
	NSDelay       = "urn:xmpp:delay"
	NSLegacyDelay = "jabber:x:delay"
)

// NSHints is the namespace of message processing hints (XEP-0334).
const NSHints = "urn:xmpp:hints"

// MaxBody is the longest message body kept, in bytes; longer ones are cut
// and marked Truncated.
const MaxBody = 1 << 20

// Message is a message stanza with the parts a chat client shows.
type Message struct {
	stanza.Message
	Body      string
	Subject   string
	Thread    string
	Truncated bool
	// Delay is the original send time of a delayed message, zero otherwise.
	Delay time.Time
	// DelayFrom and DelayReason are what the delay element says about it.
	DelayFrom   string
	DelayReason string
	// Err is set for messages of type error.
	Err *stanza.Error
	// ChatState is the chat state the message carries (XEP-0085), "" when none.
	ChatState chatstate.State
}

type wireMessage struct {
	Body    []wireText    `xml:"body"`
	Subject []wireText    `xml:"subject"`
	Thread  string        `xml:"thread"`
	Err     *stanza.Error `xml:"error"`
	Delay   []wireDelay   `xml:"delay"`
	XDelay  []wireDelay   `xml:"x"`
	State   wireChatState `xml:",any"`
}

// wireChatState keeps the first known chat state among the children it is
// given and skips everything else without storing it.
type wireChatState struct{ state chatstate.State }

// UnmarshalXML implements xml.Unmarshaler.
func (w *wireChatState) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if s, ok := chatstate.Parse(start.Name); ok && w.state == "" {
		w.state = s
	}
	return d.Skip()
}

type wireDelay struct {
	XMLName xml.Name
	Stamp   string `xml:"stamp,attr"`
	From    string `xml:"from,attr"`
	Reason  string `xml:",chardata"`
}

// DecodeMessage decodes the message stanza that start opens from r.
func DecodeMessage(r xml.TokenReader, start *xml.StartElement) (Message, error) {
	var m Message
	hdr, err := stanza.NewMessage(*start)
	if err != nil {
		return m, fmt.Errorf("malformed message: %w", err)
	}
	m.Message = hdr
	var w wireMessage
	if err := decodeElement(r, start, &w); err != nil {
		return m, fmt.Errorf("malformed message from %s: %w", hdr.From, err)
	}
	body := pickLang(w.Body, hdr.Lang)
	if len(body) > MaxBody {
		body, m.Truncated = clip(body, MaxBody), true
	}
	m.Body = body
	m.Subject = clip(pickLang(w.Subject, hdr.Lang), MaxStatus)
	m.Thread = clip(strings.TrimSpace(w.Thread), 256)
	m.Err = w.Err
	m.ChatState = w.State.state
	// XEP-0203 wins over the legacy XEP-0091 form when both are present.
	for _, d := range append(w.Delay, w.XDelay...) {
		if d.XMLName.Space != NSDelay && d.XMLName.Space != NSLegacyDelay {
			continue
		}
		t, ok := parseStamp(d.Stamp, d.XMLName.Space == NSLegacyDelay)
		if !ok {
			continue
		}
		m.Delay, m.DelayFrom, m.DelayReason = t, d.From, clip(strings.TrimSpace(d.Reason), MaxStatus)
		break
	}
	return m, nil
}

// parseStamp parses a XEP-0082 date-time, or the legacy CCYYMMDDThh:mm:ss.
func parseStamp(s string, legacy bool) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if legacy {
		if t, err := time.Parse("20060102T15:04:05", s); err == nil {
			return t.UTC(), true
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// TokenReader encodes m with its subject, body, thread and chat state (delay
// and errors are never sent by a client).
// A chat state without subject or body is a standalone notification: it
// also carries a no-store hint (XEP-0334) so that servers do not keep it
// for offline delivery or archive it.
func (m Message) TokenReader() xml.TokenReader {
	var inner []xml.TokenReader
	if m.Subject != "" {
		inner = append(inner, textElement("subject", m.Subject))
	}
	if m.Body != "" {
		inner = append(inner, textElement("body", m.Body))
	}
	if m.Thread != "" {
		inner = append(inner, textElement("thread", m.Thread))
	}
	if _, ok := chatstate.Parse(xml.Name{Space: chatstate.NS, Local: string(m.ChatState)}); ok {
		inner = append(inner, m.ChatState.TokenReader())
		if m.Body == "" && m.Subject == "" {
			inner = append(inner, xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: NSHints, Local: "no-store"}}))
		}
	}
	return m.Message.Wrap(xmlstream.MultiReader(inner...))
}

// WriteXML writes m to w.
func (m Message) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, m.TokenReader())
}
