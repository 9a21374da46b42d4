package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// browserOpener returns the OpenURL for views.Options: openWith("xdg-open")
// where Fyne would start xdg-open itself (Linux and the BSDs outside
// Flatpak), nil (Fyne's App.OpenURL) elsewhere: on Windows and macOS
// Fyne's calls report failure.
func browserOpener() func(*url.URL) error {
	unix := runtime.GOOS == "linux" || strings.HasSuffix(runtime.GOOS, "bsd")
	if !unix || os.Getenv("FLATPAK_ID") != "" {
		return nil
	}
	return openWith("xdg-open")
}

// browserWait is how long openWith waits for the opener to report failure.
// xdg-open returns once the browser has the page, or at once with an error;
// some setups run the browser in its foreground, and a process still
// running after browserWait is taken for a browser that opened.
const browserWait = 5 * time.Second

// openWith returns an OpenURL for views.Options that starts the system
// browser with the command name (xdg-open on Linux and the BSDs) and
// reports when it could not: the command is missing, or it exits with an
// error (no browser configured: xdg-open exits 3 or 4). Fyne's
// App.OpenURL only starts the command (app/app_xdg.go) and never learns
// either, so the sign-in dialog claimed a page had opened when none had.
func openWith(name string) func(*url.URL) error {
	return func(u *url.URL) error {
		cmd := exec.Command(name, u.String())
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("%s could not be started: %w", name, err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return fmt.Errorf("%s found no browser to open the page (exit status %d)", name, exit.ExitCode())
			}
			return err
		case <-time.After(browserWait):
			return nil // still running: a browser in its foreground
		}
	}
}
