package netwatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// The D-Bus names netwatch listens to.
const (
	nmName   = "org.freedesktop.NetworkManager"
	nmPath   = dbus.ObjectPath("/org/freedesktop/NetworkManager")
	nmIface  = "org.freedesktop.NetworkManager"
	nmMember = "StateChanged"

	loginName   = "org.freedesktop.login1"
	loginPath   = dbus.ObjectPath("/org/freedesktop/login1")
	loginIface  = "org.freedesktop.login1.Manager"
	loginMember = "PrepareForSleep"

	busName     = "org.freedesktop.DBus"
	busPath     = dbus.ObjectPath("/org/freedesktop/DBus")
	ownerMember = "NameOwnerChanged"
)

// nmConnectedGlobal is NM_STATE_CONNECTED_GLOBAL: NetworkManager has a
// default route and its connectivity check reached the internet (or it
// does no check). NM_STATE_CONNECTED_SITE (60) is not enough: it is what a
// captive portal or a link without a way out looks like, where an attempt
// would fail and only lengthen the backoff; the state rises to 70 once the
// portal lets us through, and that is when NetworkUp comes.
const nmConnectedGlobal = 70

// setupTimeout bounds the time Watch waits for the system bus to answer.
const setupTimeout = 2 * time.Second

// Watch listens to the system bus until ctx ends, when it closes its
// connection and the Watcher's channel. It returns within setupTimeout
// (2 s) even if the bus hangs; a Watcher that cannot listen is inert and
// says why in Err.
//
// NetworkUp is reported when NetworkManager's StateChanged signal says
// NM_STATE_CONNECTED_GLOBAL (70) and the state last seen was lower or not
// known yet (NetworkManager signals only changes, so the first 70 after
// Watch is a rise); 70 again, or any fall, reports nothing. Resumed is
// reported when logind's PrepareForSleep signal says false (the system
// woke); PrepareForSleep(true) (going to sleep) reports nothing. Only
// signals from the current owner of the service's name count, whoever else
// sends look-alikes; a new owner (a restarted NetworkManager) starts from
// an unknown state. Watching goes on with one of the two services missing
// (Err says which; its events come if it starts later); with both missing
// the connection is closed and the Watcher is inert. A lost bus connection
// is not re-established: the Watcher turns inert and Err says so.
func Watch(ctx context.Context) *Watcher {
	return watch(ctx, dbus.ConnectSystemBus, setupTimeout)
}

// watch is Watch on the bus that connect reaches, giving up on it after
// timeout; tests give it a private bus.
func watch(ctx context.Context, connect func(...dbus.ConnOption) (*dbus.Conn, error), timeout time.Duration) *Watcher {
	w := newWatcher()
	h := &handler{w: w, owner: make(map[string]string)}
	// The connection closes when connCtx ends: at the end of ctx, or if
	// the setup takes too long.
	connCtx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(timeout, cancel)
	conn, err := connect(dbus.WithContext(connCtx), dbus.WithSignalHandler(h))
	var missing error
	if err == nil {
		missing, err = subscribe(connCtx, conn, h)
	}
	if !timer.Stop() && ctx.Err() == nil {
		// Too late even if it worked: cancel has closed the connection.
		if err == nil {
			err = context.DeadlineExceeded
		}
		err = fmt.Errorf("netwatch: the system bus did not answer within %v: %w", timeout, err)
	} else if err != nil && !errors.Is(err, ErrNoService) {
		err = fmt.Errorf("netwatch: system bus: %w", err)
	}
	if err != nil {
		cancel()
		if conn != nil {
			_ = conn.Close()
		}
		return inert(ctx, err)
	}
	w.err = missing
	stop := func() {
		cancel()
		_ = conn.Close()
	}
	go w.forward(ctx, stop, conn.Context().Done(), errors.New("netwatch: lost the system bus connection"))
	return w
}

