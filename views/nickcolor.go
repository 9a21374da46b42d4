package views

import (
	"crypto/sha1"
	"encoding/binary"
	"image/color"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Nicknames in rooms are coloured by XEP-0392 (Consistent Color
// Generation): the hue comes from the nickname's SHA-1, so that a person
// has the same colour in every client and every session. The lightness
// is Palaver's: raised (dark variant) or lowered (light) until the colour
// reads at 4.5:1 against the background (WCAG 2.1 AA), as all text must.

// nickColorPrefix starts the theme colour names of nicknames: the theme
// (readableTheme.Color) turns "nick-<hue>" into a readable colour of that
// hue for the variant drawn.
const nickColorPrefix = "nick-"

// nickHue is the XEP-0392 §5.1 hue angle of nick, in degrees.
func nickHue(nick string) float64 {
	sum := sha1.Sum([]byte(nick))
	return float64(binary.LittleEndian.Uint16(sum[:2])) / 65536 * 360
}

// nickColorName is the theme colour name of nick's colour.
func nickColorName(nick string) fyne.ThemeColorName {
	return fyne.ThemeColorName(nickColorPrefix + strconv.Itoa(int(nickHue(nick))))
}

// nickColor returns the colour of hue (degrees) that reads at 4.5:1 on
// the background of variant v of base.
func nickColor(base fyne.Theme, hue float64, v fyne.ThemeVariant) color.Color {
	bg := base.Color(theme.ColorNameBackground, v)
	dark := luminance(bg) < 0.5
	l, step := 0.45, -0.02
	if dark {
		l, step = 0.62, 0.02
	}
	c := hsl(hue, 0.75, l)
	for i := 0; i < 40 && contrast(c, bg) < 4.5; i++ {
		l += step
		c = hsl(hue, 0.75, l)
	}
	return c
}

// nickColorOf resolves a "nick-<hue>" colour name; ok is false for any
// other name.
func nickColorOf(base fyne.Theme, n fyne.ThemeColorName, v fyne.ThemeVariant) (color.Color, bool) {
	h, found := strings.CutPrefix(string(n), nickColorPrefix)
	if !found {
		return nil, false
	}
	hue, err := strconv.Atoi(h)
	if err != nil {
		return nil, false
	}
	return nickColor(base, float64(hue), v), true
}

// hsl converts hue (degrees), saturation and lightness (0…1) to a colour.
func hsl(h, s, l float64) color.NRGBA {
	l = math.Max(0, math.Min(1, l))
	c := (1 - math.Abs(2*l-1)) * s
	hp := math.Mod(h, 360) / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	to := func(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(1, v+m)) * 255)) }
	return color.NRGBA{R: to(r), G: to(g), B: to(b), A: 0xff}
}

// luminance is the relative luminance of c (WCAG 2.1, definition), c
// taken as opaque.
func luminance(c color.Color) float64 {
	r, g, b, _ := color.NRGBAModel.Convert(c).RGBA()
	lin := func(v uint32) float64 {
		s := float64(v>>8) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
