package views

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/views/model"
)

// The People dialog of a room: who is in it, with their role and
// affiliation, and a menu for each to write to them privately and for
// what our own role and affiliation let us do to them (XEP-0045 §8 to
// §10, decided by model.Moderation). Kicks and bans are confirmed first,
// with a reason.

// moderator is a core that moderates rooms; app.Client is one.
type moderator interface {
	Kick(room, nick, reason string)
	SetRole(room, nick string, role muc.Role, reason string)
	SetAffiliation(room, user string, aff muc.Affiliation, reason string)
}

var _ moderator = (*app.Client)(nil)

// peopleView is a room's open People dialog: a list, which draws only
// the rows in view (a room may hold thousands).
type peopleView struct {
	list *widget.List
	// rows are the occupants as listed; self is our nickname.
	rows []app.Occupant
	self string
}

// showPeople lists the room's occupants; the list follows the room while
// the dialog is open.
func (c *chatWindow) showPeople() {
	if c.s.Rooms[c.conv.peer] == nil {
		return
	}
	p := &peopleView{}
	p.list = widget.NewList(
		func() int { return len(p.rows) },
		func() fyne.CanvasObject { return newPersonRow() },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(p.rows) {
				c.bindPerson(o.(*personRow), p.rows[id], p.rows[id].Nick == p.self)
			}
		})
	p.list.OnSelected = func(id widget.ListItemID) { p.list.Unselect(id) } // rows act by their menu
	c.people = p
	c.fillPeople()
	d := dialog.NewCustom(lang.L("People in {{.Room}}", map[string]any{"Room": c.s.roomTitle(c.conv.peer)}), lang.L("Close"), p.list, c.win)
	d.SetOnClosed(func() {
		if c.people == p {
			c.people = nil
		}
	})
	d.Resize(fyne.NewSize(420, 440))
	d.Show()
}

// fillPeople lists the room's occupants anew: moderators first, then
// participants, then visitors, each by nickname.
func (c *chatWindow) fillPeople() {
	p := c.people
	r := c.s.Rooms[c.conv.peer]
	if p == nil {
		return
	}
	p.rows = p.rows[:0]
	if r != nil {
		self := r.Self
		self.Nick = r.Nick
		p.self = r.Nick
		p.rows = append(p.rows, self)
		for _, o := range r.Occupants {
			p.rows = append(p.rows, o)
		}
	}
	slices.SortFunc(p.rows, func(a, b app.Occupant) int {
		if ra, rb := roleRank(a.Role), roleRank(b.Role); ra != rb {
			return ra - rb
		}
		return strings.Compare(strings.ToLower(a.Nick), strings.ToLower(b.Nick))
	})
	p.list.Refresh()
}

// roleRank orders roles for the People dialog.
func roleRank(r muc.Role) int {
	switch r {
	case muc.RoleModerator:
		return 0
	case muc.RoleParticipant:
		return 1
	}
	return 2
}

// personRow is a row of the People dialog: nickname, standing, and the
// menu button.
type personRow struct {
	widget.BaseWidget
	nick, standing *widget.Label
	more           *widget.Button
	box            fyne.CanvasObject
}

func newPersonRow() *personRow {
	r := &personRow{nick: widget.NewLabel(""), standing: widget.NewLabel(""), more: widget.NewButton("…", nil)} // not translated: a menu button's sign
	r.nick.Truncation = fyne.TextTruncateEllipsis
	r.standing.SizeName = theme.SizeNameCaptionText
	r.standing.Truncation = fyne.TextTruncateEllipsis
	r.more.Importance = widget.LowImportance
	r.box = container.NewBorder(nil, nil, nil, container.NewCenter(r.more), container.New(&tightRows{}, r.nick, r.standing))
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer implements fyne.Widget.
func (r *personRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.box) }

// personWords are the nickname and the standing a row shows of o.
func personWords(o app.Occupant, self bool) (nick, standing string) {
	nick = clipRunes(plainLine(o.Nick), 80)
	if self {
		nick = lang.L("{{.Name}} (you)", map[string]any{"Name": nick})
	}
	return nick, standingText(o)
}

// bindPerson shows the occupant o in row r; the menu is for others.
func (c *chatWindow) bindPerson(r *personRow, o app.Occupant, self bool) {
	nick, standing := personWords(o, self)
	r.nick.TextStyle.Bold = o.Role == muc.RoleModerator
	r.nick.SetText(nick)
	r.standing.SetText(standing)
	if self {
		r.more.Hide()
		return
	}
	r.more.Show()
	more := r.more
	r.more.OnTapped = func() {
		at := fyne.CurrentApp().Driver().AbsolutePositionForObject(more)
		at.Y += more.Size().Height
		widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", c.personMenu(o)...), c.win.Canvas(), at)
	}
}

