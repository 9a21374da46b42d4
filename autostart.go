package main

import (
	"github.com/palaver-im/palaver/internal/autostart"
	"github.com/palaver-im/palaver/views"
)

// loginStart returns what starts Palaver, the app id, at login: nil where
// the system leaves that to the user (macOS's Login Items).
func loginStart(id string) views.Autostart {
	l := autostart.New(id, "Palaver", "Chat with your contacts and in group chats over XMPP (Jabber)")
	if l == nil {
		return nil
	}
	return l
}
