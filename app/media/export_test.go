package media

// Waiters returns how many requests wait for the fetch of rawURL under
// way, -1 when none is.
func Waiters(f *Fetcher, rawURL string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.inflight[rawURL]; ok {
		return c.waiters
	}
	return -1
}

// Key is key, for tests.
var Key = key

// NameOf is nameOf, for tests.
var NameOf = nameOf
