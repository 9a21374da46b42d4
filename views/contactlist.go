package views

import (
	"image/color"
	"math"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/views/model"
)

// contactList shows a Roster's rows in a virtualized widget.List: only the
// visible rows have widgets, so a roster of thousands costs no more to draw
// than one of twenty.
type contactList struct {
	list *widget.List
	rows []Row

	// selected is the selected contact row, kept across rebuilds by group
	// and contact since a contact may appear in several groups.
	selGroup string
	selKey   model.ContactKey

	onSelect func(r Row, ok bool)
	onOpen   func(k model.ContactKey)
	onToggle func(header Row)
	onMenu   func(r Row, c fyne.Canvas, at fyne.Position)

	// marks, when set, marks each contact row with its account: a bar in
	// the account's colour and its address after the status. The list
	// sets it while it shows more than one account by group.
	marks bool
	// accountColor is the colour of an account's mark; markGen changes
	// when the colours may have (the accounts were reordered).
	accountColor func(account string) color.Color
	markGen      int

	// do hands the rows' pictures, loaded in the background, to the UI
	// goroutine; images caches them.
	do     func(func())
	images *avatarImages
}

// rowAvatarSize is the side of the pictures in the contact list.
const rowAvatarSize = 28

func newContactList() *contactList {
	cl := &contactList{do: fyne.Do, images: avatarCache}
	cl.list = widget.NewList(
		func() int { return len(cl.rows) },
		func() fyne.CanvasObject { return newContactRow(cl) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(cl.rows) {
				o.(*contactRow).set(id, cl.rows[id])
			}
		})
	cl.list.OnSelected = func(id widget.ListItemID) {
		if id >= len(cl.rows) || cl.rows[id].Header {
			cl.list.Unselect(id)
			return
		}
		r := cl.rows[id]
		cl.selGroup, cl.selKey = r.Group, r.Key()
		if cl.onSelect != nil {
			cl.onSelect(r, true)
		}
	}
	return cl
}

// setRows shows new rows, keeping the selection when its contact is still
// listed, and refreshes the list once.
func (cl *contactList) setRows(rows []Row) {
	cl.rows = rows
	if cl.selKey.JID != "" {
		if id, ok := cl.find(cl.selGroup, cl.selKey); ok {
			// Select refreshes only when the index moved.
			cl.list.Select(id)
		} else {
			cl.clearSelection()
		}
	}
	cl.list.Refresh()
}

func (cl *contactList) find(group string, k model.ContactKey) (int, bool) {
	for i := range cl.rows {
		if r := &cl.rows[i]; !r.Header && r.JID == k.JID && r.Account == k.Account && r.Group == group {
			return i, true
		}
	}
	return 0, false
}

func (cl *contactList) clearSelection() {
	cl.selGroup, cl.selKey = "", model.ContactKey{}
	cl.list.UnselectAll()
	if cl.onSelect != nil {
		cl.onSelect(Row{}, false)
	}
}

// selected returns the selected contact row.
func (cl *contactList) selected() (Row, bool) {
	if cl.selKey.JID == "" {
		return Row{}, false
	}
	id, ok := cl.find(cl.selGroup, cl.selKey)
	if !ok {
		return Row{}, false
	}
	return cl.rows[id], true
}

// contactRow draws one Row: a group header, or a contact with presence dot,
// picture, name, status (or a typing marker) and unread badge. One row widget serves both kinds so that
// the list can recycle any row for any line.
type contactRow struct {
	widget.BaseWidget
	cl    *contactList
	id    widget.ListItemID
	row   Row
	shown bool // row has been drawn
	// marked is whether the row was drawn with its account's mark, and
	// markGen the list's markGen then.
	marked  bool
	markGen int

	arrow  *widget.Icon
	mark   *canvas.Rectangle // the account's colour, when marks are on
	dot    *canvas.Circle
	avatar *avatar
	name   *widget.Label
	status *widget.Label
	badge  *badge
}

var (
	_ fyne.Tappable          = (*contactRow)(nil)
	_ fyne.DoubleTappable    = (*contactRow)(nil)
	_ fyne.SecondaryTappable = (*contactRow)(nil)
)

