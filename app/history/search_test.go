package history

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestFTSQuery(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{`"`, ""},
		{"* - + ^ : ( ) {}", ""},
		{"hello", `"hello"*`},
		{"hello ", `"hello"`},
		{"Hello World", `"Hello" "World"*`},
		{"C++", `"C"`},
		{"AND", `"AND"*`},
		{"a OR b NOT c", `"a" "OR" "b" "NOT" "c"`},
		{"a OR b NOT cd", `"a" "OR" "b" "NOT" "cd"*`},
		{"x", `"x"`},
		{"é", `"é"`},
		{`say "hi"`, `"say" "hi"`},
		{"e-mail", `"e" "mail"*`},
		{"NEAR(a b)", `"NEAR" "a" "b"`},
		{"col:umn", `"col" "umn"*`},
		{"café", `"café"*`},
		{"cafe\u0301", "\"cafe\u0301\"*"},
		{"日本語", `"日本語"*`},
		{"🙂 ok", `"ok"*`},
	} {
		if got := ftsQuery(c.in); got != c.want {
			t.Errorf("ftsQuery(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	long := strings.Repeat("w ", 40) + "last"
	if got := ftsQuery(long); strings.Count(got, `"w"`) != maxTerms || strings.Contains(got, "last") || strings.HasSuffix(got, "*") {
		t.Errorf("long query: %s", got)
	}
}

func searchBodies(t *testing.T, s *Store, q string) []string {
	t.Helper()
	hits, err := s.Search(ctx, q, 50)
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	var b []string
	for _, h := range hits {
		b = append(b, h.Body)
	}
	return b
}

func TestSearch(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		msgs := []Message{
			{Peer: "a@x", Body: "Shall we meet at the café?"},
			{Peer: "b@x", Body: "The CAFE on the corner is closed"},
			{Peer: "a@x", Body: "I like C++ and Go"},
			{Peer: "c@x", Body: "Übermorgen fahren wir nach Zürich"},
			{Peer: "b@x", Body: "cafeteria food again"},
			{Peer: "c@x", Body: "日本語 テキスト"},
			{Peer: "a@x", Body: "nothing to see here"},
		}
		for i := range msgs {
			msgs[i].Time = t0.Add(time.Duration(i) * time.Minute)
			mustAdd(t, s, msgs[i])
		}
		check := func(q string, want ...string) {
			t.Helper()
			got := searchBodies(t, s, q)
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("Search(%q) = %q, want %q", q, got, want)
			}
		}
		// Diacritics and case are ignored, both ways; newest first; all
		// conversations.
		check("cafe ", msgs[1].Body, msgs[0].Body)
		check("CAFÉ ", msgs[1].Body, msgs[0].Body)
		// Prefix on the last word.
		check("cafe", msgs[4].Body, msgs[1].Body, msgs[0].Body)
		check("caf", msgs[4].Body, msgs[1].Body, msgs[0].Body)
		check("zurich", msgs[3].Body)
		check("uberm", msgs[3].Body)
		// Every word must match.
		check("the cafe ", msgs[1].Body, msgs[0].Body)
		check("closed cafe", msgs[1].Body)
		check("meet closed")
		check("日本語", msgs[5].Body)
		check("C++", msgs[2].Body)
		check("c++ go", msgs[2].Body)

		// Hostile input: never an error.
		for _, q := range []string{"", `"`, `""`, `"unbalanced`, "AND", "OR", "NOT", "NEAR", "*", "-", "-go",
			"^", ":", "body:go", "a:b", "(", ")", "{a b}", "a AND", "AND a", "NOT NOT", "\x00", "\x02",
			"🙂", "'; DROP TABLE messages; --", strings.Repeat("x", 5000), strings.Repeat("a ", 1000),
			"\u0301", "\uFFFD", string([]byte{0xff, 0xfe})} {
			if _, err := s.Search(ctx, q, 10); err != nil {
				t.Errorf("Search(%q): %v", q, err)
			}
		}
		if n, _ := s.Count(ctx, ""); n != len(msgs) {
			t.Fatalf("count %d", n)
		}
		check("", []string{}...)
		check("🙂", []string{}...)
	})
}

func TestSearchHitsAndSnippets(t *testing.T) {
	s := openMem(t)
	id := mustAdd(t, s, Message{Peer: "a@x", Dir: Out, MsgID: "m", Time: t0, State: Sent,
		Body: "Let us meet at the Café Central tomorrow"})
	long := strings.Repeat("filler words here ", 40) + "the needle is here " + strings.Repeat("more filler ", 40)
	mustAdd(t, s, Message{Peer: "b@x", Time: t0.Add(time.Second), Body: long})

	hits, err := s.Search(ctx, "cafe", 10)
	if err != nil || len(hits) != 1 {
		t.Fatalf("%+v %v", hits, err)
	}
	h := hits[0]
	if h.ID != id || h.Peer != "a@x" || h.Dir != Out || h.MsgID != "m" || !h.Time.Equal(t0) || h.State != Sent {
		t.Errorf("hit message %+v", h.Message)
	}
	if !strings.Contains(h.Snippet, "\x02Café\x03") {
		t.Errorf("snippet %q does not mark the match", h.Snippet)
	}
	hits, err = s.Search(ctx, "needle", 10)
	if err != nil || len(hits) != 1 {
		t.Fatalf("%+v %v", hits, err)
	}
	sn := hits[0].Snippet
	if !strings.Contains(sn, "\x02needle\x03") || len(sn) > 200 || !strings.Contains(sn, "…") {
		t.Errorf("snippet of a long body: %q", sn)
	}
}

func TestSearchLimitAndOrder(t *testing.T) {
	lowerPageCap(t, 20)
	s := openMem(t)
	var batch []Message
	for i := range 30 {
		batch = append(batch, Message{Peer: fmt.Sprintf("p%d@x", i%7), Time: t0.Add(time.Duration(i) * time.Second), Body: fmt.Sprintf("common %d", i)})
	}
	ids, err := s.AddBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	hits, err := s.Search(ctx, "common", 10)
	if err != nil || len(hits) != 10 {
		t.Fatalf("%d hits, %v", len(hits), err)
	}
	for i, h := range hits {
		if want := ids[len(ids)-1-i]; h.ID != want {
			t.Fatalf("hit %d: id %d, want %d (newest first)", i, h.ID, want)
		}
	}
	if hits, err := s.Search(ctx, "common", 25); err != nil || len(hits) != 20 {
		t.Fatalf("n above the cap: %d hits, %v", len(hits), err)
	}
	if hits, err := s.Search(ctx, "common", 0); err != nil || len(hits) != 0 {
		t.Fatalf("n=0: %d hits, %v", len(hits), err)
	}
}
