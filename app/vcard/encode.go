package vcard

import (
	"encoding/base64"
	"encoding/xml"
	"io"

	"mellium.im/xmlstream"
)

// binvalChunk is how many photo bytes go into one character data token
// (a multiple of 3, so that the chunks' base64 texts join without padding).
const binvalChunk = 3 << 10

// TokenReader encodes v as a vCard element in the vcard-temp namespace.
// Empty fields and entries are left out, and so are unknown flags; known
// flags are written in the order of XEP-0054's schema.
// The photo is base64-encoded as it is read, a chunk at a time.
func (v VCard) TokenReader() xml.TokenReader {
	var inner []xml.TokenReader
	add := func(r xml.TokenReader) { inner = append(inner, r) }
	text := func(name, s string) {
		if s != "" {
			add(textElement(name, s))
		}
	}

	text("FN", v.FullName)
	if n := v.Name; n != (Name{}) {
		add(element("N",
			optText("FAMILY", n.Family), optText("GIVEN", n.Given), optText("MIDDLE", n.Middle),
			optText("PREFIX", n.Prefix), optText("SUFFIX", n.Suffix)))
	}
	text("NICKNAME", v.Nickname)
	switch p := v.Photo; {
	case len(p.Data) > 0:
		add(element("PHOTO", optText("TYPE", p.Type),
			xmlstream.Wrap(binval(p.Data), xml.StartElement{Name: xml.Name{Local: "BINVAL"}})))
	case p.External != "":
		add(element("PHOTO", optText("TYPE", p.Type), textElement("EXTVAL", p.External)))
	}
	text("BDAY", v.Birthday)
	for _, e := range v.Emails {
		if e.Address != "" {
			add(element("EMAIL", flags(emailKinds, e.Kinds), textElement("USERID", e.Address)))
		}
	}
	for _, p := range v.Phones {
		if p.Number != "" {
			add(element("TEL", flags(phoneKinds, p.Kinds), textElement("NUMBER", p.Number)))
		}
	}
	for _, a := range v.Addresses {
		if !a.isEmpty() {
			add(element("ADR", flags(addressKinds, a.Kinds),
				optText("POBOX", a.POBox), optText("EXTADD", a.Extended), optText("STREET", a.Street),
				optText("LOCALITY", a.Locality), optText("REGION", a.Region),
				optText("PCODE", a.PostalCode), optText("CTRY", a.Country)))
		}
	}
	if org := v.Org; org.Name != "" || anyEntry(org.Units, func(u string) bool { return u != "" }) {
		units := []xml.TokenReader{optText("ORGNAME", org.Name)}
		for _, u := range org.Units {
			units = append(units, optText("ORGUNIT", u))
		}
		add(element("ORG", units...))
	}
	text("TITLE", v.Title)
	text("ROLE", v.Role)
	text("URL", v.URL)
	text("DESC", v.Note)
	text("JABBERID", v.JabberID)

	return xmlstream.Wrap(xmlstream.MultiReader(inner...), xml.StartElement{Name: xml.Name{Space: NS, Local: "vCard"}})
}

// WriteXML writes v to w as TokenReader encodes it.
func (v VCard) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, v.TokenReader())
}

// MarshalXML implements xml.Marshaler; the start element is ignored.
func (v VCard) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	if _, err := v.WriteXML(e); err != nil {
		return err
	}
	return e.Flush()
}

func element(name string, inner ...xml.TokenReader) xml.TokenReader {
	return xmlstream.Wrap(xmlstream.MultiReader(inner...), xml.StartElement{Name: xml.Name{Local: name}})
}

func textElement(name, s string) xml.TokenReader {
	return xmlstream.Wrap(xmlstream.Token(xml.CharData(s)), xml.StartElement{Name: xml.Name{Local: name}})
}

// optText is textElement, or nothing for an empty s.
func optText(name, s string) xml.TokenReader {
	if s == "" {
		return xmlstream.MultiReader()
	}
	return textElement(name, s)
}

// flags encodes the known ones of kinds as empty elements.
func flags(known, kinds []string) xml.TokenReader {
	var out []xml.TokenReader
	for _, k := range knownKinds(known, kinds) {
		out = append(out, xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: k}}))
	}
	return xmlstream.MultiReader(out...)
}

// binval yields data base64-encoded (standard alphabet, padded) as
// character data tokens of a few KiB each.
func binval(data []byte) xml.TokenReader {
	return xmlstream.ReaderFunc(func() (xml.Token, error) {
		if len(data) == 0 {
			return nil, io.EOF
		}
		n := min(len(data), binvalChunk)
		out := make([]byte, base64.StdEncoding.EncodedLen(n))
		base64.StdEncoding.Encode(out, data[:n])
		data = data[n:]
		return xml.CharData(out), nil
	})
}