func newContactRow(cl *contactList) *contactRow {
	r := &contactRow{
		cl:     cl,
		arrow:  widget.NewIcon(theme.MenuDropDownIcon()),
		mark:   canvas.NewRectangle(colorOffline),
		dot:    canvas.NewCircle(colorOffline),
		avatar: newAvatarWidget(rowAvatarSize, func(f func()) { cl.do(f) }, cl.images),
		name:   widget.NewLabel(""),
		status: widget.NewLabel(""),
		badge:  newBadge(),
	}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.status.Truncation = fyne.TextTruncateEllipsis
	r.status.TextStyle.Italic = true
	r.ExtendBaseWidget(r)
	return r
}

func (r *contactRow) set(id widget.ListItemID, row Row) {
	// Most rows are unchanged when the list refreshes; laying out their
	// labels again (text shaping for the ellipsis) is the list's main cost.
	if r.shown && r.row == row && r.marked == r.cl.marks && r.markGen == r.cl.markGen {
		r.id = id
		return
	}
	r.id, r.row, r.shown, r.marked, r.markGen = id, row, true, r.cl.marks, r.cl.markGen
	r.mark.Hide()
	if row.Header {
		r.arrow.Show()
		if row.Collapsed {
			r.arrow.SetResource(theme.MenuExpandIcon())
		} else {
			r.arrow.SetResource(theme.MenuDropDownIcon())
		}
		r.dot.Hide()
		r.avatar.Hide()
		r.status.Hide()
		r.badge.Hide()
		r.name.TextStyle.Bold = true
		r.name.SetText(groupTitle(row.Group) + " (" + strconv.Itoa(row.Online) + "/" + strconv.Itoa(row.Total) + ")")
		r.Refresh()
		return
	}
	r.arrow.Hide()
	r.dot.Show()
	r.dot.FillColor = showColor(row.Show)
	r.dot.Refresh()
	// The picture is loaded only now that the row is drawn, and only
	// if it is not in the cache.
	r.avatar.show(row.JID, row.Name, row.Avatar, avatarSource{path: row.AvatarPath})
	r.avatar.Show()
	r.name.TextStyle.Bold = row.Unread > 0
	// Clipped: truncating a long text with an ellipsis costs in
	// proportion to its length, for every row drawn.
	r.name.SetText(clipRunes(row.Name, 200))
	status := clipRunes(row.Status, 200)
	if status == "" && row.Pending {
		status = lang.L("awaiting authorization")
	}
	r.status.Importance = widget.MediumImportance
	r.name.Importance = widget.MediumImportance
	if row.Stale {
		// Not confirmed since the last session: dimmed, with its age.
		status = joinStatus(lastSeenText(row.Since, clock.now()), status)
		r.status.Importance = widget.LowImportance
		r.name.Importance = widget.LowImportance
	}
	if row.Typing {
		status = lang.L("typing…")
		r.status.Importance = widget.HighImportance
	}
	if r.cl.marks {
		r.mark.FillColor = colorOffline
		if r.cl.accountColor != nil {
			r.mark.FillColor = r.cl.accountColor(row.Account)
		}
		r.mark.Refresh()
		r.mark.Show()
		acct := row.Account
		if row.Merged > 1 {
			acct += " +" + strconv.Itoa(row.Merged-1)
		}
		status = joinStatus(status, acct)
	}
	r.status.SetText(status)
	r.status.Show()
	r.badge.set(row.Unread)
	r.Refresh()
}

// accountColors mark the accounts, in the order of the settings: the
// Okabe-Ito palette, told apart also by people with colour blindness;
// past eight, they repeat.
var accountColors = []color.NRGBA{
	{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}, // blue
	{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}, // orange
	{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}, // bluish green
	{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}, // reddish purple
	{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}, // sky blue
	{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}, // vermillion
	{R: 0xf0, G: 0xe4, B: 0x42, A: 0xff}, // yellow
	{R: 0x99, G: 0x99, B: 0x99, A: 0xff}, // grey
}

