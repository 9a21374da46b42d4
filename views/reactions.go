package views

import (
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
)

// Reactions (XEP-0444) and replies (XEP-0461), in one-to-one chats and
// in rooms: a message's "…" menu offers a few reactions and Reply;
// reactions show under the message as chips with a count, and tapping
// one adds or takes back ours; a reply shows the line it answers above
// its text, and writing one says so above the entry until sent or Esc.
// A room's line is named by the stanza id the room gave it, so only a
// line with one offers the menu, and its author by occupant JID
// (room/nick).

// reactor is the part of the core that reacts and replies (app.Client).
type reactor interface {
	React(peer, id string, emojis []string)
	SendReply(peer, body string, to app.ReplyTo) string
}

var _ reactor = (*app.Client)(nil)

// roomReplier is a core that replies to a room's lines (app.Client).
type roomReplier interface {
	SendRoomReply(room, body string, to app.ReplyTo) string
}

var _ roomReplier = (*app.Client)(nil)

// quickReactions are the reactions the menu offers (those Conversations
// and Dino offer first).
var quickReactions = []string{"👍", "❤️", "😂", "😮", "😢", "🙏"}

// maxChips bounds the reaction chips a row shows.
const maxChips = 8

// refID is the id by which m can be reacted or replied to: ours by the id
// we sent it with, the peer's by the id it came with; a room's line by
// the stanza id the room gave it ("" until known).
func (m *chatMsg) refID() string {
	if m.room {
		return m.stanzaID
	}
	if m.outgoing {
		return m.id
	}
	return m.msgID
}

// reactID is the id by which c reacts to m: in a room, the stanza id
// the room gave the line (our own lines too, sent or being sent from
// this window, which are not marked as a room's until reflected).
func (c *chatWindow) reactID(m *chatMsg) string {
	if c.room {
		return m.stanzaID
	}
	return m.refID()
}

// setReaction gives from's reactions to m (none: taken back) and reports
// whether that changed anything.
func (m *chatMsg) setReaction(from string, emojis []string) bool {
	for i, r := range m.reactions {
		if r.From != from {
			continue
		}
		if slices.Equal(r.Emojis, emojis) {
			return false
		}
		m.reactions = slices.Delete(slices.Clone(m.reactions), i, i+1)
		break
	}
	if len(emojis) > 0 {
		m.reactions = append(m.reactions, history.Reaction{From: from, Emojis: slices.Clone(emojis)})
	} else if len(m.reactions) == 0 {
		m.reactions = nil
	}
	m.rev++
	return true
}

// chip is one reaction and how many chose it.
type chip struct {
	emoji string
	n     int
	mine  bool
}

// chips counts m's reactions, in the order they first appear; own is the
// account's bare JID.
func (m *chatMsg) chips(own string) []chip {
	var out []chip
	for _, r := range m.reactions {
		for _, e := range r.Emojis {
			i := slices.IndexFunc(out, func(c chip) bool { return c.emoji == e })
			if i < 0 {
				out = append(out, chip{emoji: e})
				i = len(out) - 1
			}
			out[i].n++
			out[i].mine = out[i].mine || r.From == own
		}
	}
	return out
}

// mine returns our reactions to m.
func (m *chatMsg) mine(own string) []string {
	for _, r := range m.reactions {
		if r.From == own {
			return r.Emojis
		}
	}
	return nil
}

// toggleReaction adds emoji to our reactions to m, or takes it back.
func (c *chatWindow) toggleReaction(m *chatMsg, emoji string) {
	co, ok := c.s.core.(reactor)
	if !ok || c.reactID(m) == "" {
		return
	}
	mine := slices.Clone(m.mine(c.s.acct.JID))
	if i := slices.Index(mine, emoji); i >= 0 {
		mine = slices.Delete(mine, i, i+1)
	} else {
		mine = append(mine, emoji)
	}
	co.React(c.conv.peer, c.reactID(m), mine)
}

// canReact reports whether m offers reactions (and Reply, see canReply).
// A room's line needs the stanza id the room gave it.
func (c *chatWindow) canReact(m *chatMsg) bool {
	_, ok := c.s.core.(reactor)
	return ok && !m.notice && m.upload == nil && c.reactID(m) != ""
}

