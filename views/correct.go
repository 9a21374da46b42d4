package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
)

// Last message correction (XEP-0308): Up in the empty entry of a
// one-to-one chat puts our last message in it, Enter sends the
// correction, Esc cancels. The row shows the new text once the core
// reports it (app.MessageCorrected); the core corrects only our last
// message, and not in rooms.

// corrector is a core that corrects messages; app.Client is one.
type corrector interface {
	CorrectMessage(peer, id, body string) string
}

var _ corrector = (*app.Client)(nil)

// editingText is the line above the entry while it corrects a message.
func editingText() string { return lang.L("Editing your last message — Esc to cancel") }

func (c *chatWindow) newEditBar() {
	c.editBar = widget.NewLabel(editingText())
	c.editBar.Importance = widget.LowImportance
	c.editBar.TextStyle.Italic = true
	c.editBar.SizeName = theme.SizeNameCaptionText
	c.editBar.Truncation = fyne.TextTruncateEllipsis
	c.editBar.Hide()
	c.entry.onUp = c.editLast
}

// lastOwn returns the conversation's last message when it is ours and
// can be corrected, else nil.
func (c *chatWindow) lastOwn() *chatMsg {
	n := len(c.conv.msgs)
	if c.room || n == 0 {
		return nil
	}
	m := c.conv.msgs[n-1]
	if !m.outgoing || m.id == "" || m.notice || m.state == history.Failed || m.upload != nil {
		return nil
	}
	return m
}

// editLast starts correcting our last message, and reports whether
// there was one to correct.
func (c *chatWindow) editLast() bool {
	if _, ok := c.s.core.(corrector); !ok || c.s.closed {
		return false
	}
	m := c.lastOwn()
	if m == nil {
		return false
	}
	if c.replying != nil {
		c.stopReplying()
	}
	c.editing = m
	c.entry.setQuietly(m.body)
	c.entry.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown}) // the caret at the end
	c.editBar.Show()
	return true
}

// stopEditing leaves the correction: the entry is emptied.
func (c *chatWindow) stopEditing() {
	c.editing = nil
	c.editBar.Hide()
	c.entry.setQuietly("")
}

// escape cancels a correction under way, or closes the window.
func (c *chatWindow) escape() {
	if c.editing != nil {
		c.stopEditing()
		return
	}
	if c.replying != nil {
		c.stopReplying()
		return
	}
	c.win.Close()
}

// sendCorrection sends text as the correction of the message edited.
func (c *chatWindow) sendCorrection(text string) {
	m := c.editing
	c.editing = nil
	c.editBar.Hide()
	if co, ok := c.s.core.(corrector); ok && text != m.body {
		co.CorrectMessage(c.conv.peer, m.id, text)
	}
}

// showOriginal shows the first body of the corrected message m, which
// can be selected and copied.
func (c *chatWindow) showOriginal(m *chatMsg) {
	if !m.edited || m.original == "" {
		return
	}
	text, _ := clipPreview(m.original)
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Selectable = true
	copyBtn := widget.NewButtonWithIcon(lang.L("Copy"), theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(m.original)
	})
	content := container.NewBorder(nil, container.NewHBox(copyBtn), nil, nil, container.NewVScroll(l))
	d := dialog.NewCustom(originalTitle(), lang.L("Close"), content, c.win)
	d.Resize(fyne.NewSize(400, 240))
	d.Show()
}

// originalTitle heads the dialog with a corrected message's first body.
func originalTitle() string { return lang.L("Before it was edited") }
