package views

import (
	"strconv"
	"strings"
	"time"

	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// chatWindow is the window of one conversation.
type chatWindow struct {
	s    *session
	conv *conversation
	win  fyne.Window

	dot     *canvas.Circle
	title   *widget.Label
	avatar  fyne.CanvasObject // the peer's picture
	profile *widget.Button    // opens the peer's profile card
	typing  *widget.Label     // the peer's chat state, above the entry
	list    *widget.List
	entry   *sendEntry
	send    *widget.Button
	sizer   *widthWatcher
	meas    *messageRow // lays out rows off screen to learn their heights
	// lineH is a one-line row's height at width lineW, for estimates.
	lineH, lineW float32
	// unmeasured is set while rows have estimated heights; measuring is
	// set while a frame to measure them is scheduled.
	unmeasured, measuring bool
	width                 float32    // the width the list's item heights were set for
	told                  []float32  // the heights the list was given, by index
	shown                 []*chatMsg // the messages those heights are of
	hiding                bool       // makes Length 0 while heights are set in bulk

	// historyQueued is set while a look at whether to read the archive
	// is scheduled (see wantHistory).
	historyQueued bool
	// target is the archive id of a search result to scroll to once it
	// is read (0: none), targetReads the pages read for it so far.
	target      int64
	targetReads int
	// boundAt is when the rows were last bound: their day separators and
	// notes say "Today" and "yesterday" relative to it.
	boundAt time.Time

	// active is true while the user is looking at this window. Fyne has
	// no window focus event, but a window's focused widget hears
	// FocusGained/FocusLost when the window gains or loses the focus, and
	// the entry is where the focus rests; the app leaving the foreground
	// ends it too (session.deactivateChats).
	active bool
}

func (s *session) newChatWindow(conv *conversation) *chatWindow {
	c := &chatWindow{s: s, conv: conv, meas: newMessageRow()}
	c.win = s.ui.app.NewWindow(s.Roster.DisplayName(conv.peer))
	c.dot = canvas.NewCircle(colorOffline)
	c.title = widget.NewLabel("")
	c.title.Truncation = fyne.TextTruncateEllipsis
	c.list = widget.NewList(
		func() int {
			if c.hiding {
				return 0
			}
			return len(c.conv.msgs)
		},
		func() fyne.CanvasObject {
			r := newMessageRow()
			r.onRetry = c.retry
			return r
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(c.conv.msgs) {
				o.(*messageRow).set(c.conv.msgs[id])
			}
			if id == 0 {
				// The top is in view: older messages may be wanted.
				c.wantHistory()
			}
		})
	c.list.HideSeparators = true
	// Rows hold selectable text; a list selection would only fight it.
	c.list.OnSelected = func(id widget.ListItemID) { c.list.Unselect(id) }
	c.sizer = newWidthWatcher(c.list, c.widthChanged)

	c.entry = newSendEntry()
	c.entry.onSend = c.sendText
	c.entry.onFocus = c.focusChanged
	c.entry.onEdit = func() { s.core.ChatActivity(conv.peer, chatstate.Typed) }
	// One line, always there, so that the layout does not move when the
	// peer starts or stops typing.
	c.typing = widget.NewLabel("")
	c.typing.Importance = widget.LowImportance
	c.typing.TextStyle.Italic = true
	c.typing.SizeName = theme.SizeNameCaptionText
	c.typing.Truncation = fyne.TextTruncateEllipsis
	c.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), c.entry.send)
	c.send.Importance = widget.HighImportance

	c.avatar = s.newAvatar(conv.peer, 32)
	c.profile = widget.NewButtonWithIcon("Profile", theme.AccountIcon(), func() { s.showProfile(conv.peer) })
	c.profile.Importance = widget.LowImportance
	left := container.NewHBox(container.NewCenter(c.avatar), container.NewCenter(sizedBox(c.dot, 10)))
	top := container.NewBorder(nil, widget.NewSeparator(), left, container.NewCenter(c.profile), c.title)
	bottom := container.NewBorder(container.NewVBox(c.typing, widget.NewSeparator()), nil, nil, container.NewVBox(c.send), c.entry)
	c.win.SetContent(container.NewBorder(top, bottom, nil, nil, c.sizer))
	c.win.Resize(fyne.NewSize(480, 560))
	c.win.SetOnClosed(func() { s.chatClosed(c) })
	c.updateHeader()
	c.syncHeights()
	c.boundAt = clock.now()
	// A read that failed is tried again when the window is opened anew.
	conv.histErr = nil
	c.wantHistory()
	return c
}

