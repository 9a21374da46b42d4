package app

// PEPAvatarCounts returns how many PEP avatar data requests c sent, and
// how many answers it refused (too large, a wrong hash, no picture).
func PEPAvatarCounts(c *Client) (fetches, refused int64) {
	return c.pics.pepFetches.Load(), c.pics.pepRefused.Load()
}

// PEPAvatarOf returns the PEP avatar id c last saw jid publish, and
// whether it saw any in this run.
func PEPAvatarOf(c *Client, jid string) (string, bool) {
	c.pics.mu.Lock()
	defer c.pics.mu.Unlock()
	id, ok := c.pics.pep[jid]
	return id, ok
}

// PEPAvatarPublishes returns how many times c published its own picture
// (or its removal) to PEP itself, the server's XEP-0398 conversion aside.
func PEPAvatarPublishes(c *Client) int64 { return c.pics.pepPublishes.Load() }
