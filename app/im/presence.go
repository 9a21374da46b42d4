// Package im implements the parts of RFC 6121 (XMPP Instant Messaging and
// Presence) that mellium.im/xmpp leaves to the client: presence with show,
// status and priority, and chat messages with body, thread, delay and errors.
//
// Decoders take a token stream positioned just after a stanza's start element,
// limit what they keep, and never panic on hostile input.
package im

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/vcard"
)

// MaxStatus is the longest status text kept, in bytes; longer ones are cut.
const MaxStatus = 4096

// Show is the availability sub-state of available presence (RFC 6121 §4.7.2.1).
type Show int

// Availability, ordered from most to least reachable; Offline is last.
const (
	Chat Show = iota
	Available
	Away
	DND
	XA
	Offline
)

var showNames = [...]string{"chat", "", "away", "dnd", "xa", "offline"}

// String returns the wire form of s ("" for Available, "offline" for Offline).
func (s Show) String() string {
	if s < 0 || int(s) >= len(showNames) {
		return "Show(" + strconv.Itoa(int(s)) + ")"
	}
	return showNames[s]
}

// ParseShow parses the content of a <show/> element.
// Unknown values count as Available, as RFC 6121 §4.7.2.1 suggests.
func ParseShow(s string) Show {
	switch strings.TrimSpace(s) {
	case "chat":
		return Chat
	case "away":
		return Away
	case "xa":
		return XA
	case "dnd":
		return DND
	}
	return Available
}

// Presence is a presence stanza with its RFC 6121 children.
type Presence struct {
	stanza.Presence
	Show     Show
	Status   string
	Priority int8
	// Nick is a XEP-0172 nickname, sent with subscription requests.
	Nick string
	// Err is set for presence of type error.
	Err *stanza.Error
	// Photo is what the presence says about the sender's vCard picture
	// (XEP-0153); PhotoHash is the picture's hash when Photo is PhotoSet.
	Photo     PhotoUpdate
	PhotoHash string
}

// PhotoUpdate is what a presence says about the sender's vCard picture
// (XEP-0153 §4.1).
type PhotoUpdate int

// The cases of XEP-0153 §4.1.
const (
	// PhotoUnknown: the presence has no <x xmlns='vcard-temp:x:update'/>, or
	// its <photo/> holds something other than a SHA-1 hash. It says nothing
	// about the picture.
	PhotoUnknown PhotoUpdate = iota
	// PhotoNotReady: <x/> without <photo/>. The sender is not yet ready to
	// advertise a picture (it has not fetched its own vCard): keep what you
	// have and wait for a later presence.
	PhotoNotReady
	// PhotoNone: <x><photo/></x> with an empty <photo/>. The sender has no
	// picture.
	PhotoNone
	// PhotoSet: <x><photo>hash</photo></x>. The sender's picture has the
	// SHA-1 hash in PhotoHash (40 lower-case hex digits); fetch the vCard
	// when no picture with that hash is cached.
	PhotoSet
)

// IsAvailable reports whether p announces an available resource.
func (p Presence) IsAvailable() bool {
	return p.Type == stanza.AvailablePresence && p.Show != Offline
}

type wirePresence struct {
	Show     string        `xml:"show"`
	Status   []wireText    `xml:"status"`
	Priority string        `xml:"priority"`
	Nick     string        `xml:"http://jabber.org/protocol/nick nick"`
	Err      *stanza.Error `xml:"error"`
	Update   wireUpdate    `xml:"vcard-temp:x:update x"`
}

// wireUpdate keeps the first XEP-0153 <x/> and the first <photo/> in it.
type wireUpdate struct {
	present, hasPhoto bool
	photo             string
}

// UnmarshalXML implements xml.Unmarshaler.
func (u *wireUpdate) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if u.present {
		return d.Skip()
	}
	u.present = true
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if u.hasPhoto || t.Name != (xml.Name{Space: vcard.NSUpdate, Local: "photo"}) {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			var s string
			if err := d.DecodeElement(&s, &t); err != nil {
				return err
			}
			u.hasPhoto, u.photo = true, s
		case xml.EndElement:
			return nil
		}
	}
}

// result returns what u says (XEP-0153 §4.1); a malformed hash says nothing.
func (u wireUpdate) result() (PhotoUpdate, string) {
	switch {
	case !u.present:
		return PhotoUnknown, ""
	case !u.hasPhoto:
		return PhotoNotReady, ""
	}
	h := strings.TrimSpace(u.photo)
	if h == "" {
		return PhotoNone, ""
	}
	if !isSHA1Hex(h) {
		return PhotoUnknown, ""
	}
	return PhotoSet, strings.ToLower(h)
}

