package views

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
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
}

var _ desktop.Keyable = (*sendEntry)(nil)

// sendHint is the empty entry's hint.
const sendHint = "Write a message (Shift+Enter for a new line)"

func newSendEntry() *sendEntry {
	e := &sendEntry{}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetPlaceHolder(sendHint)
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
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift {
		e.send()
		return
	}
	e.Entry.TypedKey(k)
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
	e.Entry.FocusGained()
	if e.onFocus != nil {
		e.onFocus(true)
	}
}

// FocusLost implements fyne.Focusable. A key released while the window was
// not focused never reaches KeyUp, so Shift is forgotten here.
func (e *sendEntry) FocusLost() {
	e.shift = false
	e.Entry.FocusLost()
	if e.onFocus != nil {
		e.onFocus(false)
	}
}
