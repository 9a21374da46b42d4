package views

import (
	"sync/atomic"

	"fyne.io/fyne/v2"
)

// calmApp is the Fyne app with its animations turned off while the views
// say so (calm): Fyne asks Settings().ShowAnimations() before it blinks
// an entry's caret, ripples a tapped button or slides a select open, and
// has no other way to stop the caret. The views calm the app while the
// focused chat entry rests (see sendEntry, caretRest).
type calmApp struct {
	fyne.App
	settings *calmSettings
}

// Settings returns the app's settings, with ShowAnimations following calm.
func (a *calmApp) Settings() fyne.Settings { return a.settings }

type calmSettings struct {
	fyne.Settings
	calm atomic.Bool
}

// ShowAnimations reports false while the app is calm.
func (s *calmSettings) ShowAnimations() bool {
	return !s.calm.Load() && s.Settings.ShowAnimations()
}

// calmed wraps a and makes the wrapper the current app, so that widgets
// (which ask fyne.CurrentApp()) see it.
func calmed(a fyne.App) *calmApp {
	if c, ok := a.(*calmApp); ok {
		return c
	}
	c := &calmApp{App: a, settings: &calmSettings{Settings: a.Settings()}}
	if fyne.CurrentApp() == a {
		fyne.SetCurrentApp(c)
	}
	return c
}

// setCalm turns the app's animations off (on) or on again (off).
func (u *UI) setCalm(on bool) {
	if u.calm != nil {
		u.calm.settings.calm.Store(on)
	}
}
