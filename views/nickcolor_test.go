package views

import (
	"fmt"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

func TestNickHueXEP0392(t *testing.T) {
	// XEP-0392 §13.1 test vectors (angles in degrees).
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"Romeo", 327.255249},
		{"juliet@capulet.lit", 209.410400},
		{"😺", 331.199341},
		{"council", 359.994507},
	} {
		if got := nickHue(tc.in); math.Abs(got-tc.want) > 0.001 {
			t.Errorf("hue of %q = %f, want %f", tc.in, got, tc.want)
		}
	}
}

func TestNickColorsAreReadable(t *testing.T) {
	th := Theme()
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		bg := th.Color(theme.ColorNameBackground, v)
		for i := range 1000 {
			nick := fmt.Sprintf("nick%d", i)
			c := th.Color(nickColorName(nick), v)
			if r := contrast(c, bg); r < 4.5 {
				t.Fatalf("variant %v: %q is %v, %.2f:1 on the background", v, nick, c, r)
			}
		}
	}
	if nickColorName("Romeo") != nickColorName("Romeo") || nickColorName("Romeo") == nickColorName("Juliet") {
		t.Error("nickname colours are not stable per nickname")
	}
}
