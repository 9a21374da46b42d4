package views

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/palaver-im/palaver/app"
)

// applyProfile applies a profile or avatar event; it runs on the UI
// goroutine, inside session.apply.
func (s *session) applyProfile(ev app.Event) {}

// showProfile opens the profile card of jid (a bare JID; the account's own
// JID opens the user's own profile).
func (s *session) showProfile(jid string) {}

// newAvatar returns jid's picture, side×side, which follows AvatarChanged
// events; a generated initial-letter picture when there is none.
func (s *session) newAvatar(jid string, side float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSquareSize(side))
	return r
}
