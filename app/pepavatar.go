package app

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"strconv"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/avatar"
)

// User avatars over PEP (XEP-0084), next to vCard avatars (XEP-0153,
// profiles.go).
//
// Reading: we advertise urn:xmpp:avatar:metadata+notify (discoinfo.go),
// so the server sends us each contact's metadata notifications, and the
// last published item when we sign in (XEP-0163 §4.3.2: Prosody sends it
// when our presence with caps reaches the contact's PEP service). A
// notification counts only from the bare JID of a roster contact or of
// the account itself: anyone can send a message with an <event/> in it.
// An id not in the picture cache is fetched from the contact's
// urn:xmpp:avatar:data node by the profile workers, its base64 bounded by
// the size the metadata announced (itself at most avatar.MaxInput) before
// anything is decoded, its SHA-1 checked against the id, and then stored
// as vCard pictures are: the same AvatarChanged follows. An empty
// <metadata/> (XEP-0084 §4.6), or a purge of the node, removes the
// picture.
//
// Once a contact's PEP metadata was seen in this run, the picture hashes
// in their presence (XEP-0153) are ignored: PEP is the contact's own
// word, where a hash in presence may come from a client that knows only
// vCards, or from the server's conversion of the same picture (XEP-0398
// §4). Contacts without PEP avatars keep working through vCards as
// before.
//
// Publishing: SetProfile sets the vCard (with the picture, for clients and
// rooms that only read vCards) and then publishes the picture to PEP, the
// data node first and the metadata node second (XEP-0084 §4.1, §4.2),
// with publish options making both open to anyone (XEP-0223 style, as
// vCards are; a server that refuses the options gets the publish again
// without them). Removing the picture publishes an empty <metadata/>.
// Our presence announces the new hash only after both.
//
// XEP-0398: when the account advertises urn:xmpp:pep-vcard-conversion:0,
// the server may have put the vCard's picture into PEP itself (§3.2, a
// MAY; Prosody's mod_vcard_legacy does, with access open, purging the
// nodes first). We keep setting the vCard, since it carries the rest of
// the profile and on Prosody a vCard without a photo would purge the PEP
// avatar, and we then read the metadata node: when it already names our
// picture, we do not publish it a second time (no second notification to
// every contact, no second upload). Without the feature, or when the
// server did not convert, we publish ourselves.

// Namespaces of XEP-0084 and XEP-0398.
const (
	nsAvatarData       = "urn:xmpp:avatar:data"
	nsAvatarMetadata   = "urn:xmpp:avatar:metadata"
	nsAvatarNotify     = nsAvatarMetadata + "+notify"
	nsVCardConversion  = "urn:xmpp:pep-vcard-conversion:0"
	nsPubSubPubOptions = "http://jabber.org/protocol/pubsub#publish-options"
)

// maxAvatarInfos bounds the <info/> elements read of one metadata item;
// XEP-0084 §4.2 expects one per format, and the rest are ignored.
const maxAvatarInfos = 8

// Errors of fetching a PEP avatar's data.
var (
	errAvatarTooLarge = errors.New("the avatar data is larger than its metadata announced")
	errAvatarMismatch = errors.New("the avatar data does not match its id")
	errAvatarMissing  = errors.New("the avatar data item was not in the answer")
)

// avatarInfo is one usable <info/> of a metadata item (XEP-0084 §4.2).
type avatarInfo struct {
	id    string // SHA-1 of the data, lower-case hex
	bytes int    // the data's size, 1..avatar.MaxInput
	typ   string // the MIME type, as given
}

// avatarMetadata is what a metadata item says.
type avatarMetadata struct {
	// infos are the usable infos: an id that is a SHA-1, a size within
	// bounds, data in the data node (an info with a url is elsewhere, and
	// ignored).
	infos []avatarInfo
	// removed: the metadata has no info at all (XEP-0084 §4.6), or the
	// node was purged.
	removed bool
}

// best returns the info to fetch: a PNG (XEP-0084 §4.2 says every
// publisher offers one), else the first usable one.
func (m avatarMetadata) best() (avatarInfo, bool) {
	for _, i := range m.infos {
		if i.typ == avatar.PNG {
			return i, true
		}
	}
	if len(m.infos) > 0 {
		return m.infos[0], true
	}
	return avatarInfo{}, false
}

