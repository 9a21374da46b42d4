package app

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
)

// decodeBlocks decodes s, a XEP-0191 element, with decodeBlockItems.
func decodeBlocks(s string) ([]string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			return decodeBlockItems(d, start)
		}
	}
}

// TestDecodeBlockItems: the decoder keeps valid addresses as sorted,
// unique bare JIDs and skips what is not an item of the list.
func TestDecodeBlockItems(t *testing.T) {
	const ns = ` xmlns="urn:xmpp:blocking"`
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: `<blocklist` + ns + `/>`},
		{in: `<blocklist` + ns + `><item jid="b@x"/><item jid="a@x/res"/><item jid="b@x/other"/></blocklist>`, want: []string{"a@x", "b@x"}},
		{in: `<block` + ns + `> <item jid="x"/>` + "\n" + `<item/><item jid="@bad"/><other jid="o@x"/><item jid="deep@x"><item jid="nested@x"/></item></block>`, want: []string{"deep@x", "x"}},
		{in: `<unblock` + ns + `><item xmlns="urn:other" jid="foreign@x"/><item jid="ok@x"/></unblock>`, want: []string{"ok@x"}},
		{in: `<blocklist` + ns + `><item jid="a@x"/>`, wantErr: true},
	}
	for i, tt := range tests {
		got, err := decodeBlocks(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("%d: got %q, %v; want %q, error %v", i, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestDecodeBlockItemsIsBounded: a list longer than maxBlockList is cut
// to maxBlockList addresses and still read to its end.
func TestDecodeBlockItemsIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<blocklist xmlns="urn:xmpp:blocking">`)
	for i := range maxBlockList + 50 {
		fmt.Fprintf(&b, `<item jid="u%d@x"/>`, i)
	}
	b.WriteString(`</blocklist>`)
	got, err := decodeBlocks(b.String())
	if err != nil || len(got) != maxBlockList {
		t.Fatalf("got %d addresses, %v; want %d", len(got), err, maxBlockList)
	}
}

// FuzzBlockList: whatever the server sends, the decoder returns sorted,
// unique, valid bare JIDs, at most maxBlockList, or an error.
func FuzzBlockList(f *testing.F) {
	for _, s := range []string{
		`<blocklist xmlns="urn:xmpp:blocking"><item jid="a@x"/><item jid="b@x/r"/></blocklist>`,
		`<block xmlns="urn:xmpp:blocking"><item jid="a@x"><item jid="b@x"/></item></block>`,
		`<unblock xmlns="urn:xmpp:blocking"/>`,
		`<blocklist xmlns="urn:xmpp:blocking"><item jid="@"/><item/>text</blocklist>`,
		`<blocklist xmlns="urn:xmpp:blocking"><item jid="a@x">`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := decodeBlocks(s)
		if err != nil {
			return
		}
		if len(got) > maxBlockList || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("got %q", got)
		}
		for _, g := range got {
			j, err := jid.Parse(g)
			if err != nil || j.Resourcepart() != "" || j.String() != g {
				t.Fatalf("%q is no bare JID: %v", g, err)
			}
		}
	})
}
