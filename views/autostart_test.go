package views

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
)

// fakeAutostart is an Autostart that keeps its state in memory, as the
// autostart file would, and records the calls.
type fakeAutostart struct {
	on, hidden bool
	fail       error // returned by Enable and Disable
	calls      []string
}

func (f *fakeAutostart) Enabled() (bool, error) { return f.on, nil }

func (f *fakeAutostart) Enable(hidden bool) error {
	if hidden {
		f.calls = append(f.calls, "enable hidden")
	} else {
		f.calls = append(f.calls, "enable")
	}
	if f.fail != nil {
		return f.fail
	}
	f.on, f.hidden = true, hidden
	return nil
}

func (f *fakeAutostart) Disable() error {
	f.calls = append(f.calls, "disable")
	if f.fail != nil {
		return f.fail
	}
	f.on = false
	return nil
}

// shownApp is a test app with a tray whose windows count how often they
// were shown.
type shownApp struct {
	trayTestApp
	wins []*shownWindow
}

type shownWindow struct {
	fyne.Window
	shown int
}

func (w *shownWindow) Show() { w.shown++; w.Window.Show() }

func (a *shownApp) NewWindow(title string) fyne.Window {
	w := &shownWindow{Window: a.trayTestApp.NewWindow(title)}
	a.wins = append(a.wins, w)
	return w
}

// newAutostartUI builds the views with the autostart as, a tray or not,
// and one account, on the app a.
func newAutostartUI(t *testing.T, a fyne.App, as Autostart, tray, hidden bool) *UI {
	t.Helper()
	return New(Options{
		App:       a,
		Dir:       t.TempDir(),
		Config:    &account.Config{Accounts: []account.Account{{JID: me, Disabled: true}}},
		Secrets:   &fakeSecrets{},
		Tray:      tray,
		Autostart: as,
		Hidden:    hidden,
	})
}

// accountMenuItem returns the Account menu's item labelled label, nil if
// none.
func accountMenuItem(u *UI, label string) *fyne.MenuItem {
	for _, m := range u.win.MainMenu().Items {
		if m.Label != "Account" {
			continue
		}
		for _, it := range m.Items {
			if it.Label == label {
				return it
			}
		}
	}
	return nil
}

func TestAutostartToggles(t *testing.T) {
	as := &fakeAutostart{}
	a := &trayTestApp{App: test.NewTempApp(t)}
	u := newAutostartUI(t, a, as, true, false)
	start := accountMenuItem(u, "Start Palaver when I log in")
	hidden := accountMenuItem(u, "Start hidden in the tray")
	if start == nil || hidden == nil {
		t.Fatal("the Account menu has no autostart items")
	}
	if start.Checked || hidden.Checked {
		t.Fatalf("checked at first: start %v, hidden %v", start.Checked, hidden.Checked)
	}
	// On: the entry is written, not hidden.
	start.Action()
	if !as.on || as.hidden || !start.Checked {
		t.Fatalf("after turning it on: on %v hidden %v checked %v", as.on, as.hidden, start.Checked)
	}
	// Start hidden: kept, and the entry rewritten with it.
	hidden.Action()
	if !hidden.Checked || !u.app.Preferences().Bool(prefStartHidden) || !as.hidden {
		t.Fatalf("after start hidden: checked %v pref %v entry hidden %v", hidden.Checked, u.app.Preferences().Bool(prefStartHidden), as.hidden)
	}
	// Off: the entry goes; start hidden stays chosen for the next time.
	start.Action()
	if as.on || start.Checked {
		t.Fatalf("after turning it off: on %v checked %v", as.on, start.Checked)
	}
	hidden.Action() // off, with no entry to rewrite
	hidden.Action() // on again
	start.Action()
	if want := []string{"enable", "enable hidden", "disable", "enable hidden"}; !slices.Equal(as.calls, want) {
		t.Errorf("calls %q, want %q", as.calls, want)
	}
}

func TestAutostartReadsTheSystem(t *testing.T) {
	// An entry there at start shows as on; one the user removed since,
	// as off after the next toggle reads it back.
	as := &fakeAutostart{on: true}
	u := newAutostartUI(t, test.NewTempApp(t), as, false, false)
	start := accountMenuItem(u, "Start Palaver when I log in")
	if start == nil || !start.Checked {
		t.Fatalf("an existing entry does not show as on: %+v", start)
	}
	if accountMenuItem(u, "Start hidden in the tray") != nil {
		t.Error("start hidden is offered without a tray")
	}
	as.on = false // the user removed the file
	start.Action()
	if start.Checked || len(as.calls) != 1 || as.calls[0] != "disable" {
		t.Fatalf("turning off a removed entry: checked %v, calls %q", start.Checked, as.calls)
	}
	// It fails: the menu shows what the system holds, the user is told.
	as.fail = errors.New("read-only file system")
	start.Action()
	if start.Checked {
		t.Error("a failed Enable shows as on")
	}
	if got := topDialogText(u); !containsAll(got, "could not set itself to start", "read-only file system") {
		t.Errorf("the error says %q", got)
	}
}

