package im

import (
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"time"

	"mellium.im/xmlstream"
)

// Namespaces of message archive management (XEP-0313, the mam:2 version
// that Prosody 0.12 serves), result set management (XEP-0059) and data
// forms (XEP-0004).
const (
	NSMAM      = "urn:xmpp:mam:2"
	NSRSM      = "http://jabber.org/protocol/rsm"
	NSDataForm = "jabber:x:data"
)

// ArchiveQuery is a query of the account's message archive (XEP-0313 §4).
// Its TokenReader is the payload of an IQ of type set sent to the
// account's bare JID (or without to); the server answers with one message
// per result, each with a Forwarded of kind ArchiveResult and this
// QueryID, then with the IQ result that DecodeArchiveFin reads.
//
// When AfterID is an id the archive no longer knows (it expired, or the
// archive was cleared) the server answers with an item-not-found error
// (XEP-0313 §5.1.2): the caller must then query again without it, from a
// Start time, and rely on stanza ids to drop the duplicates.
type ArchiveQuery struct {
	// QueryID marks the results of this query; "" for none, which makes
	// results impossible to tell from another query's.
	QueryID string
	// With restricts the results to the conversation with that JID.
	With string
	// Start restricts the results to messages archived at or after it. It
	// is sent to the second, rounded down, so nothing is left out.
	Start time.Time
	// AfterID asks for the results after the one with that archive id
	// (the Last of the previous page, or a message's stanza id).
	AfterID string
	// Max is the largest number of results in a page; 0 (or less) lets
	// the server choose.
	Max int
}

// TokenReader encodes q as a mam:2 <query/>. Only what is set is sent: the
// data form when With or Start is, the result set management element when
// Max or AfterID is. An id longer than MaxIDLen is not sent.
func (q ArchiveQuery) TokenReader() xml.TokenReader {
	var inner []xml.TokenReader
	var fields []xml.TokenReader
	if q.With != "" {
		fields = append(fields, formField("with", "", q.With))
	}
	if !q.Start.IsZero() {
		fields = append(fields, formField("start", "", q.Start.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")))
	}
	if len(fields) > 0 {
		fields = append([]xml.TokenReader{formField("FORM_TYPE", "hidden", NSMAM)}, fields...)
		inner = append(inner, xmlstream.Wrap(xmlstream.MultiReader(fields...), xml.StartElement{
			Name: xml.Name{Space: NSDataForm, Local: "x"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}},
		}))
	}
	var set []xml.TokenReader
	if q.Max > 0 {
		set = append(set, textElement("max", strconv.Itoa(q.Max)))
	}
	if id := validID(q.AfterID); id != "" {
		set = append(set, textElement("after", id))
	}
	if len(set) > 0 {
		inner = append(inner, xmlstream.Wrap(xmlstream.MultiReader(set...), xml.StartElement{Name: xml.Name{Space: NSRSM, Local: "set"}}))
	}
	start := xml.StartElement{Name: xml.Name{Space: NSMAM, Local: "query"}}
	if id := validID(q.QueryID); id != "" {
		start.Attr = []xml.Attr{{Name: xml.Name{Local: "queryid"}, Value: id}}
	}
	return xmlstream.Wrap(xmlstream.MultiReader(inner...), start)
}

// WriteXML writes q to w.
func (q ArchiveQuery) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, q.TokenReader())
}

// formField returns a data form field (XEP-0004) with one value.
func formField(name, typ, value string) xml.TokenReader {
	attrs := []xml.Attr{{Name: xml.Name{Local: "var"}, Value: name}}
	if typ != "" {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "type"}, Value: typ})
	}
	return xmlstream.Wrap(textElement("value", value), xml.StartElement{Name: xml.Name{Local: "field"}, Attr: attrs})
}

// ArchiveFin is the end of an archive query's results (XEP-0313 §4.2, the
// <fin/> of the IQ result).
type ArchiveFin struct {
	// Complete is set when the last page has been sent: there is nothing
	// after Last (yet).
	Complete bool
	// Unstable is set when the server says the results may change
	// (stable='false'): ids may not be usable to page later.
	Unstable bool
	// First and Last are the archive ids of the first and last results of
	// the page, "" when the page is empty (or an id is longer than
	// MaxIDLen). To get the next page, query again with AfterID Last;
	// with Complete unset and no Last, there is no way on.
	First, Last string
	// Count is the number of results of the whole query as the server
	// counts it, -1 when it does not say.
	Count int
}

// ErrNotFin is returned by DecodeArchiveFin for another element than a
// mam:2 <fin/>.
var ErrNotFin = errors.New("not a urn:xmpp:mam:2 fin element")

type wireFin struct {
	Complete string  `xml:"complete,attr"`
	Stable   string  `xml:"stable,attr"`
	Set      wireSet `xml:"http://jabber.org/protocol/rsm set"`
}

// wireSet decodes the first XEP-0059 <set/> it is given and skips the
// others.
type wireSet struct {
	seen               bool
	first, last, count string
	// ok is set when there is a count.
	ok bool
}

type wireSetBody struct {
	First []string `xml:"http://jabber.org/protocol/rsm first"`
	Last  []string `xml:"http://jabber.org/protocol/rsm last"`
	Count []string `xml:"http://jabber.org/protocol/rsm count"`
}

// UnmarshalXML implements xml.Unmarshaler.
func (w *wireSet) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if w.seen {
		return d.Skip()
	}
	w.seen = true
	var b wireSetBody
	if err := d.DecodeElement(&b, &start); err != nil {
		return err
	}
	if len(b.First) > 0 {
		w.first = b.First[0]
	}
	if len(b.Last) > 0 {
		w.last = b.Last[0]
	}
	if len(b.Count) > 0 {
		w.count, w.ok = b.Count[0], true
	}
	return nil
}

// DecodeArchiveFin decodes the <fin/> element that start opens from r: the
// payload of the IQ result that ends an archive query.
func DecodeArchiveFin(r xml.TokenReader, start *xml.StartElement) (ArchiveFin, error) {
	fin := ArchiveFin{Count: -1}
	if start.Name != (xml.Name{Space: NSMAM, Local: "fin"}) {
		return fin, ErrNotFin
	}
	var w wireFin
	if err := decodeElement(r, start, &w); err != nil {
		return fin, err
	}
	fin.Complete = xsdBool(w.Complete)
	fin.Unstable = xsdFalse(w.Stable)
	fin.First = validID(strings.TrimSpace(w.Set.first))
	fin.Last = validID(strings.TrimSpace(w.Set.last))
	if w.Set.ok {
		if n, err := strconv.Atoi(strings.TrimSpace(w.Set.count)); err == nil && n >= 0 {
			fin.Count = n
		}
	}
	return fin, nil
}

// xsdFalse reports whether s is an XML Schema boolean false (not just
// anything but true).
func xsdFalse(s string) bool {
	s = strings.TrimSpace(s)
	return s == "false" || s == "0"
}

// xsdBool reports whether s is an XML Schema boolean true.
func xsdBool(s string) bool {
	s = strings.TrimSpace(s)
	return s == "true" || s == "1"
}
