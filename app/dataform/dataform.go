// Package dataform reads and writes data forms (XEP-0004) within bounds:
// a form comes from the network (a room's configuration, XEP-0045 §10.2)
// and may be hostile, so the decoder keeps at most MaxFields fields,
// MaxValues values and MaxOptions options a field, clips every text, and
// gives up with ErrTooLarge past MaxTokens tokens or MaxBytes of text.
//
// mellium's form package keeps whatever it is given and refuses elements
// it does not know (a layout's <page/>, XEP-0141), hence this one.
package dataform

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"mellium.im/xmlstream"

	"github.com/palaver-im/palaver/app/im"
)

// NS is the namespace of data forms.
const NS = "jabber:x:data"

// The bounds of Decode.
const (
	// MaxFields bounds the fields kept; more are skipped.
	MaxFields = 200
	// MaxValues and MaxOptions bound the values and options kept of a
	// field; more are skipped.
	MaxValues  = 500
	MaxOptions = 500
	// MaxText bounds a title, label, description, value or option, in
	// bytes; MaxInstructions the instructions, all lines together.
	MaxText         = 1024
	MaxInstructions = 4096
	// MaxTokens bounds the XML tokens read, MaxBytes the text kept, of
	// a form: beyond either, Decode fails with ErrTooLarge.
	MaxTokens = 100_000
	MaxBytes  = 256 << 10
)

// ErrTooLarge is given for a form beyond MaxTokens or MaxBytes.
var ErrTooLarge = errors.New("data form too large")

// The types of forms (XEP-0004 §3.1).
const (
	TypeForm   = "form"
	TypeSubmit = "submit"
	TypeCancel = "cancel"
	TypeResult = "result"
)

// The types of fields (XEP-0004 §3.3).
const (
	Boolean     = "boolean"
	Fixed       = "fixed"
	Hidden      = "hidden"
	JIDSingle   = "jid-single"
	JIDMulti    = "jid-multi"
	ListSingle  = "list-single"
	ListMulti   = "list-multi"
	TextMulti   = "text-multi"
	TextPrivate = "text-private"
	TextSingle  = "text-single"
)

// Form is a data form as plain data.
type Form struct {
	// Type is the form's type (TypeForm, ...), as sent.
	Type string
	// Title and Instructions are the form's (several instructions joined
	// by newlines); both may be "".
	Title        string
	Instructions string
	// Fields are in the form's order, at most MaxFields; Truncated is set
	// when the form had more fields, values or options than kept.
	Fields    []Field
	Truncated bool
}

// Field is one field of a form.
type Field struct {
	// Var names the field; "" for a fixed field (text to show).
	Var string
	// Type is one of the field types; a field without a type, or of a type
	// this package does not know, is TextSingle (XEP-0004 §3.3).
	Type string
	// Label and Desc are the form's words for it; both may be "".
	Label, Desc string
	Required    bool
	// Values are the field's values: one for most types, a line each for
	// TextMulti, one per JID or chosen option for JIDMulti and ListMulti.
	Values []string
	// Options are the choices of a ListSingle or ListMulti.
	Options []Option
}

// Option is a choice of a list field.
type Option struct {
	// Label is the option's words ("" for none: show Value); Value is
	// what is submitted.
	Label, Value string
}

// Value returns f's first value, or "".
func (f Field) Value() string {
	if len(f.Values) == 0 {
		return ""
	}
	return f.Values[0]
}

// Bool reads a boolean value ("1" or "true", XEP-0004 §3.3).
func Bool(v string) bool { return v == "1" || v == "true" }

// Field returns the field named v, if the form has it.
func (f Form) Field(v string) (Field, bool) {
	for _, fl := range f.Fields {
		if fl.Var == v && v != "" {
			return fl, true
		}
	}
	return Field{}, false
}

// FormType returns the value of the form's FORM_TYPE field (XEP-0068),
// "" when it has none.
func (f Form) FormType() string {
	ft, _ := f.Field("FORM_TYPE")
	return ft.Value()
}

func knownType(t string) bool {
	switch t {
	case Boolean, Fixed, Hidden, JIDSingle, JIDMulti, ListSingle, ListMulti, TextMulti, TextPrivate, TextSingle:
		return true
	}
	return false
}

// decoder reads a form's tokens within the bounds.
type decoder struct {
	r      xml.TokenReader
	tokens int
	bytes  int
	form   *Form
}

func (d *decoder) token() (xml.Token, error) {
	d.tokens++
	if d.tokens > MaxTokens {
		return nil, ErrTooLarge
	}
	tok, err := d.r.Token()
	if tok != nil && errors.Is(err, io.EOF) {
		err = nil // the next call says EOF again
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return tok, nil
}

// keep accounts for s, kept, and clips it to n bytes.
func (d *decoder) keep(s string, n int) (string, error) {
	s = im.Clip(s, n)
	d.bytes += len(s)
	if d.bytes > MaxBytes {
		return "", ErrTooLarge
	}
	return s, nil
}

// text reads the text of the element just opened, up to its end, and
// keeps at most n bytes of it; what is nested inside is skipped.
func (d *decoder) text(n int) (string, error) {
	var b strings.Builder
	depth := 1
	for depth > 0 {
		tok, err := d.token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 1 && b.Len() < n {
				b.Write(t[:min(len(t), n-b.Len()+4)])
			}
		}
	}
	return d.keep(b.String(), n)
}

