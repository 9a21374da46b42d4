package app

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sync"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/bookmarks"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/queue"
)

// Room bookmarks: the rooms the account keeps, with autojoin, stored on
// the server so that they survive a restart and every client of the
// account shares them.
//
// Where they live: XEP-0402 (PEP native bookmarks, node
// urn:xmpp:bookmarks:1, one item per room keyed by the room's JID) when
// the server says, on the account's bare JID, that it keeps them in step
// with the older store (urn:xmpp:bookmarks:1#compat, XEP-0402 §5.3);
// otherwise XEP-0048 in private XML storage (XEP-0049), which every
// server has, and which clients that do not speak XEP-0402 read. Changes
// made by other clients arrive as PEP notifications (XEP-0163 §4.3)
// because we advertise urn:xmpp:bookmarks:1+notify (discoinfo.go); the
// private storage has no notifications: there, others' changes show on
// the next sign-in.
//
// What the core does with them, one rule for every change wherever it
// comes from (a fetch on sign-in, a notification, our own SetBookmark or
// RemoveBookmark): a bookmark that has autojoin is joined unless we are
// in the room (XEP-0402 §3.2: a client SHOULD join it); a bookmark whose
// autojoin was set and that is removed, or whose autojoin is cleared, is
// left. So every client of the account ends up in the same rooms: leaving
// on removal is our choice, made so that removing a room from the list on
// one client does not leave the others sitting in it.
//
// mellium's bookmarks package (v0.23.0) gives the namespaces and the
// +notify feature, which we use; its Fetch, Publish and Channel decoder
// do not fit, and we do not use them:
//   - Fetch's iterator stops at the first item it cannot decode, and at an
//     item whose id is not a JID it stops without an error (bookmarks/
//     iter.go, Iter.Next): one hostile or odd item hides every bookmark
//     after it. We skip the item and keep the rest
//     (TestBookmarkDecodeSkipsMalformedItem shows both).
//   - Channel.UnmarshalXML keeps <extensions/> as innerxml, which
//     encoding/xml fills only when decoding from bytes: from the session's
//     token stream (Iter.Next uses xml.NewTokenDecoder) it is always
//     empty, so a bookmark republished through it loses what other
//     clients stored there, which XEP-0402 §3.1 says to keep
//     (TestMelliumChannelLosesExtensions). We keep them as tokens.
//   - Publish sends no publish-options (bookmarks/publish.go), so the
//     node gets the server's defaults: on Prosody 0.12 one item and access
//     by presence subscription, which loses all bookmarks but the last and
//     shows them, passwords included, to contacts. XEP-0402 §3.3 requires
//     the options sent here.
//   - Fetch blocks the session's Serve until its iterator is closed and
//     decodes error answers with stanza.UnmarshalIQError, which panics on
//     whitespace (see sendIQ).
//   - Nothing is bounded: a name or a password of any size is kept.

// Limits on what bookmarks may make us keep.
const (
	// MaxBookmarks is the most bookmarks kept: more are ignored (the
	// Bookmarks event says Truncated) and SetBookmark of another room
	// fails. Prosody keeps at most 256 by default (pep_max_items).
	MaxBookmarks = 1000
	// MaxBookmarkName bounds a bookmark's name, in bytes.
	MaxBookmarkName = 1024
	// MaxBookmarkPassword bounds a bookmark's password, in bytes.
	MaxBookmarkPassword = 1024
	// maxBookmarkExtras bounds the tokens kept of one bookmark's
	// <extensions/>, and of the other children of the private storage
	// (XEP-0048 <url/> bookmarks), to write them back unchanged.
	maxBookmarkExtras = 4096
	// maxBookmarkEvent bounds the tokens read of one PEP notification.
	maxBookmarkEvent = 64 << 10
)

// Namespaces beyond mellium's.
const (
	nsPubSub        = "http://jabber.org/protocol/pubsub"
	nsPubSubEvent   = "http://jabber.org/protocol/pubsub#event"
	nsPrivate       = "jabber:iq:private"
	nsLegacyBookmks = "storage:bookmarks"
	nsDataForm      = "jabber:x:data"
)

// Bookmark is a room the account keeps (XEP-0402 §3.1, XEP-0048 §3).
type Bookmark struct {
	// Room is the room's bare JID.
	Room string
	// Name is the name the user gave it; may be empty.
	Name string
	// Nick is the nickname to join with; empty means the account's user
	// name.
	Nick string
	// Password is the room's password; may be empty.
	Password string
	// Autojoin: join the room on sign-in.
	Autojoin bool
}

