//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// trayPresent reports whether the desktop shows status notifiers (a
// system tray): KDE, XFCE, GNOME with the AppIndicator extension and
// others run an org.kde.StatusNotifierWatcher on the session bus. Without
// one Fyne's tray icon shows nowhere, and a window hidden "in the tray"
// could not be found again.
func trayPresent() bool {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return false
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var has bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}
