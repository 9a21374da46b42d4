package vcard

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/stanza"
)

// Decode decodes the vCard element that start opens (in the vcard-temp
// namespace, or in none).
// r yields the element's inner tokens and then its end element, as mellium
// hands a payload to handlers (an io.EOF in place of the end element is
// accepted too); Decode reads nothing after that end element.
//
// Decoding is tolerant: element names are compared without regard to case,
// unknown elements and elements of other namespaces are skipped, text is
// trimmed of surrounding white space, NOTE is read as DESC, and a field
// given twice keeps its first non-empty value.
// Only known flags are kept (upper case, in the order of XEP-0054's schema).
// Text longer than MaxText (MaxNote for the note) is cut, lists keep at
// most MaxEntries entries, and BINVAL is decoded as it arrives: at most
// MaxPhoto bytes are ever held, however long the text.
//
// When the photo is larger than MaxPhoto or not valid base64, Decode returns
// the rest of the card, with an empty Photo, and ErrPhotoTooLarge or
// ErrBadPhoto (check with errors.Is).
// Malformed XML gives an empty card and an error that says so.
func Decode(r xml.TokenReader, start *xml.StartElement) (VCard, error) {
	if start == nil || !isVCard(start.Name) {
		return VCard{}, fmt.Errorf("vcard: %s is not a vCard element", describeName(start))
	}
	d := &decoder{r: r}
	v, err := d.vcard(true)
	if err != nil {
		return VCard{}, err
	}
	return v, d.photoErr
}

// DecodeIQ decodes the IQ stanza that start opens, and the vCard in it.
// r yields the IQ's inner tokens and then its end element.
// An IQ without a vCard gives an empty card; an IQ of type error gives
// an error that errors.As finds as a stanza.Error or a *stanza.Error
// (item-not-found included: Get is the one that treats it as no profile).
// Photo problems are signalled as in Decode.
func DecodeIQ(r xml.TokenReader, start *xml.StartElement) (VCard, error) {
	if start == nil || start.Name.Local != "iq" {
		return VCard{}, fmt.Errorf("vcard: %s is not an IQ", describeName(start))
	}
	iq, err := stanza.NewIQ(*start)
	if err != nil {
		return VCard{}, fmt.Errorf("vcard: malformed IQ: %w", err)
	}
	d := &decoder{r: r}
	var (
		v     VCard
		found bool
		se    *stanza.Error
	)
	err = d.children(true, func(child xml.StartElement, _ string) error {
		switch {
		case iq.Type == stanza.ErrorIQ && child.Name.Local == "error" && se == nil:
			e, err := d.stanzaError(child)
			se = &e
			return err
		case iq.Type != stanza.ErrorIQ && !found && isVCard(child.Name):
			found = true
			v, err = d.vcard(false)
			return err
		}
		return d.skip()
	})
	switch {
	case err != nil:
		return VCard{}, err
	case iq.Type == stanza.ErrorIQ && se == nil:
		return VCard{}, &iqError{err: stanza.Error{Type: stanza.Cancel, Condition: stanza.UndefinedCondition}}
	case iq.Type == stanza.ErrorIQ:
		return VCard{}, &iqError{err: *se}
	}
	return v, d.photoErr
}

func isVCard(n xml.Name) bool {
	return strings.EqualFold(n.Local, "vCard") && (n.Space == NS || n.Space == "")
}

func describeName(start *xml.StartElement) string {
	if start == nil {
		return "no element"
	}
	if start.Name.Space == "" {
		return fmt.Sprintf("<%.40s>", start.Name.Local)
	}
	return fmt.Sprintf("<%.40s xmlns=%.60q>", start.Name.Local, start.Name.Space)
}

// decoder reads one vCard from a token stream.
type decoder struct {
	r xml.TokenReader
	// pending is an error the reader returned together with a token.
	pending  error
	photoErr error
}

// Token returns the next token; io.EOF comes only as an error of its own.
func (d *decoder) Token() (xml.Token, error) {
	if d.pending != nil {
		err := d.pending
		d.pending = nil
		return nil, err
	}
	tok, err := d.r.Token()
	if tok != nil {
		d.pending = err
		return tok, nil
	}
	if err == nil {
		return nil, errors.New("vcard: token reader returned neither a token nor an error")
	}
	return nil, err
}

