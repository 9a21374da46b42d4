// Package clipimage reads a picture from the system clipboard, which
// Fyne's clipboard cannot: it knows only text. It uses
// golang.design/x/clipboard (X11 on Linux and the BSDs, loaded at run
// time; the pasteboard on macOS; the clipboard on Windows), which hands
// pictures over as PNG.
package clipimage

import (
	"errors"
	"fmt"
	"sync"

	"golang.design/x/clipboard"
)

// MaxSize bounds the picture read: a larger one is refused, not read
// into memory twice.
const MaxSize = 64 << 20

// ErrTooLarge is returned for a picture over MaxSize.
var ErrTooLarge = errors.New("the picture on the clipboard is too large")

var (
	initOnce sync.Once
	initErr  error
)

// Read returns the picture on the clipboard as PNG, nil when it holds
// none. It may wait for the program that owns the clipboard: call it off
// the UI goroutine. It fails where no clipboard can be reached (no X
// display, say).
func Read() ([]byte, error) {
	initOnce.Do(func() { initErr = clipboard.Init() })
	if initErr != nil {
		return nil, fmt.Errorf("the clipboard cannot be read: %w", initErr)
	}
	data := clipboard.Read(clipboard.FmtImage)
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	return data, nil
}
