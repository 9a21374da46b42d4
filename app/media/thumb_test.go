package media

import (
	"image"
	"image/color"
	"testing"
)

func TestFitSize(t *testing.T) {
	for i, tc := range []struct{ w, h, wantW, wantH int }{
		0: {100, 50, 100, 50},
		1: {360, 270, 360, 270},
		2: {1200, 600, 360, 180},
		3: {300, 900, 90, 270},
		4: {4000, 3000, 360, 270},
		5: {8192, 1, 360, 1},
		6: {1, 8192, 1, 270},
		7: {361, 271, 360, 270},
		8: {0x7fffffff, 3, 360, 1},
	} {
		if w, h := fitSize(tc.w, tc.h, 360, 270); w != tc.wantW || h != tc.wantH {
			t.Errorf("%d: fitSize(%d, %d) = %d×%d, want %d×%d", i, tc.w, tc.h, w, h, tc.wantW, tc.wantH)
		}
	}
}

// TestBoxShrinkAverages: each pixel is the mean of its block, weighted by
// alpha, from any picture type and origin.
func TestBoxShrinkAverages(t *testing.T) {
	src := image.NewNRGBA(image.Rect(10, 20, 16, 24))
	for y := 20; y < 24; y++ {
		for x := 10; x < 16; x++ {
			if x%2 == 0 {
				src.SetNRGBA(x, y, color.NRGBA{200, 0, 0, 255})
			} else {
				// Transparent: must not darken the mean.
				src.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 0})
			}
		}
	}
	out := boxShrink(src, 2)
	if b := out.Bounds(); b.Dx() != 3 || b.Dy() != 2 {
		t.Fatalf("bounds %v", b)
	}
	got := color.NRGBAModel.Convert(out.At(1, 1)).(color.NRGBA)
	if got.R < 198 || got.A < 126 || got.A > 129 {
		t.Errorf("pixel %+v, want red at half alpha", got)
	}
}
