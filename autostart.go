package main

import (
	"path/filepath"

	"github.com/palaver-im/palaver/internal/autostart"
	"github.com/palaver-im/palaver/views"
)

// loginStart returns what starts Palaver, the app id, at login with the
// profile directory dir (not named when it is the default one): nil where
// the system leaves that to the user (macOS's Login Items). There is one
// entry: the profile that turned it on last is the one started.
func loginStart(id, dir string, isDefault bool) views.Autostart {
	var args []string
	if !isDefault {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		args = []string{"--config-dir", dir}
	}
	l := autostart.New(id, "Palaver", "Chat with your contacts and in group chats over XMPP (Jabber)", args...)
	if l == nil {
		return nil
	}
	return l
}
