//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"os"
	"testing"

	"github.com/godbus/dbus/v5"
)

// TestTrayPresent: the tray is there exactly while a status notifier
// watcher owns its name on the session bus (the private bus of
// .ci/with-services, which has none of its own).
func TestTrayPresent(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		need(t, "no D-Bus session bus: run under .ci/with-services")
	}
	if trayPresent() {
		t.Fatal("a tray without a status notifier watcher")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("taking the watcher's name: %v, %v", reply, err)
	}
	if !trayPresent() {
		t.Fatal("no tray although a watcher owns its name")
	}
	if _, err := conn.ReleaseName("org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if trayPresent() {
		t.Fatal("a tray after the watcher went")
	}
}
