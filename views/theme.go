package views

import (
	"image/color"

	"fyne.io/fyne/v2"
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
func Theme() fyne.Theme { return readableTheme{theme.DefaultTheme()} }

type readableTheme struct{ fyne.Theme }

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
	return t.Theme.Color(n, v)
}
