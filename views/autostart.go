package views

import (
	"errors"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
)

// Starting at login, and starting hidden in the tray: two Account menu
// toggles. Whether Palaver starts at login is what the system holds (the
// XDG autostart file, the Run key), read back, so that an entry the user
// removed shows as off; starting hidden is a preference that goes into
// that entry as --hidden.

// Autostart starts Palaver when the user logs in (main's
// internal/autostart: the XDG autostart file on Linux and the BSDs, the
// Run key on Windows).
type Autostart interface {
	// Enabled reports whether Palaver starts at login.
	Enabled() (bool, error)
	// Enable makes Palaver start at login, hidden in the tray when hidden.
	Enable(hidden bool) error
	// Disable stops Palaver from starting at login.
	Disable() error
}

// prefStartHidden is the preference: started at login, Palaver stays in
// the tray (--hidden).
const prefStartHidden = "autostart.hidden"

// goos is the system the views run on (tests pretend another).
var goos = runtime.GOOS

// startsHidden reports whether Show leaves the main window hidden: asked
// to (--hidden), with a tray to find Palaver in, and nothing the user has
// to see first (no account yet, settings that could not be read).
func (u *UI) startsHidden() bool {
	return u.hidden && u.tray != nil && u.cfgErr == nil && len(u.cfg.Accounts) > 0
}

// autostartItems are the Account menu's items for starting at login:
// the toggle and, with a tray, the one for starting hidden; on macOS one
// item that says where login items are set; none elsewhere without an
// Autostart.
func (u *UI) autostartItems() []*fyne.MenuItem {
	if u.autostart == nil {
		if goos != "darwin" {
			return nil
		}
		return []*fyne.MenuItem{fyne.NewMenuItem(lang.L("Start Palaver when I log in…"), func() {
			dialog.ShowInformation(lang.L("Start Palaver when you log in"),
				lang.L("On macOS, add Palaver in System Settings → General → Login Items. There you can also choose to start it hidden."), u.win)
		})}
	}
	start := fyne.NewMenuItem(lang.L("Start Palaver when I log in"), nil)
	start.Checked, _ = u.autostart.Enabled()
	start.Action = func() {
		// What the menu showed is what the user turns around; the
		// system is asked again after.
		want := !start.Checked
		var err error
		if want {
			err = u.autostart.Enable(u.app.Preferences().Bool(prefStartHidden))
		} else {
			err = u.autostart.Disable()
		}
		on, rerr := u.autostart.Enabled()
		if rerr != nil {
			on = want && err == nil
		}
		start.Checked = on
		u.refreshMainMenu()
		if err = errors.Join(err, rerr); err != nil {
			u.showAutostartError(want, err)
		}
	}
	items := []*fyne.MenuItem{start}
	if u.tray == nil {
		return items
	}
	hidden := fyne.NewMenuItem(lang.L("Start hidden in the tray"), nil)
	hidden.Checked = u.app.Preferences().Bool(prefStartHidden)
	hidden.Action = func() {
		on := !u.app.Preferences().Bool(prefStartHidden)
		u.app.Preferences().SetBool(prefStartHidden, on)
		hidden.Checked = on
		u.refreshMainMenu()
		// An entry already there starts Palaver as now chosen.
		if enabled, err := u.autostart.Enabled(); err == nil && enabled {
			if err := u.autostart.Enable(on); err != nil {
				u.showAutostartError(true, err)
			}
		}
	}
	return append(items, hidden)
}

// refreshMainMenu redraws the main menu after a toggle changed.
func (u *UI) refreshMainMenu() {
	if mm := u.win.MainMenu(); mm != nil {
		mm.Refresh()
	}
}

// showAutostartError says that turning starting at login on (or off)
// failed, and why.
func (u *UI) showAutostartError(on bool, err error) {
	msg := lang.L("Palaver could not set itself to start when you log in: {{.Error}}", map[string]any{"Error": errorText(err)})
	if !on {
		msg = lang.L("Palaver could not stop starting when you log in: {{.Error}}", map[string]any{"Error": errorText(err)})
	}
	dialog.ShowError(errors.New(msg), u.win)
}
