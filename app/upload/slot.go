// Package upload is HTTP File Upload (XEP-0363) on the wire, and what
// Palaver does to a file before it goes: the slot request and its answer,
// the upload service's disco#info, metadata stripped from pictures, and a
// reader that counts bytes for progress.
//
// Decoders here read what a server sent: every one is bounded in tokens
// and text, and fuzzed.
package upload

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mellium.im/xmlstream"
)

// NS is the namespace of HTTP File Upload (XEP-0363 §2).
const NS = "urn:xmpp:http:upload:0"

// nsStanzas is the namespace of stanza error conditions (RFC 6120 §8.3.3).
const nsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"

// Limits of a decoded answer.
const (
	// MaxURL bounds the PUT and GET URLs.
	MaxURL = 4096
	// MaxHeaderValue bounds a header's value (a token, a cookie).
	MaxHeaderValue = 8192
	// MaxHeaders bounds the headers kept from a slot.
	MaxHeaders = 8
	// maxTokens bounds the tokens read from one answer.
	maxTokens = 1024
	// maxText bounds an error's text and other character data.
	maxText = 1024
)

// Request asks the upload service for a slot (XEP-0363 §4).
type Request struct {
	Filename    string
	Size        int64
	ContentType string
}

// TokenReader encodes the request:
// <request xmlns='urn:xmpp:http:upload:0' filename=… size=… content-type=…/>.
func (q Request) TokenReader() xml.TokenReader {
	attr := []xml.Attr{
		{Name: xml.Name{Local: "filename"}, Value: q.Filename},
		{Name: xml.Name{Local: "size"}, Value: strconv.FormatInt(q.Size, 10)},
	}
	if q.ContentType != "" {
		attr = append(attr, xml.Attr{Name: xml.Name{Local: "content-type"}, Value: q.ContentType})
	}
	return xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: NS, Local: "request"}, Attr: attr})
}

// Slot is the service's answer: where to PUT the file, with which
// headers, and where it will be downloaded from.
type Slot struct {
	Put, Get string
	// Header holds the headers to send with the PUT: only Authorization,
	// Cookie and Expires (XEP-0363 §4), without line breaks.
	Header http.Header
}

// Error is the service's error answer to a slot request (XEP-0363 §4.2).
type Error struct {
	// Type and Condition are the stanza error's (RFC 6120 §8.3), such as
	// "modify" and "not-acceptable"; Text is its text, if any.
	Type, Condition, Text string
	// TooLarge is set when the answer carries <file-too-large/>; MaxSize
	// is its max-file-size, 0 when not given.
	TooLarge bool
	MaxSize  int64
}

