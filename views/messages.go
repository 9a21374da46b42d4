package views

import (
	"sort"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app/im"
)

// Limits of what a message row draws. Laying out text costs time in
// proportion to its length, so a 1 MB body drawn in full would freeze the
// window; the full text stays available through Copy.
const (
	previewBytes = 10_000
	previewLines = 200
)

// clock is the time source of the views, replaced in tests for stable
// golden files.
var clock = struct {
	now func() time.Time
	loc *time.Location
}{now: time.Now, loc: time.Local}

// chatMsg is one message of a conversation.
type chatMsg struct {
	id       string
	outgoing bool
	sender   string
	body     string // the full text, for Copy
	preview  string // what the row draws
	clipped  bool   // preview is shorter than body
	cut      bool   // the core cut the body at im.MaxBody
	at       time.Time
	delayed  bool
	failed   string

	// height is the row height at width measuredAt (0: not measured).
	height, measuredAt float32
	// wrapped is preview broken into lines for width wrappedAt.
	wrapped   string
	wrappedAt float32
}

func newChatMsg(id, sender, body string, at time.Time, outgoing bool) *chatMsg {
	m := &chatMsg{id: id, sender: sender, body: body, at: at, outgoing: outgoing}
	m.preview, m.clipped = clipPreview(body)
	return m
}

// clipPreview returns the first previewBytes of s, and at most previewLines
// lines, without splitting a character.
func clipPreview(s string) (string, bool) {
	n := len(s)
	if n > previewBytes {
		n = previewBytes
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
	}
	lines := 0
	for i := 0; i < n; i++ {
		if s[i] == '\n' {
			lines++
			if lines == previewLines {
				n = i
				break
			}
		}
	}
	if n == len(s) {
		return s, false
	}
	return s[:n], true
}

// stamp formats a message time: the clock time today, the date otherwise.
func stamp(t time.Time) string {
	t = t.In(clock.loc)
	now := clock.now().In(clock.loc)
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// conversation is the history with one peer, kept while the window is
// closed so that reopening it shows what was said.
type conversation struct {
	peer string
	msgs []*chatMsg
	byID map[string]*chatMsg
}

func newConversation(peer string) *conversation {
	return &conversation{peer: peer, byID: make(map[string]*chatMsg)}
}

// add inserts m in time order (delayed messages arrive late but belong
// where they were sent) and returns its index.
func (c *conversation) add(m *chatMsg) int {
	if m.id != "" {
		c.byID[m.id] = m
	}
	i := sort.Search(len(c.msgs), func(i int) bool { return c.msgs[i].at.After(m.at) })
	c.msgs = append(c.msgs, nil)
	copy(c.msgs[i+1:], c.msgs[i:])
	c.msgs[i] = m
	return i
}

// fail marks the sent message id as not delivered.
func (c *conversation) fail(id string, err error) bool {
	m, ok := c.byID[id]
	if !ok || !m.outgoing {
		return false
	}
	m.failed = "Not delivered"
	if err != nil {
		m.failed += ": " + err.Error()
	}
	m.measuredAt = 0
	return true
}

func incomingMsg(sender, body string, msg im.Message, at time.Time) *chatMsg {
	m := newChatMsg("", sender, body, at, false)
	m.delayed = !msg.Delay.IsZero()
	m.cut = msg.Truncated
	return m
}

// messageRow draws one message: a coloured bar (primary for our messages,
// grey for theirs), a header with time, sender and marks, the selectable
// body, and notes for clipped or failed messages.
type messageRow struct {
	widget.BaseWidget
	msg *chatMsg

	bar      *canvas.Rectangle
	header   *widget.RichText
	copyBtn  *widget.Button
	body     *widget.Label
	note     *widget.Label
	noteCopy *widget.Button
	failure  *widget.Label
}

func newMessageRow() *messageRow {
	r := &messageRow{
		bar:    canvas.NewRectangle(theme.Color(theme.ColorNameDisabled)),
		header: widget.NewRichText(),
		body:   widget.NewLabel(""),
		note:   widget.NewLabel(""),
		failure: &widget.Label{
			Wrapping:   fyne.TextWrapWord,
			Importance: widget.DangerImportance,
		},
	}
	r.copyBtn = widget.NewButtonWithIcon("", theme.ContentCopyIcon(), r.copy)
	r.copyBtn.Importance = widget.LowImportance
	r.noteCopy = widget.NewButton("Copy", r.copy)
	r.noteCopy.Importance = widget.LowImportance
	r.note.Importance = widget.LowImportance
	// Wrapped by wrapText, which is fast for long texts; see there.
	r.body.Wrapping = fyne.TextWrapOff
	r.body.Selectable = true
	r.ExtendBaseWidget(r)
	return r
}

func (r *messageRow) copy() {
	if r.msg != nil {
		fyne.CurrentApp().Clipboard().SetContent(r.msg.body)
	}
}

func (r *messageRow) set(m *chatMsg) {
	r.msg = m
	sender := widget.RichTextStyleStrong
	sender.Inline = true
	if m.outgoing {
		sender.ColorName = theme.ColorNamePrimary
		r.bar.FillColor = r.Theme().Color(theme.ColorNamePrimary, fyne.CurrentApp().Settings().ThemeVariant())
	} else {
		r.bar.FillColor = r.Theme().Color(theme.ColorNameDisabled, fyne.CurrentApp().Settings().ThemeVariant())
	}
	dim := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameDisabled}
	segs := []widget.RichTextSegment{
		&widget.TextSegment{Text: stamp(m.at) + "  ", Style: dim},
		&widget.TextSegment{Text: m.sender, Style: sender},
	}
	if m.delayed {
		segs = append(segs, &widget.TextSegment{Text: "  (delayed)", Style: dim})
	}
	r.header.Segments = segs
	r.header.Refresh()
	if m.clipped || m.cut {
		text := "… message truncated. Full text:"
		if m.cut && !m.clipped {
			text = "… longer than 1 MB, the rest was dropped. Text:"
		}
		r.note.SetText(text)
		r.note.Show()
		r.noteCopy.Show()
	} else {
		r.note.Hide()
		r.noteCopy.Hide()
	}
	if m.failed != "" {
		r.failure.SetText("⚠ " + clipRunes(m.failed, 500))
		r.failure.Show()
	} else {
		r.failure.Hide()
	}
	r.bar.Refresh()
	r.Refresh()
}

