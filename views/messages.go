package views

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/views/styling"
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
	// state is how far one of our messages has come (history.Pending,
	// Sent, Delivered, Failed); history.Received for the peer's.
	state history.State
	// failed says why a Failed message was not delivered.
	failed string
	// archiveID is the message's id in the local history (0: unknown),
	// which tells a live message from the same one read from the archive.
	archiveID int64
	// delayed is set for a message delivered late; delayFrom and
	// delayReason are what its delay element said.
	delayed                bool
	delayFrom, delayReason string
	// dayStart is set when the message is the first shown of its day,
	// and its row carries the day separator.
	dayStart bool
	// action is set for a /me message (XEP-0245), shown as "* sender
	// text" in italics.
	action bool
	// links are the links in the text (links.go), listed under it.
	links []*url.URL
	// room is set for a room's line, signed by a nickname; notice for a
	// line of the room's own (someone came, went, took another name).
	room, notice bool
	// nick is the nickname a room's line was sent under (sender is how
	// it is shown); "" for our line sent from this window until the
	// room reflects it.
	nick string
	// edited is set for a message corrected (XEP-0308); original is its
	// first body, when known.
	edited   bool
	original string
	// media is the https URL the body is, for a shared file or picture
	// (files.go); upload is set on a file of ours not uploaded yet.
	media  string
	upload *uploadState
	// msgID is the id a peer's message came with (ours use id), by which
	// it is reacted and replied to (reactions.go); reactions are the
	// reactions to it (XEP-0444). A room's line is reacted to by the
	// stanza id the room gave it (XEP-0444 §4), stanzaID.
	msgID     string
	stanzaID  string
	reactions []history.Reaction
	// replyID is, for a reply (XEP-0461), the id of the message answered;
	// fallback the quotation its sender put in front (not in body), and
	// quote what the row shows of the message answered.
	replyID, fallback, quote string
	// rev counts the changes of what the row shows (state, failure), so
	// that a row bound to the message draws it again only after one.
	// How rows are laid out is the chat window's, not the message's.
	rev uint32
}

// newChatMsg returns a message; an outgoing one starts Pending.
func newChatMsg(id, sender, body string, at time.Time, outgoing bool) *chatMsg {
	m := &chatMsg{id: id, sender: sender, body: body, at: at, outgoing: outgoing}
	if outgoing {
		m.state = history.Pending
	}
	shown := body
	if rest, ok := strings.CutPrefix(body, "/me "); ok && strings.TrimSpace(rest) != "" {
		// XEP-0245: an action, written in the third person ("* Ann
		// waves"); Copy still gives the text as sent.
		m.action = true
		shown = "* " + senderText(sender, outgoing) + " " + rest
	}
	m.preview, m.clipped = clipPreview(shown)
	if m.media = mediaURL(body); m.media == "" {
		// A shared file's URL is its body; what it points to shows
		// under it instead of a link.
		m.links = findLinks(m.preview)
	}
	return m
}

// correct gives m the body of a correction (XEP-0308) and reports
// whether what it shows changed. The first body is kept as original.
func (m *chatMsg) correct(body string) bool {
	if m.edited && m.body == body {
		return false
	}
	if !m.edited {
		m.original = m.body
	}
	n := newChatMsg(m.id, m.sender, body, m.at, m.outgoing)
	m.body, m.preview, m.clipped, m.action, m.links, m.media = n.body, n.preview, n.clipped, n.action, n.links, n.media
	m.cut, m.edited = false, true
	m.rev++
	return true
}

// correct applies a correction to the message it names (by archive id,
// or for ours by stanza id; a room's line of someone else not known by
// its archive id, by its id and nickname) and reports whether one held
// changed. The core decides whether a room's correction may change the
// line (XEP-0308 §8: only its sender's), and reports only those.
func (c *conversation) correct(e app.MessageCorrected) bool {
	m := c.byArchive[e.ArchiveID]
	if m == nil && e.Outgoing && e.ID != "" {
		m = c.byID[e.ID]
	}
	if m == nil && e.Room {
		m = c.roomLine(e)
	}
	if m == nil {
		return false
	}
	return m.correct(e.Body)
}

