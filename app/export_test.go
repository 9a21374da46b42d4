package app

// VCardFetches returns how many vCard requests c has sent, for tests that
// check that a picture hash is fetched once.
func VCardFetches(c *Client) int64 { return c.vcardFetches.Load() }
