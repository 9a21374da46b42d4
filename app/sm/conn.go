package sm

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
)

// Wrap returns c counted for st: reads and writes pass through unchanged,
// while the wrapper counts the stanzas in each direction, keeps the bytes
// of those written until the server acknowledges them, and writes the
// acknowledgement requests (<r/>) between two elements.
// The connection wrapped last is the one st counts: a connection of an
// earlier session counts nothing any more.
// A wrapper under TLS steps aside at the first TLS handshake record the
// client writes, so wrapping the plain connection of a STARTTLS session
// is harmless; the connection inside TLS must be wrapped too (the one
// xmpp.StartTLS negotiates).
// The returned net.Conn also has ConnectionState, like a *tls.Conn (the
// zero state when c has none), for channel binding, and NetConn, which
// returns c.
// Read and Write may be called from different goroutines at once, as
// net.Conn allows.
func (st *State) Wrap(c net.Conn) net.Conn {
	w := &conn{Conn: c, st: st, ws: scanner{capture: true}}
	st.attach(w)
	return w
}

// conn is a counted net.Conn.
type conn struct {
	net.Conn
	st *State

	rmu sync.Mutex // guards rs
	rs  scanner

	wmu sync.Mutex // guards ws and orders writes with the <r/> the timer writes
	ws  scanner

	bypass atomic.Bool // the client started TLS on this connection
}

// Read reads from the connection and counts the stanzas that end in what
// it read.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.bypass.Load() {
		c.rmu.Lock()
		c.rs.scan(p[:n], func(e element, _ int, _ []byte) { c.st.received(c, e) })
		c.rmu.Unlock()
	}
	if err != nil {
		c.st.dropped(c)
	}
	return n, err
}

// Write writes p, counting and keeping the stanzas that end in it, and
// adds an acknowledgement request after the last of them when one is due.
func (c *conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.bypass.Load() && len(p) >= 2 && p[0] == 0x16 && p[1] == 0x03 {
		// A TLS handshake record: XML never starts with 0x16.
		c.bypass.Store(true)
	}
	if c.bypass.Load() {
		return c.Conn.Write(p)
	}
	at := -1
	c.ws.scan(p, func(e element, end int, raw []byte) {
		if c.st.sent(c, e, raw) {
			at = end + 1
		}
	})
	if at < 0 && c.ws.boundary() && c.st.takePending(c) {
		at = len(p)
	}
	if at < 0 {
		n, err := c.Conn.Write(p)
		if err != nil {
			c.st.dropped(c)
		}
		return n, err
	}
	n, err := c.Conn.Write(p[:at])
	if err == nil {
		_, err = c.Conn.Write(request)
	}
	if err == nil && at < len(p) {
		var m int
		m, err = c.Conn.Write(p[at:])
		n += m
	}
	if err != nil {
		c.st.dropped(c)
	}
	return n, err
}

// Close closes the connection; a session on it can still be resumed.
func (c *conn) Close() error {
	c.st.dropped(c)
	return c.Conn.Close()
}

// ConnectionState returns the TLS state of the wrapped connection, or the
// zero state if it has none. mellium takes channel binding data from it.
func (c *conn) ConnectionState() tls.ConnectionState {
	if tc, ok := c.Conn.(interface{ ConnectionState() tls.ConnectionState }); ok {
		return tc.ConnectionState()
	}
	return tls.ConnectionState{}
}

// NetConn returns the wrapped connection.
func (c *conn) NetConn() net.Conn { return c.Conn }