// roomLine returns the newest room line that the room correction e
// names by its id and nickname, among those whose archive id is unknown
// or e's unknown (a line with another archive id is another line).
func (c *conversation) roomLine(e app.MessageCorrected) *chatMsg {
	if e.ID == "" {
		return nil
	}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		if m.room && !m.notice && m.id == e.ID && m.nick == e.Nick && m.outgoing == e.Outgoing &&
			(m.archiveID == 0 || e.ArchiveID == 0) {
			return m
		}
	}
	return nil
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

// stamp formats a message time: the clock time; the day separators above
// the rows give the date.
func stamp(t time.Time) string {
	return t.In(clock.loc).Format("15:04")
}

// conversation is the history with one peer, kept while the window is
// closed so that reopening it shows what was said. It holds the messages
// read from the archive (newest pages first, see chat_history.go) merged
// with those that arrived or were sent since.
type conversation struct {
	peer      string
	msgs      []*chatMsg
	byID      map[string]*chatMsg // outgoing messages by stanza id
	byMsgID   map[string]*chatMsg // the peer's messages by stanza id; a room's lines by the room's stanza id
	byArchive map[int64]*chatMsg  // messages by archive id

	// Paging through the archive: started once the newest page was asked
	// for, loading while a read is under way, done when the archive has
	// nothing older; oldest is the cursor of the oldest message read.
	// histErr stops further reads after one failed, until the window is
	// opened again.
	started, loading, done bool
	oldest                 history.Cursor
	histErr                error
	// newer is set while the archive holds messages newer than the
	// newest held: they were dropped while the user read back
	// (trimNewest) and are read again as the bottom of the list comes
	// into view (chatWindow.readNewer); newest is the cursor of the
	// newest held. Meanwhile messages arriving live are not held, the
	// archive has them; those arriving during a read of newer ones
	// (readingNewer) wait in arrived for it to end.
	newer, readingNewer bool
	newest              history.Cursor
	arrived             []*chatMsg
	// gen counts resets: a read started before one is dropped.
	gen int
	// late holds, while a read of the archive is under way, the states
	// that events gave messages not held yet: the page may have been read
	// before the archive learnt them. The archive is written before the
	// event is sent, so a read started later has them anyway.
	late map[string]lateState
}

// lateState is a state change for a message not held yet.
type lateState struct {
	state  history.State
	reason string
}

func newConversation(peer string) *conversation {
	return &conversation{peer: peer, byID: make(map[string]*chatMsg), byMsgID: make(map[string]*chatMsg), byArchive: make(map[int64]*chatMsg)}
}

// known reports whether m is already in the conversation: the same
// archive id, or for our own messages the same stanza id (a message sent
// in this session and later read from the archive). A match learns m's
// archive id.
func (c *conversation) known(m *chatMsg) bool {
	if m.archiveID != 0 && c.byArchive[m.archiveID] != nil {
		return true
	}
	if m.outgoing && m.id != "" {
		if old := c.byID[m.id]; old != nil {
			if m.archiveID != 0 && old.archiveID == 0 {
				old.archiveID = m.archiveID
				c.byArchive[m.archiveID] = old
			}
			return true
		}
	}
	return false
}

func (c *conversation) index(m *chatMsg) {
	if m.id != "" && m.outgoing {
		c.byID[m.id] = m
	}
	if m.msgID != "" && !m.outgoing {
		c.byMsgID[m.msgID] = m
	}
	if m.stanzaID != "" {
		c.byMsgID[m.stanzaID] = m
	}
	if m.archiveID != 0 {
		c.byArchive[m.archiveID] = m
	}
	if m.replyID != "" && m.quote == "" {
		m.quote = c.quoteOf(m.replyID, m.fallback)
	}
}

// add inserts m in time order (delayed messages arrive late but belong
// where they were sent) and returns its index, or -1 when the
// conversation holds m already.
func (c *conversation) add(m *chatMsg) int {
	if c.known(m) {
		return -1
	}
	if c.newer {
		// Not contiguous with what is held: read again with the
		// messages before it.
		if c.readingNewer {
			c.arrived = append(c.arrived, m)
		}
		return -1
	}
	c.index(m)
	i := sort.Search(len(c.msgs), func(i int) bool { return c.msgs[i].at.After(m.at) })
	c.msgs = append(c.msgs, nil)
	copy(c.msgs[i+1:], c.msgs[i:])
	c.msgs[i] = m
	return i
}

