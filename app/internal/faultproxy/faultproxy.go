// Package faultproxy is a TCP proxy for tests that sits between a client
// and a server and breaks the network on demand: it drops connections,
// stalls them silently, delays every byte, or cuts a connection in the
// middle of a chunk of data.
//
// The proxy forwards raw bytes, so TLS stays end to end: a client points
// its host and port at Proxy.Addr and keeps verifying the server's
// certificate by the server's name.
//
// Faults may be switched at any time from any goroutine; they apply to the
// connections open at that moment and to those accepted later.
package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Direction is one way through the proxy.
type Direction int

// Directions.
const (
	// ClientToServer: bytes the client writes, on their way to the target.
	ClientToServer Direction = iota
	// ServerToClient: bytes the target writes, on their way to the client.
	ServerToClient
)

// String names d.
func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "client→server"
	case ServerToClient:
		return "server→client"
	default:
		return "Direction(" + strconv.Itoa(int(d)) + ")"
	}
}

// dialTimeout bounds the connection to the target for each accepted client.
const dialTimeout = 5 * time.Second

// queueLen is how many chunks may wait for their (delayed) delivery in one
// direction of one connection before the proxy stops reading.
const queueLen = 1024

// Proxy forwards TCP connections from its own address to a target.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup // the accept loop and every connection

	mu       sync.Mutex
	conns    map[*conn]struct{}
	accepted int
	stalled  bool
	resume   chan struct{} // closed when the stall ends
	delay    time.Duration
	cut      [2]int // bytes to forward of the next chunk per direction; -1: no cut
	refuse   bool
	closed   bool
}

// Start starts a proxy to target (host:port) on 127.0.0.1 and closes it
// when the test ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// New starts a proxy to target (host:port) on 127.0.0.1. Close it when done.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, conns: map[*conn]struct{}{}, cut: [2]int{-1, -1}}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the address clients connect to: "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Host is the IP address clients connect to: "127.0.0.1".
func (p *Proxy) Host() string { return p.ln.Addr().(*net.TCPAddr).IP.String() }

// Port is the port clients connect to.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Conns returns how many connections are open through the proxy.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Accepted returns how many connections the proxy has accepted in all.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// DropAll closes every open connection abruptly, on both sides, with a
// TCP reset: neither side gets a clean end of stream. Connections made
// afterwards are forwarded as usual.
func (p *Proxy) DropAll() {
	p.mu.Lock()
	conns := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.abort()
	}
}

// Stall stops (on) or resumes (off) forwarding in both directions, on every
// connection, without closing anything: the proxy stops reading, so
// nothing new is taken from either side (the kernel's buffers still take
// what fits, as on a real network that went silent). Connections accepted
// while stalled are connected to the target but forward nothing. Data read
// before the stall, or waiting for a Delay, is held until the stall ends.
func (p *Proxy) Stall(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on == p.stalled {
		return
	}
	p.stalled = on
	if !on {
		close(p.resume)
		return
	}
	p.resume = make(chan struct{})
	// Interrupt the reads in progress; the readers see the stall and wait.
	for c := range p.conns {
		c.interrupt()
	}
}

// Delay makes every chunk of data read from now on reach the other side d
// after it was read, in both directions, in order. Zero turns it off.
func (p *Proxy) Delay(d time.Duration) {
	p.mu.Lock()
	p.delay = max(d, 0)
	p.mu.Unlock()
}

// CutNext makes the proxy forward only the first n bytes of the next chunk
// it reads in direction dir (on whichever connection reads first), then
// close that connection: the receiving side gets the n bytes followed by
// the end of the stream, as if the peer died in the middle of a write; the
// sending side gets a reset. It applies once.
func (p *Proxy) CutNext(dir Direction, n int) {
	if dir != ClientToServer && dir != ServerToClient {
		panic(fmt.Sprintf("faultproxy: CutNext(%v)", dir))
	}
	p.mu.Lock()
	p.cut[dir] = max(n, 0)
	p.mu.Unlock()
}

// Refuse makes the proxy reset every new connection at once (on), as a
// server that is down would refuse it, or forward them again (off).
// Connections already open are not affected: combine with DropAll.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
}

// Close stops accepting, closes every connection abruptly and waits until
// all of the proxy's goroutines are gone. Calling it again does nothing.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	if p.stalled {
		p.stalled = false
		close(p.resume)
	}
	p.mu.Unlock()
	_ = p.ln.Close()
	p.DropAll()
	p.wg.Wait()
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure (too many open files): try again.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.mu.Lock()
		p.accepted++
		closed := p.closed || p.refuse
		if !closed {
			p.wg.Add(1)
		}
		p.mu.Unlock()
		if closed {
			resetClose(nc.(*net.TCPConn))
			continue
		}
		go p.serve(nc.(*net.TCPConn))
	}
}