// heightFor returns the height the row needs at width w.
func (r *messageRow) heightFor(w float32) float32 {
	return r.place(fyne.NewSize(w, 0))
}

// place lays the row out at size and returns the height it needs.
func (r *messageRow) place(size fyne.Size) float32 {
	th := r.Theme()
	pad := th.Size(theme.SizeNamePadding)
	barW := pad / 2
	x := barW + pad/2
	w := size.Width - x
	if w < 1 {
		w = 1
	}
	r.bar.Move(fyne.NewPos(0, pad/2))

	btn := r.copyBtn.MinSize()
	hh := r.header.MinSize().Height
	if btn.Height > hh {
		hh = btn.Height
	}
	r.header.Move(fyne.NewPos(x, (hh-r.header.MinSize().Height)/2))
	r.header.Resize(fyne.NewSize(w-btn.Width, r.header.MinSize().Height))
	r.copyBtn.Move(fyne.NewPos(size.Width-btn.Width, 0))
	r.copyBtn.Resize(btn)
	// The body sits close under the header: the label's own padding
	// already separates them.
	y := hh - pad
	if m := r.msg; m != nil {
		if m.wrappedAt != w {
			inner := w - 2*th.Size(theme.SizeNameInnerPadding) - 2
			m.wrapped, m.wrappedAt = wrapText(m.preview, inner, th.Size(theme.SizeNameText), r.body.TextStyle), w
		}
		if r.body.Text != m.wrapped {
			r.body.SetText(m.wrapped)
		}
	}
	bh := r.body.MinSize().Height
	r.body.Move(fyne.NewPos(x, y))
	r.body.Resize(fyne.NewSize(w, bh))
	y += bh
	if r.note.Visible() {
		nb := r.noteCopy.MinSize()
		nw := naturalWidth(r.note, th)
		if nw > w-nb.Width {
			nw = w - nb.Width
		}
		r.note.Move(fyne.NewPos(x, y))
		r.note.Resize(fyne.NewSize(nw, nb.Height))
		r.noteCopy.Move(fyne.NewPos(x+nw, y))
		r.noteCopy.Resize(nb)
		y += nb.Height
	}
	if r.failure.Visible() {
		r.failure.Resize(fyne.NewSize(w, r.failure.Size().Height))
		fh := r.failure.MinSize().Height
		r.failure.Move(fyne.NewPos(x, y-pad))
		r.failure.Resize(fyne.NewSize(w, fh))
		y += fh - pad
	}
	r.bar.Resize(fyne.NewSize(barW, y-pad))
	return y
}

// CreateRenderer implements fyne.Widget.
func (r *messageRow) CreateRenderer() fyne.WidgetRenderer {
	return &messageRowRenderer{r: r}
}

type messageRowRenderer struct{ r *messageRow }

func (mr *messageRowRenderer) Destroy() {}
func (mr *messageRowRenderer) Objects() []fyne.CanvasObject {
	r := mr.r
	return []fyne.CanvasObject{r.bar, r.header, r.copyBtn, r.body, r.note, r.noteCopy, r.failure}
}
func (mr *messageRowRenderer) Layout(size fyne.Size) { mr.r.place(size) }
func (mr *messageRowRenderer) MinSize() fyne.Size {
	r := mr.r
	h := r.copyBtn.MinSize().Height
	if r.msg != nil {
		h = r.place(r.Size())
	}
	return fyne.NewSize(r.copyBtn.MinSize().Width*4, h)
}
func (mr *messageRowRenderer) Refresh() {
	mr.Layout(mr.r.Size())
	canvas.Refresh(mr.r)
}

// outgoingSender is how our own messages are signed in a chat.
const outgoingSender = "Me"
