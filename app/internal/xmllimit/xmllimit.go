// Package xmllimit bounds what an XMPP server can make the client hold.
//
// encoding/xml, which reads the stream, keeps a whole token in memory: one
// attribute value, one run of text, one comment. A hostile server can send
// one that never ends, or elements nested a million deep, or endless bytes
// between stanzas. Wrap puts a guard between the socket and the decoder: it
// passes the bytes through unchanged while following the XML structure with
// a small state machine, and fails the read as soon as the server crosses
// one of the Limits. The session then ends with a *LimitError.
//
// The guard does not validate XML; encoding/xml does. It only has to agree
// with encoding/xml on where elements begin and end, and it counts every
// byte against some limit, so that it never under-counts.
package xmllimit

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"mellium.im/xmpp"
)

// Limits bounds an incoming XMPP stream. A field that is zero or negative
// takes its value from DefaultLimits.
type Limits struct {
	// StanzaBytes bounds one stanza: a child of <stream:stream>, from its
	// '<' to the '>' that closes it, markup included.
	StanzaBytes int
	// Depth bounds how deeply elements nest within a stanza; the stanza
	// itself is at depth 1.
	Depth int
	// TokenBytes bounds one element or attribute name, and one attribute
	// value as sent (before entities are replaced).
	TokenBytes int
	// Attrs bounds the number of attributes of one element.
	Attrs int
	// BetweenBytes bounds the bytes at stream level between two stanzas:
	// whitespace keepalives, and anything else that is not in a stanza,
	// such as the closing </stream:stream>.
	BetweenBytes int
	// HeaderBytes bounds the opening of a stream: from its first byte (the
	// XML declaration, if any) to the '>' of <stream:stream ...>.
	HeaderBytes int
}

// DefaultLimits are generous for any real server: Prosody itself refuses
// stanzas over 256 KiB, and the largest a client sends in practice are
// avatars inside vCards of a few tens of MB.
var DefaultLimits = Limits{
	StanzaBytes:  32 << 20,
	Depth:        64,
	TokenBytes:   64 << 10,
	Attrs:        256,
	BetweenBytes: 1 << 20,
	HeaderBytes:  16 << 10,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v, def int) int {
		if v <= 0 {
			return def
		}
		return v
	}
	return Limits{
		StanzaBytes:  pick(l.StanzaBytes, d.StanzaBytes),
		Depth:        pick(l.Depth, d.Depth),
		TokenBytes:   pick(l.TokenBytes, d.TokenBytes),
		Attrs:        pick(l.Attrs, d.Attrs),
		BetweenBytes: pick(l.BetweenBytes, d.BetweenBytes),
		HeaderBytes:  pick(l.HeaderBytes, d.HeaderBytes),
	}
}

// The values of LimitError.What: which limit the server crossed.
const (
	WhatStanza  = "stanza"  // Limits.StanzaBytes
	WhatDepth   = "depth"   // Limits.Depth
	WhatName    = "name"    // Limits.TokenBytes, for a name
	WhatValue   = "value"   // Limits.TokenBytes, for an attribute value
	WhatAttrs   = "attrs"   // Limits.Attrs
	WhatBetween = "between" // Limits.BetweenBytes
	WhatHeader  = "header"  // Limits.HeaderBytes
)

// LimitError is the error a guarded connection's Read returns once the
// server crossed a limit; every later Read returns it again.
type LimitError struct {
	What   string // one of the What constants
	Limit  int    // the limit crossed
	Offset int64  // where in the stream: the number of bytes before the one that crossed it
}