// Bookmarks is sent on every new session (not on a resumed one) once the
// server gave the account's bookmarks: the whole list, which replaces
// what was known.
// The autojoin rooms among them are joined right after, unless already
// joined: RoomJoined (Rejoined false on the first join of a run) or
// RoomJoinFailed follow.
type Bookmarks struct {
	base
	// Rooms are the bookmarks, in the server's order; a malformed one is
	// left out.
	Rooms []Bookmark
	// Legacy is set when they live in private XML storage (XEP-0048), for
	// a server without XEP-0402 compat: others' changes then show only on
	// the next sign-in.
	Legacy bool
	// Truncated is set when the server had more than MaxBookmarks.
	Truncated bool
}

// BookmarkChanged is sent when a bookmark was added or changed, by
// another client of the account (a PEP notification) or by SetBookmark.
type BookmarkChanged struct {
	base
	Bookmark Bookmark
}

// BookmarkRemoved is sent when a bookmark was removed, by another client
// or by RemoveBookmark.
type BookmarkRemoved struct {
	base
	// Room is the room's bare JID.
	Room string
}

// Errors of the bookmark commands (CommandFailed.Err).
var (
	errBookmarkInvalid  = errors.New("the bookmark is not valid: it needs a room address (room@service), a nickname that can be one and a name and password of at most 1024 bytes")
	errTooManyBookmarks = fmt.Errorf("the account already has %d bookmarks: remove one first", MaxBookmarks)
)

// SetBookmark adds or changes the bookmark of b.Room on the server. A
// BookmarkChanged follows when the server took it, a CommandFailed with
// OpSetBookmark when not (also while offline). With Autojoin the room is
// joined unless already; clearing Autojoin of a bookmark that had it
// leaves the room.
func (c *Client) SetBookmark(b Bookmark) { c.cmds.Push(cmdSetBookmark{b: b}) }

// RemoveBookmark removes the bookmark of room (a bare JID) from the
// server. A BookmarkRemoved follows when it was there, a CommandFailed
// with OpRemoveBookmark when the server refused (also while offline). A
// room whose bookmark had autojoin is left.
func (c *Client) RemoveBookmark(room string) { c.cmds.Push(cmdRemoveBookmark{room: room}) }

type cmdSetBookmark struct{ b Bookmark }
type cmdRemoveBookmark struct{ room string }

// cmdAutojoin comes from the bookmarks: join the room unless we are in it
// (or joining it).
type cmdAutojoin struct{ b Bookmark }

// bookmarkEntry is a bookmark with what we keep to write it back: the
// tokens of its <extensions/> (XEP-0402 §3.1), nil when none.
type bookmarkEntry struct {
	Bookmark
	ext []xml.Token
}

// bookmarkJob is a round trip for the bookmark worker.
type bookmarkJob struct {
	set    *bookmarkEntry
	remove string
}

// bookmarkBook holds the account's bookmarks across its sessions.
// It is safe for concurrent use: the runner, the Serve handler and the
// bookmark worker use it.
type bookmarkBook struct {
	mu    sync.Mutex
	items map[string]bookmarkEntry
	order []string // the rooms of items, in the server's order
	// legacy: they live in private XML storage (XEP-0048); others are
	// that storage's other children, written back unchanged.
	legacy bool
	others []xml.Token
	jobs   *queue.Queue[bookmarkJob]
}

func (b *bookmarkBook) init() {
	if b.items == nil {
		b.items = map[string]bookmarkEntry{}
		b.jobs = queue.New[bookmarkJob]()
	}
}

// put records e and returns what it replaced; changed is false when
// nothing changed (our own publish and its notification both report it).
func (b *bookmarkBook) put(e bookmarkEntry) (old *Bookmark, changed bool) {
	b.init()
	prev, ok := b.items[e.Room]
	if ok {
		if prev.Bookmark == e.Bookmark {
			if e.ext != nil {
				b.items[e.Room] = e
			}
			return &prev.Bookmark, false
		}
		old = &prev.Bookmark
	} else {
		if len(b.items) >= MaxBookmarks {
			return nil, false
		}
		b.order = append(b.order, e.Room)
	}
	b.items[e.Room] = e
	return old, true
}

