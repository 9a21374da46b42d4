package app

import (
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/form"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/caps"
	"github.com/palaver-im/palaver/app/im"
)

// The rooms of a group chat service (XEP-0045 §6.1 to §6.4).

// ErrNoRoomService is the Err of a RoomList when ListRooms was given no
// service and the account's server offers none.
var ErrNoRoomService = errors.New("the server offers no group chat service")

// Bounds of a room list.
const (
	// MaxListedRooms is the most rooms a RoomList holds; Truncated says
	// the service listed more.
	MaxListedRooms = 1000
	// MaxDetailedRooms is how many rooms, the first listed, are asked for
	// their details (disco#info); the others have Detailed unset.
	MaxDetailedRooms = 50
	// roomDetailsParallel is how many of those questions are on their way
	// at once, and roomDetailsTimeout bounds them all.
	roomDetailsParallel = 4
	roomDetailsTimeout  = 10 * time.Second
	// maxServiceCandidates is how many of the server's items are asked
	// whether they are a group chat service.
	maxServiceCandidates = 20
	// maxDiscoItems bounds the items kept of the server's disco#items.
	maxDiscoItems = 200
)

// ListRooms asks the group chat service (a domain such as
// conference.example.org; "" for the account's server's own, found by
// disco#items and disco#info of the server) for its public rooms, and the
// details of the first of them. A RoomList event answers.
func (c *Client) ListRooms(service string) { c.cmds.Push(cmdListRooms{service: service}) }

type cmdListRooms struct{ service string }

// listRooms carries out ListRooms: online, the room worker asks.
func (r *runner) listRooms(sess *xmpp.Session, cmd cmdListRooms) {
	if sess == nil {
		r.emit(RoomList{base: r.b(), Service: cmd.service, Err: ErrNotConnected})
		return
	}
	if cmd.service != "" {
		j, err := jid.Parse(cmd.service)
		if err != nil || j.Localpart() != "" || j.Resourcepart() != "" {
			r.emit(RoomList{base: r.b(), Service: im.Clip(cmd.service, maxRoomText), Err: jidMalformed})
			return
		}
		cmd.service = j.String()
	}
	r.rooms.mu.Lock()
	r.rooms.init()
	r.rooms.jobs.Push(roomJob{list: &cmd})
	r.rooms.mu.Unlock()
}

// listRoomsOnline answers a ListRooms, one list at a time (listing holds
// the one under way), on a goroutine of the room worker: ctx ends with
// the session.
func (r *runner) listRoomsOnline(ctx context.Context, sess *xmpp.Session, cmd cmdListRooms, listing chan struct{}) {
	select {
	case listing <- struct{}{}:
		defer func() { <-listing }()
	case <-ctx.Done():
		r.emit(RoomList{base: r.b(), Service: cmd.service, Err: ErrNotConnected})
		return
	}
	ev := r.roomList(ctx, sess, cmd.service)
	if ctx.Err() != nil {
		ev = RoomList{base: r.b(), Service: ev.Service, Err: ErrNotConnected}
	}
	r.emit(ev)
}

// roomList asks for the rooms of service, found first when "".
func (r *runner) roomList(ctx context.Context, sess *xmpp.Session, service string) RoomList {
	ev := RoomList{base: r.b(), Service: service}
	if service == "" {
		found, err := r.roomService(ctx, sess)
		if err != nil {
			ev.Err = err
			return ev
		}
		if found == "" {
			ev.Err = ErrNoRoomService
			return ev
		}
		ev.Service = found
	}
	to, err := jid.Parse(ev.Service)
	if err != nil {
		ev.Err = err
		return ev
	}
	items, truncated, err := discoItems(ctx, sess, to, MaxListedRooms)
	if err != nil {
		ev.Err = err
		return ev
	}
	seen := make(map[string]bool, len(items))
	rooms := make([]RoomItem, 0, len(items))
	for _, it := range items {
		room, ok := parseRoom(it.jid)
		if !ok || seen[room.String()] {
			continue
		}
		seen[room.String()] = true
		rooms = append(rooms, RoomItem{JID: room.String(), Name: it.name, Occupants: -1})
	}
	r.roomDetails(ctx, sess, rooms[:min(len(rooms), MaxDetailedRooms)])
	slices.SortFunc(rooms, func(a, b RoomItem) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.JID, b.JID))
	})
	ev.Rooms, ev.Truncated = rooms, truncated
	return ev
}

// roomDetails asks each of rooms for its disco#info (XEP-0045 §6.4),
// roomDetailsParallel at a time, within roomDetailsTimeout in all; a room
// that does not answer in time stays without details.
func (r *runner) roomDetails(ctx context.Context, sess *xmpp.Session, rooms []RoomItem) {
	ctx, cancel := context.WithTimeout(ctx, roomDetailsTimeout)
	defer cancel()
	sem := make(chan struct{}, roomDetailsParallel)
	var wg sync.WaitGroup
	for i := range rooms {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(it *RoomItem) {
			defer wg.Done()
			defer func() { <-sem }()
			to, err := jid.Parse(it.JID)
			if err != nil {
				return
			}
			info, err := discoInfo(ctx, sess, to)
			if err == nil {
				roomItemInfo(it, info)
			}
		}(&rooms[i])
	}
	wg.Wait()
}