// How many messages a conversation holds: a flood, or a day of talk,
// must not grow memory without bound. Beyond maxHeld the oldest are
// dropped, down to keepHeld, while the newest are in view or no window is
// open (trim); the archive keeps them, and scrolling up reads them again.
const (
	maxHeld  = 1000
	keepHeld = 500
)

// trim drops the oldest messages, keeping at least keep, from one that
// the archive can page back from (it has an archive id), and returns
// those that went. Nothing goes while a read of the archive is under way:
// the page it brings must meet the messages held.
func (c *conversation) trim(keep int) []*chatMsg {
	if len(c.msgs) <= keep || c.loading {
		return nil
	}
	from := len(c.msgs) - keep
	for from < len(c.msgs) && c.msgs[from].archiveID == 0 {
		from++
	}
	if from >= len(c.msgs) {
		return nil
	}
	gone := c.msgs[:from]
	c.forget(gone)
	first := c.msgs[from]
	c.oldest = history.Cursor{Time: first.at, ID: first.archiveID}
	c.started, c.done = true, false
	c.msgs = slices.Clone(c.msgs[from:]) // lets the old array go
	return gone
}

// trimNewest drops the newest messages, keeping the oldest keep or more,
// up to one that the archive can page on from (it has an archive id),
// and returns those that went; the conversation then reads them again
// (newer). Nothing goes while a read is under way, nor a file of ours
// still uploading, whose progress lives here only.
func (c *conversation) trimNewest(keep int) []*chatMsg {
	if len(c.msgs) <= keep || c.loading {
		return nil
	}
	to := keep
	for to > 0 && c.msgs[to-1].archiveID == 0 {
		to--
	}
	if to == 0 {
		return nil
	}
	gone := c.msgs[to:]
	for _, m := range gone {
		if m.upload != nil {
			return nil
		}
	}
	c.forget(gone)
	last := c.msgs[to-1]
	c.newest = history.Cursor{Time: last.at, ID: last.archiveID}
	c.newer = true
	c.msgs = slices.Clone(c.msgs[:to])
	return gone
}

// forget removes the messages gone from the indexes.
func (c *conversation) forget(gone []*chatMsg) {
	for _, m := range gone {
		if m.id != "" && c.byID[m.id] == m {
			delete(c.byID, m.id)
		}
		if m.msgID != "" && c.byMsgID[m.msgID] == m {
			delete(c.byMsgID, m.msgID)
		}
		if m.stanzaID != "" && c.byMsgID[m.stanzaID] == m {
			delete(c.byMsgID, m.stanzaID)
		}
		if m.archiveID != 0 {
			delete(c.byArchive, m.archiveID)
		}
	}
}

// reset drops everything held, as if the conversation had never been
// read: the next read brings its newest page. A read under way is
// dropped when it ends (gen).
func (c *conversation) reset() {
	c.gen++
	c.msgs = nil
	clear(c.byID)
	clear(c.byMsgID)
	clear(c.byArchive)
	c.started, c.loading, c.done, c.newer, c.readingNewer = false, false, false, false, false
	c.oldest, c.newest = history.Cursor{}, history.Cursor{}
	c.late, c.arrived = nil, nil
}

// Room notices (comings and goings) that follow each other within
// noticeRun are one line, up to noticeMax bytes: a busy room's arrivals
// do not push its talk out of view.
const (
	noticeRun = 2 * time.Minute
	noticeMax = 400
)

// notice adds a line of the room's own at at, or adds text to the
// notice line just before it.
func (c *conversation) notice(text string, at time.Time) {
	if n := len(c.msgs); n > 0 {
		if last := c.msgs[n-1]; last.notice && at.Sub(last.at) < noticeRun && len(last.body)+len(text) < noticeMax {
			last.body += " · " + text
			last.preview, last.clipped = clipPreview(last.body)
			last.rev++
			return
		}
	}
	m := newChatMsg("", "", text, at, false)
	m.room, m.notice = true, true
	c.add(m)
}

// fail marks the sent message id as not delivered and reports whether
// the conversation holds it.
func (c *conversation) fail(id string, err error) bool {
	reason := lang.L("Not delivered")
	if err != nil {
		reason = lang.L("Not delivered: {{.Error}}", map[string]any{"Error": errorText(err)})
	}
	return c.setState(id, history.Failed, reason)
}

