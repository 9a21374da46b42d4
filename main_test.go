package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// TestSmokeBinaryShowsContactList builds the real binary, signs it in to a
// real Prosody with a prepared profile (settings file and a password in the
// real Secret Service), and reads its window with OCR: the contact list
// must show Bob, his group and his status.
//
// It needs an X display, xdotool, ImageMagick and tesseract; `make test`
// provides all of them (Xvfb, see .ci/with-services). Set
// PALAVER_UPDATE_SCREENSHOT=1 to refresh docs/screenshot.png.
func TestSmokeBinaryShowsContactList(t *testing.T) {
	for _, tool := range []string{"xdotool", "import", "tesseract"} {
		if _, err := exec.LookPath(tool); err != nil {
			need(t, tool+" is not installed")
		}
	}
	if os.Getenv("DISPLAY") == "" {
		need(t, "no X display")
	}
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	aliceJID := "alice@" + srv.Domain
	acct := account.Account{JID: aliceJID, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}

	// Alice and Bob become contacts through the real core; Bob stays online.
	bob := befriend(t, srv, acct)
	bob.SetPresence(im.Away, "Smoke testing")

	dir := t.TempDir()
	cfg := account.Config{Accounts: []account.Account{acct}}
	if err := cfg.Save(dir); err != nil {
		t.Fatal(err)
	}
	keys := account.Keychain{}
	if err := keys.SetPassword(aliceJID, "alice-pw"); err != nil {
		need(t, "no Secret Service keychain: "+err.Error())
	}
	t.Cleanup(func() { _ = keys.DeletePassword(aliceJID) })

	bin := filepath.Join(t.TempDir(), "palaver")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config-dir", dir)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("palaver output:\n%s", logs.String())
		}
	})

	wid := window(t, "Palaver")
	shot := filepath.Join(t.TempDir(), "palaver.png")
	var text string
	deadline := time.Now().Add(30 * time.Second)
	for {
		if out, err := exec.Command("import", "-window", wid, shot).CombinedOutput(); err != nil {
			t.Fatalf("screenshot: %v\n%s", err, out)
		}
		text = ocr(t, shot)
		if strings.Contains(text, "Bob") && strings.Contains(text, "Friends") && strings.Contains(text, "Smoke testing") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window never showed Bob in Friends with his status; OCR read:\n%s\n(screenshot kept at %s)", text, keep(t, shot))
		}
		time.Sleep(500 * time.Millisecond)
	}
	if strings.Contains(strings.ToLower(text), "error") {
		t.Errorf("the window shows an error; OCR read:\n%s", text)
	}
	if os.Getenv("PALAVER_UPDATE_SCREENSHOT") != "" {
		b, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(filepath.Join("docs", "screenshot.png"), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// need skips the test, or fails it in CI where everything must be there.
func need(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI must provide it: run `make test`)", why)
	}
	t.Skipf("%s: run `make test`", why)
}

// befriend makes alice and bob mutual contacts (Bob in Alice's group
// Friends) and returns Bob's running core.
func befriend(t *testing.T, srv *prosodytest.Server, alice account.Account) *app.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	aliceCore := app.New(alice, func(context.Context) (string, error) { return "alice-pw", nil })
	bobAcct := alice
	bobAcct.JID = "bob@" + srv.Domain
	bobCore := app.New(bobAcct, func(context.Context) (string, error) { return "bob-pw", nil })
	aliceDone, bobDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(aliceDone); _ = aliceCore.Run(ctx) }()
	go func() { defer close(bobDone); _ = bobCore.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-bobDone })

	both := make(chan struct{})
	go func() {
		for batch := range bobCore.Events() {
			for _, e := range batch {
				if r, ok := e.(app.SubscriptionRequest); ok {
					bobCore.Approve(r.From)
				}
			}
		}
	}()
	go func() {
		signaled := false
		for batch := range aliceCore.Events() {
			for _, e := range batch {
				switch e := e.(type) {
				case app.StateChanged:
					if e.State == app.Online {
						aliceCore.AddContact(bobAcct.JID, "Bob", []string{"Friends"})
					}
				case app.SubscriptionRequest:
					aliceCore.Approve(e.From)
				case app.ContactUpdated:
					if e.Contact.Subscription == "both" && !signaled {
						signaled = true
						close(both)
					}
				}
			}
		}
	}()
	select {
	case <-both:
	case <-time.After(20 * time.Second):
		t.Fatal("alice and bob did not become contacts")
	}
	// Alice's own core signs out; the binary takes over.
	aliceCore.Disconnect()
	time.Sleep(200 * time.Millisecond)
	return bobCore
}

// window waits for a visible window named name and returns its id.
func window(t *testing.T, name string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+name+"$").Output()
		if ids := strings.Fields(string(out)); err == nil && len(ids) > 0 {
			return ids[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no window named %q appeared", name)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// ocr reads the text in a screenshot, enlarged for small UI fonts.
func ocr(t *testing.T, png string) string {
	t.Helper()
	big := strings.TrimSuffix(png, ".png") + "-2x.png"
	if out, err := exec.Command("convert", png, "-resize", "200%", big).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v\n%s", err, out)
	}
	out, err := exec.Command("tesseract", big, "-").Output()
	if err != nil {
		t.Fatalf("tesseract: %v", err)
	}
	return string(out)
}

// keep copies a screenshot somewhere that outlives the test.
func keep(t *testing.T, png string) string {
	dst := filepath.Join(os.TempDir(), "palaver-smoke-"+time.Now().Format("150405")+".png")
	if b, err := os.ReadFile(png); err == nil {
		_ = os.WriteFile(dst, b, 0o644)
	}
	return dst
}
