package faultproxy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app/internal/faultproxy"
)

// waitLimit bounds every wait for something that must happen.
const waitLimit = 10 * time.Second

// echoServer echoes every connection and records what each received.
type echoServer struct {
	ln net.Listener
	wg sync.WaitGroup

	mu     sync.Mutex
	got    []*bytes.Buffer
	ended  []error // how each connection's read side ended (nil while open)
	closed chan struct{}
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{ln: ln, closed: make(chan struct{}, 100)}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			i := len(e.got)
			e.got = append(e.got, &bytes.Buffer{})
			e.ended = append(e.ended, nil)
			e.mu.Unlock()
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						e.mu.Lock()
						e.got[i].Write(buf[:n])
						e.mu.Unlock()
						if _, werr := c.Write(buf[:n]); werr != nil {
							err = werr
						}
					}
					if err != nil {
						e.mu.Lock()
						e.ended[i] = err
						e.mu.Unlock()
						e.closed <- struct{}{}
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); e.wg.Wait() })
	return e
}

func (e *echoServer) addr() string { return e.ln.Addr().String() }

// received returns what connection i (in accept order) has received.
func (e *echoServer) received(i int) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i >= len(e.got) {
		return ""
	}
	return e.got[i].String()
}

// waitClosed waits until one more server-side connection has ended.
func (e *echoServer) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-e.closed:
	case <-time.After(waitLimit):
		t.Fatal("the server's side of the connection was not closed")
	}
}

func dial(t *testing.T, p *faultproxy.Proxy) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// readN reads exactly n bytes, failing the test on an error.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitLimit))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, n)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("reading %d bytes: %v (got %q)", n, err, buf)
	}
	return string(buf)
}

// readToEnd reads until the connection ends and returns the data and how
// it ended.
func readToEnd(t *testing.T, c net.Conn) (string, error) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitLimit))
	var got bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the connection did not end (got %q)", got.String())
			}
			return got.String(), err
		}
	}
}

// eventually waits until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestForwardsBothWays(t *testing.T) {
	e := startEcho(t)
	p := faultproxy.Start(t, e.addr())
	if p.Host() != "127.0.0.1" || p.Addr() != fmt.Sprintf("127.0.0.1:%d", p.Port()) {
		t.Errorf("address %s, host %s, port %d", p.Addr(), p.Host(), p.Port())
	}
	a, b := dial(t, p), dial(t, p)
	big := strings.Repeat("0123456789", 100_000) // a megabyte, many chunks
	go func() { _, _ = a.Write([]byte(big)) }()
	if _, err := b.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, b, 5); got != "hello" {
		t.Errorf("echo = %q", got)
	}
	if got := readN(t, a, len(big)); got != big {
		t.Error("the megabyte came back changed")
	}
	if p.Accepted() != 2 || p.Conns() != 2 {
		t.Errorf("accepted %d, open %d; want 2 and 2", p.Accepted(), p.Conns())
	}

	// A clean close travels through, and the connection is forgotten.
	if err := a.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if rest, err := readToEnd(t, a); rest != "" || err != io.EOF {
		t.Errorf("after closing: %q, %v; want a clean end", rest, err)
	}
	e.waitClosed(t)
	eventually(t, "one connection open", func() bool { return p.Conns() == 1 })
}

func TestDropAllResetsBothSides(t *testing.T) {
	e := startEcho(t)
	p := faultproxy.Start(t, e.addr())
	c := dial(t, p)
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	readN(t, c, 4)
	p.DropAll()
	_, err := readToEnd(t, c)
	if err == io.EOF || err == nil {
		t.Errorf("client side ended with %v, want a reset", err)
	}
	e.waitClosed(t)
	e.mu.Lock()
	serverEnd := e.ended[0]
	e.mu.Unlock()
	if serverEnd == io.EOF {
		t.Error("server side got a clean end of stream, want a reset")
	}
	eventually(t, "no connection open", func() bool { return p.Conns() == 0 })

	// New connections work.
	c2 := dial(t, p)
	if _, err := c2.Write([]byte("again")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c2, 5); got != "again" {
		t.Errorf("after the drop: %q", got)
	}
	if p.Accepted() != 2 {
		t.Errorf("accepted %d", p.Accepted())
	}
}