// remove forgets room and returns its bookmark, nil when unknown.
func (b *bookmarkBook) remove(room string) *Bookmark {
	prev, ok := b.items[room]
	if !ok {
		return nil
	}
	delete(b.items, room)
	for i, r := range b.order {
		if r == room {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
	return &prev.Bookmark
}

// follow does what a bookmark's change from old to now (nil: none) calls
// for: join when it has autojoin, leave when its autojoin went away.
func (c *Client) follow(old, now *Bookmark) {
	switch {
	case now != nil && now.Autojoin:
		c.cmds.Push(cmdAutojoin{b: *now})
	case old != nil && old.Autojoin:
		c.cmds.Push(cmdLeaveRoom{room: old.Room})
	}
}

// The runner's side: commands.

// autojoin carries out cmdAutojoin with the bookmark's nick, else the
// account's user name.
func (r *runner) autojoin(ctx context.Context, sess *xmpp.Session, cmd cmdAutojoin) {
	if r.rooms.has(cmd.b.Room) {
		return
	}
	nick := cmd.b.Nick
	if nick == "" {
		if j, err := jid.Parse(r.acct); err == nil {
			nick = j.Localpart()
		}
	}
	r.joinRoom(ctx, sess, cmdJoinRoom{room: cmd.b.Room, nick: nick, password: cmd.b.Password})
}

// setBookmark carries out SetBookmark: online, the bookmark worker
// publishes it.
func (r *runner) setBookmark(sess *xmpp.Session, cmd cmdSetBookmark) {
	b, ok := validBookmark(cmd.b)
	if !ok {
		r.emit(CommandFailed{base: r.b(), Op: OpSetBookmark, JID: im.Clip(cmd.b.Room, maxRoomText), Err: errBookmarkInvalid})
		return
	}
	if sess == nil {
		r.emit(CommandFailed{base: r.b(), Op: OpSetBookmark, JID: b.Room, Err: ErrNotConnected})
		return
	}
	bk := &r.bookmarks
	bk.mu.Lock()
	bk.init()
	e := bookmarkEntry{Bookmark: b}
	prev, known := bk.items[b.Room]
	if known {
		e.ext = prev.ext
	}
	full := !known && len(bk.items) >= MaxBookmarks
	if !full {
		bk.jobs.Push(bookmarkJob{set: &e})
	}
	bk.mu.Unlock()
	if full {
		r.emit(CommandFailed{base: r.b(), Op: OpSetBookmark, JID: b.Room, Err: errTooManyBookmarks})
	}
}

// removeBookmark carries out RemoveBookmark.
func (r *runner) removeBookmark(sess *xmpp.Session, cmd cmdRemoveBookmark) {
	room, ok := parseRoom(cmd.room)
	if !ok {
		r.emit(CommandFailed{base: r.b(), Op: OpRemoveBookmark, JID: im.Clip(cmd.room, maxRoomText), Err: errBookmarkInvalid})
		return
	}
	if sess == nil {
		r.emit(CommandFailed{base: r.b(), Op: OpRemoveBookmark, JID: room.String(), Err: ErrNotConnected})
		return
	}
	bk := &r.bookmarks
	bk.mu.Lock()
	bk.init()
	bk.jobs.Push(bookmarkJob{remove: room.String()})
	bk.mu.Unlock()
}

// validBookmark returns b with its room in canonical form, when it can be
// stored.
func validBookmark(b Bookmark) (Bookmark, bool) {
	room, ok := parseRoom(b.Room)
	if !ok || len(b.Name) > MaxBookmarkName || len(b.Password) > MaxBookmarkPassword {
		return b, false
	}
	b.Room = room.String()
	if b.Nick != "" {
		nick, ok := validNick(room, b.Nick)
		if !ok {
			return b, false
		}
		b.Nick = nick
	}
	return b, true
}

// The bookmark worker: what waits on the network.

// bookmarkWorker runs for a session: on a new one (fresh) it fetches the
// bookmarks first; then it carries out SetBookmark and RemoveBookmark in
// the order they were asked for.
func (r *runner) bookmarkWorker(ctx context.Context, sess *xmpp.Session, fresh bool) {
	bk := &r.bookmarks
	bk.mu.Lock()
	bk.init()
	jobs := bk.jobs
	bk.mu.Unlock()
	if fresh {
		r.fetchBookmarks(ctx, sess)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-jobs.Ready():
		}
		for _, j := range jobs.Take() {
			if ctx.Err() != nil {
				return
			}
			if j.set != nil {
				r.publishBookmark(ctx, sess, *j.set)
			} else {
				r.retractBookmark(ctx, sess, j.remove)
			}
		}
	}
}

// fetchBookmarks finds where the bookmarks live, reads them all, reports
// them and does what they call for.
func (r *runner) fetchBookmarks(ctx context.Context, sess *xmpp.Session) {
	own := sess.LocalAddr().Bare()
	compat := r.bookmarksCompat(ctx, sess, own)
	var (
		list      []bookmarkEntry
		others    []xml.Token
		truncated bool
		err       error
	)
	fctx, cancel := context.WithTimeout(ctx, requestTimeout)
	if compat {
		list, truncated, err = fetchPEPBookmarks(fctx, sess)
	} else {
		list, others, truncated, err = fetchLegacyBookmarks(fctx, sess)
	}
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			r.emit(CommandFailed{base: r.b(), Op: OpFetchBookmarks, Err: err})
		}
		return
	}
	bk := &r.bookmarks
	bk.mu.Lock()
	bk.init()
	before := bk.items
	bk.items, bk.order, bk.legacy, bk.others = map[string]bookmarkEntry{}, nil, !compat, others
	ev := Bookmarks{base: r.b(), Legacy: !compat, Truncated: truncated, Rooms: make([]Bookmark, 0, len(list))}
	for _, e := range list {
		if _, dup := bk.items[e.Room]; dup {
			continue
		}
		bk.put(e)
		ev.Rooms = append(ev.Rooms, e.Bookmark)
	}
	var gone []Bookmark
	for room, e := range before {
		if _, ok := bk.items[room]; !ok || !bk.items[room].Autojoin {
			gone = append(gone, e.Bookmark)
		}
	}
	bk.mu.Unlock()
	r.emit(ev)
	for _, b := range ev.Rooms {
		if b.Autojoin {
			r.cmds.Push(cmdAutojoin{b: b})
		}
	}
	for _, old := range gone {
		if old.Autojoin {
			r.cmds.Push(cmdLeaveRoom{room: old.Room})
		}
	}
}