// accountColor is the colour that marks the account bare's contacts and
// its row in the Accounts window.
func (u *UI) accountColor(bare string) color.Color {
	return accountColors[u.order(bare)%len(accountColors)]
}

// lastSeenText words when a presence that is not confirmed was last known
// to hold: the time today, else the day and time as the language says
// them ("yesterday 22:14", "Mon 2 Nov 2026 22:14"). A row words it only
// when it changed (contactRow.set), not on every refresh.
func lastSeenText(since, now time.Time) string {
	if since.IsZero() {
		return lang.L("last seen")
	}
	when := since.In(clock.loc).Format("15:04")
	if !sameDay(since, now, clock.loc) {
		when = whenText(since, now, clock.loc)
	}
	return lang.L("last seen {{.Time}}", map[string]any{"Time": when})
}

// joinStatus joins a note and a status text, either of them empty.
func joinStatus(note, status string) string {
	switch {
	case status == "":
		return note
	case note == "":
		return status
	}
	return note + " · " + status
}

// Tapped selects a contact or folds a group.
func (r *contactRow) Tapped(*fyne.PointEvent) {
	if r.row.Header {
		if r.cl.onToggle != nil {
			r.cl.onToggle(r.row)
		}
		return
	}
	if c := fyne.CurrentApp().Driver().CanvasForObject(r.cl.list); c != nil {
		c.Focus(r.cl.list)
	}
	r.cl.list.Select(r.id)
}

// DoubleTapped opens the chat with the contact.
func (r *contactRow) DoubleTapped(*fyne.PointEvent) {
	if !r.row.Header && r.cl.onOpen != nil {
		r.cl.onOpen(r.row.Key())
	}
}

// TappedSecondary selects the contact and shows its menu.
func (r *contactRow) TappedSecondary(ev *fyne.PointEvent) {
	if r.row.Header {
		return
	}
	r.cl.list.Select(r.id)
	c := fyne.CurrentApp().Driver().CanvasForObject(r)
	if c != nil && r.cl.onMenu != nil {
		r.cl.onMenu(r.row, c, ev.AbsolutePosition)
	}
}

// CreateRenderer implements fyne.Widget.
func (r *contactRow) CreateRenderer() fyne.WidgetRenderer {
	return &contactRowRenderer{r: r, objects: []fyne.CanvasObject{r.arrow, r.mark, r.dot, r.avatar, r.name, r.status, r.badge}}
}

type contactRowRenderer struct {
	r       *contactRow
	objects []fyne.CanvasObject
}

func (rr *contactRowRenderer) Destroy()                     {}
func (rr *contactRowRenderer) Objects() []fyne.CanvasObject { return rr.objects }
func (rr *contactRowRenderer) Refresh() {
	rr.Layout(rr.r.Size())
	canvas.Refresh(rr.r)
}

func (rr *contactRowRenderer) MinSize() fyne.Size {
	th := rr.r.Theme()
	h := max(rr.r.name.MinSize().Height, rowAvatarSize+th.Size(theme.SizeNamePadding))
	return fyne.NewSize(th.Size(theme.SizeNameInlineIcon)*4+rowAvatarSize, h)
}

