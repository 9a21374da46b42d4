//go:build linux || freebsd || openbsd || netbsd || dragonfly

package autostart

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

const testID = "im.palaver.palaver"

// newTestXDG returns an XDG autostart under a temporary XDG_CONFIG_HOME,
// running exe, and the file's path.
func newTestXDG(t *testing.T, exe string) (*XDG, string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	x := &XDG{ID: testID, Name: "Palaver", Comment: "Chat over XMPP", Exe: exe}
	return x, filepath.Join(home, "autostart", testID+".desktop")
}

// validateDesktopFile runs desktop-file-validate on file. The tool
// missing skips the test, or fails it in CI (make deps installs it:
// Makefile TEST_PKGS).
func validateDesktopFile(t *testing.T, file string) {
	t.Helper()
	if _, err := exec.LookPath("desktop-file-validate"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("desktop-file-validate is not installed (Debian package desktop-file-utils; CI must provide it: run `make test`)")
		}
		t.Skip("desktop-file-validate is not installed (Debian package desktop-file-utils)")
	}
	out, err := exec.Command("desktop-file-validate", file).CombinedOutput()
	// It exits 0 after warnings and hints: any output fails.
	if s := strings.TrimSpace(string(out)); err != nil || s != "" {
		t.Fatalf("desktop-file-validate %s: %v\n%s", file, err, s)
	}
}

func TestXDGEnableWritesTheEntry(t *testing.T) {
	for _, hidden := range []bool{false, true} {
		x, path := newTestXDG(t, "/opt/palaver/palaver")
		if err := x.Enable(hidden); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("hidden=%v: no autostart file: %v", hidden, err)
		}
		if !strings.HasPrefix(string(b), "[Desktop Entry]\n") {
			t.Errorf("hidden=%v: the file does not start with its group:\n%s", hidden, b)
		}
		exec := "/opt/palaver/palaver"
		if hidden {
			exec += " --hidden"
		}
		want := map[string]string{
			"Type":                      "Application",
			"Name":                      "Palaver",
			"Comment":                   "Chat over XMPP",
			"Exec":                      exec,
			"Icon":                      testID,
			"Terminal":                  "false",
			"X-GNOME-Autostart-enabled": "true",
			"Hidden":                    "false",
		}
		got := parseEntry(b)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("hidden=%v: %s=%q, want %q", hidden, k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("hidden=%v: keys %v, want exactly %v", hidden, got, want)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("hidden=%v: mode %v (%v), want 0644", hidden, fi.Mode(), err)
		}
		validateDesktopFile(t, path)
		if on, err := x.Enabled(); err != nil || !on {
			t.Errorf("hidden=%v: Enabled after Enable = %v, %v", hidden, on, err)
		}
	}
}

func TestXDGExecQuotesAnAwkwardPath(t *testing.T) {
	dir := "/home/Jo Ann/My \"Apps\" $HOME `x` 100% back\\slash & (1); it's #1 ~ <a|b> *?"
	x, path := newTestXDG(t, dir+"/palaver")
	x.Args = []string{"--config-dir", "/home/Jo Ann/work profile"}
	if err := x.Enable(true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The string value: backslashes doubled once for the quoting and
	// once more for the value: the spec's "\\\\" for a backslash and
	// "\\$" for a dollar sign in a quoted argument.
	want := `"/home/Jo Ann/My \\"Apps\\" \\$HOME \\` + "`x\\\\`" + ` 100%% back\\\\slash & (1); it's #1 ~ <a|b> *?/palaver" --config-dir "/home/Jo Ann/work profile" --hidden`
	if got := parseEntry(b)["Exec"]; got != want {
		t.Errorf("Exec=%s\nwant %s", got, want)
	}
	// A reader following the spec gets the path back as one argument.
	args, err := splitExec(unescapeValue(parseEntry(b)["Exec"]))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{dir + "/palaver", "--config-dir", "/home/Jo Ann/work profile", "--hidden"}; !slices.Equal(args, want) {
		t.Errorf("the Exec line reads back as %q", args)
	}
	validateDesktopFile(t, path)
}

func TestXDGDisableRemovesTheFile(t *testing.T) {
	x, path := newTestXDG(t, "/usr/bin/palaver")
	// Off before anything was written, and turning it off then is fine.
	if on, err := x.Enabled(); err != nil || on {
		t.Fatalf("Enabled with no file = %v, %v", on, err)
	}
	if err := x.Disable(); err != nil {
		t.Fatalf("Disable with no file: %v", err)
	}
	if err := x.Enable(false); err != nil {
		t.Fatal(err)
	}
	if err := x.Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the file is still there after Disable: %v", err)
	}
	if on, err := x.Enabled(); err != nil || on {
		t.Fatalf("Enabled after Disable = %v, %v", on, err)
	}
	// Nothing else is left in the folder (no temporary file).
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 0 {
		t.Errorf("left in the autostart folder: %v", ents)
	}
}