func TestStallHoldsEverythingUntilResumed(t *testing.T) {
	e := startEcho(t)
	p := faultproxy.Start(t, e.addr())
	c := dial(t, p)
	if _, err := c.Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	readN(t, c, 3)

	p.Stall(true)
	late := dial(t, p) // accepted while stalled
	if _, err := c.Write([]byte("two")); err != nil {
		t.Fatal(err)
	}
	if _, err := late.Write([]byte("three")); err != nil {
		t.Fatal(err)
	}
	// Nothing comes back, and the server gets nothing, while stalled;
	// the sockets stay open.
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := c.Read(make([]byte, 10))
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("while stalled: read %d bytes, %v; want nothing", n, err)
	}
	if got := e.received(0); got != "one" {
		t.Errorf("server got %q while stalled", got)
	}
	if got := e.received(1); got != "" {
		t.Errorf("server got %q on the stalled new connection", got)
	}
	if p.Conns() != 2 {
		t.Errorf("%d connections open while stalled, want 2", p.Conns())
	}

	p.Stall(false)
	if got := readN(t, c, 3); got != "two" {
		t.Errorf("after the stall: %q", got)
	}
	if got := readN(t, late, 5); got != "three" {
		t.Errorf("new connection after the stall: %q", got)
	}
	// Stalling twice and resuming twice is harmless.
	p.Stall(true)
	p.Stall(true)
	p.Stall(false)
	p.Stall(false)
	if _, err := c.Write([]byte("four")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 4); got != "four" {
		t.Errorf("after stalling twice: %q", got)
	}
}

func TestDelayKeepsOrder(t *testing.T) {
	e := startEcho(t)
	p := faultproxy.Start(t, e.addr())
	const d = 150 * time.Millisecond
	p.Delay(d)
	c := dial(t, p)
	start := time.Now()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	readN(t, c, 1)
	// Delayed on the way there and on the way back: at least 2d (a lower
	// bound only, which a slow machine cannot break).
	if rtt := time.Since(start); rtt < 2*d {
		t.Errorf("round trip took %v, want at least %v", rtt, 2*d)
	}

	// Many small writes come back complete and in order, and the delay
	// does not add up per chunk: they travel together.
	var want strings.Builder
	go func() {
		for i := range 200 {
			_, _ = fmt.Fprintf(c, "<%d>", i)
		}
	}()
	for i := range 200 {
		fmt.Fprintf(&want, "<%d>", i)
	}
	if got := readN(t, c, want.Len()); got != want.String() {
		t.Errorf("order not kept:\n got %q\nwant %q", got, want.String())
	}

	p.Delay(0)
	if _, err := c.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 1); got != "y" {
		t.Errorf("after the delay: %q", got)
	}
}

func TestCutServerToClient(t *testing.T) {
	e := startEcho(t)
	p := faultproxy.Start(t, e.addr())
	c := dial(t, p)
	if _, err := c.Write([]byte("first")); err != nil {
		t.Fatal(err)
	}
	readN(t, c, 5)
	p.CutNext(faultproxy.ServerToClient, 4)
	if _, err := c.Write([]byte("<message>half</message>")); err != nil {
		t.Fatal(err)
	}
	got, err := readToEnd(t, c)
	if got != "<mes" {
		t.Errorf("client got %q, want the first 4 bytes", got)
	}
	if err != io.EOF {
		t.Errorf("client side ended with %v, want the end of the stream", err)
	}
	e.waitClosed(t)
	eventually(t, "no connection open", func() bool { return p.Conns() == 0 })

	// The cut applied once.
	c2 := dial(t, p)
	if _, err := c2.Write([]byte("whole")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c2, 5); got != "whole" {
		t.Errorf("next connection: %q", got)
	}
}