// Error says in a sentence a user can read what the server did.
func (e *LimitError) Error() string {
	switch e.What {
	case WhatStanza:
		return "the server sent a stanza larger than " + size(e.Limit)
	case WhatDepth:
		return fmt.Sprintf("the server sent elements nested more than %d deep", e.Limit)
	case WhatName:
		return "the server sent a name longer than " + size(e.Limit)
	case WhatValue:
		return "the server sent an attribute value longer than " + size(e.Limit)
	case WhatAttrs:
		return fmt.Sprintf("the server sent an element with more than %d attributes", e.Limit)
	case WhatBetween:
		return "the server sent more than " + size(e.Limit) + " between two stanzas"
	case WhatHeader:
		return "the server sent a stream header larger than " + size(e.Limit)
	}
	return fmt.Sprintf("the server crossed the %s limit of %d", e.What, e.Limit)
}

// size writes n bytes the way people read sizes.
func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n == 1:
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// Wrap returns c guarded by l: reads pass the server's bytes through
// unchanged until the one that crosses a limit, and then fail with a
// *LimitError. Writes pass through too; the guard watches them for two
// things only the client decides: a new stream header (after which the
// server's new header may come inside the old stream, as on a restart
// after SASL), and the start of a TLS handshake (after which the bytes are
// no longer XML, and the guard steps aside: guard the TLS connection
// itself, see StartTLS).
//
// Limits{} means DefaultLimits. The returned net.Conn also has
// ConnectionState, like a *tls.Conn (the zero state when c has none), and
// NetConn, which returns c.
func Wrap(c net.Conn, l Limits) net.Conn {
	return &conn{Conn: c, s: newScanner(l)}
}

// conn is a guarded net.Conn.
type conn struct {
	net.Conn

	mu  sync.Mutex // guards s and err
	s   *scanner
	err error

	armed  atomic.Bool // the client sent a stream header
	bypass atomic.Bool // the client started TLS on this connection
}

// Read reads from the connection, failing once the server crosses a limit.
func (c *conn) Read(p []byte) (int, error) {
	if c.bypass.Load() {
		return c.Conn.Read(p)
	}
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n, rerr := c.Conn.Read(p)
	if n == 0 || c.bypass.Load() {
		return n, rerr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed.Load() {
		c.s.armed = true
	}
	k, err := c.s.scan(p[:n])
	if c.s.restarted {
		c.s.restarted = false
		c.armed.Store(false)
	}
	if err != nil {
		c.err = err
		return k, err
	}
	return n, rerr
}

// streamOpen is how mellium opens a stream (internal/stream.Send); it
// writes the header at the start of one Write.
var streamOpen = []byte("<stream:stream")

// Write writes to the connection.
func (c *conn) Write(p []byte) (int, error) {
	if !c.bypass.Load() {
		switch {
		case len(p) >= 2 && p[0] == 0x16 && p[1] == 0x03:
			// A TLS handshake record: XML never starts with 0x16.
			c.bypass.Store(true)
		case bytes.Contains(p[:min(len(p), 256)], streamOpen):
			c.armed.Store(true)
		}
	}
	return c.Conn.Write(p)
}

// ConnectionState returns the TLS state of the guarded connection, or the
// zero state if it has none. mellium takes channel binding data from it.
func (c *conn) ConnectionState() tls.ConnectionState {
	if tc, ok := c.Conn.(interface{ ConnectionState() tls.ConnectionState }); ok {
		return tc.ConnectionState()
	}
	return tls.ConnectionState{}
}

// NetConn returns the guarded connection.
func (c *conn) NetConn() net.Conn {
	return c.Conn
}

// StartTLS is xmpp.StartTLS(cfg) with the TLS connection it negotiates
// guarded by l. The plain connection under it should be guarded too (Wrap),
// for the server's first stream header and features; that guard steps
// aside when the TLS handshake starts.
func StartTLS(cfg *tls.Config, l Limits) xmpp.StreamFeature {
	f := xmpp.StartTLS(cfg)
	negotiate := f.Negotiate
	f.Negotiate = func(ctx context.Context, session *xmpp.Session, data interface{}) (xmpp.SessionState, io.ReadWriter, error) {
		mask, rw, err := negotiate(ctx, session, data)
		if c, ok := rw.(net.Conn); ok && err == nil {
			rw = Wrap(c, l)
		}
		return mask, rw, err
	}
	return f
}
