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

// Last message correction (XEP-0308): Up in the empty entry of a chat
// puts our last message in it, Enter sends the correction, Esc cancels.
// The row shows the new text once the core reports it
// (app.MessageCorrected); the core corrects only our last message. In a
// room that is our last line, whatever others said after it, once the
// room has reflected it (the core corrects only a line the room has),
// and only while we are in the room; until the room has it, Up says so
// above the entry. Others' corrections of their lines come the same way:
// the core applies only those of the line's own sender.

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
// can be corrected, else nil. In a room it is our last line, once the
// room has reflected it: unreflected reports that our last line has not
// come back from the room yet.
func (c *chatWindow) lastOwn() (m *chatMsg, unreflected bool) {
	n := len(c.conv.msgs)
	if n == 0 || c.conv.newer {
		return nil, false // the newest are not held (reading back)
	}
	if !c.room {
		m = c.conv.msgs[n-1]
		if !m.outgoing || !correctable(m) {
			return nil, false
		}
		return m, false
	}
	if r := c.s.Rooms[c.conv.peer]; r == nil || !r.Joined || c.left {
		return nil, false
	}
	for i := n - 1; i >= 0; i-- {
		m = c.conv.msgs[i]
		switch {
		case !m.outgoing:
			continue
		case !correctable(m):
			return nil, false
		case m.state == history.Pending:
			return nil, true
		}
		return m, false
	}
	return nil, false
}

// correctable reports whether our message m can be corrected: sent (or
// on its way), and text rather than a file being uploaded.
func correctable(m *chatMsg) bool {
	return m.id != "" && !m.notice && m.state != history.Failed && m.upload == nil
}

// notReflectedText says why Up does not edit our last line in a room.
func notReflectedText() string {
	return lang.L("Your last message has not reached the room yet: you can edit it once it has")
}

// editLast starts correcting our last message, and reports whether
// there was one to correct (or a hint why not).
func (c *chatWindow) editLast() bool {
	if _, ok := c.s.core.(corrector); !ok || c.s.closed {
		return false
	}
	m, unreflected := c.lastOwn()
	if unreflected && c.replying == nil {
		c.editBar.SetText(notReflectedText())
		c.editBar.Show()
		return true
	}
	if m == nil {
		return false
	}
	if c.replying != nil {
		c.stopReplying()
	}
	c.editing = m
	c.editBar.SetText(editingText())
	c.entry.setQuietly(m.body)
	c.entry.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown}) // the caret at the end
	c.editBar.Show()
	return true
}

// hideHint takes a hint (notReflectedText) away from above the entry,
// and reports whether one was shown.
func (c *chatWindow) hideHint() bool {
	if c.editing != nil || c.replying != nil || !c.editBar.Visible() {
		return false
	}
	c.editBar.Hide()
	c.editBar.SetText(editingText())
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
	if c.hideHint() {
		return
	}
	c.win.Close()
}

// sendCorrection sends text as the correction of the message edited
// (in a room, of our line named by the id we sent it with).
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
