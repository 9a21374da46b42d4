package im

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
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

// NSCorrect is the namespace of last message correction (XEP-0308).
const NSCorrect = "urn:xmpp:message-correct:0"

// Namespaces of out-of-band data (XEP-0066), message reactions
// (XEP-0444), message replies (XEP-0461) and fallback indication
// (XEP-0428).
const (
	NSOOB       = "jabber:x:oob"
	NSReactions = "urn:xmpp:reactions:0"
	NSReply     = "urn:xmpp:reply:0"
	NSFallback  = "urn:xmpp:fallback:0"
)

// NSOccupantID is the namespace of anonymous unique occupant identifiers
// (XEP-0421): a room that announces it stamps each occupant's messages
// with an id that stays the same for the same real JID, whatever its
// nickname, and removes any that an occupant wrote.
const NSOccupantID = "urn:xmpp:occupant-id:0"

// Limits of the parts of a message that carry URLs and reactions: a longer
// URL is ignored as if absent, the description is cut, further reactions
// and longer ones are dropped.
const (
	MaxURLLen      = 4096
	MaxOOBDesc     = 1024
	MaxReactions   = 20
	MaxReactionLen = 64
)

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

	// StanzaIDs are the XEP-0359 stanza ids that entities on the way (the
	// account's server, a group chat service) stamped on the message, the
	// last MaxStanzaIDs of them. Anybody can write one: use StanzaIDBy,
	// never this list directly, to pick the one to trust. Never sent.
	StanzaIDs []StanzaID
	// OriginID is the sender's own XEP-0359 id for the message, "" when
	// none; it is sent when set (and at most MaxIDLen bytes long). Unlike
	// the stanza id it is chosen by the sender, so it proves nothing: it
	// only helps the sender recognise its own message in a carbon or the
	// archive.
	OriginID string
	// ReceiptRequested is set when the sender asks for a delivery receipt
	// (XEP-0184). It is never set on a receipt or on an error. A message
	// with ReceiptRequested is sent with a request only when it has an id
	// (XEP-0184 §5: the receipt refers to it).
	ReceiptRequested bool
	// ReceiptFor is, on a delivery receipt (XEP-0184), the id of the
	// message it acknowledges; "" on other messages and on errors. A receipt without an
	// id attribute (XEP-0184 before 1.1) acknowledges the message whose id
	// it repeats as its own. On an outgoing message, ReceiptFor makes it a
	// receipt: it carries no receipt request then, and when it has no body
	// or subject it carries a store hint (see TokenReader).
	ReceiptFor string
	// CarbonPrivate is set on a message that asks not to be copied to the
	// sender's other clients (XEP-0280 §6, <private/>); an outgoing one
	// carries <private/> and the XEP-0334 <no-copy/> hint.
	CarbonPrivate bool
	// Forwarded is a message carried inside this one: a carbon copy
	// (XEP-0280) or an archive query result (XEP-0313); nil otherwise.
	// Read the warning on Forwarded before using it: only the account's own
	// server may send one (see Message.FromAccount).
	Forwarded *Forwarded
	// Replace is, on a correction (XEP-0308), the id of the message it
	// corrects; "" otherwise (also when the id is empty or longer than
	// MaxIDLen). The first <replace/> counts. It is sent when set.
	// Anybody may send one: the receiver must check that the corrected
	// message came from the same sender.
	Replace string
	// OOB is the URL of out-of-band data the message points to (XEP-0066):
	// a file shared by HTTP upload (XEP-0363) carries its URL both here and
	// in the body. "" when none (or longer than MaxURLLen); the first
	// <x xmlns='jabber:x:oob'/> counts. It is sent when set.
	OOB string
	// OOBDesc is the description the OOB element gives, at most MaxOOBDesc
	// bytes; it is sent when OOB is.
	OOBDesc string
	// Reactions, when not nil, replaces the sender's reactions to one
	// message (XEP-0444). It is sent when set.
	Reactions *Reactions
	// Reply, when not nil, says which message this one answers (XEP-0461).
	// It is sent when set.
	Reply *Reply
	// OccupantID is the id a room gave the occupant who sent this
	// groupchat message (XEP-0421, <occupant-id/>): "" when there is none,
	// when it is longer than MaxIDLen, or when the message carries
	// several different ones. Anybody can write one: trust it only from a
	// room that announces NSOccupantID (which removes forged ones). Never
	// sent.
	OccupantID string
}