// skip reads up to the end of the element just opened.
func (d *decoder) skip() error {
	depth := 1
	for depth > 0 {
		tok, err := d.token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// ours reports whether name is a form's element: in NS, or without
// namespace when the tokens were not resolved.
func ours(name xml.Name, local string) bool {
	return name.Local == local && (name.Space == NS || name.Space == "")
}

func attr(s xml.StartElement, name string) string {
	for _, a := range s.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// Decode decodes the form that start opens (an <x xmlns='jabber:x:data'/>);
// r yields what follows start, up to and past its end. It reads up to the
// form's end and no further; unknown elements are skipped.
func Decode(r xml.TokenReader, start *xml.StartElement) (Form, error) {
	if start == nil || start.Name.Local != "x" || start.Name.Space != NS {
		if start == nil {
			return Form{}, errors.New("no data form")
		}
		return Form{}, fmt.Errorf("not a data form: <%s xmlns=%q>", start.Name.Local, start.Name.Space)
	}
	f := Form{}
	d := &decoder{r: r, form: &f}
	var err error
	if f.Type, err = d.keep(attr(*start, "type"), 16); err != nil {
		return Form{}, err
	}
	var instr []string
	for {
		tok, err := d.token()
		if err != nil {
			return Form{}, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			f.Instructions, err = d.keep(strings.Join(instr, "\n"), MaxInstructions)
			if err != nil {
				return Form{}, err
			}
			return f, nil
		case xml.StartElement:
			switch {
			case ours(t.Name, "title"):
				if f.Title, err = d.text(MaxText); err != nil {
					return Form{}, err
				}
			case ours(t.Name, "instructions"):
				s, err := d.text(MaxInstructions)
				if err != nil {
					return Form{}, err
				}
				if len(instr) < 64 {
					instr = append(instr, s)
				}
			case ours(t.Name, "field"):
				fl, err := d.field(t)
				if err != nil {
					return Form{}, err
				}
				if len(f.Fields) < MaxFields {
					f.Fields = append(f.Fields, fl)
				} else {
					f.Truncated = true
				}
			default:
				// <reported/> and <item/> of results, layout (XEP-0141),
				// extensions: not shown.
				if err := d.skip(); err != nil {
					return Form{}, err
				}
			}
		}
	}
}

// field reads the field that start opens.
func (d *decoder) field(start xml.StartElement) (Field, error) {
	var fl Field
	var err error
	if fl.Var, err = d.keep(attr(start, "var"), MaxText); err != nil {
		return fl, err
	}
	if fl.Label, err = d.keep(attr(start, "label"), MaxText); err != nil {
		return fl, err
	}
	fl.Type = attr(start, "type")
	if !knownType(fl.Type) {
		fl.Type = TextSingle
	}
	for {
		tok, err := d.token()
		if err != nil {
			return fl, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return fl, nil
		case xml.StartElement:
			switch {
			case ours(t.Name, "desc"):
				if fl.Desc, err = d.text(MaxText); err != nil {
					return fl, err
				}
			case ours(t.Name, "required"):
				fl.Required = true
				err = d.skip()
			case ours(t.Name, "value"):
				var v string
				if v, err = d.text(MaxText); err == nil {
					if len(fl.Values) < MaxValues {
						fl.Values = append(fl.Values, v)
					} else {
						d.form.Truncated = true
					}
				}
			case ours(t.Name, "option"):
				var o Option
				if o, err = d.option(t); err == nil {
					if len(fl.Options) < MaxOptions {
						fl.Options = append(fl.Options, o)
					} else {
						d.form.Truncated = true
					}
				}
			default:
				err = d.skip()
			}
			if err != nil {
				return fl, err
			}
		}
	}
}

// option reads the option that start opens: its label and the text of its
// (first) <value/>.
func (d *decoder) option(start xml.StartElement) (Option, error) {
	var o Option
	var err error
	if o.Label, err = d.keep(attr(start, "label"), MaxText); err != nil {
		return o, err
	}
	seen := false
	for {
		tok, err := d.token()
		if err != nil {
			return o, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return o, nil
		case xml.StartElement:
			if ours(t.Name, "value") && !seen {
				seen = true
				o.Value, err = d.text(MaxText)
			} else {
				err = d.skip()
			}
			if err != nil {
				return o, err
			}
		}
	}
}

// Values are the values of a submitted form's fields, by var.
type Values map[string][]string

// Submit returns a submit form (XEP-0004 §3.1) of type formType's
// FORM_TYPE (XEP-0068: a hidden field, first; none when formType is "")
// and the fields of v, in the order of their names, with their values.
// A FORM_TYPE in v is ignored, as is a field without a name.
func Submit(formType string, v Values) xml.TokenReader {
	names := make([]string, 0, len(v))
	for name := range v {
		if name != "" && name != "FORM_TYPE" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var fields []xml.TokenReader
	if formType != "" {
		fields = append(fields, field("FORM_TYPE", Hidden, []string{formType}))
	}
	for _, name := range names {
		fields = append(fields, field(name, "", v[name]))
	}
	return xmlstream.Wrap(xmlstream.MultiReader(fields...), xml.StartElement{
		Name: xml.Name{Space: NS, Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: TypeSubmit}}})
}

// field is a submitted field: var, the type when typ is not "", values.
func field(name, typ string, values []string) xml.TokenReader {
	attrs := []xml.Attr{{Name: xml.Name{Local: "var"}, Value: name}}
	if typ != "" {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "type"}, Value: typ})
	}
	vals := make([]xml.TokenReader, 0, len(values))
	for _, v := range values {
		vals = append(vals, xmlstream.Wrap(xmlstream.Token(xml.CharData(v)), xml.StartElement{Name: xml.Name{Local: "value"}}))
	}
	return xmlstream.Wrap(xmlstream.MultiReader(vals...), xml.StartElement{Name: xml.Name{Local: "field"}, Attr: attrs})
}
