package views

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/views/model"
)

// prefOpenChats is the preference (Fyne's Preferences) that says whether a
// contact's message opens its chat window by itself.
const prefOpenChats = "chats.openByThemselves"

// blocker is a core that can block an address on the server (XEP-0191);
// app.Client is one. A core without it blocks on this computer only.
type blocker interface {
	Block(jid string)
}

// acceptRequest adds the sender as a contact and opens the chat, with the
// messages they sent (the archive has them).
func (s *session) acceptRequest(from string) {
	s.MsgRequests.Remove(from)
	s.core.AddContact(from, "", nil)
	s.openChat(from)
	s.ui.refreshMessageRequests()
}

// blockRequest blocks the sender: on the server when the core can
// (XEP-0191; it falls back to this computer when the server cannot),
// and here in any case.
func (s *session) blockRequest(from string) {
	s.MsgRequests.Ignore(from)
	if b, ok := s.core.(blocker); ok {
		b.Block(from)
	}
	s.ui.refreshMessageRequests()
}

// ignoreRequest drops the request; a later message brings it back.
func (s *session) ignoreRequest(from string) {
	s.MsgRequests.Remove(from)
	s.ui.refreshMessageRequests()
}

// openChatsByThemselves reports whether a contact's message may open its
// chat window (the user can turn it off in the Contacts menu).
func (u *UI) openChatsByThemselves() bool {
	return u.app.Preferences().BoolWithFallback(prefOpenChats, true)
}

// openChatsItem is the Contacts menu toggle for openChatsByThemselves.
func (u *UI) openChatsItem() *fyne.MenuItem {
	item := fyne.NewMenuItem(lang.L("Open chats by themselves"), nil)
	item.Checked = u.openChatsByThemselves()
	item.Action = func() {
		on := !u.openChatsByThemselves()
		u.app.Preferences().SetBool(prefOpenChats, on)
		item.Checked = on
		if mm := u.win.MainMenu(); mm != nil {
			mm.Refresh()
		}
	}
	return item
}

// newMessageRequestsBar builds the line above the contacts that says how
// many strangers wrote, hidden while none did.
func (u *UI) newMessageRequestsBar() *fyne.Container {
	u.msgRequestsText = widget.NewLabel("")
	open := widget.NewButton(lang.L("Show…"), u.showMessageRequests)
	bar := container.NewBorder(nil, nil, nil, open, u.msgRequestsText)
	bar.Hide()
	u.msgRequestsBar = bar
	return bar
}

// refreshMessageRequests updates the bar and an open requests dialog.
func (u *UI) refreshMessageRequests() {
	n := 0
	for _, s := range u.sessions {
		n += len(s.MsgRequests.List)
	}
	if n == 0 {
		u.msgRequestsBar.Hide()
	} else {
		u.msgRequestsText.SetText(lang.N("{{.Count}} message requests from people not in your contacts", n, map[string]any{"Count": n}))
		u.msgRequestsBar.Show()
	}
	u.relayout()
	if u.msgRequestsOpen != nil {
		u.msgRequestsOpen.Hide()
		u.msgRequestsOpen = nil
		if n > 0 {
			u.showMessageRequests()
		}
	}
}

// showMessageRequests lists the strangers who wrote, each with Accept
// (add as contact and open the chat), Block and Ignore.
func (u *UI) showMessageRequests() {
	box := container.NewVBox()
	for _, s := range u.sessions {
		for i := len(s.MsgRequests.List) - 1; i >= 0; i-- { // newest first
			box.Add(u.messageRequestRow(s, s.MsgRequests.List[i]))
		}
	}
	if len(box.Objects) == 0 {
		return
	}
	intro := widget.NewLabel(lang.L("People not in your contacts wrote to you. Their messages are kept; nothing opens for them until you accept."))
	intro.Wrapping = fyne.TextWrapWord
	content := container.NewBorder(intro, nil, nil, nil, container.NewVScroll(box))
	d := dialog.NewCustom(lang.L("Message requests"), lang.L("Close"), content, u.win)
	d.SetOnClosed(func() {
		if u.msgRequestsOpen == d {
			u.msgRequestsOpen = nil
		}
	})
	u.msgRequestsOpen = d
	// Wrapped labels ask for no width: give the dialog its own, and room
	// for a few requests.
	u.fitDialog(d, 400)
	d.Resize(fyne.NewSize(min(400, u.win.Canvas().Size().Width-2*theme.Padding()), 420))
	d.Show()
}

func (u *UI) messageRequestRow(s *session, r *model.MessageRequest) fyne.CanvasObject {
	d := map[string]any{"From": r.From, "Count": r.Count, "Account": s.acct.JID} // not translated: placeholder names
	text := r.From
	switch multi := len(u.sessions) > 1; {
	case r.Count > 1 && multi:
		text = lang.N("{{.From}} ({{.Count}} messages) to {{.Account}}", r.Count, d)
	case r.Count > 1:
		text = lang.N("{{.From}} ({{.Count}} messages)", r.Count, d)
	case multi:
		text = lang.L("{{.From}} to {{.Account}}", d)
	}
	preview, _ := clipPreview(r.Last)
	preview = plainLine(strings.Join(strings.Fields(clipRunes(preview, 120)), " "))
	l := widget.NewLabel(text + "\n" + lang.L("“{{.Text}}”", map[string]any{"Text": preview}))
	l.Wrapping = fyne.TextWrapWord
	from := r.From
	accept := widget.NewButton(lang.L("Accept"), func() { s.acceptRequest(from) })
	accept.Importance = widget.HighImportance
	block := widget.NewButton(lang.L("Block"), func() { s.blockRequest(from) })
	ignore := widget.NewButton(lang.L("Ignore"), func() { s.ignoreRequest(from) })
	// The buttons under the text, not beside it: beside three buttons a
	// wrapped label is left a column one letter wide.
	return container.NewVBox(l, container.NewHBox(layout.NewSpacer(), accept, block, ignore), widget.NewSeparator())
}

// messageRequestsOf is for tests: the senders waiting, oldest first.
func (s *session) messageRequestsOf() []string {
	out := make([]string, len(s.MsgRequests.List))
	for i, r := range s.MsgRequests.List {
		out[i] = r.From
	}
	return out
}

var _ blocker = (*app.Client)(nil)
