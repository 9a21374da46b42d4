package app

// RoomArchiveReads returns how many readings of rooms' archives ended.
func RoomArchiveReads(c *Client) int {
	c.rooms.mu.Lock()
	defer c.rooms.mu.Unlock()
	return c.rooms.archiveReads
}

// SetRoomArchiveMax sets how many results of a room's archive one join
// takes (maxRoomArchive).
func SetRoomArchiveMax(c *Client, n int) {
	c.rooms.mu.Lock()
	defer c.rooms.mu.Unlock()
	c.rooms.archiveMax = n
}
