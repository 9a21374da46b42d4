package views

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/views/model"
)

// The room browser: the public rooms of a group chat service (XEP-0045
// §6.3), opened from the Join dialog. Choosing a room (a tap, then
// Choose) writes its address into the Join dialog and closes the
// browser; the user still joins with Join. The state and the filter are
// model.RoomBrowse's; the list is a virtual one, for services with
// thousands of rooms.

// roomLister is a core that lists a service's rooms; app.Client is one.
type roomLister interface {
	ListRooms(service string)
}

var _ roomLister = (*app.Client)(nil)

// roomBrowser is an open room browser of one account.
type roomBrowser struct {
	s        *session
	d        *dialog.CustomDialog
	filter   *widget.Entry
	list     *widget.List
	count    *widget.Label // how many rooms, under the list
	message  *widget.Label // loading, failure, no rooms
	retry    *widget.Button
	center   *fyne.Container // the message and Try again, over the list
	content  *fyne.Container
	choose   *widget.Button
	selected int // index in Shown, -1 for none
	onChoose func(app.RoomItem)
}

// browseRooms opens s's room browser on service ("" for the account's
// server's own); onChoose gets the room chosen.
func (u *UI) browseRooms(s *session, service string, onChoose func(app.RoomItem)) {
	lister, ok := s.core.(roomLister)
	if !ok {
		return
	}
	if b := s.browser; b != nil {
		b.d.Hide()
	}
	b := &roomBrowser{s: s, selected: -1, onChoose: onChoose}
	s.browser = b
	s.Browse = &model.RoomBrowse{}

	b.filter = widget.NewEntry()
	b.filter.SetPlaceHolder(lang.L("Filter by name, address or description"))
	b.filter.OnChanged = func(text string) {
		if s.Browse == nil {
			return
		}
		s.Browse.SetFilter(text)
		b.unselect()
		b.show()
	}
	b.filter.OnSubmitted = func(string) {
		if s.Browse != nil && len(s.Browse.Shown) == 1 {
			b.selected = 0
			b.chosen()
		}
	}
	b.list = widget.NewList(
		func() int {
			if s.Browse == nil {
				return 0
			}
			return len(s.Browse.Shown)
		},
		newRoomItemRow,
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if s.Browse != nil && id < len(s.Browse.Shown) {
				setRoomItemRow(o, s.Browse.Shown[id])
			}
		})
	b.list.OnSelected = func(id widget.ListItemID) {
		b.selected = id
		b.choose.Enable()
	}
	b.list.OnUnselected = func(widget.ListItemID) {
		b.selected = -1
		b.choose.Disable()
	}
	b.count = widget.NewLabel("")
	b.count.Importance = widget.LowImportance
	b.count.Truncation = fyne.TextTruncateEllipsis
	b.message = widget.NewLabel("")
	b.message.Wrapping = fyne.TextWrapWord
	b.message.Alignment = fyne.TextAlignCenter
	b.retry = widget.NewButton(lang.L("Try again"), func() { b.load(lister, s.Browse.Asked) })
	b.center = container.NewVBox(b.message, container.NewCenter(b.retry))
	refresh := widget.NewButtonWithIcon(lang.L("Refresh"), theme.ViewRefreshIcon(), func() {
		if s.Browse != nil {
			b.load(lister, s.Browse.Asked)
		}
	})
	b.content = container.NewBorder(b.filter, b.count, nil, nil,
		container.NewStack(b.list, container.NewPadded(container.NewVBox(b.center))))

	b.d = dialog.NewCustomWithoutButtons(lang.L("Rooms"), b.content, u.win)
	b.choose = widget.NewButton(lang.L("Choose"), b.chosen)
	b.choose.Importance = widget.HighImportance
	b.choose.Disable()
	b.d.SetButtons([]fyne.CanvasObject{refresh, widget.NewButton(lang.L("Cancel"), b.d.Hide), b.choose})
	b.d.SetOnClosed(func() {
		if s.browser == b {
			s.browser, s.Browse = nil, nil
		}
	})
	b.load(lister, service)
	u.fitDialog(b.d, 520)
	size := u.win.Canvas().Size()
	b.d.Resize(fyne.NewSize(min(520, max(size.Width-2*theme.Padding(), b.d.MinSize().Width)), max(min(480, size.Height-2*theme.Padding()), b.d.MinSize().Height)))
	b.d.Show()
	u.win.Canvas().Focus(b.filter)
}

// load asks for the rooms of service.
func (b *roomBrowser) load(l roomLister, service string) {
	b.s.Browse.Start(service)
	b.unselect()
	l.ListRooms(service)
	b.show()
}

func (b *roomBrowser) unselect() {
	b.selected = -1
	b.list.UnselectAll()
	b.choose.Disable()
}

// chosen hands the selected room to the Join dialog and closes.
func (b *roomBrowser) chosen() {
	m := b.s.Browse
	if m == nil || b.selected < 0 || b.selected >= len(m.Shown) {
		return
	}
	r := m.Shown[b.selected]
	b.d.Hide()
	b.onChoose(r)
}

// refreshRoomBrowser shows what the model's browser got.
func (s *session) refreshRoomBrowser() {
	if b := s.browser; b != nil && s.Browse != nil {
		b.unselect()
		b.show()
	}
}