// bookmarksCompat asks the account's bare JID whether it keeps XEP-0402
// bookmarks in step with private storage (XEP-0402 §5.3). No answer means
// no: private storage is the store every server has.
func (r *runner) bookmarksCompat(ctx context.Context, sess *xmpp.Session, own jid.JID) bool {
	qctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	found := false
	q := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: disco.NSInfo, Local: "query"}})
	_ = sendIQ(qctx, sess, stanza.IQ{Type: stanza.GetIQ, To: own}, q, func(d *xml.Decoder, start *xml.StartElement) error {
		if start == nil {
			return nil
		}
		found = hasFeature(d, bookmarks.NSCompat)
		return nil
	})
	return found
}

// hasFeature reads a disco#info query's children (r after its start) and
// reports whether feature is among them.
func hasFeature(r xml.TokenReader, feature string) bool {
	depth := 0
	for {
		tok, err := r.Token()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 && t.Name.Local == "feature" && xmlAttr(t, "var") == feature {
				return true
			}
			depth++
		case xml.EndElement:
			if depth == 0 {
				return false
			}
			depth--
		}
	}
}

// fetchPEPBookmarks reads every item of the bookmarks node (XEP-0402
// §3.2). A node that does not exist yet is an empty list.
func fetchPEPBookmarks(ctx context.Context, sess *xmpp.Session) (list []bookmarkEntry, truncated bool, err error) {
	q := pepItemsQuery(bookmarks.NS, nil)
	err = sendIQ(ctx, sess, stanza.IQ{Type: stanza.GetIQ}, q, func(d *xml.Decoder, start *xml.StartElement) error {
		if start == nil {
			return nil
		}
		// <pubsub><items>…</items></pubsub>
		for {
			tok, err := d.Token()
			if err != nil {
				return nil
			}
			if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "items" {
				var dec pepItems
				if err := dec.read(d); err != nil {
					return err
				}
				list, truncated = dec.changed, dec.truncated
				return nil
			}
		}
	})
	var se stanza.Error
	if errors.As(err, &se) && se.Condition == stanza.ItemNotFound {
		return nil, false, nil
	}
	return list, truncated, err
}

// pepItems is what an <items/> of the bookmarks node says: as a fetch's
// result (XEP-0060 §6.5) or a notification (§7.1.2.1, with <retract/>).
type pepItems struct {
	changed   []bookmarkEntry
	retracted []string
	truncated bool
}