func TestCutClientToServer(t *testing.T) {
	e := startEcho(t)
	p := faultproxy.Start(t, e.addr())
	c := dial(t, p)
	p.CutNext(faultproxy.ClientToServer, 3)
	if _, err := c.Write([]byte("abcdef")); err != nil {
		t.Fatal(err)
	}
	e.waitClosed(t)
	if got := e.received(0); got != "abc" {
		t.Errorf("server got %q, want the first 3 bytes", got)
	}
	if _, err := readToEnd(t, c); err == nil {
		t.Error("the client's connection did not end")
	}
}

func TestCutWithDelayAndZeroBytes(t *testing.T) {
	e := startEcho(t)
	p := faultproxy.Start(t, e.addr())
	p.Delay(50 * time.Millisecond)
	c := dial(t, p)
	if _, err := c.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	readN(t, c, 1)
	p.CutNext(faultproxy.ServerToClient, 0)
	if _, err := c.Write([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if got, err := readToEnd(t, c); got != "" || err != io.EOF {
		t.Errorf("got %q, %v; want nothing, then the end of the stream", got, err)
	}
}

func TestTargetDownResetsClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := faultproxy.Start(t, addr)
	// The reset may come before the client's connect returns.
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		defer c.Close()
		if _, err := readToEnd(t, c); err == nil {
			t.Error("connection to a dead target stayed open")
		}
	}
	if p.Accepted() != 1 {
		t.Errorf("accepted %d", p.Accepted())
	}
	eventually(t, "no connection open", func() bool { return p.Conns() == 0 })
}

func TestRefuseResetsNewConnectionsOnly(t *testing.T) {
	e := startEcho(t)
	p := faultproxy.Start(t, e.addr())
	old := dial(t, p)
	if _, err := old.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	readN(t, old, 1)
	p.Refuse(true)
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		defer c.Close()
		if got, err := readToEnd(t, c); err == nil || err == io.EOF {
			t.Errorf("refused connection: %q, %v; want a reset", got, err)
		}
	}
	if _, err := old.Write([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, old, 1); got != "b" {
		t.Errorf("open connection while refusing: %q", got)
	}
	p.Refuse(false)
	c := dial(t, p)
	if _, err := c.Write([]byte("c")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 1); got != "c" {
		t.Errorf("after refusing: %q", got)
	}
	if p.Accepted() != 3 {
		t.Errorf("accepted %d, want 3 (the refused one counts)", p.Accepted())
	}
}

// Faults switched from many goroutines while data flows: the race
// detector watches, and Close leaves no goroutine behind.
func TestConcurrentFaultsAndNoLeaks(t *testing.T) {
	e := startEcho(t)
	before := runtime.NumGoroutine()
	p, err := faultproxy.New(e.addr())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 64)
			for j := 0; ; j++ {
				if _, err := fmt.Fprintf(c, "%d:%d;", i, j); err != nil {
					return
				}
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	for i := range 50 {
		switch i % 5 {
		case 0:
			p.Stall(true)
		case 1:
			p.Stall(false)
		case 2:
			p.Delay(time.Duration(i%3) * time.Millisecond)
		case 3:
			p.CutNext(faultproxy.Direction(i%2), i)
		case 4:
			if i%10 == 4 {
				p.DropAll()
			}
			p.Refuse(i%20 == 4)
		}
		_ = p.Conns()
		_ = p.Accepted()
		time.Sleep(time.Millisecond)
	}
	p.Stall(true) // closing a stalled proxy must not hang
	p.Close()
	p.Close()
	wg.Wait()
	if p.Conns() != 0 {
		t.Errorf("%d connections open after Close", p.Conns())
	}
	if _, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Error("the proxy still accepts after Close")
	}
	// The echo server's own goroutines end as their connections close.
	eventually(t, "no goroutines left", func() bool { return runtime.NumGoroutine() <= before })
}
