package upload

import (
	"io"
	"sync/atomic"
)

// Counter is a reader that counts the bytes read through it, for an
// upload's progress. Read is for one goroutine; N may be called from any.
type Counter struct {
	r io.Reader
	n atomic.Int64
}

// NewCounter returns a Counter reading from r.
func NewCounter(r io.Reader) *Counter { return &Counter{r: r} }

// Read reads from the underlying reader and counts what it got.
func (c *Counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// N returns how many bytes have been read so far.
func (c *Counter) N() int64 { return c.n.Load() }
