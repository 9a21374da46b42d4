// Package autostart starts Palaver when the user logs in to the desktop:
// an XDG autostart file on Linux and the BSDs, a value under the Run key
// on Windows. macOS has no code here: login items are the user's to add
// (System Settings → General → Login Items).
//
// It is main's alone; the views reach it through an interface of their own
// (views.Autostart), so that their tests use a fake.
package autostart

// HiddenFlag is the command-line flag that starts Palaver with its main
// window hidden in the system tray.
const HiddenFlag = "--hidden"

// Login turns starting at login on and off for one app.
type Login interface {
	// Enabled reports whether the app starts at login: what the system
	// holds, so that an entry the user removed reads as off.
	Enabled() (bool, error)
	// Enable makes the running executable start at login, with
	// HiddenFlag when hidden.
	Enable(hidden bool) error
	// Disable stops the app from starting at login; it is not an error
	// when it did not.
	Disable() error
}