// showMessageMenu opens m's menu (reactions, Reply) under the button at
// pos.
func (c *chatWindow) showMessageMenu(m *chatMsg, from fyne.CanvasObject) {
	menu := fyne.NewMenu("", c.messageMenuItems(m)...)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(from)
	widget.ShowPopUpMenuAtPosition(menu, c.win.Canvas(), pos.AddXY(0, from.Size().Height))
}

// canReply reports whether m's menu offers Reply: in a room, when the
// core replies to room lines and the room gave m a stanza id.
func (c *chatWindow) canReply(m *chatMsg) bool {
	if !c.room {
		return true
	}
	_, ok := c.s.core.(roomReplier)
	return ok && c.reactID(m) != ""
}

// messageMenuItems are the items of m's menu: the quick reactions (ours
// checked), then Reply when canReply.
func (c *chatWindow) messageMenuItems(m *chatMsg) []*fyne.MenuItem {
	var items []*fyne.MenuItem
	for _, e := range quickReactions {
		item := fyne.NewMenuItem(e, func() { c.toggleReaction(m, e) })
		item.Checked = slices.Contains(m.mine(c.s.acct.JID), e)
		items = append(items, item)
	}
	if c.canReply(m) {
		items = append(items, fyne.NewMenuItemSeparator(), fyne.NewMenuItem(lang.L("Reply"), func() { c.startReply(m) }))
	}
	return items
}

// startReply makes the next message sent a reply to m.
func (c *chatWindow) startReply(m *chatMsg) {
	if c.editing != nil {
		c.stopEditing()
	}
	c.replying = m
	c.editBar.SetText(lang.L("Replying to {{.Name}}: “{{.Quote}}” — Esc to cancel",
		map[string]any{"Name": c.senderName(m), "Quote": clipRunes(firstLine(m.body), 60)}))
	c.editBar.Show()
	c.win.Canvas().Focus(c.entry)
}

// stopReplying cancels a reply being written.
func (c *chatWindow) stopReplying() {
	c.replying = nil
	c.editBar.Hide()
	c.editBar.SetText(editingText())
}

// senderName names the author of m for a reply line.
func (c *chatWindow) senderName(m *chatMsg) string {
	if m.outgoing {
		return lang.L("yourself")
	}
	return m.sender
}

// sendReply sends text as a reply to the message c.replying.
func (c *chatWindow) sendReply(text string) {
	m := c.replying
	c.stopReplying()
	if c.room {
		c.sendRoomReply(m, text)
		return
	}
	co, ok := c.s.core.(reactor)
	if !ok {
		return
	}
	author := c.conv.peer
	if m.outgoing {
		author = c.s.acct.JID
	}
	id := co.SendReply(c.conv.peer, text, app.ReplyTo{ID: m.refID(), Author: author, Quote: clipRunes(m.body, 200)})
	out := newChatMsg(id, outgoingSender, text, clock.now(), true)
	out.replyID, out.quote = m.refID(), c.senderName(m)+": "+firstLine(m.body)
	c.toNewest()
	c.conv.add(out)
	c.refresh(true)
}

// sendRoomReply sends text to the room as a reply to its line m, named
// by the stanza id the room gave it; its author is the occupant who sent
// it (room/nick). It shows as sending until the room reflects it.
func (c *chatWindow) sendRoomReply(m *chatMsg, text string) {
	co, ok := c.s.core.(roomReplier)
	if !ok {
		return
	}
	to := app.ReplyTo{ID: c.reactID(m), Author: c.conv.peer + "/" + c.nickOf(m), Quote: clipRunes(m.body, 200)}
	id := co.SendRoomReply(c.conv.peer, text, to)
	out := newChatMsg(id, outgoingSender, text, clock.now(), true)
	out.replyID, out.quote = to.ID, c.senderName(m)+": "+firstLine(m.body)
	c.toNewest()
	c.conv.add(out)
	c.refresh(true)
}

// nickOf is the nickname the room's line m was sent under: for our own
// line not reflected yet, ours now.
func (c *chatWindow) nickOf(m *chatMsg) string {
	if m.nick != "" {
		return m.nick
	}
	if r := c.s.Rooms[c.conv.peer]; m.outgoing && r != nil {
		return r.Nick
	}
	return m.sender
}