// Reactions are one sender's reactions to one message (XEP-0444): the
// whole set, which replaces what the sender reacted before; an empty set
// takes them all back.
type Reactions struct {
	// ID is the id of the message reacted to: its stanza id in a group
	// chat, its message id in a 1:1 chat.
	ID string
	// Emojis are the reactions, each once, at most MaxReactions of them,
	// each at most MaxReactionLen bytes; blank ones are dropped.
	Emojis []string
}

// Reply says which message a message answers (XEP-0461), and which part
// of its body is the quotation for clients that do not know replies
// (XEP-0428 fallback).
type Reply struct {
	// To is the JID of the author of the message answered ("" when not
	// given).
	To string
	// ID is the id of the message answered.
	ID string
	// Fallback, when HasFallback is set, is the part of the body (in
	// Unicode code points, start included, end excluded) that quotes the
	// message answered, to be hidden by clients that show the reply.
	FallbackStart, FallbackEnd int
	HasFallback                bool
}

// FallbackRange returns the byte range of body that r's fallback names,
// and whether it names a valid one (within body, start before end).
func (r Reply) FallbackRange(body string) (start, end int, ok bool) {
	if !r.HasFallback || r.FallbackStart < 0 || r.FallbackEnd <= r.FallbackStart {
		return 0, 0, false
	}
	start, end = -1, -1
	n := 0
	for i := range body {
		if n == r.FallbackStart {
			start = i
		}
		if n == r.FallbackEnd {
			end = i
			break
		}
		n++
	}
	if end < 0 && n == r.FallbackEnd {
		end = len(body)
	}
	if start < 0 || end < 0 {
		return 0, 0, false
	}
	return start, end, true
}

// StanzaID is a XEP-0359 stanza id: the id the entity By gave the message.
type StanzaID struct {
	ID string
	// By is the JID of the entity that set the id, in its normal form.
	By string
}

// Namespaces of unique stanza ids (XEP-0359) and delivery receipts
// (XEP-0184).
const (
	NSSID      = "urn:xmpp:sid:0"
	NSReceipts = "urn:xmpp:receipts"
)

// MaxIDLen is the longest id (stanza id, origin id, receipt id, archive id,
// query id) kept, in bytes; a longer one is ignored as if absent, and never
// sent.
const MaxIDLen = 256

// MaxStanzaIDs is the number of stanza ids kept on a message.
const MaxStanzaIDs = 8

// StanzaIDBy returns the stanza id that by gave the message, "" when there
// is none or when there are several different ones (somebody is lying).
// by is a JID, compared in its normal form.
//
// Only an id set by an entity that removes forged ones may be trusted
// (XEP-0359 §6): for a 1:1 message that is the account's own server, so by
// is the account's bare JID (im.Bare of it), and only when the server
// announces urn:xmpp:sid:0 (or urn:xmpp:mam:2); for a group chat message,
// the room's bare JID when the room announces it. Any other by, or a
// server that does not strip them, gives an id the sender chose.
func (m Message) StanzaIDBy(by string) string {
	j, err := jid.Parse(by)
	if err != nil {
		return ""
	}
	want, id := j.String(), ""
	for _, s := range m.StanzaIDs {
		if s.By != want {
			continue
		}
		if id != "" && id != s.ID {
			return ""
		}
		id = s.ID
	}
	return id
}

