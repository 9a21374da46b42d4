package views

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/palaver-im/palaver/app/history"
)

// Reading the archive. A chat window shows the newest page of the
// conversation as soon as it opens, and the page before the oldest shown
// whenever the top of the list comes into view: the list is virtualized
// and has no scroll callback, but it binds row 0 exactly when that row
// becomes visible, and that is the trigger (see newChatWindow).
const (
	// historyPage is how many messages one read brings.
	historyPage = 50
	// historyTimeout bounds one read of the archive.
	historyTimeout = 10 * time.Second
	// revealReads caps the pages read to bring a search result into view.
	revealReads = 20
)

// wantHistory schedules a look at whether to read the archive, once the
// layout under way has settled: row 0 is also bound while the list
// refreshes at another offset (syncHeights does that), so only the
// position after the refresh tells whether the user is at the top.
func (c *chatWindow) wantHistory() {
	if c.historyQueued || c.conv.done {
		return
	}
	c.historyQueued = true
	c.s.ui.after(0, func() {
		c.historyQueued = false
		c.loadHistory()
	})
}

// loadHistory reads the newest page of the conversation if it was never
// read, else the page before the oldest message shown if the top of the
// list is in view. The read runs on its own goroutine.
func (c *chatWindow) loadHistory() {
	s, conv := c.s, c.conv
	if s.closed || s.chats[conv.peer] != c || conv.loading || conv.done || conv.histErr != nil {
		return
	}
	if conv.started && !c.topVisible() {
		return
	}
	c.readOlder()
}

// readOlder reads the page before the oldest message held (the newest
// page at first) on its own goroutine.
func (c *chatWindow) readOlder() {
	c.conv.started = true
	c.readPage(false)
}

// readPage reads a page of the archive on its own goroutine: the one
// after the newest message held (newer), else the one before the oldest;
// historyRead or newerRead applies it.
func (c *chatWindow) readPage(newer bool) {
	s, conv := c.s, c.conv
	conv.loading, conv.readingNewer = true, newer
	core, peer, gen := s.core, conv.peer, conv.gen
	before, after := conv.oldest, conv.newest
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
		defer cancel()
		if newer {
			page, err := core.HistoryAfter(ctx, peer, after, historyPage)
			s.ui.do(func() { s.newerRead(conv, gen, page, err) })
			return
		}
		page, err := core.History(ctx, peer, before, historyPage)
		s.ui.do(func() { s.historyRead(conv, gen, page, err) })
	}()
}

// pageRead begins applying a page that a read of the archive brought: it
// reports false when there is nothing to apply (the conversation was
// reset since, the session closed, or the read failed, which it says).
func (s *session) pageRead(conv *conversation, gen int, err error) bool {
	if conv.gen != gen {
		return false // read for what the conversation held before a reset
	}
	conv.readingNewer = false
	if s.closed {
		conv.readDone()
		return false
	}
	if err != nil {
		conv.readDone()
		conv.histErr = err
		if c := s.chats[conv.peer]; c != nil {
			c.target = 0
		}
		s.ui.showNotice(lang.L("Could not read the history with {{.Name}}: {{.Error}}", map[string]any{"Name": s.peerName(conv.peer), "Error": errorText(err)}))
		return false
	}
	return true
}

// archivedMsgs returns the messages of page, with room for more.
func (s *session) archivedMsgs(conv *conversation, page []history.Message, more int) []*chatMsg {
	name := s.peerName(conv.peer)
	msgs := make([]*chatMsg, len(page), len(page)+more)
	for i, h := range page {
		msgs[i] = archivedMsg(h, name)
	}
	return msgs
}

// historyRead merges a page read from the archive into conv and shows it.
func (s *session) historyRead(conv *conversation, gen int, page []history.Message, err error) {
	if !s.pageRead(conv, gen, err) {
		return
	}
	if len(page) < historyPage {
		conv.done = true
	}
	if len(page) > historyPage {
		page = page[len(page)-historyPage:]
	}
	if len(page) > 0 {
		conv.oldest = page[0].At()
	}
	// Reading back: what is far below the view goes, and is read again
	// on the way down (readNewer).
	c := s.showPage(conv, s.archivedMsgs(conv, page, 0), func(c *chatWindow) []*chatMsg { return conv.trimNewest(c.keepAbove()) })
	if c == nil {
		return
	}
	if c.target != 0 {
		c.reveal()
		return
	}
	// A page that added nothing new leaves the top in view, and row 0 is
	// not bound again: look again.
	c.wantHistory()
}

// keepAbove is how many of the oldest messages trimNewest keeps: the
// rows in view and a page or two below them.
func (c *chatWindow) keepAbove() int {
	i := 0
	if a := c.anchor(); a.m != nil {
		i = slices.Index(c.conv.msgs, a.m)
	}
	return max(keepHeld, i+2*historyPage+c.rowsInView())
}

// keepBelow is how many of the newest messages trim keeps: the rows in
// view and a page or two above them.
func (c *chatWindow) keepBelow() int {
	i := len(c.conv.msgs)
	if a := c.anchor(); a.m != nil {
		i = slices.Index(c.conv.msgs, a.m)
	}
	return max(keepHeld, len(c.conv.msgs)-i+2*historyPage)
}