// next is Token for reading inside an element, where io.EOF is too early.
func (d *decoder) next() (xml.Token, error) {
	tok, err := d.Token()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, fmt.Errorf("vcard: malformed vCard: %w", err)
	}
	return tok, nil
}

// children calls fn for each child element of the current element, with
// its local name upper-cased ("" for other namespaces and odd names),
// until the current element ends. fn must read the child to its end.
// With top set, io.EOF in place of the end element is accepted.
func (d *decoder) children(top bool, fn func(start xml.StartElement, name string) error) error {
	for {
		tok, err := d.Token()
		if err == io.EOF && top {
			return nil
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("vcard: malformed vCard: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t, key(t.Name)); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// key returns the upper-case local name of a child of a vCard, or "" when
// it cannot be one of ours.
func key(n xml.Name) string {
	if (n.Space != NS && n.Space != "") || len(n.Local) > 16 {
		return ""
	}
	b := []byte(n.Local)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c >= utf8.RuneSelf:
			return ""
		}
	}
	return string(b)
}

// skip reads to the end of the current element.
func (d *decoder) skip() error {
	for depth := 0; ; {
		tok, err := d.next()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return nil
			}
			depth--
		}
	}
}

// text reads the current element's own text (not that of its children),
// cut to limit bytes and trimmed of white space.
func (d *decoder) text(limit int) (string, error) {
	var b []byte
	for depth := 0; ; {
		tok, err := d.next()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return clean(b, limit), nil
			}
			depth--
		case xml.CharData:
			if depth > 0 {
				continue
			}
			if len(b) == 0 {
				t = bytes.TrimLeft(t, " \t\r\n")
			}
			// Keep a rune's worth beyond the limit, so that clean can
			// cut at a character boundary.
			if room := limit + utf8.UTFMax - len(b); room > 0 {
				b = append(b, t[:min(len(t), room)]...)
			}
		}
	}
}

