package app

import "time"

// VCardFetches returns how many vCard requests c has sent, for tests that
// check that a picture hash is fetched once.
func VCardFetches(c *Client) int64 { return c.vcardFetches.Load() }

// SetLiveness makes c ping the server after idle of silence and give up
// after timeout, instead of the minutes a real connection uses.
func SetLiveness(c *Client, idle, timeout time.Duration) {
	c.mu.Lock()
	c.pingIdle, c.pingTimeout = idle, timeout
	c.mu.Unlock()
}
