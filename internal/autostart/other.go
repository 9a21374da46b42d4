//go:build !(linux || freebsd || openbsd || netbsd || dragonfly || windows)

package autostart

// New returns nil: on macOS (and elsewhere) login items are the user's
// to add in the system's settings.
func New(id, name, comment string, args ...string) Login { return nil }
