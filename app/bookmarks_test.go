package app

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/bookmarks"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/account"
)

// afterStart returns a token reader positioned after the first start
// element of s.
func afterStart(t testing.TB, s string) (xml.TokenReader, bool) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, false
		}
		if _, ok := tok.(xml.StartElement); ok {
			return d, true
		}
	}
}

// decodeItems decodes an <items/> document.
func decodeItems(t testing.TB, s string) (pepItems, error) {
	t.Helper()
	var p pepItems
	r, ok := afterStart(t, s)
	if !ok {
		return p, fmt.Errorf("no start")
	}
	return p, p.read(r)
}

const conf = `<conference xmlns="urn:xmpp:bookmarks:1"`

// TestBookmarkItemsDecode: each item of a fetch result becomes a bookmark
// or is skipped when malformed, and its neighbours are kept.
func TestBookmarkItemsDecode(t *testing.T) {
	long := strings.Repeat("x", MaxBookmarkName+1)
	tests := []struct {
		item string
		want *Bookmark // nil: skipped
	}{
		0: {`<item id="a@muc.example"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="true" name="A"><nick>al</nick><password>pw</password></conference></item>`,
			&Bookmark{Room: "a@muc.example", Name: "A", Nick: "al", Password: "pw", Autojoin: true}},
		1:  {`<item id="A@Muc.Example">` + conf + ` autojoin="1"/></item>`, &Bookmark{Room: "a@muc.example", Autojoin: true}},
		2:  {`<item id="a@muc.example">` + conf + `/></item>`, &Bookmark{Room: "a@muc.example"}},
		3:  {`<item id="a@muc.example">` + conf + ` autojoin="0"><unknown/></conference></item>`, &Bookmark{Room: "a@muc.example"}},
		4:  {`<item id="a@muc.example">` + conf + ` autojoin="yes"/></item>`, nil},
		5:  {`<item id="not a jid@">` + conf + `/></item>`, nil},
		6:  {`<item id="a@muc.example/res">` + conf + `/></item>`, nil},
		7:  {`<item id="muc.example">` + conf + `/></item>`, nil},
		8:  {`<item>` + conf + `/></item>`, nil},
		9:  {`<item id="a@muc.example"><conference xmlns="storage:bookmarks"/></item>`, nil},
		10: {`<item id="a@muc.example"/>`, nil},
		11: {`<item id="a@muc.example">` + conf + ` name="` + long + `"/></item>`, nil},
		12: {`<item id="a@muc.example">` + conf + `><nick>` + strings.Repeat("n", MaxNick+1) + `</nick></conference></item>`, nil},
		13: {`<item id="a@muc.example">` + conf + `><password>` + strings.Repeat("p", MaxBookmarkPassword+1) + `</password></conference></item>`, nil},
		14: {`<item id="a@muc.example">` + conf + `><nick></nick></conference></item>`, nil},
		15: {`<item id="a@muc.example">` + conf + `><nick>a<b/>c</nick></conference></item>`, nil},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			// Between two good items: a bad one is skipped, not the list.
			doc := `<items node="urn:xmpp:bookmarks:1"><item id="first@muc.example">` + conf + `/></item>` + tt.item + `<item id="last@muc.example">` + conf + `/></item></items>`
			p, err := decodeItems(t, doc)
			if err != nil {
				t.Fatal(err)
			}
			var got []Bookmark
			for _, e := range p.changed {
				got = append(got, e.Bookmark)
			}
			want := []Bookmark{{Room: "first@muc.example"}}
			if tt.want != nil {
				want = append(want, *tt.want)
			}
			want = append(want, Bookmark{Room: "last@muc.example"})
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestBookmarkDecodeSkipsMalformedItem: mellium's Channel decoder fails on
// an autojoin that is no xs:boolean, which ends its Fetch iterator
// (bookmarks/iter.go) and so hides every later bookmark; ours skips that
// one item.
func TestBookmarkDecodeSkipsMalformedItem(t *testing.T) {
	var ch bookmarks.Channel
	if err := xml.Unmarshal([]byte(conf+` autojoin="yes"/>`), &ch); err == nil {
		t.Fatal("mellium decodes autojoin=yes now: its iterator may no longer stop there; check bookmarks/iter.go again")
	}
	p, err := decodeItems(t, `<items><item id="bad@muc.example">`+conf+` autojoin="yes"/></item><item id="ok@muc.example">`+conf+`/></item></items>`)
	if err != nil || len(p.changed) != 1 || p.changed[0].Room != "ok@muc.example" {
		t.Errorf("got %+v, %v; want the good item", p.changed, err)
	}
}

// TestMelliumChannelLosesExtensions: decoded from a token stream (as
// mellium's Fetch does) a Channel's Extensions are empty; ours keeps them
// and writes them back when the bookmark is published again (XEP-0402
// §3.1).
func TestMelliumChannelLosesExtensions(t *testing.T) {
	src := conf + ` autojoin="true"><extensions><state xmlns="urn:example:x" v="1">hi</state></extensions></conference>`
	var ch bookmarks.Channel
	// Not an *xml.Decoder, which NewTokenDecoder would use as it is: the
	// session's tokens come through mellium's readers (xmlstream.Inner).
	stream := xmlstream.MultiReader(xml.NewDecoder(strings.NewReader(src)))
	if err := xml.NewTokenDecoder(stream).Decode(&ch); err != nil {
		t.Fatal(err)
	}
	if len(ch.Extensions) != 0 {
		t.Fatalf("mellium kept the extensions now (%q): consider its Channel again", ch.Extensions)
	}
	p, err := decodeItems(t, `<items><item id="a@muc.example">`+src+`</item></items>`)
	if err != nil || len(p.changed) != 1 {
		t.Fatalf("got %+v, %v", p.changed, err)
	}
	out := encode(t, conferenceTokens(p.changed[0], false))
	for _, want := range []string{`<extensions xmlns="urn:xmpp:bookmarks:1">`, `<state xmlns="urn:example:x" v="1">hi</state>`, `autojoin="true"`} {
		if !strings.Contains(out, want) {
			t.Errorf("published %s, want it to contain %s", out, want)
		}
	}
}

func encode(t testing.TB, r xml.TokenReader) string {
	t.Helper()
	var b bytes.Buffer
	e := xml.NewEncoder(&b)
	if _, err := xmlstream.Copy(e, r); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestBookmarkEncode: what we publish, in both stores.
func TestBookmarkEncode(t *testing.T) {
	e := bookmarkEntry{Bookmark: Bookmark{Room: "a@muc.example", Name: "A & B", Nick: "al", Password: "pw", Autojoin: true}}
	tests := []struct {
		r    xml.TokenReader
		want string
	}{
		0: {conferenceTokens(e, false), `<conference xmlns="urn:xmpp:bookmarks:1" autojoin="true" name="A &amp; B"><nick>al</nick><password>pw</password></conference>`},
		1: {conferenceTokens(e, true), `<conference autojoin="true" jid="a@muc.example" name="A &amp; B"><nick>al</nick><password>pw</password></conference>`},
		2: {conferenceTokens(bookmarkEntry{Bookmark: Bookmark{Room: "a@muc.example"}}, false), `<conference xmlns="urn:xmpp:bookmarks:1" autojoin="false"></conference>`},
		3: {publishOptions(), `<publish-options><x xmlns="jabber:x:data" type="submit">` +
			`<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#publish-options</value></field>` +
			`<field var="pubsub#persist_items"><value>true</value></field>` +
			`<field var="pubsub#max_items"><value>max</value></field>` +
			`<field var="pubsub#send_last_published_item"><value>never</value></field>` +
			`<field var="pubsub#access_model"><value>whitelist</value></field></x></publish-options>`},
	}
	for i, tt := range tests {
		if got := encode(t, tt.r); got != tt.want {
			t.Errorf("%d: got\n%s\nwant\n%s", i, got, tt.want)
		}
	}
}

// TestLegacyStorage: XEP-0048's storage gives its conferences (malformed
// ones skipped) and keeps everything else (URL bookmarks) to write back.
func TestLegacyStorage(t *testing.T) {
	doc := `<storage xmlns="storage:bookmarks">` +
		`<url name="Site" url="https://example.org/"/>` +
		`<conference name="A" jid="a@muc.example" autojoin="true"><nick>al</nick><password>pw</password></conference>` +
		`<conference jid="not a room"/>` +
		`<conference jid="b@muc.example"/>` +
		`</storage>`
	r, _ := afterStart(t, doc)
	var st legacyStorage
	if err := st.read(r); err != nil {
		t.Fatal(err)
	}
	want := []Bookmark{{Room: "a@muc.example", Name: "A", Nick: "al", Password: "pw", Autojoin: true}, {Room: "b@muc.example"}}
	var got []Bookmark
	for _, e := range st.list {
		got = append(got, e.Bookmark)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	others := tokens(st.others)
	if out := encode(t, &others); !strings.Contains(out, `url="https://example.org/"`) || !strings.Contains(out, `name="Site"`) {
		t.Errorf("kept %s, want the URL bookmark", out)
	}
}

// TestBookmarksBounded: more than MaxBookmarks items keep the first
// MaxBookmarks and say Truncated; an oversized <extensions/> is dropped,
// not kept half.
func TestBookmarksBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<items>`)
	for i := 0; i <= MaxBookmarks; i++ {
		fmt.Fprintf(&b, `<item id="r%d@muc.example">%s/></item>`, i, conf)
	}
	b.WriteString(`</items>`)
	p, err := decodeItems(t, b.String())
	if err != nil || len(p.changed) != MaxBookmarks || !p.truncated {
		t.Errorf("kept %d (truncated %v, %v), want %d and truncated", len(p.changed), p.truncated, err, MaxBookmarks)
	}
	big := `<items><item id="a@muc.example">` + conf + `><extensions>` + strings.Repeat("<x/>", maxBookmarkExtras) + `</extensions></conference></item></items>`
	p, err = decodeItems(t, big)
	if err != nil || len(p.changed) != 1 || p.changed[0].ext != nil {
		t.Errorf("got %d items, ext %d tokens, %v; want the item without extensions", len(p.changed), len(p.changed[0].ext), err)
	}
}

// eventTokens returns the tokens that pepEventSpotter keeps of message s,
// decoding it as the handler does.
func eventTokens(t testing.TB, s string) []xml.Token {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	tok, err := d.Token()
	if err != nil {
		t.Fatal(err)
	}
	start := tok.(xml.StartElement)
	spot := &pepEventSpotter{r: d}
	if _, _, err := decodeRoomMessage(spot, &start); err != nil {
		t.Fatal(err)
	}
	return spot.toks
}

const notifyHead = `<message from="alice@example.org" to="alice@example.org/pc" type="headline"><event xmlns="http://jabber.org/protocol/pubsub#event">`

// TestBookmarkEvent: a notification's published items, retractions and a
// purge of the bookmarks node; another node's events are not ours.
func TestBookmarkEvent(t *testing.T) {
	tests := []struct {
		msg       string
		ok        bool
		changed   []string
		retracted []string
		purged    bool
	}{
		0: {notifyHead + `<items node="urn:xmpp:bookmarks:1"><item id="a@muc.example">` + conf + ` autojoin="true"/></item></items></event></message>`, true, []string{"a@muc.example"}, nil, false},
		1: {notifyHead + `<items node="urn:xmpp:bookmarks:1"><retract id="a@muc.example"/><retract id="bad"/></items></event></message>`, true, nil, []string{"a@muc.example"}, false},
		2: {notifyHead + `<purge node="urn:xmpp:bookmarks:1"/></event></message>`, true, nil, nil, true},
		3: {notifyHead + `<items node="urn:xmpp:avatar:metadata"><item id="x"/></items></event></message>`, false, nil, nil, false},
		4: {`<message from="alice@example.org"><body>hi</body></message>`, false, nil, nil, false},
	}
	for i, tt := range tests {
		toks := eventTokens(t, tt.msg)
		r := tokens(toks)
		ev, ok, err := decodeBookmarkEvent(&r)
		if err != nil && len(toks) > 0 {
			t.Errorf("%d: %v", i, err)
		}
		var changed []string
		for _, e := range ev.changed {
			changed = append(changed, e.Room)
		}
		if ok != tt.ok || fmt.Sprint(changed) != fmt.Sprint(tt.changed) || fmt.Sprint(ev.retracted) != fmt.Sprint(tt.retracted) || ev.purged != tt.purged {
			t.Errorf("%d: got ok %v changed %v retracted %v purged %v", i, ok, changed, ev.retracted, ev.purged)
		}
	}
}

// TestBookmarkNotificationRules: a notification from our own account
// changes the bookmarks and asks to join an autojoin room, to leave one
// whose autojoin went away; the same state again reports nothing; one
// from anyone else is a forgery and ignored.
func TestBookmarkNotificationRules(t *testing.T) {
	c := New(account.Account{JID: "alice@example.org"}, nil)
	h := &handler{c: c, own: "alice@example.org"}
	own := jid.MustParse("alice@example.org")
	item := func(attrs string) []xml.Token {
		return eventTokens(t, notifyHead+`<items node="urn:xmpp:bookmarks:1"><item id="a@muc.example">`+conf+attrs+`/></item></items></event></message>`)
	}
	retract := eventTokens(t, notifyHead+`<items node="urn:xmpp:bookmarks:1"><retract id="a@muc.example"/></items></event></message>`)
	steps := []struct {
		from   jid.JID
		toks   []xml.Token
		events string
		cmds   string
	}{
		0: {jid.MustParse("eve@example.org"), item(` autojoin="true"`), "[]", "[]"},
		1: {own, item(` autojoin="true"`), "[app.BookmarkChanged]", "[app.cmdAutojoin]"},
		2: {own, item(` autojoin="true"`), "[]", "[]"},
		3: {jid.JID{}, item(` autojoin="false"`), "[app.BookmarkChanged]", "[app.cmdLeaveRoom]"},
		4: {own, item(` autojoin="true" name="x"`), "[app.BookmarkChanged]", "[app.cmdAutojoin]"},
		5: {own, retract, "[app.BookmarkRemoved]", "[app.cmdLeaveRoom]"},
		6: {own, retract, "[]", "[]"},
	}
	for i, s := range steps {
		h.bookmarkNotification(s.from, s.toks)
		var evs, cmds []string
		for _, e := range c.events.Take() {
			evs = append(evs, fmt.Sprintf("%T", e))
		}
		for _, cmd := range c.cmds.Take() {
			cmds = append(cmds, fmt.Sprintf("%T", cmd))
		}
		if fmt.Sprint(evs) != s.events {
			t.Errorf("%d: events %v, want %s", i, evs, s.events)
		}
		if fmt.Sprint(cmds) != s.cmds {
			t.Errorf("%d: commands %v, want %s", i, cmds, s.cmds)
		}
	}
	// Private storage is our store then: PEP events are not about it.
	c.bookmarks.mu.Lock()
	c.bookmarks.legacy = true
	c.bookmarks.mu.Unlock()
	h.bookmarkNotification(own, item(` autojoin="true"`))
	if evs := c.events.Take(); len(evs) != 0 {
		t.Errorf("legacy store: events %v, want none", evs)
	}
}

// TestValidBookmark: SetBookmark refuses what it could not store or join.
func TestValidBookmark(t *testing.T) {
	tests := []struct {
		in Bookmark
		ok bool
	}{
		0: {Bookmark{Room: "A@Muc.Example", Nick: "al"}, true},
		1: {Bookmark{Room: "muc.example"}, false},
		2: {Bookmark{Room: "a@muc.example/x"}, false},
		3: {Bookmark{Room: "a@muc.example", Name: strings.Repeat("x", MaxBookmarkName+1)}, false},
		4: {Bookmark{Room: "a@muc.example", Password: strings.Repeat("x", MaxBookmarkPassword+1)}, false},
		5: {Bookmark{Room: "a@muc.example", Nick: strings.Repeat("n", MaxNick+1)}, false},
		6: {Bookmark{Room: "a@muc.example"}, true},
	}
	for i, tt := range tests {
		b, ok := validBookmark(tt.in)
		if ok != tt.ok || (ok && b.Room != strings.ToLower(tt.in.Room)) {
			t.Errorf("%d: got %+v %v, want ok %v", i, b, ok, tt.ok)
		}
	}
}

func FuzzBookmarkItems(f *testing.F) {
	f.Add(`<items node="urn:xmpp:bookmarks:1"><item id="a@muc.example"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="true" name="A"><nick>al</nick><password>pw</password><extensions><x xmlns="urn:x"/></extensions></conference></item><retract id="b@muc.example"/></items>`)
	f.Add(`<items><item id="a@muc.example">` + conf + ` autojoin="yes"><nick/></conference></item><item id="x"/></items>`)
	f.Add(`<items><item id="a@b"><conference xmlns="urn:xmpp:bookmarks:1"><nick>a<b/></nick></conference></item>`)
	f.Fuzz(func(t *testing.T, s string) {
		p, _ := decodeItems(t, s)
		if len(p.changed) > MaxBookmarks || len(p.retracted) > MaxBookmarks {
			t.Fatalf("kept %d items", len(p.changed))
		}
		for _, e := range p.changed {
			if _, ok := parseRoom(e.Room); !ok || len(e.Name) > MaxBookmarkName || len(e.Nick) > MaxNick || len(e.Password) > MaxBookmarkPassword || len(e.ext) > maxBookmarkExtras {
				t.Fatalf("kept %+v", e)
			}
			_ = encode(t, conferenceTokens(e, false))
		}
	})
}

func FuzzLegacyBookmarks(f *testing.F) {
	f.Add(`<storage xmlns="storage:bookmarks"><url name="S" url="https://x/"/><conference name="A" jid="a@muc.example" autojoin="1"><nick>al</nick><password>pw</password></conference></storage>`)
	f.Add(`<storage xmlns="storage:bookmarks"><conference jid="x"/><conference jid="a@b" autojoin="maybe"/></storage>`)
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := afterStart(t, s)
		if !ok {
			return
		}
		var st legacyStorage
		_ = st.read(r)
		if len(st.list) > MaxBookmarks || len(st.others) > maxBookmarkExtras {
			t.Fatalf("kept %d bookmarks, %d other tokens", len(st.list), len(st.others))
		}
		for _, e := range st.list {
			if _, ok := parseRoom(e.Room); !ok || len(e.Name) > MaxBookmarkName || len(e.Nick) > MaxNick || len(e.Password) > MaxBookmarkPassword {
				t.Fatalf("kept %+v", e)
			}
		}
	})
}

func FuzzBookmarkEvent(f *testing.F) {
	f.Add(notifyHead + `<items node="urn:xmpp:bookmarks:1"><item id="a@muc.example">` + conf + ` autojoin="true"/></item><retract id="b@muc.example"/></items></event></message>`)
	f.Add(notifyHead + `<purge node="urn:xmpp:bookmarks:1"/></event><event xmlns="http://jabber.org/protocol/pubsub#event"/></message>`)
	f.Add(`<message><body>hi</body></message>`)
	f.Fuzz(func(t *testing.T, s string) {
		d := xml.NewDecoder(strings.NewReader(s))
		tok, err := d.Token()
		if err != nil {
			return
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			return
		}
		spot := &pepEventSpotter{r: d}
		_, _, _ = decodeRoomMessage(spot, &start)
		if len(spot.toks) > maxBookmarkEvent {
			t.Fatalf("kept %d tokens", len(spot.toks))
		}
		r := tokens(spot.toks)
		ev, _, _ := decodeBookmarkEvent(&r)
		if len(ev.changed) > MaxBookmarks {
			t.Fatalf("kept %d items", len(ev.changed))
		}
	})
}
