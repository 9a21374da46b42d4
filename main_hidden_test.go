//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/palaver-im/palaver/account"
)

// TestSmokeStartHidden runs the real binary with --hidden: with a tray (a
// status notifier watcher's name owned on the session bus) the main
// window stays hidden until a second start asks for it; without one it
// shows at once.
func TestSmokeStartHidden(t *testing.T) {
	if _, err := exec.LookPath("xdotool"); err != nil {
		need(t, "xdotool is not installed")
	}
	if os.Getenv("DISPLAY") == "" {
		need(t, "no X display")
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		need(t, "no D-Bus session bus: run under .ci/with-services")
	}
	bin := buildApp(t)
	// An account, turned off: nothing to sign in to, but nothing to ask
	// the user either.
	profile := func() string {
		dir := t.TempDir()
		cfg := account.Config{Accounts: []account.Account{{JID: "alice@example.org", Disabled: true}}}
		if err := cfg.Save(dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	start := func(dir string) *process {
		p := &process{logs: &lockedBuffer{}, done: make(chan struct{})}
		p.cmd = exec.Command(bin, "--config-dir", dir, "--hidden")
		p.cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LANGUAGE=en")
		p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.err = p.cmd.Wait(); close(p.done) }()
		t.Cleanup(func() {
			_ = p.quit()
			if t.Failed() {
				t.Logf("palaver output:\n%s", p.logs.String())
			}
		})
		return p
	}

	t.Run("without a tray", func(t *testing.T) {
		p := start(profile())
		window(t, "Palaver")
		// main handles SIGINT only once the views are built and shown
		// (signal.Notify after ui.Show): the window may map before that.
		time.Sleep(500 * time.Millisecond)
		if err := p.quit(); err != nil {
			t.Fatalf("palaver did not exit cleanly: %v", err)
		}
	})

	t.Run("with a tray", func(t *testing.T) {
		conn, err := dbus.ConnectSessionBus()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
		if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("taking the watcher's name: %v, %v", reply, err)
		}
		dir := profile()
		p := start(dir)
		// Running, with the window hidden: the instance listens for
		// hand-overs once main has claimed the profile, and the window
		// would have shown within this time without --hidden.
		deadline := time.Now().Add(4 * time.Second)
		for time.Now().Before(deadline) {
			if visible("Palaver") {
				t.Fatal("--hidden with a tray showed the main window")
			}
			select {
			case <-p.done:
				t.Fatalf("palaver ended: %v", p.err)
			case <-time.After(100 * time.Millisecond):
			}
		}
		// A second start hands over "show the window".
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		again := exec.CommandContext(ctx, bin, "--config-dir", dir)
		again.Env = append(os.Environ(), "LANG=C.UTF-8", "LANGUAGE=en", "GORACE=atexit_sleep_ms=0")
		if out, err := again.CombinedOutput(); err != nil {
			t.Fatalf("the second start: %v\n%s", err, out)
		}
		window(t, "Palaver")
		if err := p.quit(); err != nil {
			t.Fatalf("palaver did not exit cleanly: %v", err)
		}
		// Fyne's tray finds no watcher object behind the name (it logs
		// "systray error"): that is the fake tray, not Palaver.
		for _, bad := range []string{"panic:", "Error in Fyne call thread", "WARNING: DATA RACE"} {
			if strings.Contains(p.logs.String(), bad) {
				t.Errorf("the app logged %q", bad)
			}
		}
	})
}
