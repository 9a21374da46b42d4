package views

import (
	"fmt"
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// Start-up (issue 11): nothing on the UI goroutine for longer than
// 100 ms, and the main window drawn before the accounts start. The fonts
// load on a goroutine of their own from main's beginning (WarmFonts);
// with Options.InSteps, Show leaves the rest to steps on Fyne's loop:
//
//  1. showStep: the main window, empty (GLFW's window and its GL
//     context, most of the step; it must be made on this goroutine);
//  2. buildStep: its content and menus, once the fonts are there; the
//     next frame draws them;
//  3. startStep, once a frame drew the content: the accounts start (or
//     the first-run dialog opens), then Options.OnStarted.
//
// docs/performance.md ("Start-up") has the figures; PALAVER_TRACE times
// each step.

// warmStyles are the text styles the main window draws from its first
// frame on: labels and entries, buttons and dialog titles (bold), the
// contact list's status lines (italic).
var warmStyles = []fyne.TextStyle{{}, {Bold: true}, {Italic: true}}

// WarmFonts sets Palaver's theme on a, with the text size chosen in the
// View menu, and loads the fonts Fyne draws text with on a goroutine of
// its own, so that the UI goroutine does not wait for them when it first
// measures text: the theme's fonts parsed (go-text), and the system's
// fonts for the user's language looked up (go-text's font scan, which
// Fyne runs the first time it resolves a font face: painter.lookupLangFont,
// from painter.CachedFontFace). Fyne keeps both in caches of its own,
// keyed by text style alone for the app's theme (painter.fontCache, a
// concurrent map; the scan's font map behind a mutex), so what is loaded
// here is what the views find.
//
// Call it once a is created, before anything else sets its theme or
// measures text; pass the function it returns, which waits until the
// fonts are loaded, as Options.Fonts: the views call it before they first
// measure text. Until then nothing else may measure text or change the
// theme: parts of Fyne's font caches have no lock (a face list that grows
// when a character needs another font, the settings' theme).
func WarmFonts(a fyne.App) (wait func()) {
	a.Settings().SetTheme(scaledTheme(float32(a.Preferences().IntWithFallback(prefTextScale, 100)) / 100))
	done := make(chan struct{})
	go func() {
		defer close(done)
		// One after the other: on two cores, more goroutines would take
		// the UI goroutine's.
		for _, s := range warmStyles {
			fyne.MeasureText("Palaver", 14, s) // not translated: measured, never shown
		}
	}()
	return func() { <-done }
}

// showStep is the first step of Show with Options.InSteps, on Fyne's
// loop: the main window, empty, unless it starts hidden in the tray.
func (u *UI) showStep() {
	began := time.Now()
	if u.startsHidden() {
		u.mainHidden = true
	} else {
		u.win.Show()
	}
	u.traceStep("showed the main window", began, 0) // not translated: trace for measuring
	u.do(u.buildStep)
}

// buildStep is Show's second step: the main window's content and menus.
// The accounts start once a frame has drawn them (the paint probe calls
// startStep), or at once when the window is hidden; a second later in
// any case, should no frame come.
func (u *UI) buildStep() {
	began := time.Now()
	waited := u.buildMain()
	u.traceStep("built the main window", began, waited) // not translated: trace for measuring
	if u.mainHidden {
		u.do(u.startStep)
		return
	}
	u.after(time.Second, u.startStep)
}

// startStep is Show's last step: it starts the accounts; it runs once.
func (u *UI) startStep() {
	if u.startedUp {
		return
	}
	u.startedUp = true
	began := time.Now()
	u.startAccounts()
	u.traceStep("started the accounts", began, 0) // not translated: trace for measuring
}

// buildMain waits for the fonts (Options.Fonts), then builds the main
// window's content and menus. It returns how long it waited.
func (u *UI) buildMain() time.Duration {
	var waited time.Duration
	if u.fonts != nil {
		began := time.Now()
		u.fonts()
		waited = time.Since(began)
	}
	u.build()
	return waited
}

// traceStep reports a step of the start-up that began at began, and of
// that how long it waited for the fonts, when tracing.
func (u *UI) traceStep(what string, began time.Time, waited time.Duration) {
	if u.trace == nil {
		return
	}
	took := time.Since(began)
	fonts := ""
	if waited > 0 {
		fonts = fmt.Sprintf(" (%d µs of it waiting for the fonts)", waited.Microseconds()) // not translated: trace for measuring
	}
	fmt.Fprintf(u.trace, "palaver-trace: %s in %d µs%s, %d µs after main began\n", // not translated: trace for measuring
		what, took.Microseconds(), fonts, time.Since(u.began).Microseconds())
}

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

// withPaintProbe returns content as the main window shows it: with a
// paint probe on top when tracing, which reports the first frame that
// draws the window's content, or when Show goes in steps, whose last
// step waits for that frame.
func (u *UI) withPaintProbe(content fyne.CanvasObject) fyne.CanvasObject {
	if u.trace == nil && !u.inSteps {
		return content
	}
	return container.NewStack(content, newPaintProbe(func() {
		if u.trace != nil {
			fmt.Fprintf(u.trace, "palaver-trace: painted the main window, %d µs after main began\n", // not translated: trace for measuring
				time.Since(u.began).Microseconds())
		}
		if u.inSteps {
			u.do(u.startStep)
		}
	}))
}
