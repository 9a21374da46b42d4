//go:build !(linux || freebsd || openbsd || netbsd)

package main

// trayPresent reports whether the desktop has a system tray: Windows'
// notification area and macOS's menu bar extras are always there.
func trayPresent() bool { return true }
