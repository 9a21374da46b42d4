package caps

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/disco"
)

// MaxAttrLen bounds the node and ver of a <c/> element: a ver is at most
// 88 characters (SHA-512 in base64), a node a URI. Longer ones are junk.
const MaxAttrLen = 1024

// maxCTokens bounds the tokens read inside a <c/> element, which should
// have none (the legacy format's ext is an attribute too).
const maxCTokens = 64

// ErrTooLarge is given when input goes beyond the limits of the decoder.
var ErrTooLarge = errors.New("entity capabilities input too large")

// FromStart reads the caps that the start element of a <c/> carries; ok
// is false when start is not a <c/> in NS, or lacks a ver or a node, or
// one of them is longer than MaxAttrLen.
// Unknown attributes (the legacy ext) are ignored; the hash may be
// missing (legacy format, see Caps.Hash).
func FromStart(start xml.StartElement) (c Caps, ok bool) {
	if start.Name.Space != NS || start.Name.Local != "c" {
		return Caps{}, false
	}
	for _, a := range start.Attr {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "hash":
			c.Hash = a.Value
		case "node":
			c.Node = a.Value
		case "ver":
			c.Ver = a.Value
		}
	}
	if c.Node == "" || c.Ver == "" || len(c.Node) > MaxAttrLen || len(c.Ver) > MaxAttrLen || len(c.Hash) > MaxAttrLen {
		return Caps{}, false
	}
	return c, true
}

// Decode decodes the <c/> element that start opens; r yields what follows
// start (as mellium hands a payload to a handler). It reads up to the
// element's end, at most a few tokens: anything nested inside is ignored.
// A <c/> without node or ver is an error.
func Decode(r xml.TokenReader, start *xml.StartElement) (Caps, error) {
	c, ok := FromStart(*start)
	depth := 1
	for n := 0; depth > 0; n++ {
		if n > maxCTokens {
			return Caps{}, ErrTooLarge
		}
		tok, err := r.Token()
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
		if depth == 0 {
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return Caps{}, err
		}
	}
	if !ok {
		return Caps{}, fmt.Errorf("not an entity capabilities element with a node and a ver: <%s xmlns=%q>", start.Name.Local, start.Name.Space)
	}
	return c, nil
}

// Limits bounds what DecodeInfo keeps of a disco#info answer. Real
// clients send a few dozen features in a few kilobytes.
type Limits struct {
	// Tokens bounds the XML tokens (elements, ends, text) of the answer.
	Tokens int
	// Bytes bounds the names, attribute values and text of the answer.
	Bytes int
	// Identities, Features and Forms bound how many of each it may have.
	Identities, Features, Forms int
}

// DefaultLimits are far beyond what any client advertises.
var DefaultLimits = Limits{Tokens: 8192, Bytes: 128 << 10, Identities: 32, Features: 512, Forms: 8}

// DecodeInfo decodes the disco#info <query/> that start opens (XEP-0030
// §3.1); r yields what follows start. It stops with ErrTooLarge as soon
// as the answer goes beyond lim, without reading the rest.
func DecodeInfo(r xml.TokenReader, start *xml.StartElement, lim Limits) (disco.Info, error) {
	var info disco.Info
	if start.Name.Space != disco.NSInfo || start.Name.Local != "query" {
		return info, fmt.Errorf("not a disco#info answer: <%s xmlns=%q>", start.Name.Local, start.Name.Space)
	}
	l := &limited{r: xmlstream.MultiReader(xmlstream.Token(start.Copy()), r), lim: lim}
	d := xml.NewTokenDecoder(l)
	tok, err := d.Token()
	if err != nil {
		return info, err
	}
	s := tok.(xml.StartElement)
	if err := d.DecodeElement(&info, &s); err != nil {
		if l.over {
			return disco.Info{}, ErrTooLarge
		}
		return disco.Info{}, err
	}
	if len(info.Identity) > lim.Identities || len(info.Features) > lim.Features || len(info.Form) > lim.Forms {
		return disco.Info{}, ErrTooLarge
	}
	return info, nil
}

// limited passes tokens on until lim is reached.
type limited struct {
	r            xml.TokenReader
	lim          Limits
	tokens, size int
	over         bool
}

// Token returns the next token, or ErrTooLarge once beyond the limits.
func (l *limited) Token() (xml.Token, error) {
	if l.over {
		return nil, ErrTooLarge
	}
	tok, err := l.r.Token()
	if tok == nil {
		return tok, err
	}
	l.tokens++
	switch t := tok.(type) {
	case xml.StartElement:
		l.size += len(t.Name.Space) + len(t.Name.Local)
		for _, a := range t.Attr {
			l.size += len(a.Name.Space) + len(a.Name.Local) + len(a.Value)
		}
	case xml.CharData:
		l.size += len(t)
	case xml.Comment:
		l.size += len(t)
	case xml.ProcInst:
		l.size += len(t.Target) + len(t.Inst)
	case xml.Directive:
		l.size += len(t)
	}
	if l.tokens > l.lim.Tokens || l.size > l.lim.Bytes {
		l.over = true
		return nil, ErrTooLarge
	}
	return tok, err
}
