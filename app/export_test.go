package app

import "time"

// VCardFetches returns how many vCard requests c has sent, for tests that
// check that a picture hash is fetched once.
func VCardFetches(c *Client) int64 { return c.vcardFetches.Load() }

// VCardFetchesOf returns how many vCard requests for jid c has sent: unlike
// VCardFetches, the fetch of the account's own card at sign-in, which may
// come at any time, does not count.
func VCardFetchesOf(c *Client, jid string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vcardFetchesOf[jid]
}

// SetLiveness makes c ping the server after idle of silence and give up
// after timeout, instead of the minutes a real connection uses.
func SetLiveness(c *Client, idle, timeout time.Duration) {
	c.mu.Lock()
	c.pingIdle, c.pingTimeout = idle, timeout
	c.mu.Unlock()
}
