package views

import (
	"image/color"
	"slices"

	"fyne.io/fyne/v2/lang"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// Presence colours are fixed rather than themed: users learn them across
// clients (green, amber, orange, red, grey) and they read on light and
// dark backgrounds alike.
var (
	colorAvailable = color.NRGBA{R: 0x2e, G: 0xb8, B: 0x4b, A: 0xff}
	colorAway      = color.NRGBA{R: 0xf5, G: 0xb8, B: 0x00, A: 0xff}
	colorXA        = color.NRGBA{R: 0xf0, G: 0x6e, B: 0x00, A: 0xff}
	colorDND       = color.NRGBA{R: 0xd9, G: 0x2d, B: 0x20, A: 0xff}
	colorOffline   = color.NRGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff}
)

// showColor returns the dot colour of a presence show.
func showColor(s im.Show) color.Color {
	switch s {
	case im.Chat, im.Available:
		return colorAvailable
	case im.Away:
		return colorAway
	case im.XA:
		return colorXA
	case im.DND:
		return colorDND
	default:
		return colorOffline
	}
}

// stateColor returns the dot colour of a connection state.
func stateColor(s app.ConnState) color.Color {
	switch s {
	case app.Online:
		return colorAvailable
	case app.Connecting, app.Waiting:
		return colorAway
	default:
		return colorOffline
	}
}

// ownShows are the choices of the own-presence selector, in menu order.
var ownShows = []im.Show{im.Available, im.Chat, im.Away, im.XA, im.DND, im.Offline}

// showLabel names a show in the selector; Offline doubles as invisible
// because the core signs out for it.
func showLabel(s im.Show) string {
	if s == im.Offline {
		return lang.L("Invisible / Offline")
	}
	return showText(s)
}

func showFromLabel(l string) (im.Show, bool) {
	for _, s := range ownShows {
		if showLabel(s) == l {
			return s, true
		}
	}
	return im.Available, false
}

// The own status is kept per account in the app's preferences, so that a
// restart comes back Away with its message (as Pidgin and Gajim do).
const (
	prefStatusShow = "status.show." // not translated: a preference key
	prefStatusText = "status.text." // not translated: a preference key
	// prefStatusOwn marks an account whose status the user set in the
	// Accounts window: the selector at the top leaves it alone.
	prefStatusOwn = "status.own." // not translated: a preference key
)

// ownStatus reports whether the account bare keeps a status of its own.
func (u *UI) ownStatus(bare string) bool {
	return u.app.Preferences().Bool(prefStatusOwn + bare)
}

// savedStatus returns the status kept for bare; Offline is not restored.
func (u *UI) savedStatus(bare string) (im.Show, string) {
	p := u.app.Preferences()
	show := im.Show(p.IntWithFallback(prefStatusShow+bare, int(im.Available)))
	if !slices.Contains(ownShows, show) || show == im.Offline {
		show = im.Available
	}
	return show, p.String(prefStatusText + bare)
}

// setOwnStatus gives the account of s a status of its own (own), or
// makes it follow the selector at the top again.
func (u *UI) setOwnStatus(s *session, own bool, show im.Show) {
	u.app.Preferences().SetBool(prefStatusOwn+s.acct.JID, own)
	text := u.statusEntry.Text
	if own {
		_, text = u.savedStatus(s.acct.JID)
	} else {
		show, _ = showFromLabel(u.showSelect.Selected)
	}
	s.core.SetPresence(show, text)
	u.saveStatus(s.acct.JID, show, text)
	u.refreshState()
}

// saveStatus keeps the status the user chose for jid.
func (u *UI) saveStatus(jid string, show im.Show, status string) {
	p := u.app.Preferences()
	p.SetInt(prefStatusShow+jid, int(show))
	p.SetString(prefStatusText+jid, status)
}

// restoreStatus puts the status kept for s's account back in the selector
// and tells the core, before it signs in. Offline is not restored: whoever
// starts Palaver means to be online; the message is.
func (u *UI) restoreStatus(s *session) {
	show, status := u.savedStatus(s.acct.JID)
	if u.ownStatus(s.acct.JID) {
		// Its own: the selector shows the others'.
		if show != im.Available || status != "" {
			s.core.SetPresence(show, status)
		}
		return
	}
	u.showSelect.Selected = showLabel(show)
	u.showSelect.Refresh()
	u.statusEntry.SetText(status)
	if show != im.Available || status != "" {
		s.core.SetPresence(show, status)
	}
}
