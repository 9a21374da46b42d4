package app

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/avatar"
)

const (
	testAvatarID = "0123456789abcdef0123456789abcdef01234567"
	eventOpen    = `<event xmlns="http://jabber.org/protocol/pubsub#event">`
)

// metadataEvent wraps infos in a notification of the metadata node.
func metadataEvent(infos string) string {
	return eventOpen + `<items node="urn:xmpp:avatar:metadata"><item id="x"><metadata xmlns="urn:xmpp:avatar:metadata">` + infos + `</metadata></item></items></event>`
}

func decodeAvatarEventString(s string) (avatarMetadata, bool, error) {
	return decodeAvatarEvent(xml.NewDecoder(strings.NewReader(s)))
}

func TestDecodeAvatarEvent(t *testing.T) {
	info := func(attrs string) string { return `<info ` + attrs + `/>` }
	good := `id="` + testAvatarID + `" bytes="1234" type="image/png"`
	manyInfos := strings.Repeat(info(`id="`+strings.Repeat("b", 40)+`" bytes="1" type="image/jpeg"`), maxAvatarInfos) + info(good)
	for i, tc := range []struct {
		in   string
		want avatarMetadata
		ok   bool
	}{
		0: {in: metadataEvent(info(good)), want: avatarMetadata{infos: []avatarInfo{{id: testAvatarID, bytes: 1234, typ: avatar.PNG}}}, ok: true},
		// Upper-case hex is the same id.
		1: {in: metadataEvent(info(`id="` + strings.ToUpper(testAvatarID) + `" bytes="5" type="image/png"`)), want: avatarMetadata{infos: []avatarInfo{{id: testAvatarID, bytes: 5, typ: avatar.PNG}}}, ok: true},
		// XEP-0084 §4.6: no info is no picture.
		2: {in: metadataEvent(``), want: avatarMetadata{removed: true}, ok: true},
		3: {in: eventOpen + `<purge node="urn:xmpp:avatar:metadata"/></event>`, want: avatarMetadata{removed: true}, ok: true},
		// Unusable infos: a picture on the web, a bad id, no size, too
		// large; none is a removal either.
		4: {in: metadataEvent(info(good + ` url="https://example.org/a.png"`)), ok: true},
		5: {in: metadataEvent(info(`id="../../etc/passwd" bytes="5"`)), ok: true},
		6: {in: metadataEvent(info(`id="` + testAvatarID + `"`)), ok: true},
		7: {in: metadataEvent(info(fmt.Sprintf(`id="%s" bytes="%d"`, testAvatarID, avatar.MaxInput+1))), ok: true},
		8: {in: metadataEvent(info(`id="` + testAvatarID + `" bytes="-1"`)), ok: true},
		// Only the first maxAvatarInfos infos are looked at.
		9: {in: metadataEvent(manyInfos), want: avatarMetadata{infos: func() []avatarInfo {
			var l []avatarInfo
			for range maxAvatarInfos {
				l = append(l, avatarInfo{id: strings.Repeat("b", 40), bytes: 1, typ: avatar.JPEG})
			}
			return l
		}()}, ok: true},
		// Another node, or another namespace, is not ours.
		10: {in: eventOpen + `<items node="urn:xmpp:bookmarks:1"><item id="x"><metadata xmlns="urn:xmpp:avatar:metadata">` + info(good) + `</metadata></item></items></event>`},
		11: {in: `<event xmlns="urn:other"><items node="urn:xmpp:avatar:metadata"/></event>`},
		// An item without metadata in it says nothing; the last item counts.
		12: {in: eventOpen + `<items node="urn:xmpp:avatar:metadata"><item id="x"><other/></item></items></event>`},
		13: {in: eventOpen + `<items node="urn:xmpp:avatar:metadata"><item><metadata xmlns="urn:xmpp:avatar:metadata">` + info(good) + `</metadata></item><item><metadata xmlns="urn:xmpp:avatar:metadata"/></item></items></event>`,
			want: avatarMetadata{removed: true}, ok: true},
		// A retraction is ignored.
		14: {in: eventOpen + `<items node="urn:xmpp:avatar:metadata"><retract id="` + testAvatarID + `"/></items></event>`},
	} {
		got, ok, err := decodeAvatarEventString(tc.in)
		if err != nil || ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d: got %+v, %v, %v; want %+v, %v", i, got, ok, err, tc.want, tc.ok)
		}
	}
}

