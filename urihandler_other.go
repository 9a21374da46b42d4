//go:build !windows

package main

// registerURIHandler does nothing here: on Linux and the BSDs the
// package's .desktop file declares Palaver the handler of
// x-scheme-handler/xmpp, on macOS the app bundle's Info.plist
// (CFBundleURLTypes); see the README.
func registerURIHandler() {}
