package app

import (
	"encoding/xml"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/ping"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// What Palaver tells others it is and does (XEP-0030 §3.1), so that their
// clients send receipt requests and chat states, and find it answers pings.
// Only what the core really handles is listed.
var (
	discoIdentity = xml.StartElement{Name: xml.Name{Local: "identity"}, Attr: []xml.Attr{
		{Name: xml.Name{Local: "category"}, Value: "client"},
		{Name: xml.Name{Local: "type"}, Value: "pc"},
		{Name: xml.Name{Local: "name"}, Value: "Palaver"},
	}}
	discoFeatures = []string{
		disco.NSInfo,
		ping.NS,
		im.NSReceipts,
		chatstate.NS,
	}
)

// handleDiscoInfo answers a disco#info query to the account (XEP-0030
// §3.1). A query for a node (XEP-0030 §3.2) gets item-not-found: Palaver
// has none yet.
func (h *handler) handleDiscoInfo(iq stanza.IQ, t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	for _, a := range start.Attr {
		if a.Name.Local == "node" && a.Name.Space == "" && a.Value != "" {
			_, err := xmlstream.Copy(t, iq.Error(stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}))
			return err
		}
	}
	inner := []xml.TokenReader{xmlstream.Wrap(nil, discoIdentity)}
	for _, f := range discoFeatures {
		inner = append(inner, xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "feature"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "var"}, Value: f}}}))
	}
	query := xmlstream.Wrap(xmlstream.MultiReader(inner...), xml.StartElement{Name: xml.Name{Space: disco.NSInfo, Local: "query"}})
	_, err := xmlstream.Copy(t, iq.Result(query))
	return err
}