func TestAutostartMacOSNote(t *testing.T) {
	old := goos
	t.Cleanup(func() { goos = old })
	goos = "darwin"
	u := newAutostartUI(t, test.NewTempApp(t), nil, true, false)
	item := accountMenuItem(u, "Start Palaver when I log in…")
	if item == nil {
		t.Fatal("no login item note on macOS")
	}
	item.Action()
	if got := topDialogText(u); !containsAll(got, "System Settings", "Login Items") {
		t.Errorf("the note says %q", got)
	}
	goos = "linux"
	u = newAutostartUI(t, test.NewTempApp(t), nil, true, false)
	if accountMenuItem(u, "Start Palaver when I log in…") != nil || accountMenuItem(u, "Start Palaver when I log in") != nil {
		t.Error("autostart items without an Autostart outside macOS")
	}
}

func TestStartHidden(t *testing.T) {
	for _, c := range []struct {
		name             string
		tray, hidden     bool
		accounts, cfgErr bool
		wantShown        bool
	}{
		{"hidden with a tray", true, true, true, false, false},
		{"hidden without a tray", false, true, true, false, true},
		{"not hidden", true, false, true, false, true},
		{"hidden, no account yet", true, true, false, false, true},
		{"hidden, unreadable settings", true, true, true, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := &shownApp{trayTestApp: trayTestApp{App: test.NewTempApp(t)}}
			h := newHarnessWith(t, a, c.tray)
			h.ui.hidden = c.hidden
			if c.accounts {
				h.ui.cfg.Accounts = []account.Account{{JID: me}}
			}
			if c.cfgErr {
				h.ui.cfgErr = errors.New("accounts.json: unexpected end of JSON input")
			}
			h.ui.Show()
			w := h.ui.win.(*shownWindow)
			if got := w.shown > 0; got != c.wantShown {
				t.Fatalf("main window shown %v, want %v", got, c.wantShown)
			}
			if c.accounts && len(h.starts) != 1 {
				t.Errorf("%d accounts started, want 1 (hidden or not)", len(h.starts))
			}
			if !c.wantShown {
				// The tray brings it back.
				for _, it := range a.menu.Items {
					if it.Label == "Show Palaver" {
						it.Action()
					}
				}
				if w.shown != 1 {
					t.Errorf("Show Palaver in the tray showed the window %d times", w.shown)
				}
			}
		})
	}
}

// topDialogText returns the text of the labels in the main window's top
// overlay (a dialog), "" without one.
func topDialogText(u *UI) string {
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var parts []string
	walk(top, func(o fyne.CanvasObject) bool {
		switch w := o.(type) {
		case *widget.Label:
			parts = append(parts, w.Text)
		case *widget.RichText:
			parts = append(parts, w.String())
		}
		return true
	})
	return strings.Join(parts, "\n")
}

// TestHiddenWindowComesOutForAPassword: started hidden in the tray, a
// sign-in that needs the password brings the main window out, with the
// prompt on it; the window hidden again by closing it comes out again for
// the next prompt.
func TestHiddenWindowComesOutForAPassword(t *testing.T) {
	a := &shownApp{trayTestApp: trayTestApp{App: test.NewTempApp(t)}}
	h := newHarnessWith(t, a, true, account.Account{JID: me})
	h.ui.hidden = true
	h.ui.Show()
	w := h.ui.win.(*shownWindow)
	if w.shown != 0 {
		t.Fatalf("shown %d times at a hidden start", w.shown)
	}
	e := app.AuthFailed{Condition: app.ConditionNoPassword}
	e.Acct = me
	h.apply(e)
	if w.shown != 1 {
		t.Fatalf("the password prompt showed the main window %d times, want 1", w.shown)
	}
	if _, ok := find(h.overlay(), func(e *widget.Entry) bool { return e.Password }); !ok {
		t.Fatal("no password prompt on the main window")
	}
	test.Tap(button(t, h.overlay(), "Cancel"))
	h.ui.closeMain() // back to the tray
	h.apply(e)
	if w.shown != 2 {
		t.Fatalf("the second prompt showed the main window %d times in all, want 2", w.shown)
	}
	// A prompt still open when the window went to the tray: asked again,
	// it comes out again.
	h.ui.closeMain()
	h.apply(e)
	if w.shown != 3 {
		t.Fatalf("the open prompt asked again showed the main window %d times in all, want 3", w.shown)
	}
	// A dialog on a window in view does not show it again.
	test.Tap(button(t, h.overlay(), "Cancel"))
	h.apply(e)
	if w.shown != 3 {
		t.Fatalf("a prompt on a visible window showed it again (%d)", w.shown)
	}
}