func TestAvatarMetadataPrefersPNG(t *testing.T) {
	m := avatarMetadata{infos: []avatarInfo{{id: "a", typ: avatar.JPEG}, {id: "b", typ: avatar.PNG}}}
	if i, ok := m.best(); !ok || i.id != "b" {
		t.Errorf("best: %+v, %v; want the PNG", i, ok)
	}
	m.infos = m.infos[:1]
	if i, ok := m.best(); !ok || i.id != "a" {
		t.Errorf("best: %+v, %v; want the JPEG", i, ok)
	}
	if _, ok := (avatarMetadata{}).best(); ok {
		t.Error("best of nothing")
	}
}

// dataResult is the inside of a pubsub items result holding data as the
// item id.
func dataResult(id, text string) string {
	return `<items node="urn:xmpp:avatar:data"><item id="` + id + `"><data xmlns="urn:xmpp:avatar:data">` + text + `</data></item></items></pubsub>`
}

// readAvatarDataString runs readAvatarData on s, as sendIQ's read gets
// it: after the <pubsub/> start.
func readAvatarDataString(s, id string, limit int) ([]byte, error) {
	d := xml.NewDecoder(strings.NewReader(`<pubsub xmlns="http://jabber.org/protocol/pubsub">` + s))
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	return readAvatarData(d, id, limit)
}

func TestReadAvatarData(t *testing.T) {
	pic := []byte("\x89PNG\r\n\x1a\nnot really a picture, but bytes")
	id := avatar.Hash(pic)
	enc := base64.StdEncoding.EncodeToString(pic)
	wrapped := enc[:10] + "\n  " + enc[10:20] + "\r\n\t" + enc[20:]
	for i, tc := range []struct {
		in    string
		id    string
		limit int
		err   error
	}{
		0: {in: dataResult(id, enc), id: id, limit: len(pic)},
		1: {in: dataResult(id, wrapped), id: id, limit: len(pic)},
		2: {in: dataResult(id, strings.TrimRight(enc, "=")), id: id, limit: len(pic)},
		// Larger than announced: refused before base64 decoding.
		3: {in: dataResult(id, enc), id: id, limit: len(pic) - 3, err: errAvatarTooLarge},
		// The data's SHA-1 is not the id.
		4: {in: dataResult(testAvatarID, enc), id: testAvatarID, limit: len(pic), err: errAvatarMismatch},
		// Another item, or no data element in ours.
		5: {in: dataResult(testAvatarID, enc), id: id, limit: len(pic), err: errAvatarMissing},
		6: {in: `<items node="urn:xmpp:avatar:data"><item id="` + id + `"><other>` + enc + `</other></item></items></pubsub>`, id: id, limit: len(pic), err: errAvatarMissing},
		// A data element nested deeper is not the item's.
		7: {in: `<items node="urn:xmpp:avatar:data"><item id="` + id + `"><x><data xmlns="urn:xmpp:avatar:data">` + enc + `</data></x></item></items></pubsub>`, id: id, limit: len(pic), err: errAvatarMissing},
		// Two items with our id: the first counts.
		8: {in: `<items node="urn:xmpp:avatar:data"><item id="` + id + `"><data xmlns="urn:xmpp:avatar:data">` + enc + `</data></item><item id="` + id + `"><data xmlns="urn:xmpp:avatar:data">AAAA</data></item></items></pubsub>`, id: id, limit: len(pic)},
	} {
		got, err := readAvatarDataString(tc.in, tc.id, tc.limit)
		if !errors.Is(err, tc.err) {
			t.Errorf("%d: err %v, want %v", i, err, tc.err)
			continue
		}
		if tc.err == nil && string(got) != string(pic) {
			t.Errorf("%d: got %q", i, got)
		}
	}
	if _, err := readAvatarDataString(dataResult(id, "!!!!"+enc), id, len(pic)+10); err == nil {
		t.Error("invalid base64 accepted")
	}
}

