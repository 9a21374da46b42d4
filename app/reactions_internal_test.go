package app

import (
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

func TestQuotation(t *testing.T) {
	long := strings.Repeat("é", 250)
	for i, c := range []struct{ text, want string }{
		0: {"", ""},
		1: {" \n\t", ""},
		2: {"hi", "> hi\n"},
		3: {"a\r\nb  \n\nc", "> a\n> b\n> …\n"},
		4: {"one\ntwo\nthree", "> one\n> two\n> three\n"},
		5: {long, "> " + long[:2*200] + "…\n"},
		6: {strings.Repeat("x", 199) + "\nyz\nw", "> " + strings.Repeat("x", 199) + "\n> y…\n"},
		7: {strings.Repeat("x", 200) + "\nmore", "> " + strings.Repeat("x", 200) + "…\n"},
	} {
		if got := quotation(c.text); got != c.want {
			t.Errorf("%d: quotation(%q) = %q, want %q", i, c.text, got, c.want)
		}
	}
}

// TestReplyOfArchived: an outgoing reply left pending, read back from the
// archive, is sent again with the same reply element.
func TestReplyOfArchived(t *testing.T) {
	body, r := replyBody("ja", ReplyTo{ID: "m1", Author: "bob@example.org", Quote: "Grüße 👋"})
	a := &history.Message{Body: body}
	archivedReply(a, r)
	if got := replyOf(*a); !reflect.DeepEqual(got, r) {
		t.Fatalf("replyOf = %+v, want %+v", got, r)
	}
	if replyOf(history.Message{Body: "x"}) != nil {
		t.Fatal("a message that answers nothing has a reply")
	}
}

// FuzzReplyBody: whatever is quoted and said, the fallback range of a
// reply covers exactly the quotation (at most 3 lines, each "> "), the
// body without it is what was said, and the archive gives the same reply
// element back.
func FuzzReplyBody(f *testing.F) {
	for _, s := range [][2]string{{"hi", "yes"}, {"a\nb\nc\nd", ""}, {"", "x"}, {"\xff\xfe", "é"}, {strings.Repeat("ü", 300), "\r\n"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, quote, said string) {
		body, r := replyBody(said, ReplyTo{ID: "m1", Author: "bob@example.org", Quote: quote})
		q := quotation(quote)
		if q == "" {
			if r.HasFallback || body != said {
				t.Fatalf("no quotation, but %+v, %q", r, body)
			}
			return
		}
		s, e, ok := r.FallbackRange(body)
		if !ok || s != 0 || body[s:e] != q || body[e:] != said {
			t.Fatalf("range %d-%d (%v) of %q; quotation %q", s, e, ok, body, q)
		}
		lines := strings.Split(strings.TrimSuffix(q, "\n"), "\n")
		if len(lines) > maxQuoteLines || utf8.RuneCountInString(q) > maxQuoteRunes+4*maxQuoteLines {
			t.Fatalf("quotation too long: %q", q)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "> ") {
				t.Fatalf("quotation line %q", l)
			}
		}
		a := &history.Message{Body: body}
		archivedReply(a, r)
		if a.Text() != said && utf8.ValidString(body) {
			t.Fatalf("archived text %q, said %q", a.Text(), said)
		}
		if got := replyOf(*a); utf8.ValidString(body) && !reflect.DeepEqual(got, r) {
			t.Fatalf("replyOf = %+v, want %+v", got, r)
		}
		// The peer decodes the same range.
		if !utf8.ValidString(body) {
			return
		}
		var buf strings.Builder
		enc := xml.NewEncoder(&buf)
		msg := im.Message{Message: stanza.Message{ID: "r1", Type: stanza.ChatMessage}, Body: body, Reply: r}
		if _, err := msg.WriteXML(enc); err != nil || enc.Flush() != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(strings.NewReader(buf.String()))
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		start := tok.(xml.StartElement)
		got, err := im.DecodeMessage(d, &start)
		if err != nil || got.Reply == nil {
			t.Fatalf("decoding %s: %v", buf.String(), err)
		}
		if gs, ge, ok := got.Reply.FallbackRange(got.Body); got.Body == body && (!ok || got.Body[gs:ge] != q) {
			t.Fatalf("decoded range %d-%d of %q", gs, ge, got.Body)
		}
	})
}