// read decodes the children of <items/> (r after its start) up to its
// end. A malformed item is skipped; more than MaxBookmarks are counted
// as truncated.
func (p *pepItems) read(r xml.TokenReader) error {
	for {
		tok, err := r.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			switch t.Name.Local {
			case "item":
				e, ok, err := readPEPItem(r, t)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if len(p.changed) >= MaxBookmarks {
					p.truncated = true
					continue
				}
				p.changed = append(p.changed, e)
			case "retract":
				if err := xmlstream.Skip(r); err != nil {
					return err
				}
				if room, ok := parseRoom(xmlAttr(t, "id")); ok && len(p.retracted) < MaxBookmarks {
					p.retracted = append(p.retracted, room.String())
				}
			default:
				if err := xmlstream.Skip(r); err != nil {
					return err
				}
			}
		}
	}
}

// readPEPItem decodes an <item id='room'><conference/></item> (r after
// the item's start) up to the item's end; ok is false for an item that is
// no bookmark we can keep.
func readPEPItem(r xml.TokenReader, item xml.StartElement) (e bookmarkEntry, ok bool, err error) {
	room, roomOK := parseRoom(xmlAttr(item, "id"))
	found := false
	for {
		tok, err := r.Token()
		if err != nil {
			return e, false, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return e, found && roomOK, nil
		case xml.StartElement:
			if found || t.Name != (xml.Name{Space: bookmarks.NS, Local: "conference"}) {
				if err := xmlstream.Skip(r); err != nil {
					return e, false, err
				}
				continue
			}
			var good bool
			e, good, err = readConference(r, t, false)
			if err != nil {
				return e, false, err
			}
			found = good
			e.Room = room.String()
		}
	}
}

// readConference decodes a <conference/> (r after its start) up to its
// end: of XEP-0402 §3.1 (name and autojoin attributes, <nick/>,
// <password/>, <extensions/>), or of XEP-0048 §3.2 when legacy (also a
// jid attribute, which becomes Room; no extensions). ok is false when it
// breaks the bounds or the XEPs' rules.
func readConference(r xml.TokenReader, start xml.StartElement, legacy bool) (e bookmarkEntry, ok bool, err error) {
	ok = true
	e.Name = xmlAttr(start, "name")
	if len(e.Name) > MaxBookmarkName {
		ok = false
	}
	switch xmlAttr(start, "autojoin") {
	case "true", "1":
		e.Autojoin = true
	case "false", "0", "":
	default:
		ok = false // xs:boolean has no other values
	}
	if legacy {
		room, roomOK := parseRoom(xmlAttr(start, "jid"))
		ok = ok && roomOK
		e.Room = room.String()
	}
	var nick, password *string
	for {
		tok, err := r.Token()
		if err != nil {
			return e, false, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if nick != nil {
				e.Nick = *nick
				if e.Nick == "" {
					ok = false
				}
			}
			if password != nil {
				e.Password = *password
			}
			return e, ok, nil
		case xml.StartElement:
			switch {
			case t.Name.Local == "nick" && nick == nil:
				s, good, err := readText(r, MaxNick)
				if err != nil {
					return e, false, err
				}
				nick, ok = &s, ok && good
			case t.Name.Local == "password" && password == nil:
				s, good, err := readText(r, MaxBookmarkPassword)
				if err != nil {
					return e, false, err
				}
				password, ok = &s, ok && good
			case t.Name.Local == "extensions" && !legacy && e.ext == nil:
				toks, err := readTokens(r, t, maxBookmarkExtras)
				if err != nil {
					return e, false, err
				}
				e.ext = toks // nil when too long: dropped, not kept half
			default:
				if err := xmlstream.Skip(r); err != nil {
					return e, false, err
				}
			}
		}
	}
}

// readText reads an element's text (r after its start) up to its end;
// ok is false when it is longer than limit bytes or has child elements.
func readText(r xml.TokenReader, limit int) (s string, ok bool, err error) {
	ok = true
	depth := 0
	for {
		tok, err := r.Token()
		if err != nil {
			return "", false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			ok = false
		case xml.EndElement:
			if depth == 0 {
				return s, ok, nil
			}
			depth--
		case xml.CharData:
			if depth == 0 && ok {
				if len(s)+len(t) > limit {
					ok, s = false, ""
					continue
				}
				s += string(t)
			}
		}
	}
}