// show brings the window up. A window the user asked for takes the focus
// and counts as read at once; one opened by an incoming message waits for
// the window system to focus it.
func (c *chatWindow) show(byUser bool) {
	c.win.Show()
	if byUser {
		c.win.RequestFocus()
	}
	onFocus := c.entry.onFocus
	if !byUser {
		c.entry.onFocus = nil
	}
	c.win.Canvas().Focus(c.entry)
	c.entry.onFocus = onFocus
	if byUser {
		c.setActive(true)
	}
	c.list.ScrollToBottom()
}

func (c *chatWindow) focusChanged(focused bool) {
	if focused {
		c.setActive(true)
		return
	}
	// FocusLost comes both when the window loses the focus and when the
	// user clicks another widget in it (to select text, say); only after
	// the focus change is done can the two be told apart.
	c.s.ui.after(0, func() {
		if c.win.Canvas().Focused() == c.entry {
			c.setActive(false)
		}
	})
}

func (c *chatWindow) setActive(active bool) {
	if c.active == active {
		return
	}
	c.active = active
	if active {
		c.s.core.ChatActivity(c.conv.peer, chatstate.Focused)
		c.s.markRead(c.conv.peer)
		if !sameDay(c.boundAt, clock.now(), clock.loc) {
			// Left open overnight: "Today" is yesterday now.
			c.refresh(false)
		}
	} else {
		c.s.core.ChatActivity(c.conv.peer, chatstate.Unfocused)
	}
}

// updateHeader shows the peer's name, presence and unread count.
func (c *chatWindow) updateHeader() {
	name := c.s.Roster.DisplayName(c.conv.peer)
	show, status := c.s.Roster.Presence(c.conv.peer)
	text := name
	if name != c.conv.peer {
		text += " <" + c.conv.peer + ">"
	}
	text += " — " + showText(show)
	if stale, since := c.s.Roster.LastSeen(c.conv.peer); stale {
		text += " (" + lastSeenText(since, clock.now()) + ")"
	}
	if status != "" {
		text += ": " + status
	}
	c.title.SetText(text)
	c.dot.FillColor = showColor(show)
	c.dot.Refresh()
	title := name
	if n := c.s.Roster.Unread(c.conv.peer); n > 0 {
		title = "(" + strconv.Itoa(n) + ") " + name
	}
	hint := sendHint
	if len(c.s.ui.sessions) > 1 {
		// Several accounts: which one this window writes from.
		title += " — " + c.s.acct.JID
		hint = "Write from " + c.s.acct.JID + " (Shift+Enter for a new line)"
	}
	if c.entry.PlaceHolder != hint {
		c.entry.SetPlaceHolder(hint)
	}
	c.win.SetTitle(title)
	c.updateTyping()
}

// updateTyping shows the peer's chat state: typing, stopped typing, gone.
func (c *chatWindow) updateTyping() {
	text := typingText(c.s.Roster.DisplayName(c.conv.peer), c.s.PeerStates[c.conv.peer])
	if c.typing.Text != text {
		c.typing.SetText(text)
	}
}

