//go:build windows

package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/windows/registry"
)

// runKey is where Windows finds what to start when the user logs in
// (HKEY_CURRENT_USER: no administrator rights needed).
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// New returns the autostart of the app named name, run with args: a value
// named name under the current user's Run key. id and comment are not
// used.
func New(id, name, comment string, args ...string) Login {
	return &Run{Name: name, Args: args}
}

// Run is a value under HKEY_CURRENT_USER's Run key holding the command
// line that starts the app at login.
type Run struct {
	// Name is the value's name ("Palaver").
	Name string
	// Exe is the program to run; empty means the running executable.
	Exe string
	// Args are its arguments (before HiddenFlag).
	Args []string
}

// Enabled reports whether the value is there.
func (r *Run) Enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer k.Close()
	_, _, err = k.GetStringValue(r.Name)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Enable sets the value to the quoted executable, with HiddenFlag when
// hidden.
func (r *Run) Enable(hidden bool) error {
	exe := r.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return err
		}
		if e, err := filepath.EvalSymlinks(exe); err == nil {
			exe = e
		}
	}
	if !filepath.IsAbs(exe) {
		return fmt.Errorf("autostart: %q is not an absolute path", exe)
	}
	cmd := `"` + exe + `"`
	for _, a := range r.Args {
		cmd += " " + syscall.EscapeArg(a)
	}
	if hidden {
		cmd += " " + HiddenFlag
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetStringValue(r.Name, cmd)
}

// Disable deletes the value.
func (r *Run) Disable() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(r.Name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return err
	}
	return nil
}