// isSHA1 reports whether s is a SHA-1 in hex, and returns it in lower case.
func isSHA1(s string) (string, bool) {
	if len(s) != 40 {
		return "", false
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			b[i] = c + 'a' - 'A'
		default:
			return "", false
		}
	}
	return string(b), true
}

// decodeAvatarEvent reads a PEP <event/> (r at its start); ok is false
// when it says nothing about the metadata node. Of several items the
// last counts.
func decodeAvatarEvent(r xml.TokenReader) (m avatarMetadata, ok bool, err error) {
	ok, err = walkPEPEvent(r, nsAvatarMetadata,
		func(r xml.TokenReader) (bool, error) {
			got, found, err := readMetadataItems(r)
			if found {
				m = got
			}
			return found, err
		},
		func() { m = avatarMetadata{removed: true} })
	if err != nil {
		return m, false, err
	}
	return m, ok, nil
}

// readMetadataItems reads the children of an <items/> of the metadata
// node (r after its start) up to its end, and returns the last item's
// metadata. Retractions are ignored: an old item going says nothing of
// the current one.
func readMetadataItems(r xml.TokenReader) (m avatarMetadata, found bool, err error) {
	for {
		tok, err := r.Token()
		if err != nil {
			return m, false, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return m, found, nil
		case xml.StartElement:
			if t.Name.Local != "item" {
				if err := xmlstream.Skip(r); err != nil {
					return m, false, err
				}
				continue
			}
			got, ok, err := readMetadataItem(r)
			if err != nil {
				return m, false, err
			}
			if ok {
				m, found = got, true
			}
		}
	}
}

// readMetadataItem reads an <item/> (r after its start) up to its end;
// ok is false when it holds no <metadata/>.
func readMetadataItem(r xml.TokenReader) (m avatarMetadata, ok bool, err error) {
	for {
		tok, err := r.Token()
		if err != nil {
			return m, false, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return m, ok, nil
		case xml.StartElement:
			if ok || t.Name != (xml.Name{Space: nsAvatarMetadata, Local: "metadata"}) {
				if err := xmlstream.Skip(r); err != nil {
					return m, false, err
				}
				continue
			}
			if m, err = readMetadata(r); err != nil {
				return m, false, err
			}
			ok = true
		}
	}
}

// readMetadata reads a <metadata/> (r after its start) up to its end
// (XEP-0084 §4.2): at most maxAvatarInfos infos are looked at.
func readMetadata(r xml.TokenReader) (avatarMetadata, error) {
	var m avatarMetadata
	seen := 0
	for {
		tok, err := r.Token()
		if err != nil {
			return m, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			m.removed = seen == 0
			return m, nil
		case xml.StartElement:
			if t.Name.Local == "info" {
				seen++
				if seen <= maxAvatarInfos {
					if i, ok := parseAvatarInfo(t); ok {
						m.infos = append(m.infos, i)
					}
				}
			}
			if err := xmlstream.Skip(r); err != nil {
				return m, err
			}
		}
	}
}

// parseAvatarInfo returns the info of an <info/>, when it is usable.
func parseAvatarInfo(t xml.StartElement) (avatarInfo, bool) {
	if xmlAttr(t, "url") != "" {
		return avatarInfo{}, false // the data is on the web, not in PEP
	}
	id, ok := isSHA1(xmlAttr(t, "id"))
	if !ok {
		return avatarInfo{}, false
	}
	n, err := strconv.Atoi(xmlAttr(t, "bytes"))
	if err != nil || n <= 0 || n > avatar.MaxInput {
		return avatarInfo{}, false
	}
	typ := xmlAttr(t, "type")
	if len(typ) > 100 {
		typ = ""
	}
	return avatarInfo{id: id, bytes: n, typ: typ}, true
}

