// Package sm implements XEP-0198: Stream Management, for the client side
// of an XMPP session made with mellium.im/xmpp.
//
// mellium v0.23.0 has no hook to count the stanzas its Serve loop handles
// (it answers IQ results to its own SendIQ callers and unhandled IQs by
// itself) or to keep what it writes. So this package counts at the
// connection: State.Wrap returns a net.Conn that follows both directions
// with a small scanner that knows where each top-level element ends.
//
//   - Inbound, a stanza counts as handled once its last byte has been read
//     (XEP-0198 §4 counts handled stanzas; counting a stanza once it is
//     fully read, before mellium dispatches it, is what other clients do:
//     a stanza read into mellium's buffer is dispatched before a read
//     error surfaces, so only a crash of the process loses it, and then
//     the session is not resumed anyway).
//   - Outbound, every stanza written is counted and its bytes kept until
//     the server acknowledges it, including the IQ results and errors
//     mellium writes by itself; the unacknowledged ones are written again
//     after a resumption (XEP-0198 §5).
//   - Acknowledgements are requested in batches, not per stanza: after
//     RequestAfter stanzas, or RequestIdle after the last one. The <r/> is
//     written by the wrapper itself, between two top-level elements.
//
// Use, in order:
//
//  1. Keep one State per account, across connections.
//  2. Wrap every connection the session reads and writes with State.Wrap
//     (the one inside TLS; a wrapper under TLS steps aside by itself).
//  3. Replace the bind feature by Feature(state, bind): on a reconnect it
//     resumes the earlier session instead of binding, when it can.
//  4. Register Handle(state) in the session's mux (it answers <r/>, takes
//     <a/>, <enabled/> and <failed/>).
//  5. After a new session (not a resumed one, see State.Resumed) is
//     served, call Enable.
package sm

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"mellium.im/xmpp/jid"
)

// NS is the namespace of XEP-0198 version 3.
const NS = "urn:xmpp:sm:3"

// Defaults of the acknowledgement policy and of the queue of stanzas kept
// for resending.
const (
	// DefaultRequestAfter is how many stanzas are written before an
	// acknowledgement is requested at once.
	DefaultRequestAfter = 32
	// DefaultRequestIdle is how long after the last stanza written an
	// acknowledgement is requested for stanzas that are still
	// unacknowledged and not yet asked about.
	DefaultRequestIdle = 500 * time.Millisecond
	// MaxQueue and MaxQueueBytes bound the unacknowledged stanzas kept.
	// Beyond them the session cannot be resumed (the stanzas could not be
	// resent); the next connection starts a fresh session instead.
	MaxQueue      = 5000
	MaxQueueBytes = 16 << 20
	// maxID bounds the resumption id the server gives.
	maxID = 1024
)

// State is the stream management state of one account, kept across its
// connections: the resumption id, the counts of stanzas in both
// directions, and the stanzas the server has not acknowledged.
// Its zero value is ready to use, with the default policy.
// State is safe for concurrent use: its connection wrapper reads and
// writes from mellium's goroutines, its handlers run in Serve.
type State struct {
	// RequestAfter and RequestIdle set the acknowledgement policy; zero
	// means the default. Set them before the first Wrap.
	RequestAfter int
	RequestIdle  time.Duration

	mu  sync.Mutex
	cur *conn // the connection counted; writes and reads on others are ignored

	// Of the session to resume:
	id        string
	resumable bool
	max       time.Duration
	location  string
	addr      jid.JID   // the bound address
	lost      time.Time // when the connection was lost, zero while it lives
	overflow  bool      // the queue overflowed: the session cannot be resumed

	enabled bool // the server confirmed stream management on cur
	resumed bool // cur resumed an earlier session
	failure string

	inOn, outOn bool   // cur counts stanzas in each direction
	in          uint32 // stanzas received since <enabled/> (h we report)
	out         uint32 // stanzas sent since <enable/>
	acked       uint32 // the last h the server reported
	queue       [][]byte
	queueBytes  int
	requested   uint32 // out when the last <r/> was written
	pending     bool   // an <r/> waits for a boundary between elements
	timer       *time.Timer

	changed chan struct{}
}

