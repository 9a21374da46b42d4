package views

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/palaver-im/palaver/account"
)

// stepsUI builds views that start in steps (Options.InSteps), as main
// does, with the fonts warmed (WarmFonts), a tracing writer, and a
// UI goroutine the test runs by hand: do queues, after is kept.
type stepsUI struct {
	u       *UI
	queue   chan func()
	later   []func()
	trace   *bytes.Buffer
	starts  int
	started int // calls of Options.OnStarted
}

func newStepsUI(t *testing.T, accounts ...account.Account) *stepsUI {
	t.Helper()
	a := test.NewTempApp(t)
	s := &stepsUI{queue: make(chan func(), 16), trace: &bytes.Buffer{}}
	fonts := WarmFonts(a)
	s.u = New(Options{
		App: a, Dir: t.TempDir(), Config: &account.Config{Accounts: accounts},
		Secrets: &fakeSecrets{}, Trace: s.trace, Began: time.Now(),
		Fonts: fonts, InSteps: true, OnStarted: func() { s.started++ },
		Start: func(account.Account, Credentials) (Core, func()) {
			s.starts++
			return &fakeCore{}, func() {}
		},
	})
	s.u.do = func(f func()) { s.queue <- f }
	s.u.after = func(_ time.Duration, f func()) { s.later = append(s.later, f) }
	t.Cleanup(s.u.stopSessions)
	return s
}

// next runs the next function handed to the UI goroutine.
func (s *stepsUI) next(t *testing.T) {
	t.Helper()
	select {
	case f := <-s.queue:
		f()
	default:
		t.Fatal("nothing was handed to the UI goroutine")
	}
}

// TestStartInSteps follows Show's steps with Options.InSteps: nothing is
// built before Fyne's loop runs; the first step shows the window, the
// second builds its content; the accounts start only once a frame has
// drawn it, and then Options.OnStarted runs, once.
func TestStartInSteps(t *testing.T) {
	s := newStepsUI(t, account.Account{JID: me})
	s.u.Show()
	if s.u.contacts != nil || s.starts != 0 {
		t.Fatal("Show built the window or started the account before Fyne's loop runs")
	}
	// The app's OnStarted: what Fyne's loop runs first.
	s.u.showStep()
	if s.u.contacts != nil {
		t.Fatal("the window's content was built with the window")
	}
	s.next(t) // buildStep
	if s.u.contacts == nil || s.u.win.MainMenu() == nil {
		t.Fatal("the second step built no content or menus")
	}
	if s.starts != 0 || s.started != 0 {
		t.Fatal("the account started before a frame drew the window")
	}
	// A frame draws the window: the probe hands the last step over.
	s.u.win.Canvas().Capture()
	s.next(t) // startStep
	if s.starts != 1 || s.started != 1 || len(s.u.sessions) != 1 {
		t.Fatalf("after the first frame: %d starts, OnStarted %d times, %d sessions; want 1, 1, 1", s.starts, s.started, len(s.u.sessions))
	}
	// The fallback for a frame that never comes does nothing now, nor
	// does a later frame.
	for _, f := range s.later {
		f()
	}
	s.u.win.Canvas().Capture()
	if len(s.queue) != 0 || s.starts != 1 || s.started != 1 {
		t.Errorf("the accounts started again: %d starts, OnStarted %d times, %d queued", s.starts, s.started, len(s.queue))
	}
	for _, step := range []string{"showed the main window in ", "built the main window in ", "painted the main window", "started the accounts in "} {
		if !strings.Contains(s.trace.String(), "palaver-trace: "+step) {
			t.Errorf("the trace lacks %q:\n%s", step, s.trace)
		}
	}
}

// TestStartInStepsNoFrame: should no frame draw the window, the accounts
// start a second after it was built anyway (the timer Options.InSteps
// sets); the first-run dialog opens when there is no account.
func TestStartInStepsNoFrame(t *testing.T) {
	s := newStepsUI(t)
	s.u.Show()
	s.u.showStep()
	s.next(t) // buildStep
	if s.started != 0 || len(s.later) != 1 {
		t.Fatalf("OnStarted ran %d times, %d timers; want 0, 1", s.started, len(s.later))
	}
	s.later[0]()
	if s.started != 1 || s.u.accountOpen == nil {
		t.Errorf("OnStarted ran %d times, account dialog %v; want 1 and the dialog", s.started, s.u.accountOpen)
	}
}

// TestStartInStepsHidden: a start hidden in the tray (--hidden) shows no
// window and so waits for no frame: the accounts start right after the
// content is built.
func TestStartInStepsHidden(t *testing.T) {
	a := &trayTestApp{App: test.NewTempApp(t)}
	fonts := WarmFonts(a)
	started := 0
	u := New(Options{
		App: a, Dir: t.TempDir(), Config: &account.Config{Accounts: []account.Account{{JID: me}}},
		Secrets: &fakeSecrets{}, Tray: true, Hidden: true, Fonts: fonts, InSteps: true,
		OnStarted: func() { started++ },
		Start:     func(account.Account, Credentials) (Core, func()) { return &fakeCore{}, func() {} },
	})
	queue := make(chan func(), 16)
	u.do = func(f func()) { queue <- f }
	u.after = func(time.Duration, func()) { t.Error("a hidden start waits for a frame") }
	t.Cleanup(u.stopSessions)
	u.Show()
	u.showStep()
	(<-queue)() // buildStep
	(<-queue)() // startStep
	if !u.mainHidden || started != 1 || len(u.sessions) != 1 {
		t.Errorf("hidden %v, OnStarted %d times, %d sessions; want true, 1, 1", u.mainHidden, started, len(u.sessions))
	}
}

// TestTrayBeforeTheWindowIsBuilt: the tray's menu is there from New on,
// before the main window's content is built (it must be set up before
// Fyne's loop runs); choosing a status in it that early does nothing,
// and once the content is built it sets the status.
func TestTrayBeforeTheWindowIsBuilt(t *testing.T) {
	a := &trayTestApp{App: test.NewTempApp(t)}
	var queue []func()
	u := New(Options{App: a, Dir: t.TempDir(), Config: &account.Config{}, Secrets: &fakeSecrets{},
		Tray: true, InSteps: true, Fonts: WarmFonts(a)})
	u.do = func(f func()) { queue = append(queue, f) }
	u.after = func(time.Duration, func()) {}
	away := func() *fyne.MenuItem {
		for _, it := range a.menu.Items {
			if it.Label == "Away" {
				return it
			}
		}
		t.Fatal("the tray menu has no Away")
		return nil
	}
	away().Action() // before the content: nothing to set yet
	u.Show()
	u.showStep()
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		f()
	}
	if u.showSelect == nil {
		t.Fatal("the steps built no status selector")
	}
	away().Action()
	if got := u.showSelect.Selected; got != "Away" {
		t.Errorf("after choosing Away in the tray the status reads %q", got)
	}
}