// firstLine is the first line of s, for a quotation.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return plainLine(clipRunes(line, 120))
}

// quoteOf is what a reply shows of the message it answers: that message,
// when the conversation holds it, else the quotation the sender put in
// front (its fallback) without the "> ".
func (conv *conversation) quoteOf(replyID, fallback string) string {
	if m := conv.byRef(replyID); m != nil {
		return m.sender + ": " + firstLine(m.body)
	}
	var lines []string
	for line := range strings.SplitSeq(strings.TrimSpace(fallback), "\n") {
		lines = append(lines, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), ">")))
	}
	return firstLine(strings.Join(lines, " "))
}

// byRef returns the message whose refID is id.
func (conv *conversation) byRef(id string) *chatMsg {
	if id == "" {
		return nil
	}
	if m := conv.byID[id]; m != nil {
		return m
	}
	return conv.byMsgID[id]
}

// learnStanzaID gives our room line id the stanza id the room gave it
// (its reflection brings it), by which it is reacted to.
func (conv *conversation) learnStanzaID(id, stanzaID string) {
	m := conv.byID[id]
	if m == nil || stanzaID == "" || m.stanzaID != "" {
		return
	}
	m.stanzaID = stanzaID
	conv.byMsgID[stanzaID] = m
	m.rev++
}

// applyReactions shows reactions that changed.
func (s *session) applyReactions(events []app.ReactionsChanged, touched map[*chatWindow]bool) {
	for _, e := range events {
		conv := s.convs[e.Peer]
		if conv == nil {
			continue // the archive has them for when it is read
		}
		if m := conv.byRef(e.ID); m != nil && m.setReaction(e.From, e.Emojis) {
			s.touch(e.Peer, touched)
		}
	}
}

// reactionView draws a message's reaction chips.
type reactionView struct {
	box *fyne.Container
	// shown is what the chips were built from.
	shown string
}

func newReactionView() *reactionView {
	v := &reactionView{box: container.NewHBox()}
	v.box.Hide()
	return v
}

// set shows m's reactions; tap is called with the emoji of a chip tapped.
func (v *reactionView) set(m *chatMsg, own string, tap func(string)) {
	chips := m.chips(own)
	if len(chips) == 0 {
		v.box.Hide()
		v.shown = ""
		return
	}
	var key strings.Builder
	for _, c := range chips {
		key.WriteString(c.emoji + strconv.Itoa(c.n) + strconv.FormatBool(c.mine) + " ")
	}
	if key.String() == v.shown && v.box.Visible() {
		return
	}
	v.shown = key.String()
	v.box.Objects = v.box.Objects[:0]
	for i, c := range chips {
		if i == maxChips {
			more := widget.NewLabel("+" + strconv.Itoa(len(chips)-maxChips))
			v.box.Objects = append(v.box.Objects, more)
			break
		}
		b := widget.NewButton(c.emoji+" "+strconv.Itoa(c.n), func() { tap(c.emoji) })
		// Ours stand out as a button; others' are flat. (A coloured
		// button would hide emoji of its colour.)
		b.Importance = widget.LowImportance
		if c.mine {
			b.Importance = widget.MediumImportance
		}
		v.box.Objects = append(v.box.Objects, b)
	}
	v.box.Show()
	v.box.Refresh()
}

// place lays the chips out at x, y within width w and returns the new y.
func (v *reactionView) place(x, y, w float32) float32 {
	if !v.box.Visible() {
		return y
	}
	s := v.box.MinSize()
	v.box.Move(fyne.NewPos(x, y))
	v.box.Resize(fyne.NewSize(min(s.Width, w), s.Height))
	return y + s.Height
}

// newMoreButton is the "…" button of a row, which opens its menu.
func newMoreButton(tapped func(fyne.CanvasObject)) *widget.Button {
	var b *widget.Button
	b = widget.NewButtonWithIcon("", theme.MoreHorizontalIcon(), func() { tapped(b) })
	b.Importance = widget.LowImportance
	b.Hide()
	return b
}

// chipsKey describes chips, for the heights measured by what rows show.
func chipsKey(cs []chip) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.emoji + strconv.Itoa(c.n) + " ")
	}
	return b.String()
}