// setState moves the sent message id to st (reason says why, for Failed)
// and reports whether the conversation holds it and it changed. Like the
// archive (history.Store.SetState), a late Sent does not undo Delivered:
// a receipt can overtake the server's acknowledgement.
func (c *conversation) setState(id string, st history.State, reason string) bool {
	m, ok := c.byID[id]
	if !ok || !m.outgoing {
		if c.loading && id != "" {
			if c.late == nil {
				c.late = make(map[string]lateState)
			}
			if old, ok := c.late[id]; !ok || !(old.state == history.Delivered && st == history.Sent) {
				c.late[id] = lateState{st, reason}
			}
		}
		return false
	}
	return m.setState(st, reason)
}

// setState moves m to st; see conversation.setState.
func (m *chatMsg) setState(st history.State, reason string) bool {
	if m.state == history.Delivered && st == history.Sent {
		return false
	}
	if st != history.Failed {
		reason = ""
	}
	if m.state == st && m.failed == reason {
		return false
	}
	m.state, m.failed = st, reason
	m.rev++
	return true
}

// readDone ends a read of the archive: the states kept for it are
// applied to the messages it brought, and forgotten.
func (c *conversation) readDone() {
	c.loading = false
	for id, ls := range c.late {
		if m := c.byID[id]; m != nil {
			m.setState(ls.state, ls.reason)
		}
	}
	c.late = nil
}