// clean cuts b to at most limit bytes without splitting a UTF-8 sequence,
// replaces invalid UTF-8 and trims white space.
func clean(b []byte, limit int) string {
	if len(b) > limit {
		n := limit
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		b = b[:n]
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// textInto reads the current element's text into *field unless the field
// already has a value.
func (d *decoder) textInto(field *string, limit int) error {
	if *field != "" {
		return d.skip()
	}
	s, err := d.text(limit)
	*field = s
	return err
}

// flag reads a flag element such as <HOME/> into *kinds when it is one of
// known.
func (d *decoder) flag(name string, known []string, kinds *[]string) error {
	for _, k := range known {
		if k == name {
			*kinds = append(*kinds, k)
			break
		}
	}
	return d.skip()
}

// vcard reads the children of a vCard element; top is as for children.
func (d *decoder) vcard(top bool) (VCard, error) {
	var v VCard
	err := d.children(top, func(_ xml.StartElement, name string) error {
		switch name {
		case "FN":
			return d.textInto(&v.FullName, MaxText)
		case "N":
			return d.name(&v.Name)
		case "NICKNAME":
			return d.textInto(&v.Nickname, MaxText)
		case "PHOTO":
			if !v.Photo.IsEmpty() || d.photoErr != nil {
				return d.skip()
			}
			return d.photo(&v.Photo)
		case "BDAY":
			return d.textInto(&v.Birthday, MaxText)
		case "EMAIL":
			var e Email
			if err := d.children(false, func(_ xml.StartElement, name string) error {
				if name == "USERID" {
					return d.textInto(&e.Address, MaxText)
				}
				return d.flag(name, emailKinds, &e.Kinds)
			}); err != nil {
				return err
			}
			if e.Address != "" && len(v.Emails) < MaxEntries {
				e.Kinds = knownKinds(emailKinds, e.Kinds)
				v.Emails = append(v.Emails, e)
			}
			return nil
		case "TEL":
			var p Phone
			if err := d.children(false, func(_ xml.StartElement, name string) error {
				if name == "NUMBER" {
					return d.textInto(&p.Number, MaxText)
				}
				return d.flag(name, phoneKinds, &p.Kinds)
			}); err != nil {
				return err
			}
			if p.Number != "" && len(v.Phones) < MaxEntries {
				p.Kinds = knownKinds(phoneKinds, p.Kinds)
				v.Phones = append(v.Phones, p)
			}
			return nil
		case "ADR":
			return d.address(&v.Addresses)
		case "ORG":
			return d.org(&v.Org)
		case "TITLE":
			return d.textInto(&v.Title, MaxText)
		case "ROLE":
			return d.textInto(&v.Role, MaxText)
		case "URL":
			return d.textInto(&v.URL, MaxText)
		case "DESC", "NOTE":
			return d.textInto(&v.Note, MaxNote)
		case "JABBERID":
			return d.textInto(&v.JabberID, MaxText)
		}
		return d.skip()
	})
	return v, err
}

func (d *decoder) name(n *Name) error {
	return d.children(false, func(_ xml.StartElement, name string) error {
		switch name {
		case "FAMILY":
			return d.textInto(&n.Family, MaxText)
		case "GIVEN":
			return d.textInto(&n.Given, MaxText)
		case "MIDDLE":
			return d.textInto(&n.Middle, MaxText)
		case "PREFIX":
			return d.textInto(&n.Prefix, MaxText)
		case "SUFFIX":
			return d.textInto(&n.Suffix, MaxText)
		}
		return d.skip()
	})
}

func (d *decoder) address(list *[]Address) error {
	var a Address
	if err := d.children(false, func(_ xml.StartElement, name string) error {
		switch name {
		case "POBOX":
			return d.textInto(&a.POBox, MaxText)
		case "EXTADD":
			return d.textInto(&a.Extended, MaxText)
		case "STREET":
			return d.textInto(&a.Street, MaxText)
		case "LOCALITY":
			return d.textInto(&a.Locality, MaxText)
		case "REGION":
			return d.textInto(&a.Region, MaxText)
		case "PCODE":
			return d.textInto(&a.PostalCode, MaxText)
		case "CTRY":
			return d.textInto(&a.Country, MaxText)
		}
		return d.flag(name, addressKinds, &a.Kinds)
	}); err != nil {
		return err
	}
	if !a.isEmpty() && len(*list) < MaxEntries {
		a.Kinds = knownKinds(addressKinds, a.Kinds)
		*list = append(*list, a)
	}
	return nil
}

func (d *decoder) org(o *Org) error {
	return d.children(false, func(_ xml.StartElement, name string) error {
		switch name {
		case "ORGNAME":
			return d.textInto(&o.Name, MaxText)
		case "ORGUNIT":
			var u string
			if err := d.textInto(&u, MaxText); err != nil {
				return err
			}
			if u != "" && len(o.Units) < MaxEntries {
				o.Units = append(o.Units, u)
			}
			return nil
		}
		return d.skip()
	})
}

// photo reads PHOTO. A photo with data drops EXTVAL; one that ends up with
// neither data nor an address is left empty, TYPE included.
func (d *decoder) photo(p *Photo) error {
	var got Photo
	err := d.children(false, func(_ xml.StartElement, name string) error {
		switch name {
		case "TYPE":
			return d.textInto(&got.Type, MaxText)
		case "EXTVAL":
			return d.textInto(&got.External, MaxText)
		case "BINVAL":
			if len(got.Data) > 0 || d.photoErr != nil {
				return d.skip()
			}
			data, err := d.binval()
			got.Data = data
			return err
		}
		return d.skip()
	})
	if err != nil {
		return err
	}
	if len(got.Data) > 0 {
		got.External = "" // one or the other, as TokenReader writes it
	}
	if !got.IsEmpty() {
		*p = got
	}
	return nil
}

// binval decodes the base64 text of BINVAL as it arrives; on a photo
// problem it sets d.photoErr, reads on to the end and returns no data.
func (d *decoder) binval() ([]byte, error) {
	var b base64Stream
	for depth := 0; ; {
		tok, err := d.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth > 0 {
				depth--
				continue
			}
			data, perr := b.close()
			if perr != nil {
				d.photoErr = perr
				return nil, nil
			}
			return data, nil
		case xml.CharData:
			if depth == 0 {
				b.write(t)
			}
		}
	}
}

// base64Stream decodes base64 text written to it in pieces of any size,
// ignoring white space, and keeps at most MaxPhoto decoded bytes.
type base64Stream struct {
	// text holds filtered base64 characters until a block is full; its
	// capacity is a multiple of 4.
	text []byte
	// dec receives one decoded block.
	dec []byte
	// chunks hold the decoded bytes; n counts them.
	chunks [][]byte
	n      int
	// padded is set once a block ended in padding: nothing may follow.
	padded bool
	err    error
}

const (
	base64Block = 16 << 10
	firstChunk  = 4 << 10
	maxChunk    = 1 << 20
)

func (b *base64Stream) write(p []byte) {
	if b.err != nil {
		return
	}
	if b.text == nil {
		b.text = make([]byte, 0, base64Block)
		b.dec = make([]byte, base64.StdEncoding.DecodedLen(base64Block))
	}
	for len(p) > 0 {
		// Copy runs between white space a block at a time (fast, also
		// under the race detector).
		run := p
		if i := bytes.IndexAny(p, " \t\r\n"); i >= 0 {
			run, p = p[:i], p[i+1:]
		} else {
			p = nil
		}
		for len(run) > 0 {
			if b.padded {
				b.fail(ErrBadPhoto)
				return
			}
			m := min(len(run), cap(b.text)-len(b.text))
			b.text = append(b.text, run[:m]...)
			run = run[m:]
			if len(b.text) == cap(b.text) {
				b.flush(false)
				if b.err != nil {
					return
				}
			}
		}
	}
}

// flush decodes the text held. Only the last block may lack padding.
func (b *base64Stream) flush(last bool) {
	if len(b.text) == 0 {
		return
	}
	enc := base64.StdEncoding
	if last && len(b.text)%4 != 0 {
		enc = base64.RawStdEncoding // tolerate missing padding
	}
	n, err := enc.Decode(b.dec, b.text)
	if err != nil {
		b.fail(ErrBadPhoto)
		return
	}
	b.padded = b.text[len(b.text)-1] == '='
	b.text = b.text[:0]
	b.keep(b.dec[:n])
}

// keep appends decoded bytes to the chunks, or fails past MaxPhoto.
func (b *base64Stream) keep(p []byte) {
	if b.n+len(p) > MaxPhoto {
		b.fail(ErrPhotoTooLarge)
		return
	}
	b.n += len(p)
	for len(p) > 0 {
		last := len(b.chunks) - 1
		if last < 0 || len(b.chunks[last]) == cap(b.chunks[last]) {
			size := firstChunk
			if last >= 0 {
				size = min(2*cap(b.chunks[last]), maxChunk)
			}
			b.chunks = append(b.chunks, make([]byte, 0, size))
			last++
		}
		c := b.chunks[last]
		m := min(len(p), cap(c)-len(c))
		b.chunks[last] = append(c, p[:m]...)
		p = p[m:]
	}
}

// fail records err and lets go of everything held.
func (b *base64Stream) fail(err error) {
	b.err = err
	b.text, b.dec, b.chunks = nil, nil, nil
}

// close decodes what is left and returns the data.
func (b *base64Stream) close() ([]byte, error) {
	if b.err == nil {
		b.flush(true)
	}
	if b.err != nil {
		return nil, b.err
	}
	switch len(b.chunks) {
	case 0:
		return nil, nil
	case 1:
		return b.chunks[0][:b.n:b.n], nil
	}
	data := make([]byte, 0, b.n)
	for _, c := range b.chunks {
		data = append(data, c...)
	}
	return data, nil
}

// stanzaError decodes the error element that start opens.
func (d *decoder) stanzaError(start xml.StartElement) (stanza.Error, error) {
	var se stanza.Error
	rest := &elementReader{d: d, depth: 1}
	dec := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(start.Copy()), rest))
	if err := dec.Decode(&se); err != nil {
		return se, fmt.Errorf("vcard: malformed error reply: %w", err)
	}
	for rest.depth > 0 {
		if _, err := rest.Token(); err != nil {
			return se, err
		}
	}
	if se.Condition == "" {
		se.Condition = stanza.UndefinedCondition
	}
	return se, nil
}

// elementReader yields the tokens of the current element up to and
// including its end element, then io.EOF.
type elementReader struct {
	d     *decoder
	depth int
}

func (r *elementReader) Token() (xml.Token, error) {
	if r.depth == 0 {
		return nil, io.EOF
	}
	tok, err := r.d.next()
	if err != nil {
		return nil, err
	}
	switch tok.(type) {
	case xml.StartElement:
		r.depth++
	case xml.EndElement:
		r.depth--
	}
	return tok, nil
}