// readAvatarData reads a pubsub items result (r after the <pubsub/>
// start, up to its end) for the item id of the data node (XEP-0084 §4.1)
// and returns its data, decoded. The base64 text may be at most what
// limit bytes encode to (whitespace aside): beyond that it is dropped
// unread by the base64 decoder (errAvatarTooLarge). The data's SHA-1 must
// be id (errAvatarMismatch).
func readAvatarData(r xml.TokenReader, id string, limit int) ([]byte, error) {
	maxText := base64.StdEncoding.EncodedLen(limit)
	var (
		text    []byte
		found   bool
		tooBig  bool
		depth   int
		inItem  bool // inside the item with our id
		inData  bool // inside its <data/>, at dataAt
		itemAt  int
		dataAt  int
		started bool
	)
	for {
		tok, err := r.Token()
		if errors.Is(err, io.EOF) && tok == nil {
			break
		}
		if err != nil && tok == nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case !inItem && !found && t.Name.Local == "item" && xmlAttr(t, "id") == id:
				inItem, itemAt = true, depth
			case inItem && !inData && !started && depth == itemAt+1 && t.Name == (xml.Name{Space: nsAvatarData, Local: "data"}):
				inData, dataAt, started = true, depth, true
			}
		case xml.EndElement:
			if inData && depth == dataAt {
				inData, found = false, true
			}
			if inItem && depth == itemAt {
				inItem = false
			}
			depth--
		case xml.CharData:
			if inData && depth == dataAt && !tooBig {
				for _, c := range t {
					switch c {
					case ' ', '\t', '\r', '\n':
						continue
					}
					if len(text) >= maxText {
						tooBig, text = true, nil
						break
					}
					text = append(text, c)
				}
			}
		}
		if depth < 0 || err != nil {
			break
		}
	}
	if tooBig {
		return nil, errAvatarTooLarge
	}
	if !found {
		return nil, errAvatarMissing
	}
	enc := base64.StdEncoding
	if len(text)%4 != 0 {
		enc = base64.RawStdEncoding // tolerate missing padding
	}
	data := make([]byte, enc.DecodedLen(len(text)))
	n, err := enc.Decode(data, text)
	if err != nil {
		return nil, err
	}
	data = data[:n]
	if avatar.Hash(data) != id {
		return nil, errAvatarMismatch
	}
	return data, nil
}

// The handler's side.

// avatarNotification handles a PEP notification from from about the
// metadata node: only a roster contact's, or the account's own, from the
// bare JID (XEP-0163 §4.3: PEP events come from it).
func (h *handler) avatarNotification(from jid.JID, toks []xml.Token) {
	if from.String() == "" || from.Resourcepart() != "" {
		return
	}
	bare := from.String()
	if bare != h.own {
		if _, ok := h.roster.get(bare); !ok {
			return
		}
	}
	r := tokens(toks)
	m, ok, err := decodeAvatarEvent(&r)
	if err != nil || !ok {
		return
	}
	if info := h.c.pepAnnounced(bare, m); info != nil {
		h.profiles.Push(profileJob{jid: bare, pep: info})
	}
}

// pepAnnounced handles the avatar metadata bare published. It returns the
// info whose data must be fetched, nil when there is nothing to fetch.
func (c *Client) pepAnnounced(bare string, m avatarMetadata) *avatarInfo {
	a := c.pics
	a.mu.Lock()
	defer a.mu.Unlock()
	info, usable := m.best()
	if !m.removed && !usable {
		return nil // nothing we can show: what we show stays
	}
	id := info.id
	if _, ok := a.pep[bare]; ok || len(a.pep) < maxPictureJIDs {
		a.pep[bare] = id
	}
	if old, ok := a.known[bare]; ok && old == id {
		return nil
	}
	if m.removed {
		a.remember(bare, "")
		c.savePhotoHash(bare, "")
		c.emit(AvatarChanged{base: c.b(), JID: bare})
		c.ownPEPPhoto(bare, "")
		return nil
	}
	if path, ok := a.files.Path(id); ok {
		a.remember(bare, id)
		c.savePhotoHash(bare, id)
		c.emit(AvatarChanged{base: c.b(), JID: bare, Hash: id, Path: path})
		c.ownPEPPhoto(bare, id)
		return nil
	}
	if a.pepAsked[bare] == id {
		return nil
	}
	if len(a.pepAsked) >= maxPictureJIDs {
		clear(a.pepAsked)
	}
	a.pepAsked[bare] = id
	return &info
}

// ownPEPPhoto passes our own picture, published by another client of the
// account, to our presence (XEP-0153 §4.1).
func (c *Client) ownPEPPhoto(bare, hash string) {
	if bare == c.acct {
		c.cmds.Push(cmdOwnPhoto{hash: hash})
	}
}