// conn is one proxied connection.
type conn struct {
	p    *Proxy
	sock [2]*net.TCPConn // indexed by the Direction that reads it: client, then server
	done chan struct{}   // closed when the connection is torn down
	once sync.Once
}

// chunk is data read on one side, due on the other at due. cut >= 0 means
// only that many bytes go, and the connection ends after them.
type chunk struct {
	data []byte
	due  time.Time
	cut  int
}

func (p *Proxy) serve(client *net.TCPConn) {
	defer p.wg.Done()
	d := net.Dialer{Timeout: dialTimeout}
	sc, err := d.Dial("tcp", p.target)
	if err != nil {
		resetClose(client)
		return
	}
	c := &conn{p: p, sock: [2]*net.TCPConn{client, sc.(*net.TCPConn)}, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.abort()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()

	var wg sync.WaitGroup
	for _, dir := range []Direction{ClientToServer, ServerToClient} {
		q := make(chan chunk, queueLen)
		wg.Add(2)
		go func() { defer wg.Done(); c.read(dir, q) }()
		go func() { defer wg.Done(); c.write(dir, q) }()
	}
	wg.Wait()
	c.once.Do(func() { close(c.done) })
	_ = c.sock[0].Close()
	_ = c.sock[1].Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// gate waits while the proxy is stalled; it reports false when the
// connection ended meanwhile.
func (c *conn) gate() bool {
	for {
		c.p.mu.Lock()
		stalled, resume := c.p.stalled, c.p.resume
		c.p.mu.Unlock()
		if !stalled {
			select {
			case <-c.done:
				return false
			default:
				return true
			}
		}
		select {
		case <-resume:
		case <-c.done:
			return false
		}
	}
}

// take returns when a chunk of n bytes read now in direction dir is due
// and how much of it goes (-1: all, no cut).
func (c *conn) take(dir Direction) (time.Time, int) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	cut := c.p.cut[dir]
	c.p.cut[dir] = -1
	return time.Now().Add(c.p.delay), cut
}

// read reads one side and queues what it reads for the other; it closes
// q at the end of the stream.
func (c *conn) read(dir Direction, q chan<- chunk) {
	defer close(q)
	src := c.sock[dir]
	buf := make([]byte, 32<<10)
	for {
		if !c.gate() {
			return
		}
		n, err := src.Read(buf)
		if n > 0 {
			due, cut := c.take(dir)
			select {
			case q <- chunk{data: append([]byte(nil), buf[:n]...), due: due, cut: cut}:
			case <-c.done:
				return
			}
			if cut >= 0 {
				return // the connection ends after this chunk
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			// A stall interrupted the read: clear the deadline, then wait
			// at the gate (the stall is set before the deadline, so a
			// deadline cleared here is never missed).
			_ = src.SetReadDeadline(time.Time{})
		case errors.Is(err, io.EOF):
			return // the writer passes the end of the stream on
		default:
			c.abort()
			return
		}
	}
}

// write delivers the chunks of q to the other side when they are due.
func (c *conn) write(dir Direction, q <-chan chunk) {
	dst := c.sock[1-dir]
	for ch := range q {
		if wait := time.Until(ch.due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-c.done:
				t.Stop()
				return
			}
		}
		if !c.gate() {
			return
		}
		data := ch.data
		if ch.cut >= 0 && ch.cut < len(data) {
			data = data[:ch.cut]
		}
		if _, err := dst.Write(data); err != nil {
			c.abort()
			return
		}
		if ch.cut >= 0 {
			c.cutOff(dir)
			return
		}
	}
	select {
	case <-c.done:
	default:
		// The source ended its stream cleanly: end this side's too.
		_ = dst.CloseWrite()
	}
}

// interrupt makes the reads in progress return at once.
func (c *conn) interrupt() {
	now := time.Now()
	_ = c.sock[0].SetReadDeadline(now)
	_ = c.sock[1].SetReadDeadline(now)
}

// abort tears the connection down with resets on both sides.
func (c *conn) abort() {
	c.once.Do(func() {
		close(c.done)
		resetClose(c.sock[0])
		resetClose(c.sock[1])
	})
}

// cutOff ends the connection after a cut in direction dir: the receiving
// side gets the end of the stream after the bytes already written, the
// sending side a reset.
func (c *conn) cutOff(dir Direction) {
	c.once.Do(func() {
		close(c.done)
		dst := c.sock[1-dir]
		_ = dst.CloseWrite()
		// Unblock the reader of dst's side; serve closes dst fully once
		// every goroutine is done.
		_ = dst.SetReadDeadline(time.Now())
		resetClose(c.sock[dir])
	})
}

// resetClose closes tc so that the peer gets a TCP reset.
func resetClose(tc *net.TCPConn) {
	_ = tc.SetLinger(0)
	_ = tc.Close()
}
