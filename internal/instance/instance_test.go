package instance

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// received collects what an instance was handed.
type received chan string

func (r received) handle(arg string) { r <- arg }

// next returns the next argument handed over, failing after a second.
func (r received) next(t *testing.T) string {
	t.Helper()
	select {
	case arg := <-r:
		return arg
	case <-time.After(time.Second):
		t.Fatal("nothing was handed over within a second")
		return ""
	}
}

// none checks that nothing was handed over.
func (r received) none(t *testing.T) {
	t.Helper()
	select {
	case arg := <-r:
		t.Fatalf("%q was handed over", arg)
	case <-time.After(100 * time.Millisecond):
	}
}

// first makes dir's instance, failing unless it is the first.
func first(t *testing.T, dir string) (*Instance, received) {
	t.Helper()
	got := make(received, 8)
	inst, handed, err := Claim(dir, "", got.handle)
	if err != nil || handed || inst == nil {
		t.Fatalf("the first start of %s: handed %v, %v", dir, handed, err)
	}
	t.Cleanup(inst.Close)
	return inst, got
}

// later starts dir again with arg and reports whether it handed arg over.
func later(t *testing.T, dir, arg string) bool {
	t.Helper()
	inst, handed, err := Claim(dir, arg, func(string) { t.Error("a later start got a hand-over") })
	if err != nil {
		t.Fatal(err)
	}
	if inst != nil {
		t.Cleanup(inst.Close)
	}
	return handed
}

func TestSecondStartHandsOver(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	_, gotA := first(t, a)
	_, gotB := first(t, b) // another profile: an instance of its own

	began := time.Now()
	if !later(t, a, "xmpp:bob@localhost?message;body=hi") {
		t.Fatal("the second start of a profile did not hand over")
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("handing over took %v", d)
	}
	if arg := gotA.next(t); arg != "xmpp:bob@localhost?message;body=hi" {
		t.Errorf("the first got %q", arg)
	}
	gotB.none(t)
	// Nothing: "show the window".
	if !later(t, b, "") || gotB.next(t) != "" {
		t.Error("an empty hand-over did not arrive as one")
	}
	gotA.none(t)

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(a, FileName))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("the instance file: %v, %v", fi, err)
		}
	}
}

func TestInstanceFileNamesLoopbackAndAToken(t *testing.T) {
	dir := t.TempDir()
	inst, _ := first(t, dir)
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	var port int
	var token string
	if _, err := fmt.Sscanf(string(b), "%d %s\n", &port, &token); err != nil || len(token) != 64 {
		t.Fatalf("the instance file holds %q (%v)", b, err)
	}
	if a := inst.ln.Addr().(*net.TCPAddr); !a.IP.IsLoopback() || a.Port != port {
		t.Errorf("listening on %v, the file says port %d", a, port)
	}
}

func TestStaleInstanceIsTakenOver(t *testing.T) {
	dir := t.TempDir()
	// A crashed instance: its file names a port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	stale := fmt.Sprintf("%d %s\n", port, strings.Repeat("ab", 32))
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	// And an election lock it left behind.
	lock := filepath.Join(dir, electionFile)
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	inst, got := first(t, dir)
	if d := time.Since(began); d > time.Second {
		t.Errorf("taking over took %v", d)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, FileName)); string(b) == stale || !strings.Contains(string(b), inst.token) {
		t.Errorf("the instance file was not taken over: %q", b)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("the election lock is left: %v", err)
	}
	if !later(t, dir, "xmpp:a@b") || got.next(t) != "xmpp:a@b" {
		t.Error("the instance that took over does not take hand-overs")
	}
	// Closed, the profile's next start is the first again.
	inst.Close()
	if _, err := os.Stat(filepath.Join(dir, FileName)); !os.IsNotExist(err) {
		t.Errorf("the instance file outlives the instance: %v", err)
	}
	first(t, dir)
}

// ask sends a raw request to inst and returns its answer.
func ask(t *testing.T, inst *Instance, request string) string {
	t.Helper()
	conn, err := net.Dial("tcp", inst.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	// The instance may answer before it read all: write aside.
	go func() { _, _ = io.WriteString(conn, request) }()
	answer, _ := bufio.NewReader(conn).ReadString('\n')
	return answer
}

func TestHandOverRefusals(t *testing.T) {
	inst, got := first(t, t.TempDir())
	for name, req := range map[string]string{
		"wrong token":    protocolTag + " " + strings.Repeat("0", 64) + "\txmpp:a@b\n",
		"short token":    protocolTag + " " + inst.token[:10] + "\txmpp:a@b\n",
		"no token":       protocolTag + " \txmpp:a@b\n",
		"no tag":         inst.token + "\txmpp:a@b\n",
		"other tag":      "palaver-handover-0 " + inst.token + "\txmpp:a@b\n",
		"no tab":         protocolTag + " " + inst.token + "\n",
		"carriage":       protocolTag + " " + inst.token + "\txmpp:a@b\r\n",
		"oversize":       protocolTag + " " + inst.token + "\t" + strings.Repeat("x", maxRequest) + "\n",
		"endless line":   protocolTag + " " + inst.token + "\t" + strings.Repeat("x", 4*maxRequest),
		"no line ending": protocolTag + " " + inst.token + "\txmpp:a@b",
	} {
		if answer := ask(t, inst, req); answer != "refused\n" {
			t.Errorf("%s: answered %q", name, answer)
		}
	}
	got.none(t)
	// The right one, to show that the refusals were for what they sent.
	if answer := ask(t, inst, protocolTag+" "+inst.token+"\txmpp:a@b\n"); answer != "ok\n" {
		t.Errorf("the right request: %q", answer)
	}
	if arg := got.next(t); arg != "xmpp:a@b" {
		t.Errorf("handed %q", arg)
	}
}

func TestStartsAtOnceMakeOneInstance(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var insts []*Instance
	handed := 0
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			inst, h, err := Claim(dir, "", func(string) {})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
			}
			if inst != nil {
				insts = append(insts, inst)
			}
			if h {
				handed++
			}
		})
	}
	wg.Wait()
	for _, inst := range insts {
		inst.Close()
	}
	if len(insts) != 1 || handed != 5 {
		t.Errorf("six starts at once: %d instances, %d handed over", len(insts), handed)
	}
}

// FuzzReadRequest checks that a request is accepted only with the token,
// and that the argument it yields is one line.
func FuzzReadRequest(f *testing.F) {
	token := strings.Repeat("5a", 32)
	f.Add(protocolTag + " " + token + "\txmpp:a@b\n")
	f.Add(protocolTag + " " + token + "\t\n")
	f.Add(protocolTag + " x\ty\n")
	f.Add("\n")
	f.Fuzz(func(t *testing.T, req string) {
		arg, err := readRequest(strings.NewReader(req), token)
		if err != nil {
			return
		}
		if !strings.HasPrefix(req, protocolTag+" "+token+"\t") {
			t.Fatalf("%q accepted without the token", req)
		}
		if strings.ContainsAny(arg, "\r\n") || len(arg) >= maxRequest {
			t.Fatalf("%q gave %q", req, arg)
		}
	})
}
