// Package instance keeps one Palaver running per profile: the first start
// of a profile listens for hand-overs, a later one hands its command line
// over and ends.
package instance

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The first start of a profile listens for hand-overs on a loopback TCP
// port and writes the port and a random 32-byte token to the file
// FileName in the profile folder (mode 0600). A later start of the same profile reads that file, connects, sends
// the token and its command line (an xmpp: link, or nothing: "show the
// window") as one line, and exits once the first answered "ok". When
// nothing answers as it should (a crashed instance left its file behind),
// the later start takes over: it listens and writes the file anew.
//
// Loopback TCP rather than a Unix socket: it works the same on Linux,
// macOS and Windows, and has no path-length limit (a socket's path may be
// at most about 100 bytes, which a profile folder can exceed). Any local
// user can connect to a loopback port, so the token, readable only by the
// profile's owner, proves the request comes from them; requests are one
// bounded line read under a deadline.

const (
	// FileName is the file in the profile folder that names the running
	// instance's port and token.
	FileName = "instance"
	// electionFile is held (created exclusively) while a start decides
	// whether it is the first, so that two starts at once do not both
	// listen; one older than electionStale was left by a crash.
	electionFile  = "instance.lock"
	electionStale = 10 * time.Second
	// handOverWait bounds a hand-over: connecting, sending, the answer.
	handOverWait = 2 * time.Second
	// maxRequest bounds a hand-over's line (the token, a tab, the
	// argument and the newline).
	maxRequest = 8192
	// protocolTag begins every request.
	protocolTag = "palaver-handover-1"
)

// errNotRunning says no instance of the profile answered.
var errNotRunning = errors.New("no running instance answered")

// Instance is the first start of a profile, listening for hand-overs.
type Instance struct {
	ln    net.Listener
	token string
	file  string
	// handle gets each argument handed over, on the listener's goroutine.
	handle func(arg string)
	wg     sync.WaitGroup
	closed chan struct{}
	once   sync.Once
}

// Claim makes this start the profile dir's instance, or hands arg over to
// the one running. It returns handed true when the running one took arg
// (this start should exit), else the new instance; handle gets the
// arguments of later starts, on a goroutine of the instance. arg must be
// one line.
func Claim(dir, arg string, handle func(string)) (inst *Instance, handed bool, err error) {
	if strings.ContainsAny(arg, "\r\n") {
		return nil, false, errors.New("the argument has a line break")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	release, err := elect(dir)
	if err != nil {
		return nil, false, err
	}
	defer release()
	if err := handOver(dir, arg); err == nil {
		return nil, true, nil
	}
	inst, err = listen(dir, handle)
	return inst, false, err
}

// elect takes the profile's election lock, waiting for another start to
// release it, or taking it over when it is stale.
func elect(dir string) (release func(), err error) {
	name := filepath.Join(dir, electionFile)
	deadline := time.Now().Add(2 * handOverWait)
	for {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			_ = f.Close()
			return func() { _ = os.Remove(name) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) > electionStale {
			_ = os.Remove(name) // left by a start that crashed
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another start of this profile holds %s", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// handOver sends arg to the instance the profile's file names and waits
// for its "ok".
func handOver(dir, arg string) error {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return errNotRunning
	}
	port, token, ok := strings.Cut(strings.TrimSpace(string(b)), " ")
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 || !ok {
		return errNotRunning
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), handOverWait)
	if err != nil {
		return errNotRunning
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(handOverWait))
	if _, err := fmt.Fprintf(conn, "%s %s\t%s\n", protocolTag, token, arg); err != nil {
		return errNotRunning
	}
	answer, err := bufio.NewReader(io.LimitReader(conn, 64)).ReadString('\n')
	if err != nil || answer != "ok\n" {
		return errNotRunning
	}
	return nil
}

// listen starts the instance: a loopback listener and the file naming it.
func listen(dir string, handle func(string)) (*Instance, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	inst := &Instance{ln: ln, token: hex.EncodeToString(raw), file: filepath.Join(dir, FileName),
		handle: handle, closed: make(chan struct{})}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := writePrivate(inst.file, fmt.Sprintf("%d %s\n", port, inst.token)); err != nil {
		_ = ln.Close()
		return nil, err
	}
	inst.wg.Go(inst.serve)
	return inst, nil
}

// writePrivate writes name readable by its owner only, replacing it at
// once (a reader sees the old content or the new, never a part).
func writePrivate(name, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".instance-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// serve answers hand-overs until the instance is closed.
func (inst *Instance) serve() {
	for {
		conn, err := inst.ln.Accept()
		if err != nil {
			select {
			case <-inst.closed:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			time.Sleep(50 * time.Millisecond) // e.g. out of file descriptors
			continue
		}
		inst.wg.Go(func() { inst.answer(conn) })
	}
}

// answer reads one request and answers "ok" when it carries the token, or
// an error word; it hands the argument on only after answering ok.
func (inst *Instance) answer(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(handOverWait))
	arg, err := readRequest(conn, inst.token)
	// A request cut off by the deadline is answered all the same.
	_ = conn.SetWriteDeadline(time.Now().Add(handOverWait))
	if err != nil {
		_, _ = io.WriteString(conn, "refused\n")
		return
	}
	if _, err := io.WriteString(conn, "ok\n"); err != nil {
		return
	}
	inst.handle(arg)
}

// Why readRequest refuses a request.
var (
	errTooLong   = errors.New("the request is too long")
	errBadFormat = errors.New("the request is malformed")
	errBadToken  = errors.New("the request has the wrong token")
)

// readRequest reads one line, at most maxRequest bytes, and checks it:
// protocolTag, a space, the token, a tab, the argument.
func readRequest(r io.Reader, token string) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxRequest), maxRequest).ReadSlice('\n')
	if err != nil {
		if len(line) >= maxRequest || errors.Is(err, bufio.ErrBufferFull) {
			return "", errTooLong
		}
		return "", errBadFormat
	}
	rest, ok := strings.CutPrefix(string(line[:len(line)-1]), protocolTag+" ")
	if !ok {
		return "", errBadFormat
	}
	got, arg, ok := strings.Cut(rest, "\t")
	if !ok || strings.ContainsRune(arg, '\r') {
		return "", errBadFormat
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		return "", errBadToken
	}
	return arg, nil
}

// Close stops listening, waits for hand-overs under way, and removes the
// profile's file if it still names this instance.
// Only the first call does anything.
func (inst *Instance) Close() {
	inst.once.Do(func() {
		close(inst.closed)
		_ = inst.ln.Close()
		inst.wg.Wait()
		if b, err := os.ReadFile(inst.file); err == nil && strings.Contains(string(b), inst.token) {
			_ = os.Remove(inst.file)
		}
	})
}
