package views

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/palaver-im/palaver/app/im"
)

// The system tray (a status notifier): Palaver's icon with the number of
// unread messages, a menu to show the window, set the status of every
// account, and quit. While it is there, closing the main window hides it
// (a setting); without one, closing quits, or Palaver could not be found
// again.

// trayApp is the part of Fyne's desktop.App the tray needs.
type trayApp interface {
	SetSystemTrayMenu(*fyne.Menu)
	SetSystemTrayIcon(fyne.Resource)
}

// prefCloseToTray is the preference: closing the main window hides it in
// the tray (on by default while there is a tray).
const prefCloseToTray = "tray.closeHides"

// trayIconSize is the side of the tray icon drawn (trays scale it).
const trayIconSize = 64

// setUpTray puts Palaver in the system tray, if the app can and a tray
// is there (Options.Tray).
func (u *UI) setUpTray(a fyne.App, present bool) {
	t, ok := a.(trayApp)
	if !ok || !present {
		return
	}
	u.tray = t
	status := func(s im.Show) *fyne.MenuItem {
		return fyne.NewMenuItem(showLabel(s), func() {
			if u.showSelect == nil {
				return // clicked before the main window was built (startup.go)
			}
			u.showSelect.SetSelected(showLabel(s))
		})
	}
	u.trayMenu = fyne.NewMenu("Palaver", // not translated: the app's name
		fyne.NewMenuItem(lang.L("Show Palaver"), u.showWindow),
		fyne.NewMenuItemSeparator(),
		status(im.Available), status(im.Away), status(im.DND), status(im.Offline),
		fyne.NewMenuItemSeparator(),
		quitItem(u.Quit),
	)
	t.SetSystemTrayMenu(u.trayMenu)
	u.trayUnread = -1
	u.refreshTray()
}

// showWindow brings the main window back.
func (u *UI) showWindow() {
	u.mainHidden = false
	u.win.Show()
	u.win.RequestFocus()
}

// closeMain is what closing the main window does: hide it in the tray
// when there is one and the user keeps that setting, else quit.
func (u *UI) closeMain() {
	if u.tray != nil && u.app.Preferences().BoolWithFallback(prefCloseToTray, true) {
		u.win.Hide()
		u.mainHidden = true
		return
	}
	u.Quit()
}

// closeToTrayItem is the Account menu's toggle of prefCloseToTray, nil
// without a tray.
func (u *UI) closeToTrayItem() *fyne.MenuItem {
	if u.tray == nil {
		return nil
	}
	item := fyne.NewMenuItem(lang.L("Keep running in the tray when closed"), nil)
	item.Checked = u.app.Preferences().BoolWithFallback(prefCloseToTray, true)
	item.Action = func() {
		on := !u.app.Preferences().BoolWithFallback(prefCloseToTray, true)
		u.app.Preferences().SetBool(prefCloseToTray, on)
		item.Checked = on
		if mm := u.win.MainMenu(); mm != nil {
			mm.Refresh()
		}
	}
	return item
}

// refreshTray shows the number of unread messages of every account on
// the tray icon, when it changed.
func (u *UI) refreshTray() {
	if u.tray == nil {
		return
	}
	n := 0
	for _, s := range u.sessions {
		n += s.Roster.TotalUnread()
	}
	if n == u.trayUnread {
		return
	}
	u.trayUnread = n
	u.tray.SetSystemTrayIcon(trayIcon(u.icon, n))
}

// trayIcon returns the app's icon icon, with a red badge counting n
// unread messages when n > 0 ("99+" past 99).
func trayIcon(icon fyne.Resource, n int) fyne.Resource {
	if icon == nil {
		return nil
	}
	base, err := png.Decode(bytes.NewReader(icon.Content()))
	if err != nil {
		return icon
	}
	img := image.NewNRGBA(image.Rect(0, 0, trayIconSize, trayIconSize))
	xdraw.CatmullRom.Scale(img, img.Bounds(), base, base.Bounds(), xdraw.Over, nil)
	if n > 0 {
		text := strconv.Itoa(n)
		if n > 99 {
			text = "99+"
		}
		drawBadge(img, text)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return icon
	}
	return fyne.NewStaticResource("palaver-tray-"+strconv.Itoa(n)+".png", buf.Bytes())
}

// badgeRed is the badge's colour; white text on it has 5.9:1 contrast.
var badgeRed = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}

// drawBadge draws text in white on a red disc in img's top right corner,
// with Go's basic bitmap font scaled up.
func drawBadge(img *image.NRGBA, text string) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, text).Ceil()
	small := image.NewNRGBA(image.Rect(0, 0, w+4, 15))
	d := font.Drawer{Dst: small, Src: image.White, Face: face, Dot: fixed.P(2, 12)}
	d.DrawString(text)
	// The disc, then the text scaled to fill most of it.
	side := trayIconSize * 5 / 8
	r := image.Rect(trayIconSize-side, 0, trayIconSize, side)
	cx, cy, rad := (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2, side/2
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if dx, dy := x-cx, y-cy; dx*dx+dy*dy <= rad*rad {
				img.Set(x, y, badgeRed)
			}
		}
	}
	tw := side * 3 / 4
	th := tw * small.Bounds().Dy() / small.Bounds().Dx()
	if th > side*3/4 {
		th = side * 3 / 4
		tw = th * small.Bounds().Dx() / small.Bounds().Dy()
	}
	dst := image.Rect(cx-tw/2, cy-th/2, cx-tw/2+tw, cy-th/2+th)
	xdraw.NearestNeighbor.Scale(img, dst, small, small.Bounds(), draw.Over, nil)
}