// standingText words an occupant's role and affiliation: "moderator ·
// owner", "participant", "visitor, no voice".
func standingText(o app.Occupant) string {
	var t string
	switch o.Role {
	case muc.RoleModerator:
		t = lang.L("moderator")
	case muc.RoleVisitor:
		t = lang.L("visitor, no voice")
	default:
		t = lang.L("participant")
	}
	switch o.Affiliation {
	case muc.AffiliationOwner:
		t += " · " + lang.L("owner")
	case muc.AffiliationAdmin:
		t += " · " + lang.L("admin")
	case muc.AffiliationMember:
		t += " · " + lang.L("member")
	}
	return t
}

// personMenu is the menu of the occupant o: a private message, and what
// we may do to them.
func (c *chatWindow) personMenu(o app.Occupant) []*fyne.MenuItem {
	room := c.conv.peer
	items := []*fyne.MenuItem{fyne.NewMenuItem(lang.L("Send private message"), func() {
		c.s.openChat(room + "/" + o.Nick)
	})}
	r := c.s.Rooms[room]
	m, ok := c.s.core.(moderator)
	if r == nil || !ok {
		return items
	}
	self := r.Self
	self.Nick = r.Nick
	acts := model.Moderation(self, o, r.Info)
	if len(acts) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
	}
	for _, act := range acts {
		act := act
		label := modActionText(act)
		if act.Destructive() {
			label += "…" // not translated: the sign of an action that asks first
		}
		items = append(items, fyne.NewMenuItem(label, func() {
			if act.Destructive() {
				c.confirmRemoval(m, o, act)
				return
			}
			moderate(m, room, o, act, "")
		}))
	}
	return items
}

// modActionText words an action on someone in a room, for a menu.
func modActionText(a model.ModAction) string {
	switch a {
	case model.ModGrantVoice:
		return lang.L("Grant voice")
	case model.ModRevokeVoice:
		return lang.L("Revoke voice")
	case model.ModMakeModerator:
		return lang.L("Make moderator")
	case model.ModRemoveModerator:
		return lang.L("Remove moderator")
	case model.ModMakeMember:
		return lang.L("Make member")
	case model.ModRemoveMember:
		return lang.L("Remove membership")
	case model.ModMakeAdmin:
		return lang.L("Make admin")
	case model.ModRemoveAdmin:
		return lang.L("Remove admin")
	case model.ModKick:
		return lang.L("Kick")
	case model.ModBan:
		return lang.L("Ban")
	}
	return "?"
}

// confirmRemoval asks before kicking or banning o, with a reason the
// room passes on to everyone in it.
func (c *chatWindow) confirmRemoval(m moderator, o app.Occupant, act model.ModAction) {
	who, room := plainLine(o.Nick), c.s.roomTitle(c.conv.peer)
	d := map[string]any{"Name": who, "Room": room, "Address": plainLine(bareJID(o.JID))} // not translated: placeholder names
	title := lang.L("Kick {{.Name}}", d)
	text := lang.L("{{.Name}} leaves {{.Room}} and may come back. Everyone in the room sees it, with the reason if you give one.", d)
	verb := lang.L("Kick")
	if act == model.ModBan {
		title, verb = lang.L("Ban {{.Name}}", d), lang.L("Ban")
		text = lang.L("{{.Name}} ({{.Address}}) leaves {{.Room}} and may not come back until an admin lifts the ban. Everyone in the room sees it, with the reason if you give one.", d)
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	reason := widget.NewEntry()
	reason.SetPlaceHolder(lang.L("Reason (optional)"))
	dlg := dialog.NewCustomConfirm(title, verb, lang.L("Cancel"), container.NewVBox(msg, reason), func(ok bool) {
		if ok {
			moderate(m, c.conv.peer, o, act, strings.TrimSpace(reason.Text))
		}
	}, c.win)
	dlg.SetConfirmImportance(widget.DangerImportance)
	dlg.Resize(fyne.NewSize(400, dlg.MinSize().Height))
	dlg.Show()
	c.win.Canvas().Focus(reason)
}

// moderate asks the room to do act to o, for reason.
func moderate(m moderator, room string, o app.Occupant, act model.ModAction, reason string) {
	if act == model.ModKick {
		m.Kick(room, o.Nick, reason)
		return
	}
	if role, ok := act.Role(); ok {
		m.SetRole(room, o.Nick, role, reason)
		return
	}
	if aff, ok := act.Affiliation(); ok && o.JID != "" {
		m.SetAffiliation(room, bareJID(o.JID), aff, reason)
	}
}

// bareJID returns the bare JID of a full one.
func bareJID(full string) string {
	bare, _, _ := strings.Cut(full, "/")
	return bare
}
