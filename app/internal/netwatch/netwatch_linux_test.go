package netwatch

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/palaver-im/palaver/app/internal/testproc"
)

// These tests run a private dbus-daemon for each test, which stands in for
// the system bus, with fake NetworkManager and logind services on it.
// Without dbus-daemon they skip, unless CI is set: then they fail.

// bus is a private message bus.
type bus struct {
	addr string
	proc *testproc.Process
}

// startBus starts a private dbus-daemon, stopped at the end of the test.
func startBus(t *testing.T) *bus {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("dbus-daemon not found (Debian package dbus): %v", err)
		}
		t.Skipf("dbus-daemon not found (Debian package dbus): %v", err)
	}
	// Not t.TempDir: a socket path must stay short.
	dir, err := os.MkdirTemp("", "netwatch")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile",
		"--address=unix:path="+filepath.Join(dir, "bus"), "--print-address=1")
	// Its complaints (it cannot raise its file limit unprivileged) go to
	// the test's log if the test fails.
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	t.Cleanup(func() {
		if b, _ := os.ReadFile(stderr.Name()); t.Failed() && len(b) > 0 {
			t.Logf("dbus-daemon said:\n%s", b)
		}
	})
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p, err := testproc.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(5 * time.Second) })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the address of dbus-daemon: %v", err)
	}
	return &bus{addr: strings.TrimSpace(addr), proc: p}
}

// service connects to b as the owner of names, until the end of the test.
func (b *bus) service(t *testing.T, names ...string) *dbus.Conn {
	t.Helper()
	c, err := dbus.Connect(b.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for _, name := range names {
		reply, err := c.RequestName(name, dbus.NameFlagDoNotQueue)
		if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("RequestName(%s) = %v, %v", name, reply, err)
		}
	}
	return c
}

// watch watches b until the end of ctx.
func (b *bus) watch(ctx context.Context) *Watcher {
	return watch(ctx, func(opts ...dbus.ConnOption) (*dbus.Conn, error) {
		return dbus.Connect(b.addr, opts...)
	}, waitFor)
}

// state emits NetworkManager's StateChanged from c.
func state(t *testing.T, c *dbus.Conn, s uint32) {
	t.Helper()
	emit(t, c, nmPath, nmIface+"."+nmMember, s)
}

// sleep emits logind's PrepareForSleep from c.
func sleep(t *testing.T, c *dbus.Conn, start bool) {
	t.Helper()
	emit(t, c, loginPath, loginIface+"."+loginMember, start)
}

// barrier returns once the bus has handled what c sent before: signals c
// sent are then ahead, in each recipient's queue, of anything sent after.
func barrier(t *testing.T, c *dbus.Conn) {
	t.Helper()
	if err := c.BusObject().Call(busName+".GetId", 0).Err; err != nil {
		t.Fatal(err)
	}
}

// names returns the unique names of the connections on the bus.
func names(t *testing.T, c *dbus.Conn) map[string]bool {
	t.Helper()
	var all []string
	if err := c.BusObject().Call(busName+".ListNames", 0).Store(&all); err != nil {
		t.Fatal(err)
	}
	unique := make(map[string]bool)
	for _, n := range all {
		if strings.HasPrefix(n, ":") {
			unique[n] = true
		}
	}
	return unique
}

// unicast sends a signal from c to the connection named to only, which
// the bus delivers whatever the recipient's match rules.
func unicast(t *testing.T, c *dbus.Conn, to string, path dbus.ObjectPath, iface, member string, values ...any) {
	t.Helper()
	msg := &dbus.Message{
		Type: dbus.TypeSignal,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldDestination: dbus.MakeVariant(to),
			dbus.FieldPath:        dbus.MakeVariant(path),
			dbus.FieldInterface:   dbus.MakeVariant(iface),
			dbus.FieldMember:      dbus.MakeVariant(member),
		},
		Body: values,
	}
	if len(values) > 0 {
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(values...))
	}
	if err := c.Send(msg, nil).Err; err != nil {
		t.Fatalf("sending %s.%s to %s: %v", iface, member, to, err)
	}
}

func emit(t *testing.T, c *dbus.Conn, path dbus.ObjectPath, name string, values ...any) {
	t.Helper()
	if err := c.Emit(path, name, values...); err != nil {
		t.Fatalf("Emit(%s): %v", name, err)
	}
}