// roomItemInfo fills it with what the room's disco#info says.
func roomItemInfo(it *RoomItem, info disco.Info) {
	it.Detailed = true
	for _, id := range info.Identity {
		if id.Category == "conference" && id.Name != "" {
			it.Name = im.Clip(id.Name, maxRoomText)
			break
		}
	}
	for _, f := range info.Features {
		switch f.Var {
		case "muc_membersonly":
			it.MembersOnly = true
		case "muc_passwordprotected":
			it.PasswordProtected = true
		}
	}
	for i := range info.Form {
		if !isRoomInfoForm(&info.Form[i]) {
			continue
		}
		info.Form[i].ForFields(func(fd form.FieldData) {
			if len(fd.Raw) == 0 {
				return
			}
			switch fd.Var {
			case "muc#roominfo_description":
				it.Description = im.Clip(strings.TrimSpace(fd.Raw[0]), maxRoomText)
			case "muc#roominfo_occupants":
				if n, err := strconv.Atoi(strings.TrimSpace(fd.Raw[0])); err == nil && n >= 0 {
					it.Occupants = n
				}
			}
		})
	}
}

// isRoomInfoForm reports whether d is the muc#roominfo form (XEP-0045
// §15.5.4).
func isRoomInfoForm(d *form.Data) bool {
	ok := false
	d.ForFields(func(fd form.FieldData) {
		if fd.Var == "FORM_TYPE" && len(fd.Raw) > 0 && fd.Raw[0] == "http://jabber.org/protocol/muc#roominfo" {
			ok = true
		}
	})
	return ok
}

// roomService returns the account's server's group chat service, found
// once per Run: the first of the server's items (at most
// maxServiceCandidates asked) whose identity is conference/text (XEP-0045
// §6.1); "" for none.
func (r *runner) roomService(ctx context.Context, sess *xmpp.Session) (string, error) {
	b := &r.rooms
	b.mu.Lock()
	found := b.service
	b.mu.Unlock()
	if found != "" {
		return found, nil
	}
	server := sess.LocalAddr().Domain()
	items, _, err := discoItems(ctx, sess, server, maxDiscoItems)
	if err != nil {
		return "", err
	}
	asked := 0
	for _, it := range items {
		if it.node != "" {
			continue
		}
		to, err := jid.Parse(it.jid)
		if err != nil || to.Localpart() != "" || to.Resourcepart() != "" {
			continue
		}
		if asked++; asked > maxServiceCandidates {
			break
		}
		info, err := discoInfo(ctx, sess, to)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if err != nil || !isRoomService(info) {
			continue
		}
		b.mu.Lock()
		b.service = to.String()
		b.mu.Unlock()
		return to.String(), nil
	}
	return "", nil
}

// isRoomService reports whether info is a group chat service's.
func isRoomService(info disco.Info) bool {
	for _, id := range info.Identity {
		if id.Category == "conference" && id.Type == "text" {
			return true
		}
	}
	return false
}

// discoInfo asks to for its disco#info (XEP-0030 §3.1), decoded within
// caps.DefaultLimits.
func discoInfo(ctx context.Context, sess *xmpp.Session, to jid.JID) (disco.Info, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var info disco.Info
	err := sendIQ(ctx, sess, stanza.IQ{Type: stanza.GetIQ, To: to}, disco.InfoQuery{}.TokenReader(),
		func(d *xml.Decoder, start *xml.StartElement) error {
			if start == nil {
				return errNoInfo
			}
			var err error
			info, err = caps.DecodeInfo(d, start, caps.DefaultLimits)
			return err
		})
	return info, err
}

// discoItem is an item of a disco#items answer.
type discoItem struct{ jid, name, node string }

// discoItems asks to for its items (XEP-0030 §4.1), keeping at most limit.
func discoItems(ctx context.Context, sess *xmpp.Session, to jid.JID, limit int) ([]discoItem, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var (
		items     []discoItem
		truncated bool
	)
	q := xml.StartElement{Name: xml.Name{Space: disco.NSItems, Local: "query"}}
	err := sendIQ(ctx, sess, stanza.IQ{Type: stanza.GetIQ, To: to}, xmlstream.Wrap(nil, q),
		func(d *xml.Decoder, start *xml.StartElement) error {
			if start == nil {
				return nil // no items
			}
			var err error
			items, truncated, err = decodeDiscoItems(d, start, limit)
			return err
		})
	return items, truncated, err
}

// errNotItems is the answer to a disco#items query that is something else.
var errNotItems = errors.New("not a disco#items answer")

// decodeDiscoItems reads the disco#items <query/> that start opens (XEP-0030
// §4.1), r yielding what follows start, as a token stream: it keeps at
// most limit items (truncated says there were more), each text clipped to
// maxRoomText bytes, and reads the rest without keeping anything.
func decodeDiscoItems(r xml.TokenReader, start *xml.StartElement, limit int) (items []discoItem, truncated bool, err error) {
	if start.Name.Space != disco.NSItems || start.Name.Local != "query" {
		return nil, false, errNotItems
	}
	depth := 0
	for {
		tok, err := r.Token()
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 && t.Name == (xml.Name{Space: disco.NSItems, Local: "item"}) {
				if len(items) < limit {
					items = append(items, discoItem{
						jid:  im.Clip(xmlAttr(t, "jid"), maxRoomText),
						name: im.Clip(xmlAttr(t, "name"), maxRoomText),
						node: im.Clip(xmlAttr(t, "node"), maxRoomText),
					})
				} else {
					truncated = true
				}
			}
			depth++
		case xml.EndElement:
			if depth == 0 {
				return items, truncated, nil
			}
			depth--
		}
		if errors.Is(err, io.EOF) {
			return items, truncated, nil
		}
		if err != nil {
			return items, truncated, err
		}
	}
}
