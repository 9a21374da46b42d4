//go:build linux || freebsd || openbsd || netbsd || dragonfly

package autostart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// New returns the autostart of the app with the reverse-DNS id (FyneApp.toml's
// ID), shown as name with comment, run with args: an XDG autostart file.
func New(id, name, comment string, args ...string) Login {
	return &XDG{ID: id, Name: name, Comment: comment, Args: args}
}

// XDG is an autostart file of the XDG Autostart specification:
// $XDG_CONFIG_HOME/autostart/<ID>.desktop (~/.config/autostart by default),
// a Desktop Entry that runs the executable at login.
type XDG struct {
	// ID names the file (FyneApp.toml's ID) and the icon.
	ID string
	// Name and Comment are the entry's Name and Comment.
	Name, Comment string
	// Exe is the program to run; empty means the running executable
	// (os.Executable).
	Exe string
	// Args are its arguments (before HiddenFlag).
	Args []string
}

// Path returns the autostart file's path.
func (x *XDG) Path() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) {
		// The spec: a relative path is invalid and ignored.
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", x.ID+".desktop"), nil
}

// Enabled reports whether the autostart file is there and not turned off
// (Hidden=true, or X-GNOME-Autostart-enabled=false as GNOME's tools write).
func (x *XDG) Enabled() (bool, error) {
	p, err := x.Path()
	if err != nil {
		return false, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	e := parseEntry(b)
	return e["Hidden"] != "true" && e["X-GNOME-Autostart-enabled"] != "false", nil
}

// Enable writes the autostart file, replacing one there.
func (x *XDG) Enable(hidden bool) error {
	exe := x.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}
	if !filepath.IsAbs(exe) {
		return fmt.Errorf("autostart: %q is not an absolute path", exe)
	}
	p, err := x.Path()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	// Written aside and renamed, so that a session starting meanwhile
	// never reads half a file.
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+x.ID+"-*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(x.entry(exe, hidden))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// Disable removes the autostart file.
func (x *XDG) Disable() error {
	p, err := x.Path()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// entry returns the Desktop Entry that runs exe, with HiddenFlag when
// hidden.
func (x *XDG) entry(exe string, hidden bool) []byte {
	cmd := QuoteExecArg(exe)
	for _, a := range x.Args {
		cmd += " " + QuoteExecArg(a)
	}
	if hidden {
		cmd += " " + HiddenFlag
	}
	var b bytes.Buffer
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=" + escapeValue(x.Name) + "\n")
	if x.Comment != "" {
		b.WriteString("Comment=" + escapeValue(x.Comment) + "\n")
	}
	b.WriteString("Exec=" + escapeValue(cmd) + "\n")
	b.WriteString("Icon=" + escapeValue(x.ID) + "\n")
	b.WriteString("Terminal=false\n")
	b.WriteString("X-GNOME-Autostart-enabled=true\n")
	b.WriteString("Hidden=false\n")
	return b.Bytes()
}

// execReserved are the characters that make an argument of Exec quoted
// (Desktop Entry Specification 1.5, "The Exec key").
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

// QuoteExecArg returns arg as one argument of a Desktop Entry's Exec key:
// in double quotes when it holds a reserved character, with ", `, $ and \
// backslash-escaped inside them, and % doubled. The result is still to be
// escaped as a string value (escapeValue), which doubles its backslashes
// once more.
func QuoteExecArg(arg string) string {
	arg = strings.ReplaceAll(arg, "%", "%%")
	if arg != "" && !strings.ContainsAny(arg, execReserved) {
		return arg
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range arg {
		switch r {
		case '"', '`', '$', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// escapeValue escapes s as a Desktop Entry string value: backslash,
// newline, tab and carriage return as \\, \n, \t and \r, and a leading
// space as \s.
func escapeValue(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ' && i == 0:
			b.WriteString(`\s`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseEntry returns the keys of a Desktop Entry's [Desktop Entry] group
// with their raw values (no unescaping, no localized keys' locales
// matched: the keys read here are booleans).
func parseEntry(b []byte) map[string]string {
	keys := make(map[string]string)
	in := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#':
		case line[0] == '[':
			in = line == "[Desktop Entry]"
		case in:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			k = strings.TrimSpace(k)
			if _, dup := keys[k]; !dup {
				keys[k] = strings.TrimSpace(v)
			}
		}
	}
	return keys
}