// TestSignals: Watch itself, on the bus that DBUS_SYSTEM_BUS_ADDRESS names.
// Signals from one connection arrive in order, so an event expected after
// signals that must report nothing shows that they did not.
func TestSignals(t *testing.T) {
	b := startBus(t)
	both := b.service(t, nmName, loginName)
	other := b.service(t)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", b.addr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	earlier := names(t, both)
	w := Watch(ctx)
	if err := w.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	var watcher string
	for n := range names(t, both) {
		if !earlier[n] {
			watcher = n
		}
	}
	if watcher == "" {
		t.Fatal("Watch is not on the bus")
	}

	// Disconnected (20) to connected (70).
	state(t, both, 20)
	state(t, both, 70)
	expect(t, w, NetworkUp)

	// 70 again, a fall, and the rise to site-only connectivity (60):
	// nothing, as the Resumed marker after them shows.
	state(t, both, 70)
	state(t, both, 20)
	state(t, both, 60)
	sleep(t, both, false)
	expect(t, w, Resumed)

	// From site (60) to global (70).
	state(t, both, 70)
	expect(t, w, NetworkUp)

	// Going to sleep: nothing.
	sleep(t, both, true)
	state(t, both, 40)
	state(t, both, 70)
	expect(t, w, NetworkUp)
	sleep(t, both, false)
	expect(t, w, Resumed)

	// Look-alike signals: from another connection (not the owner of the
	// names), broadcast or sent to the Watcher alone; on the wrong path;
	// with the wrong arguments. None is a rise to 70 from 20, or a
	// wake-up.
	state(t, other, 20)
	state(t, other, 70)
	sleep(t, other, false)
	unicast(t, other, watcher, nmPath, nmIface, nmMember, uint32(20))
	unicast(t, other, watcher, nmPath, nmIface, nmMember, uint32(70))
	unicast(t, other, watcher, loginPath, loginIface, loginMember, false)
	unicast(t, other, watcher, busPath, busName, ownerMember, nmName, both.Names()[0], other.Names()[0])
	unicast(t, other, watcher, nmPath, nmIface, nmMember, uint32(20))
	unicast(t, other, watcher, nmPath, nmIface, nmMember, uint32(70))
	barrier(t, other)
	unicast(t, both, watcher, "/org/freedesktop/NetworkManager/Devices/1", nmIface, nmMember, uint32(20))
	unicast(t, both, watcher, "/org/freedesktop/login1/session/self", loginIface, loginMember, false)
	emit(t, both, "/org/freedesktop/NetworkManager/Devices/1", nmIface+"."+nmMember, uint32(20))
	emit(t, both, "/org/freedesktop/login1/session/self", loginIface+"."+loginMember, false)
	emit(t, both, nmPath, nmIface+"."+nmMember, "20")
	emit(t, both, nmPath, nmIface+"."+nmMember, uint32(20), uint32(70))
	emit(t, both, nmPath, nmIface+"."+nmMember)
	emit(t, both, loginPath, loginIface+"."+loginMember, uint32(0))
	emit(t, both, loginPath, loginIface+"."+loginMember, false, false)
	emit(t, both, nmPath, nmIface+".PropertiesChanged", map[string]dbus.Variant{"State": dbus.MakeVariant(uint32(20))})
	state(t, both, 70) // still 70: nothing
	sleep(t, both, true)
	sleep(t, both, false)
	expect(t, w, Resumed)
	quiet(t, w, 100*time.Millisecond)
	if err := w.Err(); err != nil {
		t.Errorf("Err() = %v", err)
	}
	cancel()
	closes(t, w)
}

// TestFlood: 4000 signals to a reader that does not read hold nothing up;
// the reader then finds one event of each kind.
func TestFlood(t *testing.T) {
	b := startBus(t)
	both := b.service(t, nmName, loginName)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := b.watch(ctx)
	if err := w.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	before := runtime.NumGoroutine()
	const rounds = 1000
	for range rounds {
		state(t, both, 20)
		state(t, both, 70)
		sleep(t, both, true)
		sleep(t, both, false)
	}
	// The Watcher reads them all while nobody reads its channel, and
	// starts no goroutine for them.
	most := before
	deadline := time.Now().Add(waitFor)
	for w.seen.Load() < 4*rounds {
		if time.Now().After(deadline) {
			t.Fatalf("the Watcher read %d signals of %d, with nobody reading its channel", w.seen.Load(), 4*rounds)
		}
		most = max(most, runtime.NumGoroutine())
		time.Sleep(time.Millisecond)
	}
	if most > before+2 {
		t.Errorf("up to %d goroutines during the flood, %d before", most, before)
	}
	expect(t, w, NetworkUp)
	expect(t, w, Resumed)
	quiet(t, w, 100*time.Millisecond)
	// It still works afterwards.
	state(t, both, 20)
	state(t, both, 70)
	expect(t, w, NetworkUp)
	cancel()
	closes(t, w)
}

// TestCancel: the end of the context closes the channel, the connection
// and the goroutines.
func TestCancel(t *testing.T) {
	b := startBus(t)
	both := b.service(t, nmName, loginName)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	w := b.watch(ctx)
	if err := w.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	sleep(t, both, false)
	expect(t, w, Resumed)
	// One left unread at the end.
	sleep(t, both, false)
	deadline := time.Now().Add(waitFor)
	for w.seen.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the second signal did not arrive")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	closes(t, w)
	noLeak(t, before)
	if err := w.Err(); err != nil {
		t.Errorf("Err() = %v after the end; the end of the context is no error", err)
	}
	// The bus saw the connection go: only the service's remains (and
	// the bus's own name).
	if left := names(t, both); len(left) != 1 || !left[both.Names()[0]] {
		t.Errorf("connections on the bus after the end: %v; want only the service's, %s", left, both.Names()[0])
	}
}

