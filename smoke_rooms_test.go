package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// TestSmokeGroupChat: the real binary joins a room of the real Prosody's
// group chat service as a person does (Ctrl+J, the address, Enter), where
// bob (a real core) is already; bob's line shows in the room's window, and
// what alice types there reaches bob, signed with her nickname.
func TestSmokeGroupChat(t *testing.T) {
	needDesktop(t)
	srv := prosodytest.StartWith(t, prosodytest.Options{MUC: true})
	srv.Register(t, "alice", "alice-pw")
	srv.Register(t, "bob", "bob-pw")
	room := "tea@" + srv.MUCDomain
	acct := account.Account{JID: "alice@" + srv.Domain, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, RememberPassword: true}

	// Bob's core joins (creating the room) and reports what it hears.
	bobAcct := acct
	bobAcct.JID = "bob@" + srv.Domain
	bob := app.New(bobAcct, func(context.Context) (string, error) { return "bob-pw", nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = bob.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	joined := make(chan struct{})
	heard := make(chan app.RoomMessage, 16)
	entered := make(chan string, 4)
	go func() {
		once := false
		for batch := range bob.Events() {
			for _, e := range batch {
				switch e := e.(type) {
				case app.StateChanged:
					if e.State == app.Online && !once {
						bob.JoinRoom(room, "bob", "")
					}
				case app.RoomJoined:
					if !once {
						once = true
						close(joined)
					}
				case app.OccupantChanged:
					if !e.Left && !e.Self {
						entered <- e.Occupant.Nick
					}
				case app.RoomMessage:
					heard <- e
				}
			}
		}
	}()
	select {
	case <-joined:
	case <-time.After(20 * time.Second):
		t.Fatal("bob did not get into the room")
	}

	dir := passwordProfile(t, acct, "alice-pw")
	bin := buildApp(t)
	logs := startApp(t, bin, dir)
	wid := window(t, "Palaver")
	waitForText(t, wid, "Online as")
	xdo(t, "windowfocus", "--sync", wid)
	xdo(t, "key", "ctrl+j")
	time.Sleep(500 * time.Millisecond)
	xdo(t, "type", "--delay", "15", room)
	xdo(t, "key", "Return")
	select {
	case nick := <-entered:
		if nick != "alice" {
			t.Errorf("bob saw %q come in, want alice", nick)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("alice never entered the room (screenshot: %s)", keep(t, snap(t, wid)))
	}
	win := window(t, "tea")
	xdo(t, "windowmove", win, "430", "0")
	waitForText(t, win, "2 people")

	bob.SendRoomMessage(room, "Earl Grey for everyone")
	waitForText(t, win, "Earl Grey for everyone")

	xdo(t, "windowfocus", "--sync", win)
	time.Sleep(300 * time.Millisecond)
	xdo(t, "type", "--delay", "15", "milk please")
	xdo(t, "key", "Return")
	deadline := time.After(15 * time.Second)
	for {
		select {
		case m := <-heard:
			if m.Body == "milk please" {
				if m.Nick != "alice" || m.Outgoing {
					t.Errorf("bob heard %+v", m)
				}
				// The window shows it once it has drawn again.
				shot := waitForText(t, win, "milk please")
				if text := strings.Join(strings.Fields(ocr(t, shot)), " "); !strings.Contains(text, "Earl Grey for everyone") {
					t.Errorf("the room window lost bob's line; OCR read:\n%s (screenshot: %s)", text, keep(t, shot))
				}
				checkLogs(t, logs)
				return
			}
		case <-deadline:
			t.Fatalf("bob never heard what alice typed (screenshot: %s)", keep(t, snap(t, win)))
		}
	}
}
