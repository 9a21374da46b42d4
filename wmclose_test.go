package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// closeAsWindowManager asks the X client owning window (an id as xdotool
// prints it) to close it, as a window manager's close button does: a
// ClientMessage WM_PROTOCOLS carrying WM_DELETE_WINDOW (ICCCM §4.2.8.1).
// The test display has no window manager, and xdotool's windowclose
// destroys the window instead (an X error that ends any Xlib client), so
// this speaks the X11 protocol itself: connect with the display's
// MIT-MAGIC-COOKIE-1, intern the two atoms, send the event, and wait for
// a reply so that the server has processed it.
func closeAsWindowManager(window string) error {
	win, err := strconv.ParseUint(window, 10, 32)
	if err != nil {
		return fmt.Errorf("window id %q: %w", window, err)
	}
	display := os.Getenv("DISPLAY")
	num, ok := strings.CutPrefix(display, ":")
	if !ok {
		return fmt.Errorf("DISPLAY %q is not a local display", display)
	}
	num, _, _ = strings.Cut(num, ".")
	conn, err := net.DialTimeout("unix", "/tmp/.X11-unix/X"+num, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	x := &x11{rw: conn}
	if err := x.setup(xauthCookie(num)); err != nil {
		return err
	}
	protocols, err := x.internAtom("WM_PROTOCOLS")
	if err != nil {
		return err
	}
	deleteWindow, err := x.internAtom("WM_DELETE_WINDOW")
	if err != nil {
		return err
	}
	// SendEvent (opcode 25) with an empty event mask goes to the client
	// that created the window.
	ev := make([]byte, 32)
	ev[0] = 33 // ClientMessage
	ev[1] = 32 // format: 32-bit data
	binary.LittleEndian.PutUint32(ev[4:], uint32(win))
	binary.LittleEndian.PutUint32(ev[8:], protocols)
	binary.LittleEndian.PutUint32(ev[12:], deleteWindow)
	// ev[16:20] is the timestamp: CurrentTime (0).
	req := make([]byte, 12, 44)
	req[0] = 25
	binary.LittleEndian.PutUint16(req[2:], 11)
	binary.LittleEndian.PutUint32(req[4:], uint32(win))
	if _, err := x.rw.Write(append(req, ev...)); err != nil {
		return err
	}
	// GetInputFocus (opcode 43) has a reply: once it comes, the server has
	// handled the SendEvent before it, or reported an error for it.
	if _, err := x.rw.Write([]byte{43, 0, 1, 0}); err != nil {
		return err
	}
	_, err = x.reply()
	return err
}

// x11 is a bare X11 protocol connection, little-endian.
type x11 struct{ rw io.ReadWriter }

// setup sends the connection setup with an optional MIT-MAGIC-COOKIE-1
// and reads the server's answer.
func (x *x11) setup(cookie []byte) error {
	name := ""
	if cookie != nil {
		name = "MIT-MAGIC-COOKIE-1"
	}
	req := make([]byte, 12)
	req[0] = 'l'
	binary.LittleEndian.PutUint16(req[2:], 11)
	binary.LittleEndian.PutUint16(req[6:], uint16(len(name)))
	binary.LittleEndian.PutUint16(req[8:], uint16(len(cookie)))
	req = append(append(req, pad4([]byte(name))...), pad4(cookie)...)
	if _, err := x.rw.Write(req); err != nil {
		return err
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(x.rw, head); err != nil {
		return err
	}
	rest := make([]byte, 4*int(binary.LittleEndian.Uint16(head[6:])))
	if _, err := io.ReadFull(x.rw, rest); err != nil {
		return err
	}
	if head[0] != 1 {
		return fmt.Errorf("X server refused the connection: %q", rest[:min(int(head[1]), len(rest))])
	}
	return nil
}

// internAtom returns the atom named name, creating it if needed.
func (x *x11) internAtom(name string) (uint32, error) {
	n := pad4([]byte(name))
	req := make([]byte, 8, 8+len(n))
	req[0] = 16 // InternAtom, only-if-exists false
	binary.LittleEndian.PutUint16(req[2:], uint16(2+len(n)/4))
	binary.LittleEndian.PutUint16(req[4:], uint16(len(name)))
	if _, err := x.rw.Write(append(req, n...)); err != nil {
		return 0, err
	}
	r, err := x.reply()
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(r[8:]), nil
}

// reply reads the next reply, failing on an X error; events are skipped.
func (x *x11) reply() ([]byte, error) {
	for {
		r := make([]byte, 32)
		if _, err := io.ReadFull(x.rw, r); err != nil {
			return nil, err
		}
		switch r[0] {
		case 0:
			return nil, fmt.Errorf("X error %d (request %d, value %#x)", r[1], r[10], binary.LittleEndian.Uint32(r[4:]))
		case 1:
			extra := make([]byte, 4*int(binary.LittleEndian.Uint32(r[4:])))
			if _, err := io.ReadFull(x.rw, extra); err != nil {
				return nil, err
			}
			return append(r, extra...), nil
		}
	}
}

// pad4 pads b with zeros to a multiple of four bytes.
func pad4(b []byte) []byte {
	return append(b, make([]byte, (4-len(b)%4)%4)...)
}

// xauthCookie returns the MIT-MAGIC-COOKIE-1 for local display num from
// the Xauthority file (XAUTHORITY, as xvfb-run sets it, or
// ~/.Xauthority), or nil when there is none. Each entry is family, then
// address, display number, auth name and data, each a 16-bit big-endian
// length and bytes (Xau's file format).
func xauthCookie(num string) []byte {
	path := os.Getenv("XAUTHORITY")
	if path == "" {
		home, _ := os.UserHomeDir()
		path = home + "/.Xauthority"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	r := bytes.NewReader(data)
	field := func() ([]byte, bool) {
		var n uint16
		if binary.Read(r, binary.BigEndian, &n) != nil {
			return nil, false
		}
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err == nil
	}
	for {
		var family uint16
		if binary.Read(r, binary.BigEndian, &family) != nil {
			return nil
		}
		_, ok1 := field()
		number, ok2 := field()
		name, ok3 := field()
		cookie, ok4 := field()
		if !(ok1 && ok2 && ok3 && ok4) {
			return nil
		}
		// 256 is FamilyLocal, 65535 FamilyWild.
		local := family == 256 || family == 65535
		if local && (string(number) == num || len(number) == 0) && string(name) == "MIT-MAGIC-COOKIE-1" {
			return cookie
		}
	}
}