// FromAccount reports whether m comes from the account whose bare JID is
// account: its from is that bare JID, or absent, which means the same (RFC
// 6120 §8.1.2.1). A full JID of the account (another of its clients) does
// not count. Only such a message may carry a carbon or an archive result.
func (m Message) FromAccount(account string) bool {
	if m.From.String() == "" {
		return true
	}
	own, err := jid.Parse(account)
	if err != nil {
		return false
	}
	return m.From.Resourcepart() == "" && m.From.Equal(own.Bare())
}

type wireMessage struct {
	Body    []wireText    `xml:"body"`
	Subject []wireText    `xml:"subject"`
	Thread  string        `xml:"thread"`
	Err     *stanza.Error `xml:"error"`
	Delay   []wireDelay   `xml:"delay"`
	Ext     wireExt       `xml:",any"`
}

// wireExt collects the extension children of a message: it keeps what it
// knows (the first known chat state, stanza ids, receipts, carbons and
// archive results) and skips everything else without storing it.
type wireExt struct {
	// nested is set for a forwarded message, which cannot forward another.
	nested    bool
	state     chatstate.State
	stanzaIDs []StanzaID
	originID  string
	request   bool
	received  bool
	// receivedID is the id attribute of the first <received/>.
	receivedID string
	private    bool
	// replace is the id of the first <replace/>; replaced is set once one
	// was seen.
	replace  string
	replaced bool
	// wrappers counts the carbon and archive result elements; fwd is what
	// the first one held, when usable.
	wrappers int
	fwd      *Forwarded
	// xdelay is the first legacy delay (XEP-0091), oob the first
	// out-of-band element, reactions the first reactions element, reply
	// the first reply and fallback the first reply fallback.
	xdelay    *wireDelay
	oob       *wireOOB
	reactions *Reactions
	reply     *Reply
	fallback  *wireFallback
	// occupantID is the occupant id (XEP-0421) the message carries;
	// occupantIDs counts the <occupant-id/> elements, occupantIDBad is set
	// when one was unusable or differed from the first.
	occupantID    string
	occupantIDs   int
	occupantIDBad bool
}

type wireOOB struct {
	URL  string `xml:"url"`
	Desc string `xml:"desc"`
}

type wireFallback struct {
	Bodies []struct {
		Start string `xml:"start,attr"`
		End   string `xml:"end,attr"`
	} `xml:"body"`
}