// TestCancelled: a context that has ended already gives a closed channel.
func TestCancelled(t *testing.T) {
	b := startBus(t)
	b.service(t, nmName, loginName)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := b.watch(ctx)
	closes(t, w)
	noLeak(t, before)
}

// TestNoBus: without a system bus, Watch gives an inert Watcher at once.
func TestNoBus(t *testing.T) {
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "none"))
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	w := Watch(ctx)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Watch took %v without a bus", d)
	}
	if w.Err() == nil || !strings.Contains(w.Err().Error(), "system bus") {
		t.Errorf("Err() = %v, want one about the system bus", w.Err())
	}
	noLeak(t, before)
	quiet(t, w, 100*time.Millisecond)
	cancel()
	closes(t, w)
	noLeak(t, before)
}

// TestHungBus: a bus that accepts the connection and never answers makes
// Watch give up after its timeout.
func TestHungBus(t *testing.T) {
	dir, err := os.MkdirTemp("", "netwatch")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	w := watch(ctx, func(opts ...dbus.ConnOption) (*dbus.Conn, error) {
		return dbus.Connect("unix:path="+sock, opts...)
	}, 200*time.Millisecond)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Watch took %v on a bus that does not answer", d)
	}
	if w.Err() == nil || !strings.Contains(w.Err().Error(), "did not answer") {
		t.Errorf("Err() = %v, want one saying that the bus did not answer", w.Err())
	}
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(waitFor):
		t.Error("Watch did not connect to the bus")
	}
	quiet(t, w, 100*time.Millisecond)
	cancel()
	closes(t, w)
}

// TestNoServices: a bus with neither service gives an inert Watcher that
// let go of the bus already.
func TestNoServices(t *testing.T) {
	b := startBus(t)
	other := b.service(t)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	w := b.watch(ctx)
	if !errors.Is(w.Err(), ErrNoService) || !strings.Contains(w.Err().Error(), "neither") {
		t.Errorf("Err() = %v, want ErrNoService for both", w.Err())
	}
	noLeak(t, before)
	// A look-alike from someone else is still nothing.
	state(t, other, 20)
	state(t, other, 70)
	sleep(t, other, false)
	quiet(t, w, 100*time.Millisecond)
	cancel()
	closes(t, w)
}

// TestOneService: with logind alone, Resumed comes and Err names the
// missing NetworkManager; NetworkManager's events come once it starts.
func TestOneService(t *testing.T) {
	b := startBus(t)
	login := b.service(t, loginName)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := b.watch(ctx)
	if !errors.Is(w.Err(), ErrNoService) || !strings.Contains(w.Err().Error(), "NetworkManager") ||
		strings.Contains(w.Err().Error(), "logind") {
		t.Errorf("Err() = %v, want ErrNoService for NetworkManager only", w.Err())
	}
	sleep(t, login, false)
	expect(t, w, Resumed)
	nm := b.service(t, nmName)
	state(t, nm, 20)
	state(t, nm, 70)
	expect(t, w, NetworkUp)
	cancel()
	closes(t, w)
}

// TestBusGone: when the bus goes away, Err says so and the channel stays
// open until the context ends.
func TestBusGone(t *testing.T) {
	b := startBus(t)
	both := b.service(t, nmName, loginName)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := b.watch(ctx)
	sleep(t, both, false)
	expect(t, w, Resumed)
	b.proc.Stop(5 * time.Second)
	deadline := time.Now().Add(waitFor)
	for w.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("Err() stayed nil after the bus went away")
		}
		time.Sleep(time.Millisecond)
	}
	if !strings.Contains(w.Err().Error(), "lost") {
		t.Errorf("Err() = %v, want one saying the connection was lost", w.Err())
	}
	quiet(t, w, 100*time.Millisecond)
	cancel()
	closes(t, w)
}

// TestRestart: when another connection takes over a service's name, only
// the new owner counts, and its first rise to 70 is reported.
func TestRestart(t *testing.T) {
	b := startBus(t)
	old := b.service(t, nmName)
	login := b.service(t, loginName)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	earlier := names(t, login)
	w := b.watch(ctx)
	if err := w.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	var watcher string
	for n := range names(t, login) {
		if !earlier[n] {
			watcher = n
		}
	}
	state(t, old, 20)
	state(t, old, 70)
	expect(t, w, NetworkUp)

	if _, err := old.ReleaseName(nmName); err != nil {
		t.Fatal(err)
	}
	renewed := b.service(t, nmName)
	// The old owner, still connected, is nobody now.
	state(t, old, 20)
	state(t, old, 70)
	unicast(t, old, watcher, nmPath, nmIface, nmMember, uint32(20))
	unicast(t, old, watcher, nmPath, nmIface, nmMember, uint32(70))
	barrier(t, old)
	sleep(t, login, false)
	expect(t, w, Resumed)
	// The new one starts from scratch.
	state(t, renewed, 70)
	expect(t, w, NetworkUp)
	quiet(t, w, 100*time.Millisecond)
	cancel()
	closes(t, w)
}
