package views

import (
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/views/model"
)

// Invitations to rooms (XEP-0249, XEP-0045 §7.8). Those received wait
// above the contacts, each with Join (the Join dialog, its password
// filled in) and Decline; nothing is joined by itself. A room's window
// invites others with Invite….

// inviter is a core that invites to rooms and declines invitations;
// app.Client is one.
type inviter interface {
	Invite(room, to, reason string)
	Decline(inv app.RoomInvitation, reason string)
}

var _ inviter = (*app.Client)(nil)

// newInvitationsBox builds the place above the contacts where
// invitations wait, hidden while none does.
func (u *UI) newInvitationsBox() *fyne.Container {
	u.invitesBox = container.NewVBox()
	u.invitesBox.Hide()
	return u.invitesBox
}

// refreshInvitations lists the invitations of every account, newest
// first.
func (u *UI) refreshInvitations() {
	if u.invitesBox == nil {
		return
	}
	u.invitesBox.RemoveAll()
	type waiting struct {
		s   *session
		inv *model.Invitation
	}
	var all []waiting
	for _, s := range u.sessions {
		for _, inv := range s.Invitations.List {
			all = append(all, waiting{s, inv})
		}
	}
	slices.SortStableFunc(all, func(a, b waiting) int { return b.inv.At.Compare(a.inv.At) })
	u.fillPrompts(u.invitesBox, len(all), "invitations", func(i int) fyne.CanvasObject { return u.invitationRow(all[i].s, all[i].inv) })
}

// invitationRow is one invitation with its Join and Decline.
func (u *UI) invitationRow(s *session, inv *model.Invitation) fyne.CanvasObject {
	l := widget.NewLabel(s.invitationText(inv))
	l.Wrapping = fyne.TextWrapWord
	it := *inv
	join := widget.NewButton(lang.L("Join…"), func() { s.acceptInvitation(it) })
	if inv.Contact {
		join.Importance = widget.HighImportance
	}
	decline := widget.NewButton(lang.L("Decline"), func() { s.declineInvitation(it) })
	// The buttons under the text: beside it, a wrapped label is left a
	// narrow column.
	return container.NewVBox(l, container.NewHBox(layout.NewSpacer(), join, decline))
}

// invitationText words an invitation: who, to which room, and their
// words. The inviter and the room are anyone's words.
func (s *session) invitationText(inv *model.Invitation) string {
	from := plainLine(inv.From)
	you := lang.L("you")
	if len(s.ui.sessions) > 1 {
		you = s.acct.JID
	}
	d := map[string]any{"From": from, "You": you, "Room": s.invitedRoomName(inv.Room), "Address": plainLine(inv.Room)} // not translated: placeholder names
	var text string
	switch {
	case inv.From == "":
		text = lang.L("Someone (the room does not say who) invites {{.You}} to {{.Room}} ({{.Address}}).", d)
	case strings.HasPrefix(inv.From, inv.Room+"/"):
		// A room that hides real addresses names the inviter by nickname.
		d["Nick"] = clipRunes(plainLine(strings.TrimPrefix(inv.From, inv.Room+"/")), 60) // not translated: placeholder names
		text = lang.L("“{{.Nick}}”, in the room, invites {{.You}} to {{.Room}} ({{.Address}}).", d)
	case inv.Contact:
		name := plainLine(s.Roster.DisplayName(inv.From))
		if name == from {
			text = lang.L("{{.From}} invites {{.You}} to {{.Room}} ({{.Address}}).", d)
		} else {
			d["Name"] = name // not translated: placeholder names
			text = lang.L("{{.Name}} ({{.From}}) invites {{.You}} to {{.Room}} ({{.Address}}).", d)
		}
	default:
		text = lang.L("{{.From}}, not in your contacts, invites {{.You}} to {{.Room}} ({{.Address}}).", d)
	}
	if inv.Reason != "" {
		text += "\n" + lang.L("“{{.Text}}”", map[string]any{"Text": clipRunes(plainLine(inv.Reason), 300)})
	}
	return text
}

// invitedRoomName is how an invitation names a room (see roomTitle).
func (s *session) invitedRoomName(room string) string {
	return clipRunes(plainLine(s.roomTitle(room)), 100)
}

// invitationNote is the desktop notification of an invitation (from a
// contact: strangers' raise none).
func (s *session) invitationNote(inv model.Invitation) *fyne.Notification {
	d := map[string]any{"Name": s.notifyName(inv.From), "Room": s.invitedRoomName(inv.Room), "Reason": clipRunes(plainLine(inv.Reason), 200)} // not translated: placeholder names
	body := lang.L("{{.Name}} invites you to {{.Room}}", d)
	if inv.Reason != "" {
		body = lang.L("{{.Name}} invites you to {{.Room}}: “{{.Reason}}”", d)
	}
	return fyne.NewNotification(notificationTitle(lang.L("Invitation to {{.Room}}", d)), notificationBody(body))
}

// acceptInvitation opens the Join dialog on the room, with the password
// the invitation gave; the invitation goes once the user joins.
func (s *session) acceptInvitation(inv model.Invitation) {
	u := s.ui
	u.joinRoomWith(joinAsk{s: s, room: inv.Room, password: inv.Password, joined: func(js *session, room string) {
		js.Invitations.RemoveRoom(room)
		if js != s {
			s.Invitations.Remove(inv.Room, inv.From)
		}
		u.refreshInvitations()
	}})
}

// declineInvitation declines: the room tells the inviter of a mediated
// invitation (a direct one has no answer).
func (s *session) declineInvitation(inv model.Invitation) {
	if d, ok := s.core.(inviter); ok {
		d.Decline(inv.RoomInvitation, "")
	}
	s.Invitations.Remove(inv.Room, inv.From)
	s.ui.refreshInvitations()
}