// fromPEP reports whether bare's picture follows PEP in this run, so that
// the hashes in their presence are ignored; a.mu is held.
func (a *avatars) fromPEP(bare string) bool {
	_, ok := a.pep[bare]
	return ok
}

// The profile workers' side.

// fetchPEPAvatar fetches the data of j.pep from j.jid's PEP service,
// checks it and stores it as the contact's picture.
func (r *runner) fetchPEPAvatar(ctx context.Context, sess *xmpp.Session, j profileJob) {
	to, err := jid.Parse(j.jid)
	if err != nil {
		return
	}
	info := *j.pep
	r.pics.pepFetches.Add(1)
	item := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "item"}, Attr: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: info.id}}})
	q := pepItemsQuery(nsAvatarData, item)
	qctx, cancel := context.WithTimeout(ctx, requestTimeout)
	var data []byte
	err = sendIQ(qctx, sess, stanza.IQ{Type: stanza.GetIQ, To: to}, q, func(d *xml.Decoder, start *xml.StartElement) error {
		if start == nil {
			return errAvatarMissing
		}
		var err error
		data, err = readAvatarData(d, info.id, info.bytes)
		return err
	})
	cancel()
	var small []byte
	if err == nil {
		small, _, err = avatar.Normalize(data)
	}
	var path string
	if err == nil {
		path, err = r.pics.files.PutAs(info.id, small)
	}
	a := r.pics
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		var se stanza.Error
		if ctx.Err() != nil || !(errors.As(err, &se) || errors.Is(err, errAvatarTooLarge) || errors.Is(err, errAvatarMismatch) ||
			errors.Is(err, errAvatarMissing) || errors.Is(err, avatar.ErrNotImage) || errors.Is(err, avatar.ErrCorrupt) ||
			errors.Is(err, avatar.ErrTooManyPixels) || errors.Is(err, avatar.ErrTooLarge)) {
			// Not the contact's fault (the connection, our disk): the next
			// notification, such as the one at the next sign-in, tries again.
			if a.pepAsked[j.jid] == info.id {
				delete(a.pepAsked, j.jid)
			}
		} else {
			r.pics.pepRefused.Add(1)
		}
		return
	}
	if a.pep[j.jid] != info.id {
		return // the contact moved on while we fetched
	}
	if old, ok := a.known[j.jid]; ok && old == info.id {
		return
	}
	a.remember(j.jid, info.id)
	r.savePhotoHash(j.jid, info.id)
	r.emit(AvatarChanged{base: r.b(), JID: j.jid, Hash: info.id, Path: path})
	r.ownPEPPhoto(j.jid, info.id)
}

// accountHasFeature asks the account's bare JID (disco#info) whether it
// has feature; no answer means no.
func accountHasFeature(ctx context.Context, sess *xmpp.Session, feature string) bool {
	qctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	found := false
	q := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: disco.NSInfo, Local: "query"}})
	_ = sendIQ(qctx, sess, stanza.IQ{Type: stanza.GetIQ, To: sess.LocalAddr().Bare()}, q, func(d *xml.Decoder, start *xml.StartElement) error {
		if start != nil {
			found = hasFeature(d, feature)
		}
		return nil
	})
	return found
}

// ownPEPAvatar reads the id our own metadata node names ("" when none, or
// on any failure).
func ownPEPAvatar(ctx context.Context, sess *xmpp.Session) string {
	qctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	q := pepItemsQuery(nsAvatarMetadata, nil, xml.Attr{Name: xml.Name{Local: "max_items"}, Value: "1"})
	var id string
	_ = sendIQ(qctx, sess, stanza.IQ{Type: stanza.GetIQ}, q, func(d *xml.Decoder, start *xml.StartElement) error {
		if start == nil {
			return nil
		}
		for {
			tok, err := d.Token()
			if err != nil {
				return nil
			}
			if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "items" {
				m, found, err := readMetadataItems(d)
				if err == nil && found {
					if info, ok := m.best(); ok {
						id = info.id
					}
				}
				return nil
			}
		}
	})
	return id
}

