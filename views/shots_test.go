package views

import (
	"image/png"
	"os"
	"testing"

	"fyne.io/fyne/v2"
)

// saveImage is a development aid: PALAVER_SHOTS=dir writes what a canvas
// looks like.
func saveImage(t *testing.T, name string, c fyne.Canvas) {
	dir := os.Getenv("PALAVER_SHOTS")
	if dir == "" {
		return
	}
	f, err := os.Create(dir + "/" + name + goldenLang + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	png.Encode(f, c.Capture())
}
