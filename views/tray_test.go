package views

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/assets"
)

// trayTestApp is the test app with a system tray that records its icon
// and menu.
type trayTestApp struct {
	fyne.App
	menu  *fyne.Menu
	icons []fyne.Resource
}

func (a *trayTestApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m }
func (a *trayTestApp) SetSystemTrayIcon(r fyne.Resource) { a.icons = append(a.icons, r) }

// pngOf returns a PNG of a grey square of side n.
func pngOf(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{Y: 0x80}), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTray(t *testing.T) {
	a := &trayTestApp{App: test.NewTempApp(t)}
	h := newHarnessWith(t, a, true, account.Account{JID: me})
	h.ui.icon = fyne.NewStaticResource("icon.png", pngOf(t, 32))
	h.ui.Show()
	h.apply(stateEv(app.Online), resetEv(contact("ann@example.org", "Ann")), presenceEv("ann@example.org", im.Available, ""))
	if a.menu == nil || len(a.icons) == 0 {
		t.Fatal("no tray menu or icon")
	}
	labels := map[string]*fyne.MenuItem{}
	for _, it := range a.menu.Items {
		labels[it.Label] = it
	}
	for _, l := range []string{"Show Palaver", "Away", "Do not disturb", "Quit"} {
		if labels[l] == nil {
			t.Errorf("the tray menu has no %q", l)
		}
	}
	// The icon counts unread messages.
	before := len(a.icons)
	h.apply(messageEv("ann@example.org", "hi", clock.now(), false))
	if len(a.icons) != before+1 || a.icons[len(a.icons)-1].Name() != "palaver-tray-1.png" {
		t.Fatalf("after a message the tray icons are %d (last %v)", len(a.icons), a.icons[len(a.icons)-1].Name())
	}
	if _, err := png.Decode(bytes.NewReader(a.icons[len(a.icons)-1].Content())); err != nil {
		t.Fatalf("the badged icon is no PNG: %v", err)
	}
	// The tray's status item sets every account's.
	labels["Away"].Action()
	if show, _ := showFromLabel(h.ui.showSelect.Selected); show != im.Away {
		t.Errorf("Away from the tray left the selector at %q", h.ui.showSelect.Selected)
	}
	// Closing the window hides it while there is a tray; the setting
	// turned off, it quits.
	h.ui.closeMain()
	if h.ui.stopped.Load() {
		t.Fatal("closing the main window with a tray quit Palaver")
	}
	h.ui.closeToTrayItem().Action()
	h.ui.closeMain()
	if !h.ui.stopped.Load() {
		t.Fatal("with the setting off, closing did not quit")
	}
}

func TestNoTrayClosingQuits(t *testing.T) {
	a := &trayTestApp{App: test.NewTempApp(t)}
	h := newHarnessWith(t, a, false, account.Account{JID: me})
	h.ui.Show()
	if a.menu != nil || h.ui.closeToTrayItem() != nil {
		t.Fatal("a tray was set up although none is there")
	}
	h.ui.closeMain()
	if !h.ui.stopped.Load() {
		t.Fatal("without a tray, closing the main window did not quit")
	}
}

func TestTrayIconBadge(t *testing.T) {
	for _, n := range []int{0, 3, 120} {
		r := trayIcon(assets.Icon, n)
		img, err := png.Decode(bytes.NewReader(r.Content()))
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		if b := img.Bounds(); b.Dx() != trayIconSize || b.Dy() != trayIconSize {
			t.Fatalf("%d: icon of %v", n, b)
		}
		// The badge's rim, at the top right: red with messages unread.
		got := color.NRGBAModel.Convert(img.At(trayIconSize-trayIconSize*5/16, 2)).(color.NRGBA)
		if red := got == badgeRed; red != (n > 0) {
			t.Errorf("%d unread: the badge's place is %v", n, got)
		}
		if dir := os.Getenv("PALAVER_SHOTS"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, r.Name()), r.Content(), 0o644)
		}
	}
}