// Layout gives the name its natural width up to 60% of what is left after
// the dot, picture and badge; the status takes the rest and is cut with an
// ellipsis.
func (rr *contactRowRenderer) Layout(size fyne.Size) {
	r := rr.r
	th := r.Theme()
	pad := th.Size(theme.SizeNamePadding)
	icon := th.Size(theme.SizeNameInlineIcon)
	x := pad
	if r.row.Header {
		r.arrow.Resize(fyne.NewSquareSize(icon))
		r.arrow.Move(fyne.NewPos(x, (size.Height-icon)/2))
		x += icon
		r.name.Move(fyne.NewPos(x, 0))
		r.name.Resize(fyne.NewSize(size.Width-x, size.Height))
		return
	}
	r.mark.Move(fyne.NewPos(0, pad))
	r.mark.Resize(fyne.NewSize(pad/2, size.Height-2*pad))
	d := icon / 2
	r.dot.Move(fyne.NewPos(x+(icon-d)/2, (size.Height-d)/2))
	r.dot.Resize(fyne.NewSquareSize(d))
	x += icon
	r.avatar.Move(fyne.NewPos(x, (size.Height-rowAvatarSize)/2))
	r.avatar.Resize(fyne.NewSquareSize(rowAvatarSize))
	x += rowAvatarSize + pad
	right := size.Width - pad
	if r.badge.Visible() {
		b := r.badge.MinSize()
		right -= b.Width
		r.badge.Move(fyne.NewPos(right, (size.Height-b.Height)/2))
		r.badge.Resize(b)
	}
	avail := right - x
	if avail < 0 {
		avail = 0
	}
	nameW := naturalWidth(r.name, th)
	if r.status.Text == "" {
		nameW = avail
	} else if nameW > avail*0.6 {
		nameW = avail * 0.6
	}
	r.name.Move(fyne.NewPos(x, 0))
	r.name.Resize(fyne.NewSize(nameW, size.Height))
	r.status.Move(fyne.NewPos(x+nameW, 0))
	r.status.Resize(fyne.NewSize(avail-nameW, size.Height))
}

// naturalWidth is the width a label needs to show its text uncut. The
// pixel of slack keeps float rounding from cutting the last letter.
func naturalWidth(l *widget.Label, th fyne.Theme) float32 {
	w := fyne.MeasureText(l.Text, th.Size(theme.SizeNameText), l.TextStyle).Width
	return float32(math.Ceil(float64(w))) + 1 + 2*th.Size(theme.SizeNameInnerPadding)
}

// badge is the unread count: white digits on the primary colour.
type badge struct {
	widget.BaseWidget
	bg   *canvas.Rectangle
	text *canvas.Text
}

func newBadge() *badge {
	b := &badge{bg: canvas.NewRectangle(theme.Color(theme.ColorNamePrimary)), text: canvas.NewText("", theme.Color(theme.ColorNameForegroundOnPrimary))}
	b.text.TextStyle.Bold = true
	b.text.Alignment = fyne.TextAlignCenter
	b.ExtendBaseWidget(b)
	b.Hide()
	return b
}

func (b *badge) set(n int) {
	if n <= 0 {
		b.Hide()
		return
	}
	s := strconv.Itoa(n)
	if n > 999 {
		s = "999+"
	}
	b.text.Text = s
	b.Show()
	b.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (b *badge) CreateRenderer() fyne.WidgetRenderer {
	return &badgeRenderer{b: b}
}

type badgeRenderer struct{ b *badge }

func (br *badgeRenderer) Destroy() {}
func (br *badgeRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{br.b.bg, br.b.text}
}

func (br *badgeRenderer) MinSize() fyne.Size {
	th := br.b.Theme()
	br.b.text.TextSize = th.Size(theme.SizeNameCaptionText)
	t := br.b.text.MinSize()
	h := t.Height + th.Size(theme.SizeNamePadding)
	w := t.Width + 2*th.Size(theme.SizeNamePadding)
	if w < h {
		w = h
	}
	return fyne.NewSize(w, h)
}

func (br *badgeRenderer) Layout(size fyne.Size) {
	br.b.bg.Resize(size)
	br.b.bg.CornerRadius = size.Height / 2
	t := br.b.text.MinSize()
	br.b.text.Move(fyne.NewPos(0, (size.Height-t.Height)/2))
	br.b.text.Resize(fyne.NewSize(size.Width, t.Height))
}

func (br *badgeRenderer) Refresh() {
	th := br.b.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	br.b.bg.FillColor = th.Color(theme.ColorNamePrimary, v)
	br.b.text.Color = th.Color(theme.ColorNameForegroundOnPrimary, v)
	br.Layout(br.b.Size())
	br.b.bg.Refresh()
	br.b.text.Refresh()
}

// groupTitle words a roster group for its header: the group of contacts
// in none has a name in the user's language; the others are the user's.
func groupTitle(g string) string {
	if g == DefaultGroup {
		return lang.L("Contacts")
	}
	return g
}