// show brings the dialog in line with the model.
func (b *roomBrowser) show() {
	m := b.s.Browse
	if m == nil {
		return
	}
	msg, retry, count := roomBrowseText(m)
	if m.Service != "" && count != "" {
		count = m.Service + ": " + count
	}
	b.message.SetText(msg)
	b.count.SetText(count)
	if retry {
		b.retry.Show()
	} else {
		b.retry.Hide()
	}
	if msg == "" {
		b.center.Hide()
	} else {
		b.center.Show()
	}
	if m.State == model.BrowseLoaded {
		b.filter.Enable()
	} else {
		b.filter.Disable()
	}
	b.content.Refresh() // lays the message out anew: its height changed
	if len(m.Shown) > 0 {
		b.list.ScrollToTop()
	}
}

// roomBrowseText words the browser's state: the message over the list
// ("" for none), whether to offer Try again, and the count under it.
func roomBrowseText(m *model.RoomBrowse) (msg string, retry bool, count string) {
	switch m.State {
	case model.BrowseLoading:
		return lang.L("Loading rooms…"), false, ""
	case model.BrowseFailed:
		if m.NoService {
			return lang.L("This server has no group chat service. Enter a room's address instead."), false, ""
		}
		return lang.L("Could not list the rooms: {{.Error}}.", map[string]any{"Error": errorText(m.Err)}), true, ""
	}
	n := len(m.Rooms)
	if n == 0 {
		return lang.L("This service lists no public rooms. Enter a room's address instead."), false, ""
	}
	d := map[string]any{"Count": n, "Shown": len(m.Shown)} // not translated: placeholder names
	switch {
	case m.Filtered() && m.Truncated:
		count = lang.N("{{.Shown}} of {{.Count}} rooms; the service has more: filter, or enter an address", n, d)
	case m.Filtered():
		count = lang.N("{{.Shown}} of {{.Count}} rooms", n, d)
	case m.Truncated:
		count = lang.N("{{.Count}} rooms; the service has more: filter, or enter an address", n, d)
	default:
		count = lang.N("{{.Count}} rooms", n, d)
	}
	if m.Filtered() && len(m.Shown) == 0 {
		return lang.L("No room matches."), false, count
	}
	return "", false, count
}

// newRoomItemRow is a row of the browser: the room's name, and under it
// its address and what the service tells of it.
func newRoomItemRow() fyne.CanvasObject {
	name := widget.NewLabel("")
	name.TextStyle.Bold = true
	name.Truncation = fyne.TextTruncateEllipsis
	about := widget.NewLabel("")
	about.Importance = widget.LowImportance
	about.SizeName = theme.SizeNameCaptionText
	about.Truncation = fyne.TextTruncateEllipsis
	return container.New(&tightRows{}, name, about)
}

func setRoomItemRow(o fyne.CanvasObject, r app.RoomItem) {
	objs := o.(*fyne.Container).Objects
	objs[0].(*widget.Label).SetText(model.RoomTitle(r))
	objs[1].(*widget.Label).SetText(roomItemText(r))
}

// roomItemText words what the service tells of a room, after its
// address.
func roomItemText(r app.RoomItem) string {
	parts := []string{r.JID}
	switch {
	case r.Occupants == 0:
		parts = append(parts, lang.L("nobody in it"))
	case r.Occupants > 0:
		parts = append(parts, lang.N("{{.Count}} people", r.Occupants, map[string]any{"Count": r.Occupants}))
	}
	if r.PasswordProtected {
		parts = append(parts, lang.L("password needed"))
	}
	if r.MembersOnly {
		parts = append(parts, lang.L("members only"))
	}
	if r.Description != "" {
		parts = append(parts, r.Description)
	}
	return strings.Join(parts, " · ")
}

// browseButton is the Join dialog's Browse rooms… button: it lists the
// rooms of the service of the address written (or of the account's
// server), and writes the room chosen into addr. Nil when the core
// cannot list rooms.
func (u *UI) browseButton(chosen func() *session, addr, pass *widget.Entry) fyne.CanvasObject {
	if _, ok := chosen().core.(roomLister); !ok {
		return nil
	}
	b := widget.NewButtonWithIcon(lang.L("Browse rooms…"), theme.SearchIcon(), func() {
		s := chosen()
		service := ""
		if _, domain, ok := strings.Cut(strings.TrimSpace(addr.Text), "@"); ok && domain != "" {
			service = domain
		}
		u.browseRooms(s, service, func(r app.RoomItem) {
			addr.SetText(r.JID)
			if r.PasswordProtected {
				u.win.Canvas().Focus(pass)
			} else {
				u.win.Canvas().Focus(addr)
			}
		})
	})
	b.Importance = widget.LowImportance
	return container.NewHBox(b)
}

// roomAddress reads the address the user wrote of a room: one without
// its service ("tea") is completed with the account's, when known.
func roomAddress(s *session, text string) (jid.JID, error) {
	text = strings.TrimSpace(text)
	if text != "" && !strings.Contains(text, "@") {
		if s.RoomService == "" {
			return jid.JID{}, errors.New(lang.L("write the room's whole address, such as {{.Name}}@conference.example.org, or choose one with Browse rooms…", map[string]any{"Name": text}))
		}
		text += "@" + s.RoomService
	}
	return account.ParseJID(text)
}