// readTokens returns copies of the element start with everything inside
// it up to its end (r after start), or nil when that is more than limit
// tokens (the rest is read and dropped). A start element's namespace is
// its Name.Space only: the decoder also leaves its xmlns attribute, which
// an encoder would write a second time.
func readTokens(r xml.TokenReader, start xml.StartElement, limit int) ([]xml.Token, error) {
	toks := []xml.Token{withoutXMLNS(start.Copy())}
	depth := 0
	for {
		tok, err := r.Token()
		if err != nil {
			return nil, err
		}
		if toks != nil {
			if len(toks) >= limit {
				toks = nil
			} else {
				tok = xml.CopyToken(tok)
				if s, ok := tok.(xml.StartElement); ok {
					tok = withoutXMLNS(s)
				}
				toks = append(toks, tok)
			}
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return toks, nil
			}
			depth--
		}
	}
}

// withoutXMLNS drops s's default namespace declaration when s.Name.Space
// says it.
func withoutXMLNS(s xml.StartElement) xml.StartElement {
	if s.Name.Space == "" {
		return s
	}
	attrs := s.Attr[:0]
	for _, a := range s.Attr {
		if a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		attrs = append(attrs, a)
	}
	s.Attr = attrs
	return s
}

// conferenceTokens encodes b as XEP-0402's <conference/> (§3.1), or
// XEP-0048's (§3.2, with the room in a jid attribute) when legacy.
func conferenceTokens(e bookmarkEntry, legacy bool) xml.TokenReader {
	attrs := []xml.Attr{{Name: xml.Name{Local: "autojoin"}, Value: fmt.Sprint(e.Autojoin)}}
	space := bookmarks.NS
	if legacy {
		space = ""
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "jid"}, Value: e.Room})
	}
	if e.Name != "" {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "name"}, Value: e.Name})
	}
	var inner []xml.TokenReader
	if e.Nick != "" {
		inner = append(inner, textElem("nick", e.Nick))
	}
	if e.Password != "" {
		inner = append(inner, textElem("password", e.Password))
	}
	if len(e.ext) > 0 && !legacy {
		ext := tokens(e.ext)
		inner = append(inner, &ext)
	}
	return xmlstream.Wrap(xmlstream.MultiReader(inner...), xml.StartElement{Name: xml.Name{Space: space, Local: "conference"}, Attr: attrs})
}

// field is a data form field with one value (XEP-0004 §3.2).
func field(name, value string, attrs ...xml.Attr) xml.TokenReader {
	return xmlstream.Wrap(textElem("value", value), xml.StartElement{Name: xml.Name{Local: "field"}, Attr: append([]xml.Attr{{Name: xml.Name{Local: "var"}, Value: name}}, attrs...)})
}

// publishOptions are XEP-0402 §3.3's (XEP-0060 §7.1.5): the items are
// kept, as many as the server allows, seen by the account only, and not
// sent to us again on every sign-in.
func publishOptions() xml.TokenReader {
	form := xmlstream.Wrap(xmlstream.MultiReader(
		field("FORM_TYPE", "http://jabber.org/protocol/pubsub#publish-options", xml.Attr{Name: xml.Name{Local: "type"}, Value: "hidden"}),
		field("pubsub#persist_items", "true"),
		field("pubsub#max_items", "max"),
		field("pubsub#send_last_published_item", "never"),
		field("pubsub#access_model", "whitelist"),
	), xml.StartElement{Name: xml.Name{Space: nsDataForm, Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}})
	return xmlstream.Wrap(form, xml.StartElement{Name: xml.Name{Local: "publish-options"}})
}

// publishBookmark stores e where the bookmarks live, then records it.
func (r *runner) publishBookmark(ctx context.Context, sess *xmpp.Session, e bookmarkEntry) {
	r.bookmarks.mu.Lock()
	legacy := r.bookmarks.legacy
	r.bookmarks.mu.Unlock()
	pctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var err error
	if legacy {
		err = r.rewriteLegacy(pctx, sess, &e, "")
	} else {
		item := xmlstream.Wrap(conferenceTokens(e, false), xml.StartElement{Name: xml.Name{Local: "item"}, Attr: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: e.Room}}})
		pub := xmlstream.Wrap(item, xml.StartElement{Name: xml.Name{Local: "publish"}, Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: bookmarks.NS}}})
		q := xmlstream.Wrap(xmlstream.MultiReader(pub, publishOptions()), xml.StartElement{Name: xml.Name{Space: nsPubSub, Local: "pubsub"}})
		err = sendIQ(pctx, sess, stanza.IQ{Type: stanza.SetIQ}, q, nil)
	}
	if err != nil {
		if ctx.Err() == nil {
			r.emit(CommandFailed{base: r.b(), Op: OpSetBookmark, JID: e.Room, Err: err})
		}
		return
	}
	r.bookmarks.mu.Lock()
	old, changed := r.bookmarks.put(e)
	r.bookmarks.mu.Unlock()
	if changed {
		r.emit(BookmarkChanged{base: r.b(), Bookmark: e.Bookmark})
		r.follow(old, &e.Bookmark)
	}
}