// avatarPublishOptions make a node open to anyone, as vCards are, with
// one item (XEP-0060 §7.1.5, XEP-0223 style).
func avatarPublishOptions() xml.TokenReader {
	form := xmlstream.Wrap(xmlstream.MultiReader(
		field("FORM_TYPE", nsPubSubPubOptions, xml.Attr{Name: xml.Name{Local: "type"}, Value: "hidden"}),
		field("pubsub#persist_items", "true"),
		field("pubsub#access_model", "open"),
	), xml.StartElement{Name: xml.Name{Space: nsDataForm, Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}})
	return xmlstream.Wrap(form, xml.StartElement{Name: xml.Name{Local: "publish-options"}})
}

// publishItem publishes payload as item id ("" lets the server choose)
// of node, with avatarPublishOptions; a server that refuses them (a node
// with another configuration: XEP-0060 §7.1.5 precondition-not-met, or
// no support) gets the publish again without.
func publishItem(ctx context.Context, sess *xmpp.Session, node, id string, payload func() xml.TokenReader) error {
	send := func(options bool) error {
		var attrs []xml.Attr
		if id != "" {
			attrs = []xml.Attr{{Name: xml.Name{Local: "id"}, Value: id}}
		}
		item := xmlstream.Wrap(payload(), xml.StartElement{Name: xml.Name{Local: "item"}, Attr: attrs})
		pub := xmlstream.Wrap(item, xml.StartElement{Name: xml.Name{Local: "publish"}, Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: node}}})
		inner := pub
		if options {
			inner = xmlstream.MultiReader(pub, avatarPublishOptions())
		}
		pctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		return sendIQ(pctx, sess, stanza.IQ{Type: stanza.SetIQ}, xmlstream.Wrap(inner, xml.StartElement{Name: xml.Name{Space: nsPubSub, Local: "pubsub"}}), nil)
	}
	err := send(true)
	var se stanza.Error
	if errors.As(err, &se) || errors.Is(err, ErrUnexplained) {
		err = send(false)
	}
	return err
}

// noPEP reports whether err says that the server has no PEP (XEP-0163
// §6.1: service-unavailable or feature-not-implemented): then the vCard
// carries the picture alone, and that is no failure to report.
func noPEP(err error) bool {
	var se stanza.Error
	return errors.As(err, &se) && (se.Condition == stanza.ServiceUnavailable || se.Condition == stanza.FeatureNotImplemented)
}

// publishPEPAvatar publishes our picture (data as published, of type
// mime, its hash) to PEP, or an empty metadata when data is empty. See
// the top of this file for XEP-0398.
// It reports whether it published anything.
func publishPEPAvatar(ctx context.Context, sess *xmpp.Session, data []byte, mime, hash string) (bool, error) {
	if len(data) == 0 {
		err := publishItem(ctx, sess, nsAvatarMetadata, "", func() xml.TokenReader {
			return xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: nsAvatarMetadata, Local: "metadata"}})
		})
		return err == nil, err
	}
	if accountHasFeature(ctx, sess, nsVCardConversion) && ownPEPAvatar(ctx, sess) == hash {
		return false, nil // the server converted the vCard (XEP-0398 §3.2)
	}
	encoded := base64.StdEncoding.EncodeToString(data)
	err := publishItem(ctx, sess, nsAvatarData, hash, func() xml.TokenReader {
		return xmlstream.Wrap(xmlstream.Token(xml.CharData(encoded)), xml.StartElement{Name: xml.Name{Space: nsAvatarData, Local: "data"}})
	})
	if err != nil {
		return false, err
	}
	attrs := []xml.Attr{
		{Name: xml.Name{Local: "bytes"}, Value: strconv.Itoa(len(data))},
		{Name: xml.Name{Local: "id"}, Value: hash},
		{Name: xml.Name{Local: "type"}, Value: mime},
	}
	if img, _, err := avatar.Decode(data, avatar.Received); err == nil {
		b := img.Bounds()
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "width"}, Value: strconv.Itoa(b.Dx())},
			xml.Attr{Name: xml.Name{Local: "height"}, Value: strconv.Itoa(b.Dy())})
	}
	err = publishItem(ctx, sess, nsAvatarMetadata, hash, func() xml.TokenReader {
		info := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "info"}, Attr: attrs})
		return xmlstream.Wrap(info, xml.StartElement{Name: xml.Name{Space: nsAvatarMetadata, Local: "metadata"}})
	})
	return err == nil, err
}
