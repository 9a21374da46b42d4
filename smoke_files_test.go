package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// TestSmokeSharedPicture: bob (a real core) sends alice a picture through
// the real Prosody's upload service (http_file_share); the real binary,
// signed in as alice, opens the chat and shows the picture's preview
// under the message, fetched over https from the upload service because
// bob is a contact.
func TestSmokeSharedPicture(t *testing.T) {
	needDesktop(t)
	srv := prosodytest.StartWith(t, prosodytest.Options{Upload: true})
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	aliceJID := "alice@" + srv.Domain
	acct := account.Account{JID: aliceJID, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}
	bob, _, _ := befriend(t, srv, acct)

	// A picture no chat window could show by accident: orange all over.
	orange := color.NRGBA{R: 0xf0, G: 0x80, B: 0x10, A: 0xff}
	img := image.NewNRGBA(image.Rect(0, 0, 600, 400))
	for y := range 400 {
		for x := range 600 {
			img.Set(x, y, orange)
		}
	}
	pic := filepath.Join(t.TempDir(), "sunset.png")
	f, err := os.Create(pic)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()

	dir := passwordProfile(t, acct, "alice-pw")
	bin := buildApp(t)
	launch(t, bin, dir)
	wid := window(t, "Palaver")
	waitForAll(t, wid, "the contact list", "Bob")

	// Bob's message opens alice's chat by itself; then the picture.
	bob.SendMessage(aliceJID, "a picture for you")
	chat := window(t, "Bob")
	waitForAll(t, chat, "the chat", "a picture for you")
	bob.SendFile(aliceJID, pic, app.FileOptions{})

	deadline := time.Now().Add(30 * time.Second)
	for {
		shot := snap(t, chat)
		n := pixelsNear(t, shot, orange)
		// The preview is 360×240; most of it must be on screen.
		if n > 300*200 {
			text := ocr(t, shot)
			if !strings.Contains(text, "file_share") {
				t.Errorf("the picture's message does not show its address; OCR read:\n%s", text)
			}
			t.Logf("preview shown: %d orange pixels (screenshot %s)", n, keep(t, shot))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no preview of bob's picture: %d orange pixels; OCR read:\n%s\n(screenshot: %s)", n, ocr(t, shot), keep(t, shot))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// pixelsNear counts the pixels of the PNG file p within a small distance
// of c.
func pixelsNear(t *testing.T, p string, c color.NRGBA) int {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b uint32) bool { d := int(a>>8) - int(b); return d > -12 && d < 12 }
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if near(r, uint32(c.R)) && near(g, uint32(c.G)) && near(bb, uint32(c.B)) {
				n++
			}
		}
	}
	return n
}

// TestSmokePastePicture: a picture on the X clipboard (xclip, as a
// screenshot tool leaves it) pasted with Ctrl+V into alice's chat with
// Bob is offered for sending, and after Send reaches Bob as the URL of an
// upload to the real Prosody.
func TestSmokePastePicture(t *testing.T) {
	needDesktop(t)
	srv := prosodytest.StartWith(t, prosodytest.Options{Upload: true})
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	aliceJID := "alice@" + srv.Domain
	acct := account.Account{JID: aliceJID, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}
	bob, bobGot, _ := befriend(t, srv, acct)

	img := image.NewNRGBA(image.Rect(0, 0, 200, 120))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	pic := filepath.Join(t.TempDir(), "shot.png")
	f, err := os.Create(pic)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// xclip serves the clipboard until it is killed (-quiet: in the
	// foreground), as a screenshot tool would.
	clip := exec.Command("xclip", "-quiet", "-selection", "clipboard", "-t", "image/png", "-i", pic)
	if err := clip.Start(); err != nil {
		t.Fatalf("xclip: %v", err)
	}
	t.Cleanup(func() { clip.Process.Kill(); clip.Wait() })

	dir := passwordProfile(t, acct, "alice-pw")
	bin := buildApp(t)
	launch(t, bin, dir)
	wid := window(t, "Palaver")
	waitForAll(t, wid, "the contact list", "Bob")
	bob.SendMessage(aliceJID, "paste me something")
	chat := window(t, "Bob")
	waitForAll(t, chat, "the chat", "paste me something")

	xdo(t, "windowfocus", "--sync", chat)
	time.Sleep(300 * time.Millisecond)
	xdo(t, "key", "ctrl+v")
	waitForAll(t, chat, "the confirmation", "Send a file", "clipboard")
	// As a keyboard user would: Tab through the check and Cancel to Send.
	xdo(t, "key", "Tab", "Tab", "Tab", "space")
	deadline := time.After(30 * time.Second)
	for {
		select {
		case body := <-bobGot:
			if strings.HasPrefix(body, "https://") && strings.Contains(body, "clipboard-") && strings.HasSuffix(body, ".png") {
				t.Logf("bob got %s", body)
				return
			}
		case <-deadline:
			t.Fatalf("bob got no pasted picture; the chat shows:\n%s", ocr(t, snap(t, chat)))
		}
	}
}
