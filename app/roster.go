package app

import (
	"context"
	"encoding/xml"
	"slices"
	"sort"
	"sync"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// rosterState is the roster as the server last told it, kept across
// reconnects of one Run so that roster versioning (RFC 6121 §2.6) can
// spare the full download.
// It is shared by the session goroutine and the Serve handler.
type rosterState struct {
	mu    sync.Mutex
	ver   string
	items map[string]Contact
}

func newRosterState() *rosterState {
	return &rosterState{items: map[string]Contact{}}
}

// contactOf converts a roster item. Groups are a set (RFC 6121 §2.1.2.4)
// that servers return in any order; they are sorted so the UI is stable.
func contactOf(it im.RosterItem) Contact {
	groups := slices.Clone(it.Groups)
	slices.Sort(groups)
	return Contact{
		JID:          it.JID.String(),
		Name:         it.Name,
		Groups:       groups,
		Subscription: it.Subscription,
		Pending:      it.Ask,
	}
}

// fetch gets the roster, sending the version we hold, and returns it
// sorted by JID.
func (s *rosterState) fetch(ctx context.Context, sess *xmpp.Session) ([]Contact, error) {
	s.mu.Lock()
	ver := s.ver
	s.mu.Unlock()
	query := xml.StartElement{
		Name: xml.Name{Space: im.NSRoster, Local: "query"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "ver"}, Value: ver}},
	}
	var q im.RosterQuery
	err := sendIQ(ctx, sess, stanza.IQ{Type: stanza.GetIQ}, xmlstream.Wrap(nil, query),
		func(d *xml.Decoder, start *xml.StartElement) error {
			if start == nil {
				return nil // versioned roster unchanged
			}
			var err error
			q, _, err = im.DecodeRosterQuery(d, start) // d yields the rest of the query
			return err
		})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Present {
		s.items = make(map[string]Contact, len(q.Items))
		for _, it := range q.Items {
			if it.Subscription == "remove" {
				continue
			}
			s.items[it.JID.String()] = contactOf(it)
		}
		s.ver = q.Ver
	}
	out := make([]Contact, 0, len(s.items))
	for _, c := range s.items {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JID < out[j].JID })
	return out, nil
}

// push applies a roster push and reports the change.
func (s *rosterState) push(q im.RosterQuery) (updated []Contact, removed []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range q.Items {
		key := it.JID.String()
		if it.Subscription == "remove" {
			delete(s.items, key)
			removed = append(removed, key)
			continue
		}
		c := contactOf(it)
		s.items[key] = c
		updated = append(updated, c)
	}
	if q.Ver != "" {
		s.ver = q.Ver
	}
	return updated, removed
}

func (s *rosterState) get(bare string) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.items[bare]
	return c, ok
}

// set adds or changes an item on the server; the change itself arrives as
// a push.
func (s *rosterState) set(ctx context.Context, sess *xmpp.Session, it im.RosterItem) error {
	item := []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: it.JID.String()}}
	if it.Name != "" {
		item = append(item, xml.Attr{Name: xml.Name{Local: "name"}, Value: it.Name})
	}
	var groups []xml.TokenReader
	for _, g := range it.Groups {
		if g == "" {
			continue
		}
		groups = append(groups, xmlstream.Wrap(xmlstream.Token(xml.CharData(g)), xml.StartElement{Name: xml.Name{Local: "group"}}))
	}
	return s.write(ctx, sess, xmlstream.Wrap(xmlstream.MultiReader(groups...), xml.StartElement{Name: xml.Name{Local: "item"}, Attr: item}))
}

// remove deletes an item on the server.
func (s *rosterState) remove(ctx context.Context, sess *xmpp.Session, j jid.JID) error {
	return s.write(ctx, sess, xmlstream.Wrap(nil, xml.StartElement{
		Name: xml.Name{Local: "item"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: j.String()}, {Name: xml.Name{Local: "subscription"}, Value: "remove"}},
	}))
}

func (s *rosterState) write(ctx context.Context, sess *xmpp.Session, item xml.TokenReader) error {
	query := xmlstream.Wrap(item, xml.StartElement{Name: xml.Name{Space: im.NSRoster, Local: "query"}})
	return sendIQ(ctx, sess, stanza.IQ{Type: stanza.SetIQ}, query, nil)
}