// merge adds the messages ms (read from the archive, oldest first) that
// the conversation does not hold yet, in time order, and returns how many
// it added. Messages at the same time keep the archive's order and come
// before those already held.
func (c *conversation) merge(ms []*chatMsg) int {
	var fresh []*chatMsg
	for _, m := range ms {
		if c.known(m) {
			continue
		}
		c.index(m)
		fresh = append(fresh, m)
	}
	if len(fresh) == 0 {
		return 0
	}
	all := append(fresh, c.msgs...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	c.msgs = all
	return len(fresh)
}

// incomingMsg is a message that just arrived: from the peer (signed
// sender), or one the user sent from another device (e.Outgoing, a carbon
// or an archive result), which the server has (Sent).
func incomingMsg(sender string, e app.MessageReceived) *chatMsg {
	body, fallback, replyID := e.Msg.Body, "", ""
	if r := e.Msg.Reply; r != nil {
		replyID = r.ID
		if s, end, ok := r.FallbackRange(body); ok {
			body, fallback = body[:s]+body[end:], body[s:end]
		}
	}
	if e.Outgoing {
		m := newChatMsg(e.Msg.ID, outgoingSender, body, e.Time, true)
		m.state = history.Sent
		m.archiveID = e.ArchiveID
		m.cut = e.Msg.Truncated
		m.replyID, m.fallback = replyID, fallback
		return m
	}
	m := newChatMsg("", sender, body, e.Time, false)
	m.msgID = e.Msg.ID
	m.replyID, m.fallback = replyID, fallback
	m.archiveID = e.ArchiveID
	// The archive marks what the server's archive brought as delayed;
	// so does the row, as it will after a reopen.
	m.delayed = !e.Msg.Delay.IsZero() || e.FromArchive
	m.delayFrom, m.delayReason = e.Msg.DelayFrom, e.Msg.DelayReason
	m.cut = e.Msg.Truncated
	return m
}

// archivedMsg is a message read from the archive; peerName signs the
// peer's messages.
func archivedMsg(h history.Message, peerName string) *chatMsg {
	out := h.Dir == history.Out
	sender, id := peerName, ""
	if h.Room {
		sender = plainLine(h.Nick) // a room's line, signed by nickname
	}
	if out {
		sender, id = outgoingSender, h.MsgID
	}
	m := newChatMsg(id, sender, h.Text(), h.Time, out)
	m.archiveID = h.ID
	if !out && !h.Room {
		m.msgID = h.MsgID
	}
	if h.Room {
		m.stanzaID, m.nick = h.StanzaID, h.Nick
	}
	m.reactions = h.Reactions
	if h.ReplyID != "" {
		m.replyID = h.ReplyID
		if h.FallbackEnd > h.FallbackStart && h.FallbackEnd <= len(h.Body) {
			m.fallback = h.Body[h.FallbackStart:h.FallbackEnd]
		}
	}
	m.room = h.Room
	m.delayed, m.delayFrom, m.delayReason = h.Delayed, h.DelayFrom, h.DelayReason
	if h.Original != "" {
		m.edited, m.original = true, h.Original
	}
	if out {
		m.state = h.State
		if h.State == history.Received {
			m.state = history.Sent // archived before states were kept
		}
		if h.State == history.Failed {
			// The archive keeps no reason.
			m.failed = lang.L("Not delivered")
		}
	}
	return m
}

// stateMark is what the header of one of our messages shows after its
// time: how far it has come. A failed message says so below its body.
// sending is the word for a message on its way (rowWords.sending).
func stateMark(m *chatMsg, sending string) string {
	if !m.outgoing {
		return ""
	}
	switch m.state {
	case history.Pending:
		return sending
	case history.Sent:
		return "✓"
	case history.Delivered:
		return "✓✓"
	}
	return ""
}

// messageRow draws one message: the day separator when it is the first
// of its day, a coloured bar (primary for our messages, grey for theirs),
// a header with time, state and sender, the selectable body, and notes
// for late, clipped or failed messages; a failed one of ours has a Retry
// button.
type messageRow struct {
	widget.BaseWidget
	msg *chatMsg
	// What the row was last drawn from (set skips a message drawn
	// already): the message's rev, its day separator, and the day.
	rev      uint32
	dayStart bool
	drawnAt  time.Time
	// text is the preview drawn: a correction changes it.
	text string
	// wrapped is msg's preview broken into lines for width wrappedAt.
	wrapped   string
	wrappedAt float32
	// onRetry is called with msg when its Retry button is tapped;
	// onLink with a link of msg that was tapped.
	onRetry func(*chatMsg)
	onLink  func(*url.URL)
	// onOriginal is called with msg when origBtn is tapped: shown for a
	// corrected message whose first body is known.
	onOriginal func(*chatMsg)
	origBtn    *widget.Button
	links      *fyne.Container
	// media shows a shared file or an upload (files.go); mediaOf gives
	// the state of a URL, autoMedia whether m's picture comes without a
	// click, onMedia is called when its picture or button is tapped.
	media     *mediaView
	mediaOf   func(string) *mediaState
	autoMedia func(*chatMsg) bool
	onMedia   func(*chatMsg)
	// more opens the message's menu (reactions, Reply), shown when
	// canReact allows; reacts draws its reactions, quoteLine the message
	// a reply answers (reactions.go). own is the account's bare JID.
	more      *widget.Button
	reacts    *reactionView
	quoteLine *widget.Label
	canReact  func(*chatMsg) bool
	onMore    func(*chatMsg, fyne.CanvasObject)
	onChip    func(*chatMsg, string)
	own       string

	dayLeft  *canvas.Rectangle
	day      *widget.Label
	dayRight *canvas.Rectangle
	late     *widget.Label
	bar      *canvas.Rectangle
	header   *widget.RichText
	copyBtn  *widget.Button
	body     *widget.Label
	// rich draws a styled body (styled.go) in place of body; styles are
	// its blocks, parsed from styledFrom.
	rich       *widget.RichText
	styles     []styling.Block
	styledFrom string
	note       *widget.Label
	noteCopy   *widget.Button
	failure    *widget.Label
	retry      *widget.Button
	// words are the row's fixed words, in the language of its creation.
	words rowWords
}

// rowWords are the words every message row may show, looked up once when
// the row is made rather than each time it is bound to a message.
type rowWords struct {
	me, edited, sending, truncated, dropped string
}

// newRowWords looks up the words of a message row.
func newRowWords() rowWords {
	return rowWords{
		me:        lang.L("Me"),
		edited:    lang.L("edited"),
		sending:   lang.L("Sending…"),
		truncated: lang.L("… message truncated. Full text:"),
		dropped:   lang.L("… longer than 1 MB, the rest was dropped. Text:"),
	}
}

func newMessageRow() *messageRow {
	r := &messageRow{
		words:  newRowWords(),
		bar:    canvas.NewRectangle(theme.Color(theme.ColorNameDisabled)),
		header: widget.NewRichText(),
		body:   widget.NewLabel(""),
		rich:   widget.NewRichText(),
		note:   widget.NewLabel(""),
		failure: &widget.Label{
			Wrapping:   fyne.TextWrapWord,
			Importance: widget.DangerImportance,
		},
		dayLeft:  canvas.NewRectangle(theme.Color(theme.ColorNameSeparator)),
		dayRight: canvas.NewRectangle(theme.Color(theme.ColorNameSeparator)),
		day: &widget.Label{
			Importance: widget.LowImportance,
			TextStyle:  fyne.TextStyle{Bold: true},
		},
		late: &widget.Label{
			Wrapping:   fyne.TextWrapWord,
			Importance: widget.LowImportance,
			TextStyle:  fyne.TextStyle{Italic: true},
		},
	}
	r.copyBtn = widget.NewButtonWithIcon("", theme.ContentCopyIcon(), r.copy)
	r.copyBtn.Importance = widget.LowImportance
	r.origBtn = widget.NewButtonWithIcon("", theme.HistoryIcon(), func() {
		if r.msg != nil && r.onOriginal != nil {
			r.onOriginal(r.msg)
		}
	})
	r.origBtn.Importance = widget.LowImportance
	r.noteCopy = widget.NewButton(lang.L("Copy"), r.copy)
	r.noteCopy.Importance = widget.LowImportance
	r.retry = widget.NewButtonWithIcon(lang.L("Retry"), theme.ViewRefreshIcon(), func() {
		if r.msg != nil && r.onRetry != nil {
			r.onRetry(r.msg)
		}
	})
	r.retry.Importance = widget.LowImportance
	r.links = container.NewVBox()
	r.links.Hide()
	r.more = newMoreButton(func(b fyne.CanvasObject) {
		if r.msg != nil && r.onMore != nil {
			r.onMore(r.msg, b)
		}
	})
	r.reacts = newReactionView()
	r.quoteLine = &widget.Label{Wrapping: fyne.TextWrapOff, Truncation: fyne.TextTruncateEllipsis, TextStyle: fyne.TextStyle{Italic: true}}
	r.quoteLine.Hide()
	r.media = newMediaView(func() {
		if r.msg != nil && r.onMedia != nil {
			r.onMedia(r.msg)
		}
	})
	r.note.Importance = widget.LowImportance
	// Wrapped by wrapText, which is fast for long texts; see there.
	r.body.Wrapping = fyne.TextWrapOff
	r.body.Selectable = true
	for _, o := range []fyne.CanvasObject{r.day, r.dayLeft, r.dayRight, r.late, r.retry, r.rich, r.origBtn} {
		o.Hide()
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *messageRow) copy() {
	if r.msg != nil {
		fyne.CurrentApp().Clipboard().SetContent(r.msg.body)
	}
}

func (r *messageRow) set(m *chatMsg) {
	now := clock.now()
	if r.msg == m && r.rev == m.rev && r.dayStart == m.dayStart && sameDay(r.drawnAt, now, clock.loc) {
		return // drawn already: the list binds every visible row on each refresh
	}
	if r.msg != m || r.text != m.preview {
		r.wrappedAt = 0
		r.links.Objects = nil
		if len(m.links) > 0 {
			r.links.Objects = linkBox(m.links, func(u *url.URL) {
				if r.onLink != nil {
					r.onLink(u)
				}
			}).Objects
			r.links.Show()
		} else {
			r.links.Hide()
		}
		r.links.Refresh()
	}
	r.msg, r.rev, r.dayStart, r.drawnAt, r.text = m, m.rev, m.dayStart, now, m.preview
	if italic := m.action || m.notice; r.body.TextStyle.Italic != italic {
		r.body.TextStyle.Italic = italic
		r.wrappedAt = 0 // italics are wrapped anew
	}
	if plain := m.action || m.notice; plain && r.styles != nil || !plain && r.styledFrom != m.preview {
		r.styles, r.styledFrom = nil, ""
		if !plain {
			r.styles, r.styledFrom = parseStyles(m.preview), m.preview
		}
		r.wrappedAt = 0
		if r.styles != nil {
			r.body.Hide()
			r.rich.Show()
		} else {
			r.rich.Hide()
			r.body.Show()
		}
	}
	// A notice is in italics, without the copy button: readable (all
	// text is 4.5:1), but not like talk.
	r.copyBtn.Show()
	if m.notice {
		r.copyBtn.Hide()
	}
	if m.edited && m.original != "" && r.onOriginal != nil {
		r.origBtn.Show()
	} else {
		r.origBtn.Hide()
	}
	sender := widget.RichTextStyleStrong
	sender.Inline = true
	if m.room && !m.outgoing {
		sender.ColorName = nickColorName(m.sender) // XEP-0392
	}
	if m.outgoing {
		sender.ColorName = theme.ColorNamePrimary
		r.bar.FillColor = r.Theme().Color(theme.ColorNamePrimary, fyne.CurrentApp().Settings().ThemeVariant())
	} else {
		r.bar.FillColor = r.Theme().Color(theme.ColorNameDisabled, fyne.CurrentApp().Settings().ThemeVariant())
	}
	dim := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameDisabled}
	when := stamp(m.at)
	if mark := stateMark(m, r.words.sending); mark != "" {
		when += " " + mark
	}
	segs := []widget.RichTextSegment{&widget.TextSegment{Text: when + "  ", Style: dim}}
	if m.edited {
		// Corrected (XEP-0308): said after the time, as quietly.
		ed := dim
		ed.TextStyle.Italic = true
		segs = append(segs, &widget.TextSegment{Text: r.words.edited, Style: ed}, &widget.TextSegment{Text: "  ", Style: dim})
	}
	name := m.sender
	if m.outgoing && name == outgoingSender {
		name = r.words.me
	}
	segs = append(segs, &widget.TextSegment{Text: name, Style: sender})
	r.header.Segments = segs
	r.header.Refresh()
	r.showDay(m)
	if m.delayed {
		r.late.SetText(delayNote(m.at, clock.now(), clock.loc, m.delayFrom, m.delayReason))
		r.late.Show()
	} else {
		r.late.Hide()
	}
	if m.clipped || m.cut {
		text := r.words.truncated
		if m.cut && !m.clipped {
			text = r.words.dropped
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
	var st *mediaState
	if m.media != "" && r.mediaOf != nil {
		st = r.mediaOf(m.media)
	}
	r.media.set(m, st, r.autoMedia != nil && r.autoMedia(m))
	if r.canReact != nil && r.canReact(m) {
		r.more.Show()
	} else {
		r.more.Hide()
	}
	if m.quote != "" {
		r.quoteLine.SetText("» " + m.quote)
		r.quoteLine.Show()
	} else {
		r.quoteLine.Hide()
	}
	r.reacts.set(m, r.own, func(e string) {
		if r.msg != nil && r.onChip != nil {
			r.onChip(r.msg, e)
		}
	})
	if m.outgoing && m.state == history.Failed && m.id != "" && m.upload == nil {
		r.retry.Show()
	} else {
		r.retry.Hide()
	}
	r.bar.Refresh()
	r.Refresh()
}

func (r *messageRow) showDay(m *chatMsg) {
	if !m.dayStart {
		r.day.Hide()
		r.dayLeft.Hide()
		r.dayRight.Hide()
		return
	}
	r.day.SetText(dayLabel(m.at, clock.now(), clock.loc))
	c := r.Theme().Color(theme.ColorNameSeparator, fyne.CurrentApp().Settings().ThemeVariant())
	r.dayLeft.FillColor, r.dayRight.FillColor = c, c
	r.day.Show()
	r.dayLeft.Show()
	r.dayRight.Show()
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
	// The day separator: the day's name centred between two rules.
	var top float32
	if r.day.Visible() {
		dh := r.day.MinSize().Height
		dw := naturalWidth(r.day, th)
		if dw > size.Width {
			dw = size.Width
		}
		dx := (size.Width - dw) / 2
		r.day.Move(fyne.NewPos(dx, 0))
		r.day.Resize(fyne.NewSize(dw, dh))
		rule := th.Size(theme.SizeNameSeparatorThickness)
		r.dayLeft.Move(fyne.NewPos(pad, dh/2))
		r.dayLeft.Resize(fyne.NewSize(max(dx-pad, 0), rule))
		r.dayRight.Move(fyne.NewPos(dx+dw, dh/2))
		r.dayRight.Resize(fyne.NewSize(max(size.Width-dx-dw-pad, 0), rule))
		top = dh
	}
	r.bar.Move(fyne.NewPos(0, top+pad/2))

	btn := r.copyBtn.MinSize()
	hh := r.header.MinSize().Height
	if btn.Height > hh {
		hh = btn.Height
	}
	r.header.Move(fyne.NewPos(x, top+(hh-r.header.MinSize().Height)/2))
	hw := w - btn.Width
	r.copyBtn.Move(fyne.NewPos(size.Width-btn.Width, top))
	r.copyBtn.Resize(btn)
	right := size.Width - btn.Width
	for _, b := range []*widget.Button{r.origBtn, r.more} {
		if b.Visible() {
			bs := b.MinSize()
			hw -= bs.Width
			right -= bs.Width
			b.Move(fyne.NewPos(right, top))
			b.Resize(bs)
		}
	}
	r.header.Resize(fyne.NewSize(max(hw, 1), r.header.MinSize().Height))
	// The body sits close under the header: the label's own padding
	// already separates them.
	y := top + hh - pad
	if r.quoteLine.Visible() {
		qh := r.quoteLine.MinSize().Height
		r.quoteLine.Move(fyne.NewPos(x, y))
		r.quoteLine.Resize(fyne.NewSize(w, qh))
		y += qh - 1.5*pad
	}
	if m := r.msg; m != nil {
		if r.wrappedAt != w {
			inner := w - 2*th.Size(theme.SizeNameInnerPadding) - 2
			style := r.body.TextStyle
			if r.styles != nil {
				style = fyne.TextStyle{Bold: true} // the widest of the styles but monospace
			}
			r.wrapped, r.wrappedAt = wrapText(m.preview, inner, th.Size(theme.SizeNameText), style), w
			if r.styles != nil {
				r.rich.Segments = styledSegments(m.preview, r.wrapped, r.styles)
				r.rich.Refresh()
			}
		}
		if r.styles == nil && r.body.Text != r.wrapped {
			r.body.SetText(r.wrapped)
		}
	}
	shown := fyne.CanvasObject(r.body)
	if r.styles != nil {
		shown = r.rich
	}
	bh := shown.MinSize().Height
	shown.Move(fyne.NewPos(x, y))
	shown.Resize(fyne.NewSize(w, bh))
	y += bh
	if r.links.Visible() {
		lh := r.links.MinSize().Height
		r.links.Move(fyne.NewPos(x, y-pad))
		r.links.Resize(fyne.NewSize(w, lh))
		y += lh - pad
	}
	y = r.media.place(x, y, w)
	y = r.reacts.place(x, y, w)
	if r.late.Visible() {
		r.late.Resize(fyne.NewSize(w, r.late.Size().Height))
		lh := r.late.MinSize().Height
		r.late.Move(fyne.NewPos(x, y-pad))
		r.late.Resize(fyne.NewSize(w, lh))
		y += lh - pad
	}
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
		fw := w
		var rb fyne.Size
		if r.retry.Visible() {
			rb = r.retry.MinSize()
			fw = max(w-rb.Width, 1)
		}
		r.failure.Resize(fyne.NewSize(fw, r.failure.Size().Height))
		fh := r.failure.MinSize().Height
		r.failure.Move(fyne.NewPos(x, y-pad))
		r.failure.Resize(fyne.NewSize(fw, fh))
		if r.retry.Visible() {
			r.retry.Move(fyne.NewPos(size.Width-rb.Width, y-pad))
			r.retry.Resize(rb)
			fh = max(fh, rb.Height)
		}
		y += fh - pad
	}
	r.bar.Resize(fyne.NewSize(barW, y-top-pad))
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
	return append([]fyne.CanvasObject{r.dayLeft, r.day, r.dayRight, r.bar, r.header, r.more, r.origBtn, r.copyBtn, r.quoteLine, r.body, r.rich, r.links, r.late, r.note, r.noteCopy, r.failure, r.retry, r.reacts.box}, r.media.objects()...)
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

// editedMark is what the header of a corrected message says in English
// (rows show rowWords.edited, its translation).
const editedMark = "edited" // not translated: the English word; rows show lang.L("edited")

// outgoingSender is the sender of our own messages in a chat: rows show
// it as lang.L("Me") (senderText, rowWords.me).
const outgoingSender = "Me" // not translated: a marker; shown through senderText

// senderText is how sender is shown: our own messages are signed with
// the translation of "Me".
func senderText(sender string, outgoing bool) string {
	if outgoing && sender == outgoingSender {
		return lang.L("Me")
	}
	return sender
}
