package views

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// Pasting a picture into a chat (Ctrl+V in its entry) sends it as a file,
// after the same confirmation as the attach button: as Gajim and Dino do
// with a screenshot on the clipboard. Text on the clipboard is pasted as
// text, as always; only when it holds no text does Palaver ask the system
// clipboard for a picture (Options.PasteImage), off the UI goroutine, as
// the program that owns the clipboard may take its time. The picture is
// written to the profile's "pasted" folder, where the upload (and, after a
// restart, "Send again") finds it; files there older than a week go.

// pastedDir is the folder of pasted pictures in the profile dir.
const pastedDir = "pasted" // not translated: a folder name

// pastedKeep is how long pasted pictures are kept.
const pastedKeep = 7 * 24 * time.Hour

// paste handles Ctrl+V in c's entry, and reports whether it did: a
// picture on the clipboard is offered for sending; text is left to the
// entry.
func (c *chatWindow) paste(p *fyne.ShortcutPaste) bool {
	u := c.s.ui
	if u.pasteImage == nil || u.pasting {
		return u.pasting
	}
	if _, ok := c.s.core.(filer); !ok {
		return false
	}
	if p.Clipboard != nil && p.Clipboard.Content() != "" {
		return false
	}
	u.pasting = true
	read, dir := u.pasteImage, filepath.Join(u.dir, pastedDir)
	go func() {
		path, err := savePasted(read, dir, time.Now())
		u.do(func() {
			u.pasting = false
			switch {
			case err != nil:
				u.showNotice(lang.L("Palaver could not take the picture from the clipboard: {{.Error}}. Save it as a file and attach that instead.", map[string]any{"Error": err.Error()}))
			case path != "":
				c.confirmFile(path)
			}
		})
	}()
	return true
}

// savePasted reads the clipboard's picture with read and writes it to a
// new file in dir, named by the time now; "" when the clipboard holds no
// picture. It removes pictures older than pastedKeep from dir.
func savePasted(read func() ([]byte, error), dir string, now time.Time) (string, error) {
	data, err := read()
	if err != nil || len(data) == 0 {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if old, err := os.ReadDir(dir); err == nil {
		for _, e := range old {
			if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && now.Sub(fi.ModTime()) > pastedKeep {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	base := "clipboard-" + now.Format("20060102-150405") // not translated: a file name others see
	for i := 0; ; i++ {
		name := base + ".png"
		if i > 0 {
			name = fmt.Sprintf("%s-%d.png", base, i)
		}
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if os.IsExist(err) && i < 100 {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(p)
			return "", err
		}
		if err := f.Close(); err != nil {
			os.Remove(p)
			return "", err
		}
		return p, nil
	}
}
