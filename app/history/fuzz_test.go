package history_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/palaver-im/palaver/app/history"
)

// FuzzSearch checks that no query a user can type makes the full-text
// search fail, and that every hit really is a stored message.
func FuzzSearch(f *testing.F) {
	for _, q := range []string{"", "hello", "C++", `"`, `""`, "AND", "OR NOT", "*", "-x", "a:b", "NEAR(a b)", "^x", "café", "i", "the ", "\x00", "\xff\xfe", "((", "a\"b*"} {
		f.Add(q)
	}
	st, err := history.Open("")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	ctx := context.Background()
	bodies := []string{"hello world", "C++ and Go", "café au lait", "the quick brown fox", "AND OR NOT", "a:b c-d \"quoted\""}
	for i, b := range bodies {
		if _, _, err := st.Add(ctx, history.Message{Peer: "bob@x", Dir: history.Direction(i % 2), Body: b}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, q string) {
		hits, err := st.Search(ctx, q, 10)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		for _, h := range hits {
			found := false
			for _, b := range bodies {
				found = found || h.Body == b
			}
			if !found || !utf8.ValidString(h.Snippet) && utf8.ValidString(h.Body) {
				t.Errorf("Search(%q) hit %+v", q, h)
			}
		}
		if strings.TrimSpace(q) == "" && len(hits) != 0 {
			t.Errorf("an empty query found %d messages", len(hits))
		}
	})
}
