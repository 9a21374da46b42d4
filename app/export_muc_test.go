package app

import "time"

// SetRoomTimes sets the silence after which a room is self-pinged and the
// wait before a lost room is joined again (for tests).
func SetRoomTimes(c *Client, pingIdle, retry time.Duration) {
	c.rooms.mu.Lock()
	c.rooms.pingIdle, c.rooms.retry = pingIdle, retry
	c.rooms.mu.Unlock()
}
