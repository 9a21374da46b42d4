package app

import (
	"encoding/xml"
	"errors"
	"io"

	"mellium.im/xmlstream"
)

// walkPEPEvent reads a PEP notification, <event/> (XEP-0060 §7.1.2.1,
// XEP-0163), from r at its start, and hands what it says about node to
// items (r after an <items/> start; it reads up to that element's end and
// reports whether it found what it wanted) and purge (the node was
// purged). Other nodes and elements are skipped. seen reports whether
// items found something or the node was purged; an input that is not an
// event is not an error, and says nothing.
func walkPEPEvent(r xml.TokenReader, node string, items func(xml.TokenReader) (bool, error), purge func()) (seen bool, err error) {
	tok, err := r.Token()
	if err != nil {
		return false, err
	}
	if s, isStart := tok.(xml.StartElement); !isStart || s.Name != (xml.Name{Space: nsPubSubEvent, Local: "event"}) {
		return false, nil
	}
	for {
		tok, err := r.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return seen, nil
			}
			return false, err
		}
		t, isStart := tok.(xml.StartElement)
		if !isStart {
			if _, isEnd := tok.(xml.EndElement); isEnd {
				return seen, nil
			}
			continue
		}
		if xmlAttr(t, "node") == node && t.Name.Local == "items" {
			found, err := items(r)
			if err != nil {
				return false, err
			}
			seen = seen || found
			continue
		}
		if xmlAttr(t, "node") == node && t.Name.Local == "purge" {
			purge()
			seen = true
		}
		if err := xmlstream.Skip(r); err != nil {
			return false, err
		}
	}
}

// pepItemsQuery is the <pubsub><items node=…/></pubsub> of a request for
// the items of a PEP node (XEP-0060 §6.5), with attrs added to <items/>
// (max_items) and children in it (an <item id=…/> asked for).
func pepItemsQuery(node string, children xml.TokenReader, attrs ...xml.Attr) xml.TokenReader {
	items := xmlstream.Wrap(children, xml.StartElement{Name: xml.Name{Local: "items"},
		Attr: append([]xml.Attr{{Name: xml.Name{Local: "node"}, Value: node}}, attrs...)})
	return xmlstream.Wrap(items, xml.StartElement{Name: xml.Name{Space: nsPubSub, Local: "pubsub"}})
}
