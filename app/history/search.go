package history

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTerms is the most words of a query Search uses; more would only make
// the query slower.
const maxTerms = 16

// searchSQL finds messages by FTS5 match. It orders by the FTS rowid (the
// message id) descending, which FTS5 walks directly and stops after LIMIT
// rows, instead of collecting and sorting every match.
const searchSQL = `SELECT m.id, m.peer, m.dir, m.msg_id, m.stanza_id, m.time, m.delayed,
		m.delay_from, m.delay_reason, m.body, m.state, m.room, m.nick, m.sender, m.original,
		m.reply_id, m.reply_to, m.fallback_start, m.fallback_end, m.occupant_id,
		snippet(messages_fts, 0, char(2), char(3), '…', 16)
	FROM messages_fts JOIN messages AS m ON m.id = messages_fts.rowid
	WHERE messages_fts MATCH ?
	ORDER BY messages_fts.rowid DESC
	LIMIT ?`

// Search returns up to n (at most MaxPage) messages, in all conversations,
// that contain every word of query, most recently archived first (for
// messages that arrived live that is newest first; a message fetched later
// from the server's archive counts as of when it was fetched). Case and
// diacritics are ignored ("cafe" finds "café"), punctuation separates
// words, and the last word also matches as a prefix unless the query ends
// with a space or punctuation or that word is a single letter. Any query
// is valid; one without words finds nothing.
func (s *Store) Search(ctx context.Context, query string, n int) ([]Hit, error) {
	q := ftsQuery(query)
	if q == "" || n <= 0 {
		return nil, nil
	}
	n = min(n, pageCap)
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := s.db.QueryContext(ctx, searchSQL, q, n)
	if err != nil {
		return nil, fmt.Errorf("history: search: %w", err)
	}
	defer rows.Close()
	var hits []Hit
	for rows.Next() {
		var h Hit
		if h.Message, err = scanMessage(rows, &h.Snippet); err != nil {
			return nil, fmt.Errorf("history: search: %w", err)
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: search: %w", err)
	}
	return hits, nil
}

// ftsQuery turns what the user typed into an FTS5 query that cannot be a
// syntax error: the words (runs of letters, digits and marks, as FTS5's
// unicode61 tokenizer sees them) each become a quoted string, so that
// operators like AND, NEAR, '*', '-', ':' or '"' have no meaning; the
// strings are ANDed, and the last one is a prefix query unless query ends
// with a separator or it is a single letter. It returns "" for a query
// without words.
func ftsQuery(query string) string {
	terms := strings.FieldsFunc(query, func(r rune) bool { return !isTokenRune(r) })
	if len(terms) == 0 {
		return ""
	}
	// A one-letter prefix would match most of the archive, slowly (there
	// is no 1-character prefix index): match it as a word.
	prefix := isTokenRune(lastRune(query)) && utf8.RuneCountInString(terms[len(terms)-1]) > 1
	if len(terms) > maxTerms {
		terms, prefix = terms[:maxTerms], false
	}
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(t, `"`, `""`))
		b.WriteByte('"')
	}
	if prefix {
		b.WriteByte('*')
	}
	return b.String()
}

// isTokenRune reports whether r is part of a word: the unicode61
// tokenizer's default token classes (L*, N*, Co) plus marks, which it
// folds into the letter before them.
func isTokenRune(r rune) bool {
	return unicode.In(r, unicode.L, unicode.N, unicode.M, unicode.Co)
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}