// invitationsOf is for tests: the invitations waiting, oldest first, as
// "room from".
func (s *session) invitationsOf() []string {
	out := make([]string, len(s.Invitations.List))
	for i, inv := range s.Invitations.List {
		out[i] = inv.Room + " " + inv.From
	}
	return out
}

// maxSuggested is how many contacts the Invite dialog suggests.
const maxSuggested = 5

// inviteDialog asks whom to invite to c's room, and why, and invites:
// a contact (suggested as the user types) or any address.
func inviteDialog(c *chatWindow) {
	s, room := c.s, c.conv.peer
	inv, ok := s.core.(inviter)
	if !ok {
		return
	}
	to := widget.NewEntry()
	to.SetPlaceHolder("name@example.org") // not translated: an example address
	reason := widget.NewEntry()
	reason.SetPlaceHolder(lang.L("optional"))
	errLabel := widget.NewLabel("")
	errLabel.Importance = widget.DangerImportance
	errLabel.Wrapping = fyne.TextWrapWord
	errLabel.Hide()
	suggest := container.NewVBox()
	var d *dialog.CustomDialog
	to.OnChanged = func(text string) {
		errLabel.Hide()
		suggest.RemoveAll()
		for _, k := range inviteSuggestions(s, text) {
			b := widget.NewButton(s.contactLabel(k), func() {
				to.SetText(k)
				c.win.Canvas().Focus(reason)
			})
			b.Alignment = widget.ButtonAlignLeading
			b.Importance = widget.LowImportance
			suggest.Add(b)
		}
		suggest.Refresh()
		if d != nil {
			d.Resize(fyne.NewSize(max(400, d.MinSize().Width), d.MinSize().Height))
		}
	}
	submit := func() {
		jid, err := inviteeAddress(to.Text)
		if err == nil {
			if r := s.Rooms[room]; r == nil || !r.Joined || c.left {
				err = errors.New(lang.L("you are not in this room: join it again to invite someone"))
			}
		}
		if err != nil {
			errLabel.SetText(errorText(err))
			errLabel.Show()
			return
		}
		inv.Invite(room, jid, strings.TrimSpace(reason.Text))
		c.conv.notice(lang.L("You invited {{.Name}}", map[string]any{"Name": s.contactLabel(jid)}), clock.now())
		c.refresh(true)
		d.Hide()
	}
	to.OnSubmitted = func(string) { submit() }
	reason.OnSubmitted = func(string) { submit() }
	form := widget.NewForm(widget.NewFormItem(lang.L("Who"), to), widget.NewFormItem("", suggest), widget.NewFormItem(lang.L("Message"), reason))
	d = dialog.NewCustomWithoutButtons(lang.L("Invite to {{.Room}}", map[string]any{"Room": s.invitedRoomName(room)}), container.NewVBox(form, errLabel), c.win)
	send := widget.NewButtonWithIcon(lang.L("Invite"), theme.MailSendIcon(), submit)
	send.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton(lang.L("Cancel"), d.Hide), send})
	to.OnChanged("")
	d.Resize(fyne.NewSize(max(400, d.MinSize().Width), d.MinSize().Height))
	d.Show()
	c.win.Canvas().Focus(to)
}

// inviteSuggestions are the contacts whose name or address holds text
// (every contact when text is empty), by name, at most maxSuggested.
func inviteSuggestions(s *session, text string) []string {
	text = strings.ToLower(strings.TrimSpace(text))
	type cand struct{ jid, name string }
	var all []cand
	for _, k := range s.Roster.Keys() {
		name := s.Roster.DisplayName(k.JID)
		if text == "" || strings.Contains(strings.ToLower(name), text) || strings.Contains(strings.ToLower(k.JID), text) {
			all = append(all, cand{k.JID, name})
		}
	}
	slices.SortFunc(all, func(a, b cand) int {
		if c := strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)); c != 0 {
			return c
		}
		return strings.Compare(a.jid, b.jid)
	})
	out := make([]string, 0, min(len(all), maxSuggested))
	for i := 0; i < len(all) && i < maxSuggested; i++ {
		if all[i].jid == text {
			return nil // written out already
		}
		out = append(out, all[i].jid)
	}
	return out
}

// contactLabel names jid as "Name <jid>", or jid alone for a stranger.
func (s *session) contactLabel(jid string) string {
	name := plainLine(s.Roster.DisplayName(jid))
	if name == jid || name == "" {
		return plainLine(jid)
	}
	return clipRunes(name, 60) + " <" + plainLine(jid) + ">"
}

// inviteeAddress reads the address written in the Invite dialog: a bare
// address, or "Name <address>".
func inviteeAddress(text string) (string, error) {
	text = strings.TrimSpace(text)
	if i := strings.LastIndexByte(text, '<'); i >= 0 && strings.HasSuffix(text, ">") {
		text = text[i+1 : len(text)-1]
	}
	j, err := account.ParseJID(text)
	if err != nil || j.Localpart() == "" {
		return "", errors.New(lang.L("enter an address such as name@example.org"))
	}
	return j.Bare().String(), nil
}

// inviteButton is the Invite… button of a room's header; hidden in a
// chat's.
func inviteButton(c *chatWindow) fyne.CanvasObject {
	b := widget.NewButtonWithIcon(lang.L("Invite…"), theme.ContentAddIcon(), func() { inviteDialog(c) })
	b.Importance = widget.LowImportance
	if _, ok := c.s.core.(inviter); !c.room || !ok {
		b.Hide()
	}
	return b
}
