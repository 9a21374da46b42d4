package app_test

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/internal/xmllimit"
)

// A hostile server crosses one of the limits of the stream guard
// (xmllimit.DefaultLimits) after sign-in. Each time the session must end
// with an error that says in words what the server did, the client must
// close the connection and sign in again by itself, and it must not keep
// what the server sent.

// hostileWriter writes to the client from a goroutine, as much as the
// client takes: a write fails once the client closed the connection, and
// the writer stops there.
type hostileWriter struct {
	written atomic.Int64
	err     error // the write that failed, if one did; read after done
	done    chan struct{}
}

// writeHostile writes head, then chunk until chunks bytes of it are
// written, then tail, to the client on conn. It does not hold the
// connection's lock between writes, so that the fake server can still
// answer the client meanwhile.
func writeHostile(conn *fakeConn, head string, chunk []byte, chunks int64, tail string) *hostileWriter {
	w := &hostileWriter{done: make(chan struct{})}
	write := func(p []byte) bool {
		conn.mu.Lock()
		n, err := conn.sess.Conn().Write(p)
		conn.mu.Unlock()
		w.written.Add(int64(n))
		if err != nil {
			w.err = err
			return false
		}
		return true
	}
	go func() {
		defer close(w.done)
		if !write([]byte(head)) {
			return
		}
		for sent := int64(0); sent < chunks; sent += int64(len(chunk)) {
			if !write(chunk) {
				return
			}
		}
		write([]byte(tail))
	}()
	return w
}

// finished waits until the writer stopped: it wrote everything, or the
// client closed the connection.
func (w *hostileWriter) finished(t *testing.T) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(waitTimeout):
		t.Fatalf("the server's writes still go through after the session ended (%d bytes written): the client did not close the connection", w.written.Load())
	}
}

// endsWithLimit waits, from mark on, for the session to end, and checks
// that it ended on the limit what, with an error whose words contain all
// of words. It returns the error.
func endsWithLimit(t *testing.T, alice *probe, mark int, timeout time.Duration, what string, words ...string) error {
	t.Helper()
	s := alice.waitWithin(timeout, mark, "the session to end", isState(app.Waiting)).(app.StateChanged)
	if s.Err == nil {
		t.Fatal("the session ended without an error")
	}
	msg := s.Err.Error()
	t.Logf("the session ended with: %s", msg)
	var le *xmllimit.LimitError
	if !errors.As(s.Err, &le) {
		t.Errorf("the session ended with %T %q, not with the guard's LimitError", s.Err, msg)
	} else if le.What != what {
		t.Errorf("the guard stopped on the %q limit, want %q", le.What, what)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("the error %q does not say %q", msg, w)
		}
	}
	if s.RetryAt.IsZero() {
		t.Error("the client does not say when it retries")
	}
	if n := alice.count(isState(app.Offline)); n != 0 {
		t.Errorf("the client went offline %d times instead of retrying", n)
	}
	return s.Err
}

// reconnects checks that the client signs in again by itself after the
// session that ended at or after mark, and that the new session works.
func reconnects(t *testing.T, srv *fakeServer, alice *probe, mark int) {
	t.Helper()
	conn := srv.next(t)
	alice.waitFrom(mark, "online again", isState(app.Online))
	conn.expect(t, "<presence")
	conn.raw(t, `<message from="bob@localhost/x" type="chat" id="after"><body>still friends?</body></message>`)
	alice.waitFrom(mark, "a message in the new session", func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Msg.Body == "still friends?"
	})
	select {
	case <-alice.done:
		t.Fatal("Run returned")
	default:
	}
}

// noMessage checks that nothing the hostile server sent became a message.
func noMessage(t *testing.T, alice *probe, body string) {
	t.Helper()
	if n := alice.count(func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && strings.Contains(m.Msg.Body, body)
	}); n != 0 {
		t.Errorf("%d messages with %q were delivered", n, body)
	}
}

func TestHostileLongAttributeValue(t *testing.T) {
	srv, conn, alice := signIn(t)
	mark := alice.mark()
	w := writeHostile(conn, `<message type="chat" from="bob@localhost/x" id="`,
		[]byte(strings.Repeat("a", 32<<10)), 1<<20, `"><body>long id</body></message>`)
	endsWithLimit(t, alice, mark, waitTimeout, xmllimit.WhatValue, "attribute value longer than 64 KiB")
	w.finished(t)
	noMessage(t, alice, "long id")
	reconnects(t, srv, alice, mark)
}

func TestHostileDeepNesting(t *testing.T) {
	srv, conn, alice := signIn(t)
	mark := alice.mark()
	const depth = 10000
	w := writeHostile(conn, `<message type="chat" from="bob@localhost/x"><body>deep</body>`,
		[]byte("<a>"), 3*depth, strings.Repeat("</a>", depth)+`</message>`)
	endsWithLimit(t, alice, mark, waitTimeout, xmllimit.WhatDepth, "nested more than 64 deep")
	w.finished(t)
	noMessage(t, alice, "deep")
	reconnects(t, srv, alice, mark)
}