// typingText words the chat state st of name; empty when there is nothing
// to say (active, inactive, none).
func typingText(name string, st chatstate.State) string {
	switch st {
	case chatstate.Composing:
		return name + " is typing…"
	case chatstate.Paused:
		return name + " stopped typing"
	case chatstate.Gone:
		return name + " closed the conversation"
	}
	return ""
}

// sendText sends a message. It shows as pending until the core reports
// it sent; offline it waits in the core's outbox.
func (c *chatWindow) sendText(text string) {
	id := c.s.core.SendMessage(c.conv.peer, text)
	c.s.core.ChatActivity(c.conv.peer, chatstate.Sent)
	c.conv.add(newChatMsg(id, outgoingSender, text, clock.now(), true))
	c.refresh(true)
}

// retry sends the failed message m again. It shows as pending at once;
// the core confirms with MessageStateChanged.
func (c *chatWindow) retry(m *chatMsg) {
	if c.s.closed || !m.outgoing || m.state != history.Failed || m.id == "" {
		return
	}
	c.s.core.RetryMessage(c.conv.peer, m.id)
	m.setState(history.Pending, "")
	c.refresh(false)
}

// refresh updates the list after messages were added or changed, keeping
// the view at the newest message when it was there (or when forced), and
// otherwise on the message the user was reading, wherever messages were
// inserted (older pages of history, delayed messages) or rows grew.
func (c *chatWindow) refresh(toBottom bool) {
	a := c.anchor()
	c.syncHeights()
	c.boundAt = clock.now()
	c.list.Refresh()
	if toBottom || a.bottom {
		c.list.ScrollToBottom()
		return
	}
	c.restore(a)
}

func (c *chatWindow) atBottom() bool {
	content := c.list.GetScrollOffset()
	var total float32
	pad := c.list.Theme().Size(theme.SizeNamePadding)
	for _, h := range c.told {
		total += h
	}
	total += pad * float32(len(c.told))
	return content+c.list.Size().Height >= total-4*pad
}

func (c *chatWindow) widthChanged(w float32) {
	if w == c.width {
		return
	}
	// Resizing sends many widths; measure once it settles.
	c.s.ui.after(100*time.Millisecond, func() {
		if c.list.Size().Width == w {
			c.refresh(false)
		}
	})
}

// syncHeights tells the list the height of every message at the current
// width. Each SetItemHeight that changes something refreshes the whole
// list, so many changes at once are made while Length reports 0, which
// makes those refreshes cheap.
// Beyond floodRows rows to lay out or heights to give (more than a page
// of history: a flood), one frame lays out measureBudget rows to learn
// their heights and gives the list heightBudget new heights; later frames
// do the rest.
const (
	floodRows     = 64
	measureBudget = 20
	heightBudget  = 24
)

// estimate guesses m's height at width w from a one-line row's height and
// the length of its text, until it is measured.
func (c *chatWindow) estimate(m *chatMsg, w float32) float32 {
	if c.lineW != w {
		one := newChatMsg("", "me", "x", m.at, true)
		c.meas.set(one)
		c.lineH, c.lineW = c.meas.heightFor(w), w
	}
	size := theme.TextSize()
	perLine := max(1, int(w/(size*0.55)))
	lines := 0
	for line := range strings.SplitSeq(m.preview, "\n") {
		lines += 1 + len(line)/perLine
	}
	h := c.lineH + float32(lines-1)*size*1.3
	if m.dayStart {
		h += size * 2.5
	}
	return h
}

// measureLater measures, on a later frame, the rows a flood left with an
// estimate.
func (c *chatWindow) measureLater() {
	if !c.unmeasured || c.measuring {
		return
	}
	c.measuring = true
	c.s.ui.after(16*time.Millisecond, func() {
		c.measuring = false
		if c.s.closed || c.s.chats[c.conv.peer] != c {
			return
		}
		c.unmeasured = false
		c.refresh(false)
	})
}

