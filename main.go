// Command palaver is a desktop XMPP instant messenger.
//
// This file only wires the parts together: the settings (package account),
// the messenger core (package app) and the Fyne user interface (package
// views).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/assets"
	"github.com/palaver-im/palaver/internal/clipimage"
	"github.com/palaver-im/palaver/internal/instance"
	"github.com/palaver-im/palaver/views"
)

// shutdownWait is how long quitting waits for the accounts to sign out.
const shutdownWait = 3 * time.Second

// profileCPU writes a CPU profile of the run to the file PALAVER_CPUPROFILE
// names, when set, for measuring (docs/performance.md); it returns what
// ends it.
func profileCPU() (stop func()) {
	name := os.Getenv("PALAVER_CPUPROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		log.Printf("palaver: no CPU profile: %v", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// began is when main's package was initialised, about when the process
// started: the trace's start-up times count from here.
var began = time.Now()

// trace returns where UI timing goes: stderr when PALAVER_TRACE is set.
func trace() io.Writer {
	if os.Getenv("PALAVER_TRACE") != "" {
		return os.Stderr
	}
	return nil
}

func main() {
	dir := flag.String("config-dir", "", "profile `directory` for settings (default: the user config directory's palaver folder)")
	hidden := flag.Bool("hidden", false, "start with the main window hidden in the system tray (shown when there is no tray)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: %s [--config-dir directory] [--hidden] [xmpp:address[?action]]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	link, err := commandArg(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "palaver:", err)
		os.Exit(2)
	}
	defer profileCPU()()
	// The app first, so that the fonts load (WarmFonts) while the rest of
	// main runs and GLFW makes the window: on the UI goroutine, finding
	// and parsing them would hold the first frame back.
	a := fyneapp.NewWithID("im.palaver.palaver")
	a.SetIcon(assets.Icon)
	// Palaver's theme (readable secondary text, WCAG 2.1 AA, in both
	// variants), and its fonts loading on a goroutine of their own.
	fonts := views.WarmFonts(a)
	// The keychain keeps each profile's secrets apart; the default
	// profile's keep the names of earlier versions.
	keys := account.Keychain{}
	if *dir != "" && !sameDir(*dir, account.DefaultDir) {
		id, err := account.ProfileID(*dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "palaver:", err)
			os.Exit(2)
		}
		keys.Profile = id
	}
	if *dir == "" {
		d, err := account.DefaultDir()
		if err != nil {
			fmt.Fprintln(os.Stderr, "palaver:", err, "(use --config-dir)")
			os.Exit(2)
		}
		*dir = d
	}
	// One Palaver per profile: a second start hands its link (or "show
	// the window") to the first and ends (handover.go).
	handOvers := &mailbox{}
	inst, handed, err := instance.Claim(*dir, link, handOvers.deliver)
	switch {
	case handed:
		return
	case err != nil:
		log.Printf("palaver: starting without hand-overs from later starts: %v", err)
	default:
		if keys.Profile == "" {
			// The system's xmpp: links go to the default profile.
			registerURIHandler()
		}
	}
	cfg, cfgErr := account.Load(*dir)

	ctx, cancel := context.WithCancel(context.Background())
	var running sync.WaitGroup
	start := func(acct account.Account, creds views.Credentials) (views.Core, func()) {
		var c *app.Client
		if acct.UsesOAuth() {
			c = app.NewOAuth(acct, creds.Tokens)
		} else {
			c = app.New(acct, creds.Password)
		}
		c.SetDataDir(account.DataDir(*dir, acct.JID))
		cctx, stop := context.WithCancel(ctx)
		running.Go(func() {
			if err := c.Run(cctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Printf("palaver: account %s stopped: %v", acct.JID, err)
			}
		})
		return c, stop
	}

	var ui *views.UI
	ui = views.New(views.Options{
		App:       a,
		Dir:       *dir,
		Config:    cfg,
		ConfigErr: cfgErr,
		Secrets:   keys,
		Tokens:    keys,
		Start:     start,
		Trace:     trace(),
		Began:     began,
		OpenURL:   browserOpener(),
		Tray:      trayPresent(),
		Icon:      assets.Icon,
		Autostart: loginStart(a.UniqueID(), *dir, keys.Profile == ""),
		Hidden:    *hidden,
		// Pictures pasted into a chat (Fyne's clipboard is text only).
		PasteImage: clipimage.Read,
		// Fyne's loop runs on this goroutine (App.Run below).
		OnLoop: views.OnThisGoroutine(),
		Fonts:  fonts,
		// Each step short: the window first, then its content, then the
		// accounts, on Fyne's loop.
		InSteps: true,
		// Links wait until the views are built and the accounts started.
		OnStarted: func() {
			if link != "" {
				ui.OpenURI(link)
			}
			handOvers.attach(ui)
		},
	})
	ui.Show()

	// SIGINT and SIGTERM (a desktop session ending) quit like the menu
	// does, so that the accounts sign out properly. Fyne's driver also
	// quits on them (catchTerm), in either order: the views drop whatever
	// runs after its loop has ended (Options.OnLoop).
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		ui.QuitSoon()
	}()
	if w := trace(); w != nil {
		// All of main so far held the UI goroutine: nothing is drawn
		// before Fyne's loop runs.
		fmt.Fprintf(w, "palaver-trace: ran main until Fyne's loop in %d µs\n", time.Since(began).Microseconds())
	}
	a.Run()
	if inst != nil {
		// A start from here on is the first again.
		inst.Close()
	}

	// Give the accounts a moment to send unavailable presence and close
	// their streams.
	cancel()
	done := make(chan struct{})
	go func() {
		running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownWait):
	}
}

// sameDir reports whether dir is the folder def returns.
func sameDir(dir string, def func() (string, error)) bool {
	d, err := def()
	if err != nil {
		return false
	}
	a, errA := filepath.Abs(dir)
	b, errB := filepath.Abs(d)
	return errA == nil && errB == nil && filepath.Clean(a) == filepath.Clean(b)
}