// retractBookmark removes room's bookmark from where the bookmarks live
// (XEP-0402 §3.4: a retraction, notified), then forgets it.
func (r *runner) retractBookmark(ctx context.Context, sess *xmpp.Session, room string) {
	r.bookmarks.mu.Lock()
	legacy := r.bookmarks.legacy
	r.bookmarks.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var err error
	if legacy {
		err = r.rewriteLegacy(rctx, sess, nil, room)
	} else {
		item := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "item"}, Attr: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: room}}})
		ret := xmlstream.Wrap(item, xml.StartElement{Name: xml.Name{Local: "retract"}, Attr: []xml.Attr{
			{Name: xml.Name{Local: "node"}, Value: bookmarks.NS}, {Name: xml.Name{Local: "notify"}, Value: "true"}}})
		err = sendIQ(rctx, sess, stanza.IQ{Type: stanza.SetIQ}, xmlstream.Wrap(ret, xml.StartElement{Name: xml.Name{Space: nsPubSub, Local: "pubsub"}}), nil)
		var se stanza.Error
		if errors.As(err, &se) && se.Condition == stanza.ItemNotFound {
			err = nil // already gone
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			r.emit(CommandFailed{base: r.b(), Op: OpRemoveBookmark, JID: room, Err: err})
		}
		return
	}
	r.bookmarks.mu.Lock()
	old := r.bookmarks.remove(room)
	r.bookmarks.mu.Unlock()
	if old != nil {
		r.emit(BookmarkRemoved{base: r.b(), Room: room})
		r.follow(old, nil)
	}
}

// Private XML storage (XEP-0049) holding XEP-0048 bookmarks.

// privateQuery is <query xmlns='jabber:iq:private'> around inner.
func privateQuery(inner xml.TokenReader) xml.TokenReader {
	return xmlstream.Wrap(xmlstream.Wrap(inner, xml.StartElement{Name: xml.Name{Space: nsLegacyBookmks, Local: "storage"}}),
		xml.StartElement{Name: xml.Name{Space: nsPrivate, Local: "query"}})
}

// fetchLegacyBookmarks reads the XEP-0048 storage (XEP-0049 §2.3): the
// conferences, and the other children (URL bookmarks) to write back.
func fetchLegacyBookmarks(ctx context.Context, sess *xmpp.Session) (list []bookmarkEntry, others []xml.Token, truncated bool, err error) {
	err = sendIQ(ctx, sess, stanza.IQ{Type: stanza.GetIQ}, privateQuery(nil), func(d *xml.Decoder, start *xml.StartElement) error {
		if start == nil {
			return nil
		}
		for {
			tok, err := d.Token()
			if err != nil {
				return nil
			}
			if s, ok := tok.(xml.StartElement); ok && s.Name == (xml.Name{Space: nsLegacyBookmks, Local: "storage"}) {
				var st legacyStorage
				if err := st.read(d); err != nil {
					return err
				}
				list, others, truncated = st.list, st.others, st.truncated
				return nil
			}
		}
	})
	return list, others, truncated, err
}

// legacyStorage is what a <storage xmlns='storage:bookmarks'/> says.
type legacyStorage struct {
	list      []bookmarkEntry
	others    []xml.Token
	truncated bool
}

// read decodes the children of <storage/> (r after its start) up to its
// end: the conferences (a malformed one skipped), and copies of the other
// elements up to maxBookmarkExtras tokens (beyond, they are lost on the
// next write: a bound we accept for hostile input).
func (st *legacyStorage) read(r xml.TokenReader) error {
	for {
		tok, err := r.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local != "conference" {
				toks, err := readTokens(r, t, maxBookmarkExtras-len(st.others))
				if err != nil {
					return err
				}
				st.others = append(st.others, toks...)
				continue
			}
			e, ok, err := readConference(r, t, true)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if len(st.list) >= MaxBookmarks {
				st.truncated = true
				continue
			}
			st.list = append(st.list, e)
		}
	}
}

