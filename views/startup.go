package views

import (
	"fmt"
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// Start-up (issue 11): what the views do until the main window shows,
// and how it is measured (docs/performance.md, "Start-up").

// newPaintProbe returns an object for the main window's content that
// calls painted, on the UI goroutine, the first time a frame draws it:
// a transparent 1×1 raster in the top left corner, whose picture Fyne's
// painter asks for when it first draws it. Fyne has no other sign of a
// frame drawn.
func newPaintProbe(painted func()) fyne.CanvasObject {
	done := false
	r := canvas.NewRaster(func(int, int) image.Image {
		if !done {
			done = true
			painted()
		}
		return image.NewNRGBA(image.Rect(0, 0, 1, 1))
	})
	r.Resize(fyne.NewSize(1, 1))
	return container.NewWithoutLayout(r)
}

// withPaintTrace returns content as the main window shows it: with a
// paint probe on top when tracing, which reports the first frame that
// draws the window's content.
func (u *UI) withPaintTrace(content fyne.CanvasObject) fyne.CanvasObject {
	if u.trace == nil {
		return content
	}
	return container.NewStack(content, newPaintProbe(func() {
		fmt.Fprintf(u.trace, "palaver-trace: painted the main window, %d µs after main began\n", // not translated: trace for measuring
			time.Since(u.began).Microseconds())
	}))
}
