package views

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// sendEntry is the chat input: Enter sends, Shift+Enter starts a new line.
//
// Fyne's multi-line Entry does the opposite (Shift+Enter submits), and a
// KeyEvent carries no modifiers, so the entry follows Shift itself through
// desktop.Keyable.
type sendEntry struct {
	widget.Entry
	shift bool

	// onSend gets the text when Enter is pressed; it clears the entry.
	onSend func(text string)
	// onFocus reports focus changes, which tell whether the chat window
	// is the one the user is looking at.
	onFocus func(focused bool)
	// onEdit is called when the user changes the text (typing, deleting,
	// pasting), not when the entry clears itself after sending.
	onEdit func()
	// quiet is set while the entry changes its own text.
	quiet bool
	// onShortcut gets the shortcuts typed here first, and reports whether
	// it carried one out (the window's own: a chat window has no menu);
	// onEscape is called on Esc.
	onShortcut func(fyne.Shortcut) bool
	onEscape   func()
	// onUp is called on Up in the empty entry, and reports whether it
	// took the key.
	onUp func() bool

	// The caret rests (see caretRest): after runs a function on the UI
	// goroutine later (nil: the caret never rests); focused is the focus
	// as the window gave it; resting is set while the caret rests; input
	// counts what the user did, to tell a rest timer that came too late.
	after   func(time.Duration, func())
	calm    func(bool) // turns the app's animations off or on
	focused bool
	resting bool
	input   uint64
}

// caretRest is how long the caret blinks after the last input, as GTK's
// gtk-cursor-blink-timeout (10 s). Then it rests: each blink repaints
// the whole window, which with a software GL driver costs tens of
// milliseconds of CPU a second for as long as a chat is focused. Fyne's
// entry blinks unless the app's animations are off, so the app is calmed
// (calm.go) and the caret drawn anew, steady; the next key or click
// turns animations on again.
const caretRest = 10 * time.Second

// active notes input: the caret shows and blinks again, and rests after
// caretRest more.
func (e *sendEntry) active() {
	e.input++
	if e.resting {
		e.resting = false
		e.setCalm(false)
		e.Entry.Refresh() // the caret blinks again
	}
	if e.after == nil || !e.focused {
		return
	}
	n := e.input
	e.after(caretRest, func() {
		if e.input == n && e.focused && !e.resting {
			e.resting = true
			e.setCalm(true)
			// Out and in again: the caret's animation stops, and the
			// caret comes back steady (animations are off).
			e.Entry.FocusLost()
			e.Entry.FocusGained()
		}
	})
}

func (e *sendEntry) setCalm(on bool) {
	if e.calm != nil {
		e.calm(on)
	}
}

// TypedRune wakes the caret.
func (e *sendEntry) TypedRune(r rune) {
	e.active()
	e.Entry.TypedRune(r)
}

// TypedShortcut wakes the caret.
func (e *sendEntry) TypedShortcut(s fyne.Shortcut) {
	e.active()
	if e.onShortcut != nil && e.onShortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// MouseDown wakes the caret.
func (e *sendEntry) MouseDown(m *desktop.MouseEvent) {
	e.active()
	e.Entry.MouseDown(m)
}

var _ desktop.Keyable = (*sendEntry)(nil)

// sendHint is the empty entry's hint.
func sendHint() string { return lang.L("Write a message (Shift+Enter for a new line)") }

func newSendEntry() *sendEntry {
	e := &sendEntry{}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetPlaceHolder(sendHint())
	e.ExtendBaseWidget(e)
	e.SetMinRowsVisible(2)
	e.OnChanged = func(string) {
		if !e.quiet && e.onEdit != nil {
			e.onEdit()
		}
	}
	return e
}

// KeyDown tracks Shift.
func (e *sendEntry) KeyDown(k *fyne.KeyEvent) {
	e.active()
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

// KeyUp tracks Shift.
func (e *sendEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

// TypedKey sends on Enter without Shift. With Shift the embedded Entry
// inserts a new line: OnSubmitted stays nil so it does not submit.
func (e *sendEntry) TypedKey(k *fyne.KeyEvent) {
	e.active()
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift {
		e.send()
		return
	}
	if k.Name == fyne.KeyUp && e.Text == "" && e.onUp != nil && e.onUp() {
		return
	}
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}

// setQuietly sets the text without calling onEdit: not the user's typing.
func (e *sendEntry) setQuietly(text string) {
	e.quiet = true
	e.SetText(text)
	e.quiet = false
}

func (e *sendEntry) send() {
	if e.onSend == nil || strings.TrimSpace(e.Text) == "" {
		return
	}
	text := e.Text
	e.quiet = true
	e.SetText("")
	e.quiet = false
	e.onSend(text)
}

// FocusGained implements fyne.Focusable.
func (e *sendEntry) FocusGained() {
	if e.resting {
		e.setCalm(false)
	}
	e.focused, e.resting = true, false
	e.Entry.FocusGained()
	e.active()
	if e.onFocus != nil {
		e.onFocus(true)
	}
}

// FocusLost implements fyne.Focusable. A key released while the window was
// not focused never reaches KeyUp, so Shift is forgotten here.
func (e *sendEntry) FocusLost() {
	e.shift = false
	if e.resting {
		e.setCalm(false)
	}
	e.focused, e.resting = false, false
	e.input++ // no rest is due: the caret is gone
	e.Entry.FocusLost()
	if e.onFocus != nil {
		e.onFocus(false)
	}
}