// UnmarshalXML implements xml.Unmarshaler.
func (w *wireExt) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if s, ok := chatstate.Parse(start.Name); ok {
		if w.state == "" {
			w.state = s
		}
		return d.Skip()
	}
	switch start.Name {
	case xml.Name{Space: NSSID, Local: "stanza-id"}:
		id, by := idAttr(start, "id"), attr(start, "by")
		if b, err := jid.Parse(by); id != "" && err == nil {
			if len(w.stanzaIDs) == MaxStanzaIDs {
				// Servers append their id: the last ones are those that
				// matter, the first ones may be a sender's padding.
				w.stanzaIDs = append(w.stanzaIDs[:0], w.stanzaIDs[1:]...)
			}
			w.stanzaIDs = append(w.stanzaIDs, StanzaID{ID: id, By: b.String()})
		}
	case xml.Name{Space: NSSID, Local: "origin-id"}:
		if w.originID == "" {
			w.originID = idAttr(start, "id")
		}
	case xml.Name{Space: NSReceipts, Local: "request"}:
		w.request = true
	case xml.Name{Space: NSReceipts, Local: "received"}:
		if !w.received {
			w.received, w.receivedID = true, attr(start, "id")
		}
	case xml.Name{Space: NSCarbons, Local: "private"}:
		w.private = true
	case xml.Name{Space: NSCorrect, Local: "replace"}:
		if !w.replaced {
			w.replaced, w.replace = true, idAttr(start, "id")
		}
	case xml.Name{Space: NSLegacyDelay, Local: "x"}:
		if w.xdelay == nil {
			var dl wireDelay
			if err := d.DecodeElement(&dl, &start); err != nil {
				return err
			}
			w.xdelay = &dl
			return nil
		}
	case xml.Name{Space: NSOOB, Local: "x"}:
		if w.oob == nil {
			var o wireOOB
			if err := d.DecodeElement(&o, &start); err != nil {
				return err
			}
			w.oob = &o
			return nil
		}
	case xml.Name{Space: NSReactions, Local: "reactions"}:
		if w.reactions == nil {
			return w.decodeReactions(d, start)
		}
	case xml.Name{Space: NSReply, Local: "reply"}:
		if w.reply == nil {
			w.reply = &Reply{To: attr(start, "to"), ID: idAttr(start, "id")}
		}
	case xml.Name{Space: NSOccupantID, Local: "occupant-id"}:
		id := idAttr(start, "id")
		switch {
		case id == "" || (w.occupantIDs > 0 && id != w.occupantID):
			w.occupantIDBad = true
		case w.occupantIDs == 0:
			w.occupantID = id
		}
		w.occupantIDs++
	case xml.Name{Space: NSFallback, Local: "fallback"}:
		if w.fallback == nil && attr(start, "for") == NSReply {
			var f wireFallback
			if err := d.DecodeElement(&f, &start); err != nil {
				return err
			}
			w.fallback = &f
			return nil
		}
	case xml.Name{Space: NSCarbons, Local: "received"},
		xml.Name{Space: NSCarbons, Local: "sent"},
		xml.Name{Space: NSMAM, Local: "result"}:
		if w.nested {
			break // one level only
		}
		w.wrappers++
		if w.wrappers > 1 {
			w.fwd = nil // which one is meant? none
			break
		}
		f, err := decodeWrapper(d, start)
		w.fwd = f
		return err
	}
	return d.Skip()
}

// decodeReactions reads the reactions element that start opens, keeping
// at most MaxReactions distinct reactions of at most MaxReactionLen bytes.
func (w *wireExt) decodeReactions(d *xml.Decoder, start xml.StartElement) error {
	rs := &Reactions{ID: idAttr(start, "id")}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name != (xml.Name{Space: NSReactions, Local: "reaction"}) || len(rs.Emojis) == MaxReactions {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			var text string
			if err := d.DecodeElement(&text, &t); err != nil {
				return err
			}
			text = strings.TrimSpace(text)
			if text != "" && len(text) <= MaxReactionLen && !slices.Contains(rs.Emojis, text) {
				rs.Emojis = append(rs.Emojis, text)
			}
		case xml.EndElement:
			if rs.ID != "" {
				w.reactions = rs
			}
			return nil
		}
	}
}

// attr returns the value of start's attribute name (without namespace).
func attr(start xml.StartElement, name string) string {
	for _, a := range start.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// idAttr returns start's attribute name when it is a usable id: not empty
// and at most MaxIDLen bytes long; "" otherwise.
func idAttr(start xml.StartElement, name string) string {
	return validID(attr(start, name))
}

// validID returns id when it is not empty and at most MaxIDLen bytes long,
// else "".
func validID(id string) string {
	if len(id) > MaxIDLen {
		return ""
	}
	return id
}

type wireDelay struct {
	XMLName xml.Name
	Stamp   string `xml:"stamp,attr"`
	From    string `xml:"from,attr"`
	Reason  string `xml:",chardata"`
}

// DecodeMessage decodes the message stanza that start opens from r.
//
// A carbon or an archive result (XEP-0280, XEP-0313) is decoded into
// Forwarded, the message it carries decoded by the same rules; a message
// forwarded inside that one is ignored. Malformed extensions are ignored
// as if absent; only malformed XML or a malformed header is an error.
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
	return w.message(hdr), nil
}