func TestXDGEnabledReadsTheFile(t *testing.T) {
	x, path := newTestXDG(t, "/usr/bin/palaver")
	if err := x.Enable(false); err != nil {
		t.Fatal(err)
	}
	// The user removed it (a file manager, a session settings tool).
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if on, err := x.Enabled(); err != nil || on {
		t.Fatalf("Enabled after the user removed the file = %v, %v", on, err)
	}
	for _, c := range []struct {
		body string
		on   bool
	}{
		{"[Desktop Entry]\nType=Application\nExec=palaver\n", true},
		{"[Desktop Entry]\nExec=palaver\nHidden=true\n", false},
		{"[Desktop Entry]\nExec=palaver\nX-GNOME-Autostart-enabled=false\n", false},
		{"[Desktop Entry]\nExec=palaver\nX-GNOME-Autostart-enabled = true\nHidden = false\n", true},
		// Keys of another group do not count.
		{"[Desktop Entry]\nExec=palaver\n[Desktop Action x]\nHidden=true\n", true},
	} {
		if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		if on, err := x.Enabled(); err != nil || on != c.on {
			t.Errorf("Enabled(%q) = %v, %v; want %v", c.body, on, err, c.on)
		}
	}
}

func TestXDGConfigHome(t *testing.T) {
	t.Setenv("HOME", "/home/jo")
	x := &XDG{ID: testID}
	for env, want := range map[string]string{
		"":                    "/home/jo/.config/autostart/" + testID + ".desktop",
		"relative/ignored":    "/home/jo/.config/autostart/" + testID + ".desktop",
		"/tmp/cfg":            "/tmp/cfg/autostart/" + testID + ".desktop",
		"/tmp/with space/cfg": "/tmp/with space/cfg/autostart/" + testID + ".desktop",
	} {
		t.Setenv("XDG_CONFIG_HOME", env)
		if p, err := x.Path(); err != nil || p != want {
			t.Errorf("XDG_CONFIG_HOME=%q: Path = %q, %v; want %q", env, p, err, want)
		}
	}
}

func TestXDGEnableRefusesARelativeExe(t *testing.T) {
	x, path := newTestXDG(t, "bin/palaver")
	if err := x.Enable(false); err == nil {
		t.Fatal("a relative executable was written")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a file was written: %v", err)
	}
}

func TestXDGEnableRunsThisExecutable(t *testing.T) {
	x, path := newTestXDG(t, "")
	if err := x.Enable(false); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	self, _ := os.Executable()
	args, err := splitExec(unescapeValue(parseEntry(b)["Exec"]))
	if err != nil || len(args) != 1 || args[0] != self {
		t.Fatalf("Exec reads %q (%v), want %q", args, err, self)
	}
}

// unescapeValue undoes escapeValue: a Desktop Entry string value's escapes.
func unescapeValue(s string) string {
	r := strings.NewReplacer(`\\`, `\`, `\s`, " ", `\n`, "\n", `\t`, "\t", `\r`, "\r")
	return r.Replace(s)
}

// splitExec splits an unescaped Exec value into its arguments as the
// Desktop Entry Specification says, independently of QuoteExecArg: words
// apart by spaces, a double-quoted argument with \", \`, \$ and \\
// escaped, %% a literal %.
func splitExec(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\':
			if i+1 >= len(s) || !strings.ContainsRune("\"`$\\", rune(s[i+1])) {
				return nil, errBad("a stray backslash")
			}
			i++
			cur.WriteByte(s[i])
		case quoted && c == '"':
			quoted = false
		case c == '%':
			if i+1 >= len(s) || s[i+1] != '%' {
				return nil, errBad("a field code")
			}
			i++
			cur.WriteByte('%')
			inArg = true
		case quoted:
			cur.WriteByte(c)
		case c == '"':
			if inArg {
				return nil, errBad("a quote inside a word")
			}
			quoted, inArg = true, true
		case c == ' ':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		case strings.IndexByte(execReserved, c) >= 0:
			return nil, errBad("a reserved character unquoted")
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if quoted {
		return nil, errBad("an open quote")
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}

type errBad string

func (e errBad) Error() string { return "bad Exec: " + string(e) }

func FuzzQuoteExecArg(f *testing.F) {
	for _, s := range []string{"/usr/bin/palaver", "/a b/c", `/x"y$z` + "`" + `\w`, "/100%", "", " lead", "/tab\there", "/new\nline", "/ä ö/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if !utf8.ValidString(arg) || strings.ContainsRune(arg, 0) {
			return // not a path a Desktop Entry can hold
		}
		value := escapeValue(QuoteExecArg(arg) + " " + HiddenFlag)
		if strings.ContainsAny(value, "\n\r") {
			t.Fatalf("the value of %q spans lines: %q", arg, value)
		}
		args, err := splitExec(unescapeValue(value))
		if err != nil {
			t.Fatalf("%q quoted as %q: %v", arg, value, err)
		}
		if len(args) != 2 || args[0] != arg || args[1] != HiddenFlag {
			t.Fatalf("%q quoted as %q reads back as %q", arg, value, args)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	f.Add([]byte("[Desktop Entry]\nHidden=true\n"))
	f.Add([]byte("# c\n[Desktop Entry]\nExec=a=b\n\n[X]\nHidden=true"))
	f.Add([]byte("[Desktop Entry\n=\nk"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys := parseEntry(b)
		for k, v := range keys {
			if strings.ContainsAny(k, "\n=") || strings.Contains(v, "\n") {
				t.Fatalf("key %q value %q from %q", k, v, b)
			}
		}
	})
}
