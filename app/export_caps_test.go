package app

// CapsQueries returns how many disco#info queries c sent to learn what
// caps hashes mean (XEP-0115), for tests that check each is asked once.
func CapsQueries(c *Client) int64 { return c.caps.queries.Load() }

// CapsAsked returns how many new caps hashes c took up to ask about, for
// tests that check a flood of invented hashes is bounded.
func CapsAsked(c *Client) int64 { return c.caps.asked.Load() }

// CapsSettled returns how many answers to its caps queries c has handled
// (kept, refused or failed), for tests that wait for one.
func CapsSettled(c *Client) int64 { return c.caps.settled.Load() }

// OwnCapsVer is the ver in Palaver's own presence.
var OwnCapsVer = ownCaps.Ver
