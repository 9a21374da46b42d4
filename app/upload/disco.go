package upload

import (
	"encoding/xml"

	"github.com/palaver-im/palaver/app/dataform"
)

// Namespaces of service discovery (XEP-0030).
const (
	nsItems = "http://jabber.org/protocol/disco#items"
	nsInfo  = "http://jabber.org/protocol/disco#info"
)

// MaxItems bounds the items of the server that DecodeItems returns: the
// candidates for an upload service.
const MaxItems = 20

// DecodeItems reads a disco#items result (XEP-0030 §4.2): r yields what
// follows start, the <query/>, up to and past its end. It returns the
// distinct JIDs of the items, at most MaxItems of them, in order.
func DecodeItems(r xml.TokenReader, start *xml.StartElement) ([]string, error) {
	if start == nil || start.Name != (xml.Name{Space: nsItems, Local: "query"}) {
		return nil, ErrMalformed
	}
	l := &limited{r: r}
	var jids []string
	seen := map[string]bool{}
	for {
		tok, err := l.Token()
		if err != nil {
			return nil, unexpected(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return jids, nil
		case xml.StartElement:
			if err := skip(l); err != nil {
				return nil, err
			}
			j := attr(t, "jid")
			if t.Name != (xml.Name{Space: nsItems, Local: "item"}) || j == "" || len(j) > 3071 || seen[j] || len(jids) >= MaxItems {
				continue
			}
			seen[j] = true
			jids = append(jids, j)
		}
	}
}

// DecodeInfo reads a disco#info result (XEP-0030 §3.1): r yields what
// follows start, the <query/>, up to and past its end. It reports whether
// the entity is an upload service (feature urn:xmpp:http:upload:0), and
// its max-file-size (XEP-0363 §3, in a XEP-0128 form), 0 when it
// announces none.
func DecodeInfo(r xml.TokenReader, start *xml.StartElement) (ok bool, max int64, err error) {
	if start == nil || start.Name != (xml.Name{Space: nsInfo, Local: "query"}) {
		return false, 0, ErrMalformed
	}
	l := &limited{r: r}
	for {
		tok, err := l.Token()
		if err != nil {
			return false, 0, unexpected(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if !ok {
				max = 0
			}
			return ok, max, nil
		case xml.StartElement:
			switch {
			case t.Name == xml.Name{Space: nsInfo, Local: "feature"}:
				if attr(t, "var") == NS {
					ok = true
				}
				if err := skip(l); err != nil {
					return false, 0, err
				}
			case t.Name == xml.Name{Space: dataform.NS, Local: "x"}:
				f, err := dataform.Decode(l, &t)
				if err != nil {
					return false, 0, err
				}
				if f.FormType() != NS {
					continue
				}
				if fl, found := f.Field("max-file-size"); found {
					max = ParseSize(fl.Value())
				}
			default:
				if err := skip(l); err != nil {
					return false, 0, err
				}
			}
		}
	}
}