// Status is a snapshot of a State.
type Status struct {
	// Enabled tells that the server confirmed stream management on the
	// current connection (by <enabled/> or <resumed/>).
	Enabled bool
	// Resumed tells that the current connection resumed an earlier
	// session: the server kept its roster, presence and subscriptions.
	Resumed bool
	// ID is the resumption id; Resumable whether the server allows
	// resuming; Max how long it keeps a lost session (0: it did not say).
	ID        string
	Resumable bool
	Max       time.Duration
	// Location is where the server prefers resumption to connect (host or
	// host:port), kept only when it names the account's own domain or one
	// below it, else "".
	Location string
	// Handled is the count of stanzas received (the h we report), Sent of
	// those sent, Acked the last count the server reported, all modulo
	// 2^32 (XEP-0198 §4); Unacked is how many sent stanzas are kept.
	Handled, Sent, Acked uint32
	Unacked              int
	// Failed is the condition of the last <failed/> (XEP-0198 §3, §5),
	// "" if none.
	Failed string
}

// Status returns a snapshot of the state.
func (st *State) Status() Status {
	st.mu.Lock()
	defer st.mu.Unlock()
	return Status{
		Enabled: st.enabled, Resumed: st.resumed,
		ID: st.id, Resumable: st.resumable, Max: st.max, Location: st.location,
		Handled: st.in, Sent: st.out, Acked: st.acked, Unacked: len(st.queue),
		Failed: st.failure,
	}
}

// Resumed reports whether the current connection resumed an earlier
// session; then the caller must not enable stream management again, and
// need not fetch the roster or send its presence again.
func (st *State) Resumed() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.resumed
}

// Changed returns a channel that is closed at the next change of Status
// other than the counts of received stanzas.
func (st *State) Changed() <-chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.changed == nil {
		st.changed = make(chan struct{})
	}
	return st.changed
}

// Forget drops the session to resume and the stanzas kept: the next
// connection starts a fresh session. Call it when the user signs out.
func (st *State) Forget() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.resetLocked()
}

// CountError is a server acknowledging more stanzas than the client sent
// (XEP-0198 §4, handled-count-too-high). The session cannot go on: the
// server's count and ours no longer agree.
type CountError struct {
	// H is the count the server reported; Acked the one before it; Sent
	// the client's count of stanzas sent.
	H, Acked, Sent uint32
}

func (e *CountError) Error() string {
	return fmt.Sprintf("the server acknowledged stanza %d, but the client sent only %d (stream management, XEP-0198): reconnect to start a fresh session", e.H, e.Sent)
}

// MalformedError is a stream management element that cannot be read.
type MalformedError struct {
	// Element is the element's name, Reason what is wrong with it.
	Element, Reason string
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("the server sent a malformed stream management <%s/>: %s", e.Element, e.Reason)
}

// ErrUnsupported is returned by Enable when the server does not offer
// stream management (XEP-0198 v3).
var ErrUnsupported = errors.New("the server does not offer stream management")

// notify wakes the waiters on Changed. Callers hold st.mu.
func (st *State) notify() {
	if st.changed != nil {
		close(st.changed)
		st.changed = nil
	}
}

func (st *State) requestAfter() uint32 {
	if st.RequestAfter > 0 {
		return uint32(st.RequestAfter)
	}
	return DefaultRequestAfter
}

func (st *State) requestIdle() time.Duration {
	if st.RequestIdle > 0 {
		return st.RequestIdle
	}
	return DefaultRequestIdle
}

// resetLocked forgets everything but the policy and the connection.
func (st *State) resetLocked() {
	st.id, st.resumable, st.max, st.location = "", false, 0, ""
	st.lost, st.overflow = time.Time{}, false
	st.enabled, st.resumed = false, false
	st.inOn, st.outOn = false, false
	st.in, st.out, st.acked, st.requested = 0, 0, 0, 0
	st.queue, st.queueBytes, st.pending = nil, 0, false
	st.stopTimerLocked()
	st.notify()
}

func (st *State) stopTimerLocked() {
	if st.timer != nil {
		st.timer.Stop()
		st.timer = nil
	}
}

// attach makes c the connection counted. A new connection counts
// nothing until it enables or resumes stream management.
func (st *State) attach(c *conn) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.cur = c
	st.enabled, st.resumed, st.inOn, st.outOn, st.pending = false, false, false, false, false
	st.stopTimerLocked()
}

// dropped records that c failed or closed.
func (st *State) dropped(c *conn) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if c != st.cur {
		return
	}
	if st.lost.IsZero() {
		st.lost = time.Now()
	}
	if st.enabled {
		st.enabled = false
		st.notify()
	}
	st.stopTimerLocked()
}

