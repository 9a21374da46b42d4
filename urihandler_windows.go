//go:build windows

package main

import (
	"log"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// uriClassKey is where Windows looks up the per-user handler of xmpp:
// links (HKEY_CURRENT_USER, no administrator rights needed).
const uriClassKey = `Software\Classes\xmpp`

// registerURIHandler makes this palaver.exe the handler of xmpp: links
// for the current user, when no handler is registered yet or the one
// registered is a Palaver (perhaps one moved since): another client the
// user chose keeps the links.
func registerURIHandler() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	if e, err := filepath.EvalSymlinks(exe); err == nil {
		exe = e
	}
	command := `"` + exe + `" "%1"`
	if k, err := registry.OpenKey(registry.CURRENT_USER, uriClassKey+`\shell\open\command`, registry.QUERY_VALUE); err == nil {
		old, _, err := k.GetStringValue("")
		_ = k.Close()
		if err == nil && (old == command || !strings.Contains(strings.ToLower(old), "palaver")) {
			return // ours already, or another client's
		}
	}
	for _, v := range []struct{ path, name, value string }{
		{uriClassKey, "", "URL:XMPP link"},
		{uriClassKey, "URL Protocol", ""},
		{uriClassKey + `\DefaultIcon`, "", `"` + exe + `",0`},
		{uriClassKey + `\shell\open\command`, "", command},
	} {
		k, _, err := registry.CreateKey(registry.CURRENT_USER, v.path, registry.SET_VALUE)
		if err == nil {
			err = k.SetStringValue(v.name, v.value)
			_ = k.Close()
		}
		if err != nil {
			log.Printf("palaver: registering as the handler of xmpp: links: %v", err)
			return
		}
	}
}