// TestAvatarPresenceHashIgnoredAfterPEP: once PEP said what a contact's
// picture is, a hash in their presence fetches no vCard; before, it does.
func TestAvatarPresenceHashIgnoredAfterPEP(t *testing.T) {
	c := New(account.Account{JID: "alice@localhost"}, nil)
	a, err := c.openAvatars(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	c.pics = a
	const bob = "bob@localhost"
	if !c.announced(bob, testAvatarID) {
		t.Fatal("a new presence hash without PEP fetches no vCard")
	}
	other := strings.Repeat("c", 40)
	if info := c.pepAnnounced(bob, avatarMetadata{infos: []avatarInfo{{id: other, bytes: 10, typ: avatar.PNG}}}); info == nil || info.id != other {
		t.Fatalf("PEP metadata with a new id: fetch %+v", info)
	}
	// The same id again (the last item at sign-in) is not asked twice.
	if info := c.pepAnnounced(bob, avatarMetadata{infos: []avatarInfo{{id: other, bytes: 10, typ: avatar.PNG}}}); info != nil {
		t.Errorf("the same id fetched twice: %+v", info)
	}
	if c.announced(bob, strings.Repeat("d", 40)) || c.announced(bob, "") {
		t.Error("a presence hash fetched a vCard although PEP says the picture")
	}
	// Unusable metadata leaves things as they are.
	if info := c.pepAnnounced(bob, avatarMetadata{}); info != nil {
		t.Errorf("unusable metadata: fetch %+v", info)
	}
}

func FuzzDecodeAvatarEvent(f *testing.F) {
	f.Add(metadataEvent(`<info id="` + testAvatarID + `" bytes="1234" type="image/png" width="64" height="64"/>`))
	f.Add(metadataEvent(``))
	f.Add(metadataEvent(`<info id="` + testAvatarID + `" bytes="1" url="https://e/x"/><pointer><x xmlns="y"/></pointer>`))
	f.Add(eventOpen + `<purge node="urn:xmpp:avatar:metadata"/></event>`)
	f.Add(eventOpen + `<items node="urn:xmpp:avatar:metadata"><retract id="a"/><item/></items></event>`)
	f.Fuzz(func(t *testing.T, s string) {
		m, ok, err := decodeAvatarEventString(s)
		if err != nil || !ok {
			return
		}
		if len(m.infos) > maxAvatarInfos {
			t.Fatalf("%d infos", len(m.infos))
		}
		if m.removed && len(m.infos) > 0 {
			t.Fatal("removed with infos")
		}
		for _, i := range m.infos {
			if id, ok := isSHA1(i.id); !ok || id != i.id || i.bytes <= 0 || i.bytes > avatar.MaxInput {
				t.Fatalf("unusable info kept: %+v", i)
			}
		}
	})
}

func FuzzReadAvatarData(f *testing.F) {
	pic := []byte("\x89PNG\r\n\x1a\nbytes")
	id := avatar.Hash(pic)
	enc := base64.StdEncoding.EncodeToString(pic)
	f.Add(dataResult(id, enc), 100)
	f.Add(dataResult(id, enc[:5]+"\n"+enc[5:]), len(pic))
	f.Add(dataResult(id, enc), 2)
	f.Add(dataResult(testAvatarID, enc), 100)
	f.Add(`<items><item id="`+id+`"><data xmlns="urn:xmpp:avatar:data"><x/>`+enc+`</data></item></items></pubsub>`, 100)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit <= 0 || limit > avatar.MaxInput {
			return
		}
		data, err := readAvatarDataString(s, id, limit)
		if err != nil {
			return
		}
		if avatar.Hash(data) != id || len(data) > limit {
			t.Fatalf("accepted %d bytes (limit %d) with hash %s", len(data), limit, avatar.Hash(data))
		}
	})
}

func TestNoPEP(t *testing.T) {
	for i, tc := range []struct {
		err  error
		want bool
	}{
		0: {stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable}, true},
		1: {fmt.Errorf("publishing: %w", stanza.Error{Condition: stanza.FeatureNotImplemented}), true},
		2: {stanza.Error{Condition: stanza.Forbidden}, false},
		3: {errors.New("connection lost"), false},
		4: {nil, false},
	} {
		if got := noPEP(tc.err); got != tc.want {
			t.Errorf("%d: noPEP(%v) = %v", i, tc.err, got)
		}
	}
}