// rewriteLegacy reads the XEP-0048 storage afresh (another client may
// have changed it since), puts set in it or takes remove out, and writes
// it back whole (XEP-0049 §2.2; XEP-0048 has no item-level updates).
func (r *runner) rewriteLegacy(ctx context.Context, sess *xmpp.Session, set *bookmarkEntry, remove string) error {
	list, others, _, err := fetchLegacyBookmarks(ctx, sess)
	if err != nil {
		return err
	}
	key := remove
	if set != nil {
		key = set.Room
	}
	var inner []xml.TokenReader
	replaced := false
	for _, e := range list {
		if e.Room == key {
			if set != nil && !replaced {
				inner = append(inner, conferenceTokens(*set, true))
				replaced = true
			}
			continue
		}
		inner = append(inner, conferenceTokens(e, true))
	}
	if set != nil && !replaced {
		inner = append(inner, conferenceTokens(*set, true))
	}
	rest := tokens(others)
	inner = append(inner, &rest)
	return sendIQ(ctx, sess, stanza.IQ{Type: stanza.SetIQ}, privateQuery(xmlstream.MultiReader(inner...)), nil)
}

// Notifications: the handler's side.

// pepEventSpotter passes on a message's tokens and keeps copies of those
// of a PEP notification (an <event xmlns='…pubsub#event'/> child,
// XEP-0060 §7.1.2.1), up to maxBookmarkEvent tokens (beyond, the
// notification is dropped).
type pepEventSpotter struct {
	r        xml.TokenReader
	depth    int
	in       bool
	overflow bool
	toks     []xml.Token
}

// Token returns the next token of the message.
func (s *pepEventSpotter) Token() (xml.Token, error) {
	tok, err := s.r.Token()
	if tok == nil {
		return tok, err
	}
	if t, ok := tok.(xml.StartElement); ok && s.depth == 0 && !s.in && !s.overflow && s.toks == nil && t.Name == (xml.Name{Space: nsPubSubEvent, Local: "event"}) {
		s.in = true
	}
	if s.in && !s.overflow {
		if len(s.toks) >= maxBookmarkEvent {
			s.overflow, s.toks = true, nil
		} else {
			s.toks = append(s.toks, xml.CopyToken(tok))
		}
	}
	switch tok.(type) {
	case xml.StartElement:
		s.depth++
	case xml.EndElement:
		s.depth--
		if s.depth == 0 {
			s.in = false
		}
	}
	return tok, err
}

// bookmarkEvent is what a notification says about the bookmarks node.
type bookmarkEvent struct {
	pepItems
	// purged: every item was removed (XEP-0060 §8.5).
	purged bool
}

// decodeBookmarkEvent reads a PEP <event/> (r at its start); ok is false
// when it is not about the bookmarks node.
func decodeBookmarkEvent(r xml.TokenReader) (ev bookmarkEvent, ok bool, err error) {
	ok, err = walkPEPEvent(r, bookmarks.NS,
		func(r xml.TokenReader) (bool, error) { return true, ev.read(r) },
		func() { ev.purged = true })
	if err != nil {
		return ev, false, err
	}
	return ev, ok, nil
}

// bookmarkNotification handles a PEP notification from from. Only our
// own account publishes our bookmarks: one from anyone else is a forgery
// (XEP-0163 §4.3 sends the account's own events from its bare JID).
func (h *handler) bookmarkNotification(from jid.JID, toks []xml.Token) {
	if from.String() != "" && from.String() != h.own {
		return
	}
	r := tokens(toks)
	ev, ok, err := decodeBookmarkEvent(&r)
	if err != nil || !ok {
		return
	}
	c := h.c
	bk := &c.bookmarks
	type change struct{ old, now *Bookmark }
	var changes []change
	bk.mu.Lock()
	if bk.legacy {
		// Our store is the private one: this node is not it.
		bk.mu.Unlock()
		return
	}
	bk.init()
	if ev.purged {
		for _, room := range append([]string(nil), bk.order...) {
			if old := bk.remove(room); old != nil {
				changes = append(changes, change{old: old})
			}
		}
	}
	for _, room := range ev.retracted {
		if old := bk.remove(room); old != nil {
			changes = append(changes, change{old: old})
		}
	}
	for _, e := range ev.changed {
		if old, changed := bk.put(e); changed {
			now := e.Bookmark
			changes = append(changes, change{old: old, now: &now})
		}
	}
	bk.mu.Unlock()
	for _, ch := range changes {
		if ch.now != nil {
			c.emit(BookmarkChanged{base: c.b(), Bookmark: *ch.now})
		} else {
			c.emit(BookmarkRemoved{base: c.b(), Room: ch.old.Room})
		}
		c.follow(ch.old, ch.now)
	}
}
