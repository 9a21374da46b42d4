package main

import (
	"os"
	"os/exec"
	"testing"
)

// TestWindowsURIHandlerBuilds vets the Windows registration of xmpp:
// links for Windows: the file needs no cgo, so it is checked here, on any
// system, where the whole Windows build (Fyne's cgo) cannot run.
func TestWindowsURIHandlerBuilds(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		need(t, "no go command")
	}
	cmd := exec.Command("go", "vet", "./urihandler_windows.go")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go vet ./urihandler_windows.go: %v\n%s", err, out)
	}
}