// isSHA1Hex reports whether s is a SHA-1 hash in hex, either case
// (XEP-0153 §3.1 asks to accept both).
func isSHA1Hex(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

type wireText struct {
	Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Text string `xml:",chardata"`
}

// DecodePresence decodes the presence stanza that start opens from r.
func DecodePresence(r xml.TokenReader, start *xml.StartElement) (Presence, error) {
	var p Presence
	hdr, err := stanza.NewPresence(*start)
	if err != nil {
		return p, fmt.Errorf("malformed presence: %w", err)
	}
	p.Presence = hdr
	var w wirePresence
	if err := decodeElement(r, start, &w); err != nil {
		return p, fmt.Errorf("malformed presence from %s: %w", hdr.From, err)
	}
	p.Show = ParseShow(w.Show)
	if p.Type == stanza.UnavailablePresence {
		p.Show = Offline
	}
	p.Status = Clip(pickLang(w.Status, hdr.Lang), MaxStatus)
	if w.Priority != "" {
		n, err := strconv.Atoi(strings.TrimSpace(w.Priority))
		switch {
		case err != nil:
		case n > 127:
			p.Priority = 127
		case n < -128:
			p.Priority = -128
		default:
			p.Priority = int8(n)
		}
	}
	p.Nick = Clip(strings.TrimSpace(w.Nick), 256)
	p.Err = w.Err
	p.Photo, p.PhotoHash = w.Update.result()
	return p, nil
}

// TokenReader encodes p as a presence stanza.
// Available presence carries p.Photo (XEP-0153) unless it is PhotoUnknown;
// PhotoSet with a PhotoHash that is not a SHA-1 hash is sent as
// PhotoNotReady rather than as a malformed hash.
func (p Presence) TokenReader() xml.TokenReader {
	var inner []xml.TokenReader
	if p.Type == stanza.AvailablePresence && p.Show != Available && p.Show != Offline {
		inner = append(inner, textElement("show", p.Show.String()))
	}
	if p.Status != "" {
		inner = append(inner, textElement("status", p.Status))
	}
	if p.Type == stanza.AvailablePresence && p.Priority != 0 {
		inner = append(inner, textElement("priority", strconv.Itoa(int(p.Priority))))
	}
	if p.Nick != "" {
		inner = append(inner, xmlstream.Wrap(xmlstream.Token(xml.CharData(p.Nick)),
			xml.StartElement{Name: xml.Name{Space: "http://jabber.org/protocol/nick", Local: "nick"}}))
	}
	if p.Type == stanza.AvailablePresence {
		if x := p.photoUpdate(); x != nil {
			inner = append(inner, x)
		}
	}
	return p.Presence.Wrap(xmlstream.MultiReader(inner...))
}

// photoUpdate encodes p.Photo as a XEP-0153 <x/>, nil for PhotoUnknown.
func (p Presence) photoUpdate() xml.TokenReader {
	var photo xml.TokenReader
	switch {
	case p.Photo == PhotoSet && isSHA1Hex(p.PhotoHash):
		photo = textElement("photo", strings.ToLower(p.PhotoHash))
	case p.Photo == PhotoNone:
		photo = xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "photo"}})
	case p.Photo == PhotoNotReady || p.Photo == PhotoSet:
	default:
		return nil
	}
	return xmlstream.Wrap(photo, xml.StartElement{Name: xml.Name{Space: vcard.NSUpdate, Local: "x"}})
}

// WriteXML writes p to w.
func (p Presence) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, p.TokenReader())
}

func textElement(name, text string) xml.TokenReader {
	return xmlstream.Wrap(xmlstream.Token(xml.CharData(text)), xml.StartElement{Name: xml.Name{Local: name}})
}

// decodeElement decodes the element that start opens into v. r yields the
// element's inner tokens and its end element, as mellium gives them to
// handlers; start was read by someone else, so it is replayed first.
func decodeElement(r xml.TokenReader, start *xml.StartElement, v any) error {
	d := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(start.Copy()), r))
	tok, err := d.Token()
	if err != nil {
		return err
	}
	s := tok.(xml.StartElement)
	return d.DecodeElement(v, &s)
}

// pickLang returns the text in lang, else the one without a language, else the first.
func pickLang(texts []wireText, lang string) string {
	if len(texts) == 0 {
		return ""
	}
	for _, t := range texts {
		if t.Lang == lang {
			return t.Text
		}
	}
	for _, t := range texts {
		if t.Lang == "" {
			return t.Text
		}
	}
	return texts[0].Text
}

// Clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Best returns the presence that represents a contact with several
// resources: highest priority first, then the most reachable show.
// It returns false when none is available.
func Best(ps map[string]Presence) (Presence, bool) {
	var best Presence
	found := false
	for _, p := range ps {
		if !p.IsAvailable() {
			continue
		}
		if !found || p.Priority > best.Priority || (p.Priority == best.Priority && p.Show < best.Show) ||
			(p.Priority == best.Priority && p.Show == best.Show && p.From.String() < best.From.String()) {
			best, found = p, true
		}
	}
	return best, found
}

// Bare returns the bare form of j as a string, the key Palaver uses for contacts.
func Bare(j jid.JID) string { return j.Bare().String() }
