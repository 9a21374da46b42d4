package widget

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	col "fyne.io/fyne/v2/internal/color"
	"fyne.io/fyne/v2/theme"
)

var timeNow = time.Now // used in tests

const (
	cursorInterruptTime = 300 * time.Millisecond
	cursorFadeAlpha     = uint8(0x16)
	cursorFadeRatio     = 0.1
)

type entryCursorAnimation struct {
	cursor            *canvas.Rectangle
	anim              *fyne.Animation
	lastInterruptTime time.Time

	// palaver: blink is the timer of a caret that blinks by a timer
	// (startBlink), nil when none blinks; blinks counts its starts, so
	// that a tick queued by an earlier one does nothing; dim says the
	// caret is in its dim half. All are used on the UI goroutine only.
	blink  *time.Timer
	blinks uint64
	dim    bool
}

// palaver: cursorBlink is how long the caret stays bright, then dim,
// when it blinks by a timer.
const cursorBlink = time.Second / 2

func newEntryCursorAnimation(cursor *canvas.Rectangle) *entryCursorAnimation {
	return &entryCursorAnimation{cursor: cursor}
}

// creates fyne animation
func (a *entryCursorAnimation) createAnim(inverted bool) *fyne.Animation {
	cursorOpaque := theme.Color(theme.ColorNamePrimary)
	ri, gi, bi, ai := col.ToNRGBA(cursorOpaque)
	r := uint8(ri >> 8)
	g := uint8(gi >> 8)
	b := uint8(bi >> 8)
	endA := uint8(ai >> 8)
	startA := cursorFadeAlpha
	cursorDim := color.NRGBA{R: r, G: g, B: b, A: cursorFadeAlpha}
	if inverted {
		a.cursor.FillColor = cursorOpaque
		startA, endA = endA, startA
	} else {
		a.cursor.FillColor = cursorDim
	}

	deltaA := endA - startA
	fadeStart := float32(0.5 - cursorFadeRatio)
	fadeStop := float32(0.5 + cursorFadeRatio)

	interrupted := false
	anim := fyne.NewAnimation(time.Second/2, func(f float32) {
		shouldInterrupt := timeNow().Sub(a.lastInterruptTime) <= cursorInterruptTime
		if shouldInterrupt {
			if !interrupted {
				a.cursor.FillColor = cursorOpaque
				a.cursor.Refresh()
				interrupted = true
			}
			return
		}
		if interrupted {
			a.anim.Stop()
			if !inverted {
				a.anim = a.createAnim(true)
			}
			interrupted = false
			canStart := a.anim != nil
			if canStart {
				a.anim.Start()
			}
			return
		}

		alpha := uint8(0)
		if f < fadeStart {
			if _, _, _, al := a.cursor.FillColor.RGBA(); uint8(al>>8) == cursorFadeAlpha {
				return
			}

			a.cursor.FillColor = cursorDim
		} else if f >= fadeStop {
			if _, _, _, al := a.cursor.FillColor.RGBA(); al == 0xffff {
				return
			}

			a.cursor.FillColor = cursorOpaque
		} else {
			fade := (f + cursorFadeRatio - 0.5) * (1 / (cursorFadeRatio * 2))
			alpha = uint8(float32(deltaA) * fade)
			a.cursor.FillColor = color.NRGBA{R: r, G: g, B: b, A: alpha}
		}

		a.cursor.Refresh()
	})

	anim.RepeatCount = fyne.AnimationRepeatForever
	anim.AutoReverse = true
	return anim
}

// starts cursor animation.
func (a *entryCursorAnimation) start() {
	// palaver: on a desktop driver the caret blinks by a timer, two
	// repaints a second (issue 11). Upstream's fade is an animation that
	// runs as long as the entry has the focus, which keeps the main loop
	// ticking at 60 Hz and repainting whenever the caret fades: about
	// 50 ms of CPU a second with a software GL driver. Other drivers
	// keep the animation: the test driver runs fyne.Do on the calling
	// goroutine, so a timer's tick would race with the test.
	if _, desktop := fyne.CurrentApp().Driver().(desktopDriver); desktop {
		a.startBlink()
		return
	}
	isStopped := a.anim == nil
	if isStopped {
		a.anim = a.createAnim(false)
		a.anim.Start()
	}
}

// palaver: desktopDriver is what tells a desktop driver (the GLFW one)
// from the test and mobile ones.
type desktopDriver interface {
	CurrentKeyModifiers() fyne.KeyModifier
}

// palaver: startBlink makes the caret bright, then dim and bright again
// every cursorBlink, each change one repaint through fyne.Do; input
// (interrupt) keeps it bright for cursorInterruptTime.
func (a *entryCursorAnimation) startBlink() {
	if a.blink != nil {
		return
	}
	a.blinks++
	gen := a.blinks
	a.dim = false
	a.cursor.FillColor = theme.Color(theme.ColorNamePrimary)
	a.blink = time.AfterFunc(cursorBlink, func() {
		fyne.Do(func() { a.tickBlink(gen) })
	})
}

// palaver: tickBlink turns a blinking caret dim or bright, and sets the
// timer for the next change.
func (a *entryCursorAnimation) tickBlink(gen uint64) {
	if a.blink == nil || a.blinks != gen {
		return // stopped, or started again since
	}
	a.dim = !a.dim && timeNow().Sub(a.lastInterruptTime) > cursorInterruptTime
	a.paintBlink()
	a.blink.Reset(cursorBlink)
}

// palaver: paintBlink draws the caret bright or dim.
func (a *entryCursorAnimation) paintBlink() {
	c := theme.Color(theme.ColorNamePrimary)
	if a.dim {
		r, g, b, _ := col.ToNRGBA(c)
		c = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: cursorFadeAlpha}
	}
	a.cursor.FillColor = c
	a.cursor.Refresh()
}

// temporarily stops the animation by "cursorInterruptTime".
func (a *entryCursorAnimation) interrupt() {
	a.lastInterruptTime = timeNow()
	if a.blink != nil && a.dim {
		// palaver: typing shows the caret at once.
		a.dim = false
		a.paintBlink()
	}
}

// stops cursor animation.
func (a *entryCursorAnimation) stop() {
	if a.blink != nil {
		// palaver: the timer's tick, if queued already, sees blinks
		// changed and does nothing.
		a.blink.Stop()
		a.blink = nil
		a.blinks++
	}
	if a.anim != nil {
		a.anim.Stop()
		a.anim = nil
	}
}
