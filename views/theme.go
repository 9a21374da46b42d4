package views

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
)

// Theme returns Palaver's theme: Fyne's default, with the colours of
// secondary text (times, "typing…", day separators, hints: Fyne's
// disabled colour), placeholders and coloured buttons changed so that all
// text is readable, at least 4.5:1 against what it is drawn on (WCAG 2.1
// AA, success criterion 1.4.3), in the dark and the light variant.
// Fyne's own are about 1.5:1 (dark) and 1.3:1 (light) for disabled text.
// Sizes and fonts are Fyne's, so the system's scale applies. The primary
// colour is Palaver's own, so a primary colour chosen in Fyne's settings
// does not apply: few of those are readable both as text and behind it.
func Theme() fyne.Theme { return scaledTheme(1) }

// scaledTheme is Theme with its text sizes times scale (the Text size
// setting), on top of the system's scale.
func scaledTheme(scale float32) fyne.Theme {
	return readableTheme{Theme: theme.DefaultTheme(), text: scale}
}

type readableTheme struct {
	fyne.Theme
	text float32 // times the text sizes; 0 or 1: as Fyne's
}

// Size returns the size n: the text sizes scaled (see scaledTheme).
func (t readableTheme) Size(n fyne.ThemeSizeName) float32 {
	s := t.Theme.Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText, theme.SizeNameCaptionText:
		if t.text > 0 {
			s *= t.text
		}
	}
	return s
}

// Text sizes the user can choose (View → Text size), in percent, and the
// preference that keeps the choice.
var textSizes = []int{100, 115, 130}

// textSizeLabel is the View menu's item for the text size of percent.
func textSizeLabel(percent int) string {
	switch percent {
	case 100:
		return lang.L("Text size: Normal")
	case 115:
		return lang.L("Text size: Large")
	}
	return lang.L("Text size: Larger")
}

// prefTextScale keeps the text size chosen, in percent.
const prefTextScale = "view.textPercent"

// textSizeItems are the View menu's text sizes; the one chosen is
// checked, and applied at once.
func (u *UI) textSizeItems() []*fyne.MenuItem {
	items := make([]*fyne.MenuItem, len(textSizes))
	current := u.app.Preferences().IntWithFallback(prefTextScale, 100)
	for i, percent := range textSizes {
		item := fyne.NewMenuItem(textSizeLabel(percent), nil)
		item.Checked = percent == current
		item.Action = func() {
			u.app.Preferences().SetInt(prefTextScale, percent)
			for j := range items {
				items[j].Checked = j == i
			}
			if mm := u.win.MainMenu(); mm != nil {
				mm.Refresh()
			}
			u.app.Settings().SetTheme(scaledTheme(float32(percent) / 100))
		}
		items[i] = item
	}
	return items
}

// applyTextSize puts the text size chosen earlier in force.
func (u *UI) applyTextSize() {
	if p := u.app.Preferences().IntWithFallback(prefTextScale, 100); p != 100 {
		u.app.Settings().SetTheme(scaledTheme(float32(p) / 100))
	}
}

// readableColors are the colours that differ from Fyne's default theme,
// by variant.
var readableColors = map[fyne.ThemeVariant]map[fyne.ThemeColorName]color.Color{
	theme.VariantDark: {
		theme.ColorNameDisabled: color.NRGBA{R: 0x9a, G: 0x9a, B: 0x9e, A: 0xff},
		// Primary is also a text colour (senders' names, a contact's
		// status): light enough to read on the dark surfaces, with dark
		// text on primary buttons and badges.
		theme.ColorNamePrimary:             color.NRGBA{R: 0x7a, G: 0xa7, B: 0xff, A: 0xff},
		theme.ColorNameForegroundOnPrimary: color.NRGBA{R: 0x17, G: 0x17, B: 0x18, A: 0xff},
		theme.ColorNameError:               color.NRGBA{R: 0xff, G: 0x7b, B: 0x72, A: 0xff},
	},
	theme.VariantLight: {
		theme.ColorNameDisabled:    color.NRGBA{R: 0x6b, G: 0x6b, B: 0x6e, A: 0xff},
		theme.ColorNamePlaceHolder: color.NRGBA{R: 0x6b, G: 0x6b, B: 0x6e, A: 0xff},
		theme.ColorNamePrimary:     color.NRGBA{R: 0x1a, G: 0x50, B: 0xc8, A: 0xff},
		theme.ColorNameError:       color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
		theme.ColorNameWarning:     color.NRGBA{R: 0xa8, G: 0x55, B: 0x00, A: 0xff},
		theme.ColorNameSuccess:     color.NRGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff},
	},
}

// Color returns the colour n of variant v.
func (t readableTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if c, ok := readableColors[v][n]; ok {
		return c
	}
	if c, ok := nickColorOf(t.Theme, n, v); ok {
		return c
	}
	return t.Theme.Color(n, v)
}
