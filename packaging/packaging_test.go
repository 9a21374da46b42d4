package packaging

import (
	"encoding/xml"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const (
	desktopFile  = "im.palaver.palaver.desktop"
	metainfoFile = "im.palaver.palaver.metainfo.xml"
)

// need skips the test, or fails it in CI, where everything must be there.
func need(t *testing.T, tool, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (Debian package %s; CI must provide it: run `make test`)", tool, pkg)
	}
	t.Skipf("%s is not installed (Debian package %s): run `make test`", tool, pkg)
}

// validate runs a validator on file and fails with what it said.
func validate(t *testing.T, file string, cmd ...string) {
	t.Helper()
	out, err := exec.Command(cmd[0], append(cmd[1:], file)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", strings.Join(cmd, " "), file, err, out)
	}
	// desktop-file-validate exits 0 after warnings and hints.
	if s := strings.TrimSpace(string(out)); cmd[0] == "desktop-file-validate" && s != "" {
		t.Fatalf("desktop-file-validate %s:\n%s", file, s)
	}
}

// fyneApp is what FyneApp.toml says, by "key" (in [Details]) or
// "Section.key"; strings unquoted, lists as written.
func fyneApp(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string)
	section := ""
	line := regexp.MustCompile(`^\s*(\w+)\s*=\s*(.*?)\s*$`)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "["); ok {
			section = strings.TrimSuffix(s, "]")
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		k := m[1]
		if section != "Details" {
			k = section + "." + k
		}
		out[k] = strings.Trim(m[2], `"`)
	}
	return out
}

// desktopEntry is the [Desktop Entry] group of the .desktop file.
func desktopEntry(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(desktopFile)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string)
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			out[k] = v
		}
	}
	return out
}

// desktopList is a TOML list of strings as a .desktop file's list.
func desktopList(toml string) string {
	var items []string
	for _, s := range strings.Split(strings.Trim(toml, "[]"), ",") {
		items = append(items, strings.Trim(strings.TrimSpace(s), `"`))
	}
	return strings.Join(items, ";") + ";"
}

func TestDesktopFileValidates(t *testing.T) {
	need(t, "desktop-file-validate", "desktop-file-utils")
	validate(t, desktopFile, "desktop-file-validate")
}

// TestDesktopFileHandlesXMPPLinks checks what makes Palaver the handler
// of xmpp: links, and that the file agrees with FyneApp.toml (what fyne
// package would write, see make package-linux).
func TestDesktopFileHandlesXMPPLinks(t *testing.T) {
	d, app := desktopEntry(t), fyneApp(t)
	if !strings.Contains(";"+d["MimeType"], ";x-scheme-handler/xmpp;") {
		t.Errorf("MimeType=%s lacks x-scheme-handler/xmpp", d["MimeType"])
	}
	if d["Exec"] != "palaver %u" {
		t.Errorf("Exec=%s: the link must reach palaver as its argument (%%u)", d["Exec"])
	}
	for key, want := range map[string]string{
		"Name":        app["Name"],
		"Icon":        app["ID"], // fyne package installs the icon as <ID>.png
		"Exec":        "palaver" + app["LinuxAndBSD.ExecParams"],
		"GenericName": app["LinuxAndBSD.GenericName"],
		"Comment":     app["LinuxAndBSD.Comment"],
		"Categories":  desktopList(app["LinuxAndBSD.Categories"]),
		"Keywords":    desktopList(app["LinuxAndBSD.Keywords"]),
	} {
		if d[key] != want {
			t.Errorf("%s: %s=%q, FyneApp.toml says %q", desktopFile, key, d[key], want)
		}
	}
	if app["ID"]+".desktop" != desktopFile {
		t.Errorf("the .desktop file must be named after the app ID %s", app["ID"])
	}
}

func TestMetainfoValidates(t *testing.T) {
	need(t, "appstreamcli", "appstream")
	validate(t, metainfoFile, "appstreamcli", "validate", "--no-net")
}

// metainfo is the part of the metainfo file checked against the others.
type metainfo struct {
	ID         string `xml:"id"`
	Name       string `xml:"name"`
	Launchable string `xml:"launchable"`
	Provides   struct {
		Binaries   []string `xml:"binary"`
		MediaTypes []string `xml:"mediatype"`
	} `xml:"provides"`
	Releases []struct {
		Version string `xml:"version,attr"`
	} `xml:"releases>release"`
}

func TestMetainfoAgrees(t *testing.T) {
	b, err := os.ReadFile(metainfoFile)
	if err != nil {
		t.Fatal(err)
	}
	var m metainfo
	if err := xml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	app := fyneApp(t)
	if m.ID != app["ID"] || m.Name != app["Name"] || m.Launchable != desktopFile {
		t.Errorf("id %q, name %q, launchable %q; FyneApp.toml: ID %q, Name %q", m.ID, m.Name, m.Launchable, app["ID"], app["Name"])
	}
	if len(m.Releases) == 0 || m.Releases[0].Version != app["Version"] {
		t.Errorf("the newest release must be FyneApp.toml's Version %s: %+v", app["Version"], m.Releases)
	}
	if strings.Join(m.Provides.MediaTypes, " ") != "x-scheme-handler/xmpp" || strings.Join(m.Provides.Binaries, " ") != "palaver" {
		t.Errorf("provides %+v", m.Provides)
	}
}
