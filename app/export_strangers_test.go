package app

import "context"

// PresenceSizes returns how many addresses c keeps presence for (live in
// this session, last seen from an earlier one) and how many opened
// addresses it follows, for tests that check those maps stay bounded.
func PresenceSizes(c *Client) (live, stale, opened int) {
	live, stale = c.book.size()
	return live, stale, c.opened.len()
}

// PictureSizes returns how many addresses c keeps picture hashes for
// (known, asked), for tests that check those maps stay bounded.
func PictureSizes(c *Client) (known, asked int) {
	a := c.pics
	if a == nil {
		return 0, 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.known), len(a.asked)
}

// Caps on per-address state, for tests.
const (
	MaxResources    = maxResources
	MaxOpened       = maxOpened
	MaxPresenceJIDs = maxPresenceJIDs
)

// HasCachedProfile reports whether c's archive holds a profile row (card
// or picture hash) of jid.
func HasCachedProfile(c *Client, jid string) bool {
	st, _ := c.store()
	if st == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), archiveTimeout)
	defer cancel()
	_, ok, _ := st.Profile(ctx, jid)
	return ok
}
