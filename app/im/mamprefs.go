package im

import (
	"encoding/xml"
	"errors"
	"strings"

	"mellium.im/xmlstream"
)

// ArchiveDefault is what the server archives of a conversation that the
// preferences' lists do not name (XEP-0313 §6.1, the default attribute).
type ArchiveDefault string

// The archiving defaults of XEP-0313 §6.1.
const (
	// ArchiveAlways archives every message.
	ArchiveAlways ArchiveDefault = "always"
	// ArchiveRoster archives messages with the contacts in the roster.
	ArchiveRoster ArchiveDefault = "roster"
	// ArchiveNever archives nothing: ejabberd's default unless its
	// administrator sets one, and Prosody's with default_archive_policy
	// = false.
	ArchiveNever ArchiveDefault = "never"
)

// MaxPrefsJIDs is the most JIDs DecodeArchivePrefs accepts in each list.
// A longer list is refused rather than cut, because the lists are sent
// back whole when the default changes: a cut list would lose entries.
const MaxPrefsJIDs = 1000

// maxJIDLen is the longest JID (RFC 7622 §3.1: three parts of at most
// 1023 bytes each, and two separators).
const maxJIDLen = 3071

// ArchivePrefs are an account's archiving preferences (XEP-0313 §6.1): a
// default, and the JIDs whose messages are archived always or never,
// whatever the default.
//
// The TokenReader of ArchivePrefs without a Default is the empty <prefs/>
// that asks for them (the payload of an IQ of type get to the account's
// bare JID); with a Default it sets them (an IQ of type set), and the
// server replaces both lists with the ones sent: to change only the
// default, send back the lists that were read.
type ArchivePrefs struct {
	// Default is "" when the server named none that XEP-0313 defines.
	Default ArchiveDefault
	// Always and Never are the JIDs listed, as the server wrote them
	// (trimmed).
	Always, Never []string
}

// ErrNotPrefs is returned by DecodeArchivePrefs for another element than
// a mam:2 <prefs/>.
var ErrNotPrefs = errors.New("not a urn:xmpp:mam:2 prefs element")

// ErrPrefsTooLong is returned by DecodeArchivePrefs when a list holds more
// than MaxPrefsJIDs JIDs or a JID is longer than a JID can be.
var ErrPrefsTooLong = errors.New("the archiving preferences list too many or too long addresses")

// TokenReader encodes p as a mam:2 <prefs/>: empty without a Default,
// otherwise with the default attribute and both lists, empty ones
// included.
func (p ArchivePrefs) TokenReader() xml.TokenReader {
	start := xml.StartElement{Name: xml.Name{Space: NSMAM, Local: "prefs"}}
	if p.Default == "" {
		return xmlstream.Wrap(nil, start)
	}
	start.Attr = []xml.Attr{{Name: xml.Name{Local: "default"}, Value: string(p.Default)}}
	list := func(name string, jids []string) xml.TokenReader {
		items := make([]xml.TokenReader, 0, len(jids))
		for _, j := range jids {
			items = append(items, textElement("jid", j))
		}
		return xmlstream.Wrap(xmlstream.MultiReader(items...), xml.StartElement{Name: xml.Name{Local: name}})
	}
	return xmlstream.Wrap(xmlstream.MultiReader(list("always", p.Always), list("never", p.Never)), start)
}

// WriteXML writes p to w.
func (p ArchivePrefs) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, p.TokenReader())
}

type wirePrefs struct {
	Default string       `xml:"default,attr"`
	Always  wirePrefList `xml:"urn:xmpp:mam:2 always"`
	Never   wirePrefList `xml:"urn:xmpp:mam:2 never"`
}

// wirePrefList collects the <jid/> children of one or more <always/> (or
// <never/>) elements, refusing more than MaxPrefsJIDs.
type wirePrefList struct{ jids []string }

// UnmarshalXML implements xml.Unmarshaler.
func (w *wirePrefList) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if tok.Name != (xml.Name{Space: NSMAM, Local: "jid"}) {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			if len(w.jids) >= MaxPrefsJIDs {
				return ErrPrefsTooLong
			}
			var s string
			if err := d.DecodeElement(&s, &tok); err != nil {
				return err
			}
			s = strings.TrimSpace(s)
			if len(s) > maxJIDLen {
				return ErrPrefsTooLong
			}
			if s != "" {
				w.jids = append(w.jids, s)
			}
		}
	}
}

// DecodeArchivePrefs decodes the <prefs/> element that start opens from r:
// the payload of the IQ result that answers a get or a set of the
// preferences (XEP-0313 §6.1).
func DecodeArchivePrefs(r xml.TokenReader, start *xml.StartElement) (ArchivePrefs, error) {
	if start == nil || start.Name != (xml.Name{Space: NSMAM, Local: "prefs"}) {
		return ArchivePrefs{}, ErrNotPrefs
	}
	var w wirePrefs
	if err := decodeElement(r, start, &w); err != nil {
		return ArchivePrefs{}, err
	}
	p := ArchivePrefs{Always: w.Always.jids, Never: w.Never.jids}
	switch d := ArchiveDefault(strings.TrimSpace(w.Default)); d {
	case ArchiveAlways, ArchiveRoster, ArchiveNever:
		p.Default = d
	}
	return p, nil
}