// subscribe asks the bus for the two signals, and for the changes of
// owner of the two names, and learns the current owners. It returns an
// error wrapping ErrNoService if one service is missing, or as err if both
// are.
func subscribe(ctx context.Context, conn *dbus.Conn, h *handler) (missing, err error) {
	// Match first, then look for the owners, so that a service that starts
	// in between is not missed. The sender in a rule may be a well-known
	// name: the bus then delivers only what its current owner broadcasts,
	// also after a restart of the service.
	rules := [][]dbus.MatchOption{
		{
			dbus.WithMatchSender(nmName), dbus.WithMatchObjectPath(nmPath),
			dbus.WithMatchInterface(nmIface), dbus.WithMatchMember(nmMember),
		},
		{
			dbus.WithMatchSender(loginName), dbus.WithMatchObjectPath(loginPath),
			dbus.WithMatchInterface(loginIface), dbus.WithMatchMember(loginMember),
		},
	}
	for _, name := range []string{nmName, loginName} {
		rules = append(rules, []dbus.MatchOption{
			dbus.WithMatchSender(busName), dbus.WithMatchObjectPath(busPath),
			dbus.WithMatchInterface(busName), dbus.WithMatchMember(ownerMember),
			dbus.WithMatchArg(0, name),
		})
	}
	for _, rule := range rules {
		if err := conn.AddMatchSignalContext(ctx, rule...); err != nil {
			return nil, fmt.Errorf("adding a match rule: %w", err)
		}
	}
	var absent []string
	for _, s := range []struct{ name, what string }{
		{nmName, "NetworkManager (" + nmName + ")"},
		{loginName, "logind (" + loginName + ")"},
	} {
		var owner string
		err := conn.BusObject().CallWithContext(ctx, busName+".GetNameOwner", 0, s.name).Store(&owner)
		var derr dbus.Error
		if errors.As(err, &derr) && derr.Name == "org.freedesktop.DBus.Error.NameHasNoOwner" {
			err = nil
		}
		if err != nil {
			return nil, fmt.Errorf("asking for the owner of %s: %w", s.name, err)
		}
		if owner == "" {
			absent = append(absent, s.what)
		}
		h.learnOwner(s.name, owner)
	}
	switch len(absent) {
	case 0:
		return nil, nil
	case 1:
		return fmt.Errorf("%w: %s (its events will come if it starts)", ErrNoService, absent[0]), nil
	}
	return nil, fmt.Errorf("%w: neither %s nor %s", ErrNoService, absent[0], absent[1])
}

// handler turns the signals of the connection into events. The connection
// calls DeliverSignal from its reading goroutine, which must never wait:
// post does not.
//
// A signal counts only if it comes from the current owner of the service's
// name: the bus delivers any connection's signal sent to us by name (not
// broadcast), whatever our match rules say, and the system bus lets any
// local user send one.
type handler struct {
	w *Watcher

	mu sync.Mutex
	// owner maps a service name to the unique name of its owner ("" for
	// none), once known.
	owner map[string]string
	// nmState is the NetworkManager state last seen, 0 (NM_STATE_UNKNOWN)
	// before the first.
	nmState uint32
}

// learnOwner records what GetNameOwner said, unless NameOwnerChanged (which
// the bus sends after that answer, so it is newer) said something already.
func (h *handler) learnOwner(name, owner string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, known := h.owner[name]; !known {
		h.owner[name] = owner
	}
}

// from reports whether sig comes from the owner of name.
func (h *handler) from(name string, sig *dbus.Signal) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	owner := h.owner[name]
	return owner != "" && sig.Sender == owner
}

// DeliverSignal implements dbus.SignalHandler.
func (h *handler) DeliverSignal(iface, member string, sig *dbus.Signal) {
	switch {
	case iface == busName && member == ownerMember && sig.Sender == busName && sig.Path == busPath:
		// Only the bus has the sender busName.
		if len(sig.Body) != 3 {
			return
		}
		name, ok1 := sig.Body[0].(string)
		owner, ok2 := sig.Body[2].(string)
		if !ok1 || !ok2 || (name != nmName && name != loginName) {
			return
		}
		h.mu.Lock()
		h.owner[name] = owner
		if name == nmName {
			h.nmState = 0 // a new NetworkManager starts from scratch
		}
		h.mu.Unlock()
	case iface == nmIface && member == nmMember && sig.Path == nmPath:
		if len(sig.Body) != 1 || !h.from(nmName, sig) {
			return
		}
		state, ok := sig.Body[0].(uint32)
		if !ok {
			return
		}
		h.w.seen.Add(1)
		h.mu.Lock()
		prev := h.nmState
		h.nmState = state
		h.mu.Unlock()
		if state >= nmConnectedGlobal && prev < nmConnectedGlobal {
			h.w.post(NetworkUp)
		}
	case iface == loginIface && member == loginMember && sig.Path == loginPath:
		if len(sig.Body) != 1 || !h.from(loginName, sig) {
			return
		}
		start, ok := sig.Body[0].(bool)
		if !ok {
			return
		}
		h.w.seen.Add(1)
		if !start {
			h.w.post(Resumed)
		}
	}
}
