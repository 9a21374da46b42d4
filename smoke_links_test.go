package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/prosodytest"
	"github.com/palaver-im/palaver/internal/instance"
)

// TestSmokeSecondStartHandsOverALink runs the real binary signed in to a
// real Prosody, then starts it a second time on the same profile with an
// xmpp: link, as a desktop does when the user clicks one: the second start
// must exit 0 within a second, leaving one main window, and the first must
// open the chat with Bob with the link's text in the entry, unsent (Bob,
// a real core, gets nothing). A start with no link only brings the window
// up and exits too.
//
// The body is longer than "hi" and percent-encoded: OCR reads a phrase
// more surely than two letters, and the spaces check the decoding.
func TestSmokeSecondStartHandsOverALink(t *testing.T) {
	needDesktop(t)
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	acct := account.Account{JID: "alice@" + srv.Domain, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}
	_, bobGot, _ := befriend(t, srv, acct)
	dir := passwordProfile(t, acct, "alice-pw")
	bin := buildApp(t)

	first := launch(t, bin, dir)
	wid := window(t, "Palaver")
	waitForAll(t, wid, "the contact list", "Bob") // signed in

	// again runs a second start with args and checks that it handed over
	// and exited 0 within a second.
	again := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--config-dir", dir}, args...)...)
		// A -race binary sleeps a second before it exits (the race
		// runtime's atexit_sleep_ms, for reports of other threads): not
		// Palaver's time.
		cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LANGUAGE=en", "GORACE=atexit_sleep_ms=0")
		began := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(began)
		if err != nil {
			t.Fatalf("the second start %q: %v\n%s", args, err, out)
		}
		t.Logf("the second start %q exited 0 after %v", args, took)
		if took > time.Second {
			t.Errorf("the second start %q took %v to hand over", args, took)
		}
	}
	mark := time.Now()
	again("xmpp:bob@" + srv.Domain + "?message;body=hello%20from%20a%20link")
	chat := window(t, "Bob")
	t.Logf("%v: the chat with Bob is open", time.Since(mark))
	xdo(t, "windowmove", chat, "430", "0")
	waitForAll(t, chat, "the chat the link opened", "hello from a link")
	again()
	mains, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Palaver$").Output()
	if ids := strings.Fields(string(mains)); err != nil || len(ids) != 1 {
		t.Errorf("main windows after the second starts: %q (%v)", ids, err)
	}
	// Nothing was sent: the link only filled in the entry.
	quiet := time.After(2 * time.Second)
	for waiting := true; waiting; {
		select {
		case body := <-bobGot:
			if body != "" {
				t.Errorf("following the link sent %q to Bob", body)
			}
		case <-quiet:
			waiting = false
		}
	}
	if err := first.quit(); err != nil {
		t.Errorf("palaver did not quit cleanly: %v", err)
	}
	checkLogs(t, first.logs)
	if _, err := os.Stat(dir + "/" + instance.FileName); !os.IsNotExist(err) {
		t.Errorf("the instance file outlives the app: %v", err)
	}
}
