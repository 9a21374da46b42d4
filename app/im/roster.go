package im

import (
	"encoding/xml"
	"fmt"
	"strings"

	"mellium.im/xmpp/jid"
)

// NSRoster is the roster namespace (RFC 6121 §2).
const NSRoster = "jabber:iq:roster"

// MaxGroups bounds the groups kept per roster item.
const MaxGroups = 64

// RosterItem is a roster item with the ask attribute that
// mellium.im/xmpp/roster omits.
type RosterItem struct {
	JID          jid.JID
	Name         string
	Subscription string
	// Ask is true when a subscription request is pending (ask='subscribe').
	Ask    bool
	Groups []string
}

// RosterQuery is the payload of a roster result or push.
type RosterQuery struct {
	// Present is false when the result had no query element, which under
	// roster versioning means the cached roster is current (RFC 6121 §2.6.3).
	Present bool
	Ver     string
	Items   []RosterItem
}

type wireRosterQuery struct {
	Ver   *string `xml:"ver,attr"`
	Items []struct {
		JID          string   `xml:"jid,attr"`
		Name         string   `xml:"name,attr"`
		Subscription string   `xml:"subscription,attr"`
		Ask          string   `xml:"ask,attr"`
		Groups       []string `xml:"group"`
	} `xml:"item"`
}

// DecodeRosterQuery decodes the roster <query/> that start opens from r,
// which yields the query's inner tokens and its end element.
// Items with an invalid JID are dropped and reported in skipped, so that
// one bad item does not cost the user the whole contact list.
func DecodeRosterQuery(r xml.TokenReader, start *xml.StartElement) (q RosterQuery, skipped int, err error) {
	if start.Name.Space != NSRoster || start.Name.Local != "query" {
		return q, 0, fmt.Errorf("expected a roster query, got <%s xmlns=%q>", start.Name.Local, start.Name.Space)
	}
	var w wireRosterQuery
	if err := decodeElement(r, start, &w); err != nil {
		return q, 0, fmt.Errorf("malformed roster: %w", err)
	}
	q.Present = true
	if w.Ver != nil {
		q.Ver = *w.Ver
	}
	q.Items = make([]RosterItem, 0, len(w.Items))
	for _, it := range w.Items {
		j, err := jid.Parse(strings.TrimSpace(it.JID))
		if err != nil {
			skipped++
			continue
		}
		item := RosterItem{
			JID:          j.Bare(),
			Name:         Clip(strings.TrimSpace(it.Name), 1024),
			Subscription: it.Subscription,
			Ask:          it.Ask == "subscribe",
		}
		if item.Subscription == "" {
			item.Subscription = "none"
		}
		seen := map[string]bool{}
		for _, g := range it.Groups {
			g = Clip(strings.TrimSpace(g), 1024)
			if g == "" || seen[g] || len(item.Groups) >= MaxGroups {
				continue
			}
			seen[g] = true
			item.Groups = append(item.Groups, g)
		}
		q.Items = append(q.Items, item)
	}
	return q, skipped, nil
}
