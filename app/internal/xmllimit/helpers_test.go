package xmllimit

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"net"
	"time"
)

// fakeConn serves data to reads in the chunks split gives, and records
// writes.
type fakeConn struct {
	data   []byte
	split  func(rest int) int
	writes bytes.Buffer
}

func (c *fakeConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(c.split(len(c.data)), len(p), len(c.data))
	n = max(n, 1)
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func (c *fakeConn) Write(p []byte) (int, error)      { return c.writes.Write(p) }
func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }
func whole(rest int) int                             { return rest }
func oneByte(int) int                                { return 1 }
func randomSplits(seed int64) func(int) int {
	r := rand.New(rand.NewSource(seed))
	return func(rest int) int {
		if r.Intn(4) == 0 {
			return 1 + r.Intn(3)
		}
		return 1 + r.Intn(min(rest, 700))
	}
}

// chunking is a way to split a stream into reads.
type chunking struct {
	name  string
	split func() func(int) int
}

// chunkings are the splits every stream is read in.
var chunkings = []chunking{
	{"whole", func() func(int) int { return whole }},
	{"1-byte", func() func(int) int { return oneByte }},
	{"random-1", func() func(int) int { return randomSplits(1) }},
	{"random-2", func() func(int) int { return randomSplits(2) }},
	{"random-3", func() func(int) int { return randomSplits(3) }},
}

// readAll reads data through a guard with limits l, in reads split gives,
// each into a buffer of bufSize bytes. It returns what the guard passed and
// the error it ended with (nil at EOF).
func readAll(data []byte, l Limits, split func(int) int, bufSize int) ([]byte, error) {
	return readAllArmed(data, l, split, bufSize, false)
}

// readAllArmed is readAll, after the client opened a stream if arm.
func readAllArmed(data []byte, l Limits, split func(int) int, bufSize int, arm bool) ([]byte, error) {
	c := Wrap(&fakeConn{data: data, split: split}, l)
	if arm {
		c.Write([]byte("<?xml version='1.0'?><stream:stream xmlns='jabber:client' to='example.net' version='1.0'>"))
	}
	var out []byte
	buf := make([]byte, bufSize)
	for {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
