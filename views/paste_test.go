package views

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
)

// fakeClipboard is a fyne.Clipboard holding text.
type fakeClipboard struct{ text string }

func (c *fakeClipboard) Content() string     { return c.text }
func (c *fakeClipboard) SetContent(s string) { c.text = s }

// TestPasteAPicture: Ctrl+V with a picture and no text on the clipboard
// offers the picture for sending, as a PNG file in the profile's pasted
// folder, and sends it after the confirmation; with text on the clipboard
// the entry pastes the text and the picture is not even read.
func TestPasteAPicture(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 40, 30))); err != nil {
		t.Fatal(err)
	}
	reads := 0
	h := newHarness(t, account.Account{JID: me})
	h.ui.pasteImage = func() ([]byte, error) { reads++; return buf.Bytes(), nil }
	h = filesSignedInWith(t, h)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)

	// Text: pasted as text.
	c.entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: &fakeClipboard{text: "hello"}})
	if c.entry.Text != "hello" || reads != 0 {
		t.Fatalf("text paste: entry %q, clipboard pictures read %d times", c.entry.Text, reads)
	}

	// A picture: confirmed, then sent from the pasted folder.
	mark := len(h.core.Calls())
	c.entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: &fakeClipboard{}})
	h.until("the confirmation", func() bool { return c.win.Canvas().Overlays().Top() != nil })
	if reads != 1 {
		t.Errorf("clipboard read %d times", reads)
	}
	top := c.win.Canvas().Overlays().Top()
	if _, ok := find(top, func(l *widget.Label) bool {
		return strings.Contains(l.Text, "clipboard-") && strings.Contains(l.Text, ".png")
	}); !ok {
		t.Error("the confirmation does not name the pasted picture")
	}
	if _, ok := find(top, func(*widget.Check) bool { return true }); !ok {
		t.Error("a pasted picture is not offered without its details")
	}
	test.Tap(button(t, top, "Send"))
	got := callsSince(h, mark, "SendFile")
	if len(got) != 1 || !strings.HasPrefix(got[0], "SendFile "+peer+" clipboard-") {
		t.Fatalf("calls %q", got)
	}
	files, _ := filepath.Glob(filepath.Join(h.dir, pastedDir, "clipboard-*.png"))
	if len(files) != 1 {
		t.Fatalf("pasted files %q", files)
	}
	if data, err := os.ReadFile(files[0]); err != nil || !bytes.Equal(data, buf.Bytes()) {
		t.Errorf("the pasted file is not the clipboard's picture (%v)", err)
	}
	if c.entry.Text != "hello" {
		t.Errorf("the entry changed to %q", c.entry.Text)
	}
}

// TestPasteNothingOrAFailure: an empty clipboard pastes nothing and says
// nothing; a clipboard that cannot be read says so.
func TestPasteNothingOrAFailure(t *testing.T) {
	var result []byte
	var fail error
	h := newHarness(t, account.Account{JID: me})
	h.ui.pasteImage = func() ([]byte, error) { return result, fail }
	h = filesSignedInWith(t, h)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)

	c.entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: &fakeClipboard{}})
	h.until("the read done", func() bool { return !h.ui.pasting })
	if c.win.Canvas().Overlays().Top() != nil || h.ui.notice.Text != "" {
		t.Fatalf("an empty clipboard showed something (notice %q)", h.ui.notice.Text)
	}
	fail = errors.New("no X display")
	c.entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: &fakeClipboard{}})
	h.until("the read done", func() bool { return !h.ui.pasting })
	if !strings.Contains(h.ui.notice.Text, "clipboard") || !strings.Contains(h.ui.notice.Text, "no X display") {
		t.Fatalf("notice %q", h.ui.notice.Text)
	}
}

// TestPastedPicturesAreKeptAWeek: each paste is a new file; pictures
// older than a week go at the next paste.
func TestPastedPicturesAreKeptAWeek(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 3, 8, 30, 0, 0, time.UTC)
	read := func() ([]byte, error) { return []byte("png"), nil }
	a, err := savePasted(read, dir, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := savePasted(read, dir, now)
	if err != nil || a == b {
		t.Fatalf("second paste in the same second: %q, %v", b, err)
	}
	old := now.Add(-8 * 24 * time.Hour)
	if err := os.Chtimes(a, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := savePasted(read, dir, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Errorf("a picture pasted 8 days ago is kept: %v", err)
	}
	if _, err := os.Stat(b); err != nil {
		t.Errorf("a recent picture is gone: %v", err)
	}
	if p, err := savePasted(func() ([]byte, error) { return nil, nil }, dir, now); p != "" || err != nil {
		t.Errorf("an empty clipboard wrote %q, %v", p, err)
	}
}