// received counts what the server sent on c.
func (st *State) received(c *conn, e element) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if c != st.cur {
		return
	}
	switch {
	case e.stanza():
		if st.inOn {
			st.in++
		}
	case e.sm("enabled"):
		// XEP-0198 §4: our count of handled stanzas starts at zero when
		// <enabled/> arrives; only if we asked for it.
		if st.outOn && !st.resumed {
			st.inOn, st.in = true, 0
		}
	case e.sm("resumed"):
		// XEP-0198 §5: the count goes on from where it was; the server
		// resends what follows it.
		st.inOn = true
	}
}

// sent counts what the client wrote on c; raw is the element's bytes. It
// reports whether an acknowledgement should be requested right after it.
func (st *State) sent(c *conn, e element, raw []byte) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if c != st.cur {
		return false
	}
	switch {
	case e.sm("enable"):
		// XEP-0198 §4: the server counts our stanzas from <enable/>.
		st.outOn = true
		st.out, st.acked, st.requested = 0, 0, 0
		st.queue, st.queueBytes = nil, 0
		return false
	case !e.stanza() || !st.outOn:
		return false
	}
	st.out++
	if !st.overflow {
		if len(st.queue) >= MaxQueue || st.queueBytes+len(raw) > MaxQueueBytes {
			// Resending is no longer possible: give up resumption rather
			// than hold without bound.
			st.overflow, st.queue, st.queueBytes = true, nil, 0
		} else {
			st.queue = append(st.queue, append([]byte(nil), raw...))
			st.queueBytes += len(raw)
		}
	}
	if !st.enabled {
		return false
	}
	if st.out-st.requested >= st.requestAfter() {
		st.requested, st.pending = st.out, false
		return true
	}
	if st.timer == nil {
		st.timer = time.AfterFunc(st.requestIdle(), func() { st.idle(c) })
	}
	return false
}

// idle requests an acknowledgement for what c wrote since the last
// request, once writes paused.
func (st *State) idle(c *conn) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	st.mu.Lock()
	st.timer = nil
	due := c == st.cur && st.enabled && st.out != st.requested
	if due && !c.ws.boundary() {
		// In the middle of an element: the next write sends it.
		st.pending, due = true, false
	}
	if due {
		st.requested = st.out
	}
	st.mu.Unlock()
	if due {
		_, _ = c.Conn.Write(request)
	}
}

// takePending reports whether an acknowledgement request waits for a
// boundary, and clears it.
func (st *State) takePending(c *conn) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if c != st.cur || !st.pending {
		return false
	}
	st.pending, st.requested = false, st.out
	return true
}

// ackLocked drops the stanzas the server acknowledged with h.
func (st *State) ackLocked(h uint32) error {
	n := h - st.acked // modulo 2^32 (XEP-0198 §4)
	if st.overflow {
		// Nothing is kept, but the count still must not exceed ours.
		if n > st.out-st.acked {
			return &CountError{H: h, Acked: st.acked, Sent: st.out}
		}
	} else if n > uint32(len(st.queue)) {
		return &CountError{H: h, Acked: st.acked, Sent: st.out}
	}
	if !st.overflow {
		for i := range n {
			st.queueBytes -= len(st.queue[i])
			st.queue[i] = nil
		}
		st.queue = st.queue[n:]
		if len(st.queue) == 0 {
			st.queue = nil // let the backing array go
		}
	}
	if n > 0 {
		st.acked = h
		st.notify()
	}
	return nil
}

// ack takes an <a h='…'/> from the server.
func (st *State) ack(h uint32) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.ackLocked(h)
}

// handled returns the count to report in <a/>.
func (st *State) handled() uint32 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.in
}

// enabledBy records the server's <enabled/>.
func (st *State) enabledBy(e enabled) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.enabled, st.failure = true, ""
	st.id, st.resumable, st.max = e.id, e.resume && e.id != "", e.max
	st.location = ""
	if e.location != "" && sameDomain(e.location, st.addr.Domainpart()) {
		st.location = e.location
	}
	st.lost = time.Time{}
	st.notify()
}

// enableFailed records a <failed/> answer to <enable/>: the session goes
// on without stream management.
func (st *State) enableFailed(f failed) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.resetLocked()
	st.failure = f.condition
}

// sameDomain reports whether location (host, host:port or [v6]:port)
// names domain or a host below it. A server may name another host for
// resumption (XEP-0198 §5); only its own are followed, as with
// see-other-host, and the certificate is still checked for the domain.
func sameDomain(location, domain string) bool {
	host := location
	if h, _, err := net.SplitHostPort(location); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	domain = strings.ToLower(domain)
	return domain != "" && (host == domain || strings.HasSuffix(host, "."+domain))
}

// request is the acknowledgement request the wrapper writes.
var request = []byte("<r xmlns='" + NS + "'/>")
