package views

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/palaver-im/palaver/account"
)

// TestThemeTextIsReadable computes the contrast of every colour the theme
// draws text in against every surface that text is drawn on, in both
// variants: at least 4.5:1 (WCAG 2.1 AA). Fyne's default fails it
// (disabled text about 1.5:1 dark, 1.3:1 light).
func TestThemeTextIsReadable(t *testing.T) {
	th := Theme()
	surfaces := []fyne.ThemeColorName{
		theme.ColorNameBackground, theme.ColorNameOverlayBackground, theme.ColorNameInputBackground,
		theme.ColorNameMenuBackground, theme.ColorNameHeaderBackground, theme.ColorNameButton,
	}
	texts := []fyne.ThemeColorName{
		theme.ColorNameForeground, theme.ColorNameDisabled, theme.ColorNamePlaceHolder,
		theme.ColorNameError, theme.ColorNamePrimary,
	}
	// Text on coloured buttons and badges.
	pairs := [][2]fyne.ThemeColorName{
		{theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary},
		{theme.ColorNameForegroundOnWarning, theme.ColorNameWarning},
		{theme.ColorNameForegroundOnError, theme.ColorNameError},
		{theme.ColorNameForegroundOnSuccess, theme.ColorNameSuccess},
	}
	for _, text := range texts {
		for _, bg := range surfaces {
			pairs = append(pairs, [2]fyne.ThemeColorName{text, bg})
		}
	}
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		for _, p := range pairs {
			if r := contrast(th.Color(p[0], v), th.Color(p[1], v)); r < 4.5 {
				t.Errorf("variant %d: %s on %s: %.2f:1, want at least 4.5:1", v, p[0], p[1], r)
			}
		}
	}
}

// TestContrastFormula checks the formula against WCAG's own figures.
func TestContrastFormula(t *testing.T) {
	white, black := color.White, color.Black
	if r := contrast(white, black); math.Abs(r-21) > 0.01 {
		t.Errorf("white on black %.2f, want 21", r)
	}
	if r := contrast(color.NRGBA{R: 0x76, G: 0x76, B: 0x76, A: 0xff}, white); math.Abs(r-4.54) > 0.01 {
		t.Errorf("#767676 on white %.2f, want 4.54", r)
	}
}

func TestTextSize(t *testing.T) {
	h := signedIn(t)
	base := theme.DefaultTheme().Size(theme.SizeNameText)
	var larger *fyne.MenuItem
	for _, m := range h.ui.win.MainMenu().Items {
		for _, it := range m.Items {
			if it.Label == "Text size: Larger" {
				larger = it
			}
		}
	}
	if larger == nil {
		t.Fatal("no Text size: Larger in the menus")
	}
	larger.Action()
	if got := fyne.CurrentApp().Settings().Theme().Size(theme.SizeNameText); got != base*(float32(130)/100) {
		t.Fatalf("text size %v after Larger, want %v", got, base*1.3)
	}
	if !larger.Checked || h.ui.app.Preferences().Int(prefTextScale) != 130 {
		t.Error("the choice is not checked or not kept")
	}
	// Colours stay the readable ones.
	th := fyne.CurrentApp().Settings().Theme()
	if th.Color(theme.ColorNameDisabled, theme.VariantDark) != readableColors[theme.VariantDark][theme.ColorNameDisabled] {
		t.Error("the larger text lost the readable colours")
	}
	// Kept for the next start.
	fyne.CurrentApp().Settings().SetTheme(Theme())
	newHarnessWith(t, h.ui.app, false, account.Account{JID: me})
	if got := fyne.CurrentApp().Settings().Theme().Size(theme.SizeNameText); got != base*(float32(130)/100) {
		t.Errorf("a new start shows text at %v", got)
	}
	fyne.CurrentApp().Settings().SetTheme(Theme())
}
