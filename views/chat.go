package views

import (
	"hash/maphash"
	"strconv"
	"strings"
	"time"

	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/history"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// chatWindow is the window of one conversation: with a contact, or in a
// group chat (room, see rooms.go).
type chatWindow struct {
	s    *session
	conv *conversation
	win  fyne.Window
	// room is set for a group chat's window; left once we are no longer
	// in the room.
	room, left bool
	// people is the room's open People dialog, nil when it is closed
	// (roompeople.go).
	people *peopleView
	// notifyButton chooses when the room notifies (roomnotify.go).
	notifyButton *widget.Button
	// ownerButton holds an owner's menu, createdBar says we created the
	// room, settings is its open settings dialog (roomconfig.go).
	ownerButton *widget.Button
	createdBar  fyne.CanvasObject
	settings    *roomSettings

	dot     *canvas.Circle
	title   *widget.Label
	avatar  fyne.CanvasObject // the peer's picture
	profile *widget.Button    // opens the peer's profile card
	typing  *widget.Label     // the peer's chat state, above the entry
	// editing is our last message while the entry corrects it
	// (XEP-0308, correct.go), nil otherwise; editBar says so above the
	// entry (or, in a room, why Up cannot edit our last line yet).
	editing *chatMsg
	editBar *widget.Label
	// replying is the message the entry answers (reactions.go), nil
	// otherwise; editBar says so.
	replying *chatMsg
	list     *messageList
	entry    *sendEntry
	send     *widget.Button
	// attachBtn sends a file (files.go); nil when the core cannot.
	attachBtn *widget.Button
	sizer     *widthWatcher
	meas      *messageRow // lays out a one-line row to learn its height
	// lineH is a one-line row's height at width lineW, for estimates.
	lineH, lineW float32
	// heights are the rows' heights: measured when a row was drawn,
	// estimated for those never drawn (see syncHeights). sizes holds the
	// measured heights by what a row shows, for rows alike.
	heights map[*chatMsg]rowHeight
	sizes   map[sizeKey]float32
	// fixing is set while a refresh to correct estimated heights is due.
	fixing bool
	width  float32    // the width the list's item heights were set for
	told   []float32  // the heights the list was given, by index
	shown  []*chatMsg // the messages those heights are of

	// historyQueued is set while a look at whether to read the archive
	// is scheduled (see wantHistory).
	historyQueued bool
	// newerQueued is the same for reading the newer messages dropped
	// while reading back (see wantNewer).
	newerQueued bool
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
	c := &chatWindow{s: s, conv: conv, meas: newMessageRow(), room: s.Rooms[conv.peer] != nil,
		heights: make(map[*chatMsg]rowHeight), sizes: make(map[sizeKey]float32)}
	c.win = s.ui.app.NewWindow(s.peerName(conv.peer))
	c.dot = canvas.NewCircle(colorOffline)
	c.title = widget.NewLabel("")
	c.title.Truncation = fyne.TextTruncateEllipsis
	c.list = newMessageList(
		func() int { return len(c.told) },
		func(i int) float32 { return c.told[i] },
		func() fyne.CanvasObject {
			r := newMessageRow()
			r.onRetry = c.retry
			r.onOriginal = c.showOriginal
			r.onLink = c.s.openLink
			r.mediaOf = c.s.media
			r.autoMedia = c.autoMedia
			r.onMedia = c.mediaTapped
			r.canReact = c.canReact
			r.onMore = c.showMessageMenu
			r.onChip = c.toggleReaction
			r.own = c.s.acct.JID
			return r
		},
		func(id int, o fyne.CanvasObject) {
			if id < len(c.shown) {
				r := o.(*messageRow)
				c.bindMedia(c.shown[id])
				r.set(c.shown[id])
				c.drawn(id, r)
			}
			if id == 0 {
				// The top is in view: older messages may be wanted.
				c.wantHistory()
			}
			if id == len(c.shown)-1 {
				// The bottom: newer ones, if dropped.
				c.wantNewer()
			}
		})
	c.sizer = newWidthWatcher(c.list, c.widthChanged)

	c.entry = newSendEntry()
	c.entry.onSend = c.sendText
	c.entry.onFocus = c.focusChanged
	c.entry.after = s.ui.after
	c.entry.calm = s.ui.setCalm
	c.entry.onShortcut = c.chatShortcut
	c.entry.onEscape = c.escape
	c.newEditBar()
	if !c.room {
		// Chat states are for one-to-one chats here (XEP-0085 §5.5).
		c.entry.onEdit = func() { s.core.ChatActivity(conv.peer, chatstate.Typed) }
	} else {
		c.entry.onEdit = func() { c.hideHint() } // what Up said is done with
	}
	// One line, always there, so that the layout does not move when the
	// peer starts or stops typing.
	c.typing = widget.NewLabel("")
	c.typing.Importance = widget.LowImportance
	c.typing.TextStyle.Italic = true
	c.typing.SizeName = theme.SizeNameCaptionText
	c.typing.Truncation = fyne.TextTruncateEllipsis
	c.send = widget.NewButtonWithIcon(lang.L("Send"), theme.MailSendIcon(), c.entry.send)
	c.send.Importance = widget.HighImportance
	sendButtons := container.NewVBox(c.send)
	if _, ok := s.core.(filer); ok {
		c.attachBtn = widget.NewButtonWithIcon("", theme.FileIcon(), c.attach)
		c.attachBtn.Importance = widget.LowImportance
		sendButtons = container.NewVBox(container.NewHBox(c.attachBtn, c.send))
		c.win.SetOnDropped(c.dropped)
	}

	c.avatar = s.newAvatar(conv.peer, 32)
	c.profile = widget.NewButtonWithIcon(lang.L("Profile"), theme.AccountIcon(), func() { s.showProfile(conv.peer) })
	if c.room {
		c.profile = widget.NewButtonWithIcon(lang.L("People"), theme.AccountIcon(), c.showPeople)
	}
	c.profile.Importance = widget.LowImportance
	left := container.NewHBox(container.NewCenter(c.avatar), container.NewCenter(sizedBox(c.dot, 10)))
	top := container.NewBorder(nil, widget.NewSeparator(), left, container.NewCenter(c.headerButtons(c.profile, inviteButton(c), c.newOwnerButton())), c.title)
	if c.room {
		top = container.NewVBox(top, c.newCreatedBar())
	}
	bottom := container.NewBorder(container.NewVBox(c.typing, c.editBar, widget.NewSeparator()), nil, nil, sendButtons, c.entry)
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
	if c.room {
		if active {
			c.s.roomRead(c.conv.peer)
		}
		return
	}
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
	if c.room {
		text, in := c.roomHeader()
		c.title.SetText(text)
		c.dot.FillColor = colorOffline
		if in {
			c.dot.FillColor = colorAvailable
		}
		c.dot.Refresh()
		title := c.s.roomTitle(c.conv.peer)
		if r := c.s.Rooms[c.conv.peer]; r != nil && r.Unread > 0 {
			title = "(" + strconv.Itoa(r.Unread) + ") " + title
		}
		if len(c.s.ui.sessions) > 1 {
			title += " — " + c.s.acct.JID
		}
		c.win.SetTitle(title)
		c.fillPeople()
		c.updateOwner()
		return
	}
	name := c.s.peerName(c.conv.peer)
	show, status := c.s.Roster.Presence(c.conv.peer)
	text := name
	pshow, pstatus, private := c.s.privatePresence(c.conv.peer)
	switch {
	case private:
		// Someone in a room: as present as they are in it.
		show, status = pshow, pstatus
	case name != c.conv.peer:
		text += " <" + c.conv.peer + ">"
	}
	text += " — " + showText(show)
	if stale, since := c.s.Roster.LastSeen(c.conv.peer); stale && !private {
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
	hint := sendHint()
	if len(c.s.ui.sessions) > 1 {
		// Several accounts: which one this window writes from.
		title += " — " + c.s.acct.JID
		hint = lang.L("Write from {{.Address}} (Shift+Enter for a new line)", map[string]any{"Address": c.s.acct.JID})
	}
	if c.entry.PlaceHolder != hint {
		c.entry.SetPlaceHolder(hint)
	}
	c.win.SetTitle(title)
	c.updateTyping()
}

// updateTyping shows the peer's chat state: typing, stopped typing, gone.
func (c *chatWindow) updateTyping() {
	if c.room {
		return
	}
	text := typingText(c.s.peerName(c.conv.peer), c.s.PeerStates[c.conv.peer])
	if c.typing.Text != text {
		c.typing.SetText(text)
	}
}

// typingText words the chat state st of name; empty when there is nothing
// to say (active, inactive, none).
func typingText(name string, st chatstate.State) string {
	switch st {
	case chatstate.Composing:
		return lang.L("{{.Name}} is typing…", map[string]any{"Name": name})
	case chatstate.Paused:
		return lang.L("{{.Name}} stopped typing", map[string]any{"Name": name})
	case chatstate.Gone:
		return lang.L("{{.Name}} closed the conversation", map[string]any{"Name": name})
	}
	return ""
}

// sendText sends a message. It shows as pending until the core reports
// it sent; offline it waits in the core's outbox.
func (c *chatWindow) sendText(text string) {
	if c.editing != nil {
		c.sendCorrection(text)
		return
	}
	if c.replying != nil {
		c.sendReply(text)
		return
	}
	c.hideHint()
	c.toNewest()
	if c.room {
		// The room reflects the line (renderRooms marks it sent); until
		// then it shows as sending.
		id := c.s.core.SendRoomMessage(c.conv.peer, text)
		c.conv.add(newChatMsg(id, outgoingSender, text, clock.now(), true))
		c.refresh(true)
		return
	}
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

// atBottom reports whether the list shows the newest message.
func (c *chatWindow) atBottom() bool {
	if c.conv.newer {
		return false // the newest are not even held
	}
	pad := c.list.Theme().Size(theme.SizeNamePadding)
	return c.list.GetScrollOffset()+c.list.Size().Height >= c.list.ContentHeight()-4*pad
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

// Row heights. widget.List needs every row's height to place the rows,
// but laying a row out shapes its text (a millisecond or two), so only
// the rows drawn are measured: as the list binds a row (drawn), which it
// does for the visible rows only. Every other row has an estimate from
// its text's length (estimate), exact when a row showing the same had
// been measured at this width (sizes). A measured height that differs
// from the estimate is handed to the list on the next frame (fixHeights),
// keeping the user's place. A flood of messages therefore costs a cheap
// estimate per message, and a measure only for what is seen.

// rowHeight is a row's height at width at for the message's rev;
// measured tells a measure from an estimate.
type rowHeight struct {
	h, at    float32
	rev      uint32
	measured bool
}

// holds reports whether rh is m's height at width w as m is now.
func (rh rowHeight) holds(m *chatMsg, w float32) bool { return rh.at == w && rh.rev == m.rev }

// sizeKey is what a row's height depends on besides the width: its text
// and the lines around it.
type sizeKey struct {
	text                                      uint64 // hash of the preview
	w                                         float32
	dayStart, delayed, note, failed, outgoing bool
	media                                     uint64 // hash of what the media part shows
}

// maxSizes bounds the measured heights kept by what rows show.
const maxSizes = 4096

var sizeSeed = maphash.MakeSeed()

func (c *chatWindow) keyOf(m *chatMsg, w float32) sizeKey {
	k := sizeKey{text: maphash.String(sizeSeed, m.preview), w: w, dayStart: m.dayStart, delayed: m.delayed,
		note: m.clipped || m.cut, failed: m.failed != "", outgoing: m.outgoing}
	if m.upload != nil || m.media != "" || m.quote != "" || len(m.reactions) > 0 {
		k.media = maphash.String(sizeSeed, c.mediaShape(m)+"\x00"+m.quote+"\x00"+chipsKey(m.chips(c.s.acct.JID)))
	}
	return k
}

// estimate guesses m's height at width w: a row alike measured before,
// else from a one-line row's height and the length of m's text.
func (c *chatWindow) estimate(m *chatMsg, w float32) float32 {
	if h, ok := c.sizes[c.keyOf(m, w)]; ok {
		return h
	}
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
	if m.delayed || m.failed != "" {
		lines++
	}
	lines += len(m.links)
	h := c.lineH + float32(lines-1)*size*1.3
	if m.dayStart {
		h += size * 2.5
	}
	if m.quote != "" {
		h += size * 1.3
	}
	if len(m.reactions) > 0 {
		h += size * 2.6
	}
	return h + c.mediaEstimate(m, w)
}

// drawn measures row r, just bound to message id, unless its height at
// this width is known; a height that differs from what the list has is
// handed to it on the next frame.
func (c *chatWindow) drawn(id int, r *messageRow) {
	m, w := r.msg, c.width
	if w <= 0 {
		return
	}
	if rh, ok := c.heights[m]; ok && rh.measured && rh.holds(m, w) {
		return
	}
	h := r.heightFor(w)
	c.heights[m] = rowHeight{h: h, at: w, rev: m.rev, measured: true}
	if len(c.sizes) >= maxSizes {
		clear(c.sizes)
	}
	c.sizes[c.keyOf(m, w)] = h
	if id < len(c.told) && c.told[id] != h {
		c.fixHeights()
	}
}

// fixHeights hands the heights measured while drawing to the list, on the
// next frame: the list is laying out while rows are drawn.
func (c *chatWindow) fixHeights() {
	if c.fixing {
		return
	}
	c.fixing = true
	c.s.ui.after(0, func() {
		c.fixing = false
		if c.s.closed || c.s.chats[c.conv.peer] != c {
			return
		}
		c.refresh(false)
	})
}

// syncHeights gives every message its height at the current width:
// measured or estimated (see above); the list takes them on its next
// Refresh.
func (c *chatWindow) syncHeights() {
	w := c.list.Size().Width
	if w <= 0 {
		w = 460
	}
	c.width = w
	var prev *chatMsg
	for _, m := range c.conv.msgs {
		if start := prev == nil || !sameDay(prev.at, m.at, clock.loc); start != m.dayStart {
			m.dayStart = start
			m.rev++ // the separator comes or goes
		}
		prev = m
	}
	c.told = c.told[:0]
	for _, m := range c.conv.msgs {
		rh, ok := c.heights[m]
		if !ok || !rh.holds(m, w) {
			rh = rowHeight{h: c.estimate(m, w), at: w, rev: m.rev}
			c.heights[m] = rh
		}
		c.told = append(c.told, rh.h)
	}
	c.shown = append(c.shown[:0], c.conv.msgs...)
	clear(c.shown[len(c.shown):cap(c.shown)])
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