func (c *chatWindow) syncHeights() {
	w := c.list.Size().Width
	if w <= 0 {
		w = 460
	}
	if w != c.width {
		c.width = w
		c.told = c.told[:0]
	}
	type change struct {
		id int
		h  float32
	}
	var changes []change
	var prev *chatMsg
	pending := 0
	for _, m := range c.conv.msgs {
		if start := prev == nil || !sameDay(prev.at, m.at, clock.loc); start != m.dayStart {
			m.dayStart, m.measuredAt = start, 0
		}
		prev = m
		if m.measuredAt != w {
			pending++
		}
	}
	// Laying a row out shapes its text (a millisecond or two each): a
	// flood of messages is measured newest first, measureBudget rows per
	// frame, and the rest get an estimate until a later frame measures
	// them, so that no frame stalls the UI.
	budget := measureBudget
	if pending <= floodRows {
		budget = pending // a page of history, a few messages: all now
	}
	for i := len(c.conv.msgs) - 1; i >= 0; i-- {
		m := c.conv.msgs[i]
		if m.measuredAt == w {
			continue
		}
		if budget == 0 {
			m.height = c.estimate(m, w)
			c.unmeasured = true
			continue
		}
		budget--
		c.meas.set(m)
		m.height, m.measuredAt = c.meas.heightFor(w), w
	}
	for i, m := range c.conv.msgs {
		h := m.height
		if i >= len(c.told) {
			c.told = append(c.told, -1)
		}
		if c.told[i] != h {
			changes = append(changes, change{i, h})
		}
	}
	c.told = c.told[:len(c.conv.msgs)]
	c.shown = append(c.shown[:0], c.conv.msgs...)
	// Each new height costs the list a walk over all of them: the newest
	// rows (where the user looks during a flood) get theirs now, the
	// rest on the following frames.
	if len(changes) > floodRows {
		changes = changes[len(changes)-heightBudget:]
		c.unmeasured = true
	}
	for _, ch := range changes {
		c.told[ch.id] = ch.h
	}
	bulk := len(changes) > 3
	var offset float32
	if bulk {
		offset = c.list.GetScrollOffset()
		c.hiding = true
	}
	for _, ch := range changes {
		c.list.SetItemHeight(ch.id, ch.h)
	}
	if bulk {
		c.hiding = false
		c.list.Refresh()
		c.list.ScrollToOffset(offset)
	}
	c.measureLater()
}

// widthWatcher holds one object and reports width changes of its layout.
type widthWatcher struct {
	widget.BaseWidget
	content fyne.CanvasObject
	changed func(w float32)
}

func newWidthWatcher(content fyne.CanvasObject, changed func(float32)) *widthWatcher {
	w := &widthWatcher{content: content, changed: changed}
	w.ExtendBaseWidget(w)
	return w
}

// CreateRenderer implements fyne.Widget.
func (w *widthWatcher) CreateRenderer() fyne.WidgetRenderer { return &watcherRenderer{w: w} }

type watcherRenderer struct{ w *widthWatcher }

func (r *watcherRenderer) Destroy()                     {}
func (r *watcherRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.w.content} }
func (r *watcherRenderer) MinSize() fyne.Size           { return r.w.content.MinSize() }
func (r *watcherRenderer) Refresh()                     { r.w.content.Refresh() }
func (r *watcherRenderer) Layout(size fyne.Size) {
	r.w.content.Resize(size)
	if r.w.changed != nil {
		r.w.changed(size.Width)
	}
}

// sizedBox makes o exactly side×side, for dots that have no MinSize.
func sizedBox(o fyne.CanvasObject, side float32) fyne.CanvasObject {
	return container.New(&fixedLayout{size: fyne.NewSquareSize(side)}, o)
}

type fixedLayout struct{ size fyne.Size }

func (l *fixedLayout) MinSize([]fyne.CanvasObject) fyne.Size { return l.size }
func (l *fixedLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(l.size)
		o.Move(fyne.NewPos((size.Width-l.size.Width)/2, (size.Height-l.size.Height)/2))
	}
}
