package app

// RoomArchiveReads returns how many readings of rooms' archives ended.
func RoomArchiveReads(c *Client) int {
	c.rooms.mu.Lock()
	defer c.rooms.mu.Unlock()
	return c.rooms.archiveReads
}
