package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// TestSmokePlainAndStrangers runs the real binary against a Prosody that
// offers only PLAIN: it must refuse to send the password until the user
// allows PLAIN in the dialog that explains it, then sign in; a stranger's
// messages must then show as a message request in the main window (not a
// chat window), and the requests dialog must list them.
func TestSmokePlainAndStrangers(t *testing.T) {
	needDesktop(t)
	srv := prosodytest.StartWith(t, prosodytest.Options{
		Host: `disable_sasl_mechanisms = { "SCRAM-SHA-1", "SCRAM-SHA-256", "DIGEST-MD5" }`,
	})
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "mallory", "mallory-pw")
	aliceJID := "alice@" + srv.Domain
	acct := account.Account{JID: aliceJID, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}
	dir := passwordProfile(t, acct, "alice-pw")
	bin := buildApp(t)
	logs := startApp(t, bin, dir)
	wid := window(t, "Palaver")

	shot := waitForText(t, wid, "Password would be sent as is")
	if n := strings.Count(srv.Log(), "Authenticated as "+aliceJID); n != 0 {
		t.Fatalf("signed in %d times before PLAIN was allowed", n)
	}
	x, y := wordAt(t, shot, "Allow")
	xdo(t, "mousemove", "--window", wid, x, y, "click", "1")
	waitForText(t, wid, "Online as "+aliceJID)
	saved, err := account.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a := saved.Find(aliceJID); a == nil || !a.AllowPlain || a.SCRAMPinned {
		t.Errorf("saved account: %+v", a)
	}

	// Mallory, no contact of alice's, writes three times.
	mallory := app.New(account.Account{JID: "mallory@" + srv.Domain, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, AllowPlain: true},
		func(context.Context) (string, error) { return "mallory-pw", nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() { defer close(done); _ = mallory.Run(ctx) }()
	go func() {
		for range mallory.Events() {
		}
	}()
	for _, body := range []string{"hello there", "are you there?", "buy now"} {
		mallory.SendMessage(aliceJID, body)
	}
	shot = waitForText(t, wid, "1 message request")
	if out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "mallory").Output(); len(out) > 0 {
		t.Errorf("a window opened for the stranger")
	}
	x, y = wordAt(t, shot, "Show*")
	xdo(t, "mousemove", "--window", wid, x, y, "click", "1")
	waitForText(t, wid, "mallory@"+srv.Domain+" (3 messages)")
	checkLogs(t, logs)
}