func (e *Error) Error() string {
	s := "upload service error: " + e.Condition
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Errors of DecodeResponse.
var (
	// ErrMalformed: the answer is not a slot or error that this package
	// can read.
	ErrMalformed = errors.New("upload: malformed answer")
	// ErrNotHTTPS: a URL of the slot is not an absolute https URL.
	ErrNotHTTPS = errors.New("upload: the slot's URL is not https")
	// errTooMuch: the answer exceeds the limits.
	errTooMuch = errors.New("upload: answer too large")
)

// limited reads tokens, at most maxTokens of them.
type limited struct {
	r xml.TokenReader
	n int
}

func (l *limited) Token() (xml.Token, error) {
	if l.n++; l.n > maxTokens {
		return nil, errTooMuch
	}
	tok, err := l.r.Token()
	if tok != nil && errors.Is(err, io.EOF) {
		err = nil // the next call gives io.EOF again
	}
	return tok, err
}

// DecodeResponse decodes the answer to a Request: r yields the IQ, from
// its start element on (as Session.SendIQElement returns it). A result
// gives its slot; an error answer gives an *Error, or ErrMalformed when
// it names no condition.
func DecodeResponse(r xml.TokenReader) (Slot, error) {
	l := &limited{r: r}
	var start xml.StartElement
	for {
		tok, err := l.Token()
		if err != nil {
			return Slot{}, unexpected(err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			start = s
			break
		}
	}
	if start.Name.Local != "iq" {
		return Slot{}, ErrMalformed
	}
	typ := attr(start, "type")
	if typ != "result" && typ != "error" {
		return Slot{}, ErrMalformed
	}
	var (
		slot    Slot
		gotSlot bool
		se      *Error
	)
	for {
		tok, err := l.Token()
		if err != nil {
			return Slot{}, unexpected(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if typ == "error" {
				if se == nil || se.Condition == "" {
					return Slot{}, ErrMalformed
				}
				return Slot{}, se
			}
			if !gotSlot {
				return Slot{}, ErrMalformed
			}
			return slot, nil
		case xml.StartElement:
			switch {
			case typ == "result" && t.Name == xml.Name{Space: NS, Local: "slot"} && !gotSlot:
				if slot, err = decodeSlot(l); err != nil {
					return Slot{}, err
				}
				gotSlot = true
			case typ == "error" && t.Name.Local == "error" && se == nil:
				if se, err = decodeError(l, t); err != nil {
					return Slot{}, err
				}
			default:
				if err := skip(l); err != nil {
					return Slot{}, err
				}
			}
		}
	}
}

// unexpected turns the end of input inside an element into an error.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return ErrMalformed
	}
	return err
}

// decodeSlot reads a <slot/> after its start element.
func decodeSlot(l *limited) (Slot, error) {
	s := Slot{Header: http.Header{}}
	n := 0
	for {
		tok, err := l.Token()
		if err != nil {
			return Slot{}, unexpected(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if s.Put == "" || s.Get == "" {
				return Slot{}, ErrMalformed
			}
			if err := checkURL(s.Put); err != nil {
				return Slot{}, err
			}
			if err := checkURL(s.Get); err != nil {
				return Slot{}, err
			}
			return s, nil
		case xml.StartElement:
			switch {
			case t.Name == xml.Name{Space: NS, Local: "put"} && s.Put == "":
				s.Put = attr(t, "url")
				if err := putHeaders(l, s.Header, &n); err != nil {
					return Slot{}, err
				}
			case t.Name == xml.Name{Space: NS, Local: "get"} && s.Get == "":
				s.Get = attr(t, "url")
				if err := skip(l); err != nil {
					return Slot{}, err
				}
			default:
				if err := skip(l); err != nil {
					return Slot{}, err
				}
			}
		}
	}
}

// allowedHeaders are the headers a slot may set (XEP-0363 §4: others
// are ignored).
var allowedHeaders = map[string]string{
	"authorization": "Authorization",
	"cookie":        "Cookie",
	"expires":       "Expires",
}

// putHeaders reads the <header/>s of a <put/> after its start element.
func putHeaders(l *limited, h http.Header, n *int) error {
	for {
		tok, err := l.Token()
		if err != nil {
			return unexpected(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name != (xml.Name{Space: NS, Local: "header"}) {
				if err := skip(l); err != nil {
					return err
				}
				continue
			}
			v, err := text(l, MaxHeaderValue)
			if err != nil {
				return err
			}
			name, ok := allowedHeaders[strings.ToLower(attr(t, "name"))]
			if !ok || *n >= MaxHeaders {
				continue
			}
			// XEP-0363 §4: newlines are stripped from header values.
			v = strings.NewReplacer("\r", "", "\n", "").Replace(v)
			h.Add(name, v)
			*n++
		}
	}
}

// decodeError reads a stanza <error/> after its start element.
func decodeError(l *limited, start xml.StartElement) (*Error, error) {
	e := &Error{Type: attr(start, "type")}
	if len(e.Type) > 16 {
		e.Type = ""
	}
	for {
		tok, err := l.Token()
		if err != nil {
			return nil, unexpected(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return e, nil
		case xml.StartElement:
			switch {
			case t.Name.Space == nsStanzas && t.Name.Local == "text":
				s, err := text(l, maxText)
				if err != nil {
					return nil, err
				}
				if e.Text == "" {
					e.Text = s
				}
			case t.Name.Space == nsStanzas:
				if e.Condition == "" && len(t.Name.Local) <= 64 {
					e.Condition = t.Name.Local
				}
				if err := skip(l); err != nil {
					return nil, err
				}
			case t.Name == xml.Name{Space: NS, Local: "file-too-large"}:
				e.TooLarge = true
				max, err := maxFileSize(l)
				if err != nil {
					return nil, err
				}
				e.MaxSize = max
			default:
				if err := skip(l); err != nil {
					return nil, err
				}
			}
		}
	}
}

// maxFileSize reads a <file-too-large/> after its start element and
// returns its <max-file-size/>, 0 when missing or not a size.
func maxFileSize(l *limited) (int64, error) {
	var max int64
	for {
		tok, err := l.Token()
		if err != nil {
			return 0, unexpected(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return max, nil
		case xml.StartElement:
			if t.Name != (xml.Name{Space: NS, Local: "max-file-size"}) {
				if err := skip(l); err != nil {
					return 0, err
				}
				continue
			}
			s, err := text(l, 32)
			if err != nil {
				return 0, err
			}
			max = ParseSize(s)
		}
	}
}

// ParseSize reads a file size as a service announces it, 0 when it is
// not a non-negative integer.
func ParseSize(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// checkURL accepts only absolute https URLs with a host, without user
// information, of at most MaxURL bytes.
func checkURL(s string) error {
	if len(s) > MaxURL {
		return errTooMuch
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ErrNotHTTPS
	}
	return nil
}

// text reads the character data of an element after its start, up to
// its end (children are skipped), at most max bytes.
func text(l *limited, max int) (string, error) {
	var b strings.Builder
	depth := 0
	for {
		tok, err := l.Token()
		if err != nil {
			return "", unexpected(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return b.String(), nil
			}
			depth--
		case xml.CharData:
			if depth > 0 {
				continue
			}
			if b.Len()+len(t) > max {
				return "", errTooMuch
			}
			b.Write(t)
		}
	}
}

// skip reads up to the end of the element whose start was just read.
func skip(l *limited) error {
	depth := 0
	for {
		tok, err := l.Token()
		if err != nil {
			return unexpected(err)
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

func attr(s xml.StartElement, name string) string {
	for _, a := range s.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// String describes a slot for logs and tests, without header values.
func (s Slot) String() string {
	return fmt.Sprintf("put %s get %s headers %d", s.Put, s.Get, len(s.Header))
}