// rowsInView is about how many rows the list shows at once.
func (c *chatWindow) rowsInView() int {
	top := c.list.GetScrollOffset()
	return c.list.RowAt(top+c.list.Size().Height) - c.list.RowAt(top) + 1
}

// wantNewer schedules a read of the messages after the newest held, when
// the newest were dropped while reading back (conversation.newer) and
// the bottom of the list is in view, once the layout under way settled.
func (c *chatWindow) wantNewer() {
	if c.newerQueued || !c.conv.newer {
		return
	}
	c.newerQueued = true
	c.s.ui.after(0, func() {
		c.newerQueued = false
		s, conv := c.s, c.conv
		if s.closed || s.chats[conv.peer] != c || !conv.newer || conv.loading || conv.histErr != nil || !c.bottomVisible() {
			return
		}
		c.readNewer()
	})
}

// bottomVisible reports whether the last row is in view.
func (c *chatWindow) bottomVisible() bool {
	n := len(c.told)
	return n == 0 || c.list.GetScrollOffset()+c.list.Size().Height > c.list.Top(n-1)
}

// readNewer reads the page after the newest message held on its own
// goroutine.
func (c *chatWindow) readNewer() { c.readPage(true) }

// newerRead merges a page of newer messages into conv and shows it. A
// short page is the newest: from then on the conversation holds what
// arrives live again, and what arrived during the read joins it.
func (s *session) newerRead(conv *conversation, gen int, page []history.Message, err error) {
	if !s.pageRead(conv, gen, err) {
		return
	}
	if len(page) > 0 {
		conv.newest = page[len(page)-1].At()
	}
	msgs := s.archivedMsgs(conv, page, len(conv.arrived))
	if len(page) < historyPage {
		conv.newer = false
		msgs = append(msgs, conv.arrived...)
	}
	conv.arrived = nil
	// Reading down: what is far above the view goes.
	if c := s.showPage(conv, msgs, func(c *chatWindow) []*chatMsg { return conv.trim(c.keepBelow()) }); c != nil {
		c.wantNewer()
	}
}

// showPage merges msgs, read from the archive, into conv and ends the
// read; with the window open, it drops what drop chooses (what is far
// from the view) once conv holds more than maxHeld, and shows the rest.
// It returns the window, nil when none is open.
func (s *session) showPage(conv *conversation, msgs []*chatMsg, drop func(*chatWindow) []*chatMsg) *chatWindow {
	added := conv.merge(msgs)
	// States the page may predate; they can change held messages too.
	late := len(conv.late) > 0
	conv.readDone()
	c := s.chats[conv.peer]
	if c == nil {
		return nil
	}
	if added > 0 && len(conv.msgs) > maxHeld {
		for _, m := range drop(c) {
			delete(c.heights, m)
		}
	}
	if added > 0 || late {
		c.refresh(false)
	}
	return c
}

// toNewest makes the conversation hold its newest messages again when
// they were dropped while reading back: before the user writes (what is
// sent goes at the end), or looks for a message (search). The window
// shows the newest page once read.
func (c *chatWindow) toNewest() {
	if !c.conv.newer {
		return
	}
	c.conv.reset()
	clear(c.heights)
	c.target = 0
	c.refresh(true)
	c.readOlder()
}

// showArchived brings the archived message id into view, reading older
// pages until it is there (at most revealReads of them).
func (c *chatWindow) showArchived(id int64) {
	if c.conv.byArchive[id] == nil {
		c.toNewest() // it may be among the newest, dropped
	}
	c.target, c.targetReads = id, 0
	c.reveal()
}

// reveal scrolls to the message c.target once it is held, or reads on
// towards it.
func (c *chatWindow) reveal() {
	conv := c.conv
	if m := conv.byArchive[c.target]; m != nil {
		c.target = 0
		for i, x := range conv.msgs {
			if x == m {
				c.list.ScrollTo(i)
				break
			}
		}
		return
	}
	switch {
	case conv.done || conv.histErr != nil || c.targetReads >= revealReads:
		c.target = 0 // not to be found; the view stays where it is
	case !conv.started || conv.loading:
		// The read scheduled or under way calls back.
	default:
		c.targetReads++
		c.readOlder()
	}
}

// anchor is where the user is reading: at the bottom, or delta below the
// top of message m.
type anchor struct {
	bottom bool
	m      *chatMsg
	delta  float32
}

// anchor returns the reading position in the list as last laid out.
func (c *chatWindow) anchor() anchor {
	if c.atBottom() {
		return anchor{bottom: true}
	}
	off := c.list.GetScrollOffset()
	if i := c.list.RowAt(off); i < len(c.shown) {
		return anchor{m: c.shown[i], delta: off - c.list.Top(i)}
	}
	return anchor{bottom: true}
}

// restore scrolls the list back to a, after messages were inserted.
func (c *chatWindow) restore(a anchor) {
	for i, m := range c.conv.msgs {
		if m == a.m {
			c.list.ScrollToOffset(c.rowTop(i) + a.delta)
			return
		}
	}
}

// rowTop returns the offset of row i in the list.
func (c *chatWindow) rowTop(i int) float32 { return c.list.Top(i) }

// topVisible reports whether the first row is in view.
func (c *chatWindow) topVisible() bool {
	return len(c.told) == 0 || c.list.GetScrollOffset() < c.told[0]
}