// message builds the message that w and its header hdr make.
func (w *wireMessage) message(hdr stanza.Message) Message {
	m := Message{Message: hdr}
	body := pickLang(w.Body, hdr.Lang)
	if len(body) > MaxBody {
		body, m.Truncated = Clip(body, MaxBody), true
	}
	m.Body = body
	m.Subject = Clip(pickLang(w.Subject, hdr.Lang), MaxStatus)
	m.Thread = Clip(strings.TrimSpace(w.Thread), 256)
	m.Err = w.Err
	m.ChatState = w.Ext.state
	// XEP-0203 wins over the legacy XEP-0091 form when both are present.
	delays := w.Delay
	if w.Ext.xdelay != nil {
		delays = append(delays, *w.Ext.xdelay)
	}
	for _, d := range delays {
		if d.XMLName.Space != NSDelay && d.XMLName.Space != NSLegacyDelay {
			continue
		}
		t, ok := parseStamp(d.Stamp, d.XMLName.Space == NSLegacyDelay)
		if !ok {
			continue
		}
		m.Delay, m.DelayFrom, m.DelayReason = t, d.From, Clip(strings.TrimSpace(d.Reason), MaxStatus)
		break
	}
	m.StanzaIDs = w.Ext.stanzaIDs
	m.OriginID = w.Ext.originID
	if w.Ext.received && hdr.Type != stanza.ErrorMessage {
		// XEP-0184 1.0 receipts had no id of their own: the receipt
		// repeated the message's id.
		id := w.Ext.receivedID
		if id == "" {
			id = hdr.ID
		}
		m.ReceiptFor = validID(id)
	}
	// XEP-0184 §5.4: never answer a receipt with a receipt (loops); an
	// error (a bounce, which repeats what was sent) is neither a request
	// nor a receipt.
	m.ReceiptRequested = w.Ext.request && !w.Ext.received && hdr.Type != stanza.ErrorMessage
	m.CarbonPrivate = w.Ext.private
	m.Forwarded = w.Ext.fwd
	if !w.Ext.occupantIDBad {
		m.OccupantID = w.Ext.occupantID
	}
	if hdr.Type != stanza.ErrorMessage {
		m.Replace = w.Ext.replace
		if o := w.Ext.oob; o != nil {
			if u := strings.TrimSpace(o.URL); u != "" && len(u) <= MaxURLLen {
				m.OOB, m.OOBDesc = u, Clip(strings.TrimSpace(o.Desc), MaxOOBDesc)
			}
		}
		m.Reactions = w.Ext.reactions
		if r := w.Ext.reply; r != nil && r.ID != "" {
			reply := *r
			if len(reply.To) > MaxURLLen {
				reply.To = ""
			}
			if f := w.Ext.fallback; f != nil && len(f.Bodies) == 1 {
				s, serr := strconv.Atoi(f.Bodies[0].Start)
				e, eerr := strconv.Atoi(f.Bodies[0].End)
				if serr == nil && eerr == nil && s >= 0 && e > s {
					reply.FallbackStart, reply.FallbackEnd, reply.HasFallback = s, e, true
				}
			}
			m.Reply = &reply
		}
	}
	return m
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

// TokenReader encodes m with its subject, body, thread, chat state, origin
// id, receipt request or receipt, carbon privacy and correction (delay, stanza ids,
// forwarded messages and errors are never sent by a client).
//
// A chat state without subject or body is a standalone notification: it
// also carries a no-store hint (XEP-0334) so that servers do not keep it
// for offline delivery or archive it.
//
// A receipt without subject or body carries a store hint (XEP-0334 §4.4)
// instead, and never no-store: the sender may be offline, and its receipt
// must wait for it in offline storage and in its archive (servers such as
// Prosody archive a message without a body only with that hint). This
// departs from XEP-0184 §5's "SHOULD contain only one child element" in
// the way other clients (Conversations) do.
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
	content := m.Body != "" || m.Subject != ""
	receipt := validID(m.ReceiptFor)
	if _, ok := chatstate.Parse(xml.Name{Space: chatstate.NS, Local: string(m.ChatState)}); ok {
		inner = append(inner, m.ChatState.TokenReader())
		if !content && receipt == "" {
			inner = append(inner, emptyElement(NSHints, "no-store"))
		}
	}
	if receipt != "" {
		inner = append(inner, emptyElement(NSReceipts, "received", xml.Attr{Name: xml.Name{Local: "id"}, Value: receipt}))
		if !content {
			inner = append(inner, emptyElement(NSHints, "store"))
		}
	} else if m.ReceiptRequested && m.ID != "" && m.Type != stanza.ErrorMessage {
		inner = append(inner, emptyElement(NSReceipts, "request"))
	}
	if id := validID(m.OriginID); id != "" {
		inner = append(inner, emptyElement(NSSID, "origin-id", xml.Attr{Name: xml.Name{Local: "id"}, Value: id}))
	}
	if m.CarbonPrivate {
		inner = append(inner, emptyElement(NSCarbons, "private"), emptyElement(NSHints, "no-copy"))
	}
	if id := validID(m.Replace); id != "" {
		inner = append(inner, emptyElement(NSCorrect, "replace", xml.Attr{Name: xml.Name{Local: "id"}, Value: id}))
	}
	if m.OOB != "" && len(m.OOB) <= MaxURLLen {
		parts := []xml.TokenReader{textElement("url", m.OOB)}
		if m.OOBDesc != "" {
			parts = append(parts, textElement("desc", Clip(m.OOBDesc, MaxOOBDesc)))
		}
		inner = append(inner, xmlstream.Wrap(xmlstream.MultiReader(parts...), xml.StartElement{Name: xml.Name{Space: NSOOB, Local: "x"}}))
	}
	if rs := m.Reactions; rs != nil && validID(rs.ID) != "" {
		var parts []xml.TokenReader
		for _, e := range rs.Emojis {
			if e != "" && len(e) <= MaxReactionLen && len(parts) < MaxReactions {
				parts = append(parts, textElement("reaction", e))
			}
		}
		inner = append(inner, xmlstream.Wrap(xmlstream.MultiReader(parts...),
			xml.StartElement{Name: xml.Name{Space: NSReactions, Local: "reactions"}, Attr: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: rs.ID}}}))
		if !content {
			// XEP-0444 §4.2: archive the reaction even without a body.
			inner = append(inner, emptyElement(NSHints, "store"))
		}
	}
	if r := m.Reply; r != nil && validID(r.ID) != "" {
		attrs := []xml.Attr{{Name: xml.Name{Local: "id"}, Value: r.ID}}
		if r.To != "" {
			attrs = append([]xml.Attr{{Name: xml.Name{Local: "to"}, Value: r.To}}, attrs...)
		}
		inner = append(inner, emptyElement(NSReply, "reply", attrs...))
		if _, _, ok := r.FallbackRange(m.Body); ok {
			inner = append(inner, xmlstream.Wrap(
				emptyElement("", "body",
					xml.Attr{Name: xml.Name{Local: "start"}, Value: strconv.Itoa(r.FallbackStart)},
					xml.Attr{Name: xml.Name{Local: "end"}, Value: strconv.Itoa(r.FallbackEnd)}),
				xml.StartElement{Name: xml.Name{Space: NSFallback, Local: "fallback"}, Attr: []xml.Attr{{Name: xml.Name{Local: "for"}, Value: NSReply}}}))
		}
	}
	return m.Message.Wrap(xmlstream.MultiReader(inner...))
}

// emptyElement returns the element space:local with attrs and no content.
func emptyElement(space, local string, attrs ...xml.Attr) xml.TokenReader {
	return xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: space, Local: local}, Attr: attrs})
}

// WriteXML writes m to w.
func (m Message) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, m.TokenReader())
}
