package main

import (
	"testing"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// TestSmokeGerman: the real binary started with LANGUAGE=de speaks German
// in its main window and in a chat that a message opens (issue 14).
func TestSmokeGerman(t *testing.T) {
	needDesktop(t)
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	aliceJID := "alice@" + srv.Domain
	acct := account.Account{JID: aliceJID, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}
	bob, _, _ := befriend(t, srv, acct)

	dir := passwordProfile(t, acct, "alice-pw")
	bin := buildApp(t)
	launch(t, bin, dir, "LANGUAGE=de")
	wid := window(t, "Palaver")
	waitForAll(t, wid, "the German contact list", "Bob", "Kontakte suchen", "Nachrichten suchen", "Statusnachricht")

	bob.SendMessage(aliceJID, "Hallo Alice")
	chat := window(t, "Bob")
	waitForAll(t, chat, "the German chat", "Hallo Alice", "Heute", "Profil", "Nachricht schreiben")
}