// heapInuse returns the heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func TestHostileEndlessStanza(t *testing.T) {
	srv, conn, alice := signIn(t)
	before := heapInuse()

	// The largest heap while the server writes, sampled.
	var peak atomic.Uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	mark := alice.mark()
	// Four times the stanza limit, unless the client hangs up first.
	const most = 4 * 32 << 20
	w := writeHostile(conn, `<message type="chat" from="bob@localhost/x" id="endless"><body>`,
		[]byte(strings.Repeat("all work and no play makes jack a dull boy\n", 1500)), most, `</body></message>`)
	// 32 MiB through TLS, the guard and encoding/xml is slow under the
	// race detector.
	endsWithLimit(t, alice, mark, 4*waitTimeout, xmllimit.WhatStanza, "stanza larger than 32 MiB")
	w.finished(t)
	close(stopSampling)
	<-sampled
	t.Logf("the server wrote %d MiB before the client hung up", w.written.Load()>>20)
	if w.err == nil {
		t.Errorf("the client read all %d MiB of the endless stanza", w.written.Load()>>20)
	}
	noMessage(t, alice, "jack")
	reconnects(t, srv, alice, mark)

	after := heapInuse()
	grown := int64(after) - int64(before)
	t.Logf("heap in use: %d MiB before, %d MiB at most while the server wrote, %d MiB after",
		before>>20, peak.Load()>>20, after>>20)
	if grown >= 64<<20 {
		t.Errorf("the heap grew by %d MiB and stayed there", grown>>20)
	}
	// The guard lets 32 MiB through to encoding/xml, which keeps the
	// text in a growing buffer: a few copies of it at most, not the 128
	// MiB the server tried to send.
	if p := int64(peak.Load()) - int64(before); p >= 192<<20 {
		t.Errorf("the heap grew by %d MiB while the server wrote", p>>20)
	}
}

func TestHostileWhitespaceBetweenStanzas(t *testing.T) {
	srv, conn, alice := signIn(t)
	mark := alice.mark()
	// A stanza, then whitespace at stream level, which mellium skips as
	// keepalives, then a stanza that never comes.
	w := writeHostile(conn, `<message type="chat" from="bob@localhost/x" id="first"><body>before the garbage</body></message>`,
		[]byte(strings.Repeat(" \n\t  \r\n", 4<<10)), 2<<20,
		`<message type="chat" from="bob@localhost/x" id="second"><body>after the garbage</body></message>`)
	endsWithLimit(t, alice, mark, waitTimeout, xmllimit.WhatBetween, "more than 1 MiB between two stanzas")
	w.finished(t)
	alice.waitFrom(mark, "the stanza before the garbage", func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Msg.Body == "before the garbage"
	})
	noMessage(t, alice, "after the garbage")
	reconnects(t, srv, alice, mark)
}

// Text that is not whitespace between stanzas does not reach the guard's
// limit: mellium ends the session at its first byte.
func TestHostileTextBetweenStanzas(t *testing.T) {
	srv, conn, alice := signIn(t)
	mark := alice.mark()
	w := writeHostile(conn, `<message type="chat" from="bob@localhost/x" id="first"><body>before the garbage</body></message>`,
		[]byte(strings.Repeat("garbage garbage garbage\n", 1<<10)), 2<<20,
		`<message type="chat" from="bob@localhost/x" id="second"><body>after the garbage</body></message>`)
	s := alice.waitFrom(mark, "the session to end", isState(app.Waiting)).(app.StateChanged)
	if s.Err == nil {
		t.Fatal("the session ended without an error")
	}
	msg := s.Err.Error()
	t.Logf("the session ended with: %s", msg)
	// mellium's words, not a sentence for a user.
	if !strings.Contains(msg, "unexpected stream-level chardata") {
		t.Errorf("the error %q does not say the server sent text between stanzas", msg)
	}
	w.finished(t)
	t.Logf("the server wrote %d KiB before the client hung up", w.written.Load()>>10)
	noMessage(t, alice, "after the garbage")
	reconnects(t, srv, alice, mark)
}

func TestHostileTooManyAttributes(t *testing.T) {
	srv, conn, alice := signIn(t)
	mark := alice.mark()
	var attrs strings.Builder
	for i := range 300 {
		attrs.WriteString(` a` + strconv.Itoa(i) + `="1"`)
	}
	w := writeHostile(conn, `<message type="chat" from="bob@localhost/x"`+attrs.String()+`><body>many attributes</body></message>`, nil, 0, "")
	endsWithLimit(t, alice, mark, waitTimeout, xmllimit.WhatAttrs, "more than 256 attributes")
	w.finished(t)
	noMessage(t, alice, "many attributes")
	reconnects(t, srv, alice, mark)
}

func TestHostileGarbageBytes(t *testing.T) {
	srv, conn, alice := signIn(t)
	mark := alice.mark()
	garbage := []byte("\x00\x01\x02\xff\xfe\x16\x03\x01<\x00>&&;;\x1b[31m")
	w := writeHostile(conn, "", garbage, int64(64*len(garbage)), "")
	s := alice.waitFrom(mark, "the session to end", isState(app.Waiting)).(app.StateChanged)
	if s.Err == nil {
		t.Fatal("the session ended without an error")
	}
	msg := s.Err.Error()
	t.Logf("the session ended with: %s", msg)
	// encoding/xml refuses the bytes before the guard has anything to
	// count; its SyntaxError names the illegal character.
	if !strings.Contains(msg, "XML syntax error") || !strings.Contains(msg, "illegal character") {
		t.Errorf("the error %q does not say the server sent something that is not XML", msg)
	}
	if s.RetryAt.IsZero() {
		t.Error("the client does not say when it retries")
	}
	w.finished(t)
	reconnects(t, srv, alice, mark)
}
