package views

import (
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/views/model"
)

// Group chats (XEP-0045): joining a room, its window (a chat window in
// room mode: lines signed by nickname, the subject and the people in its
// header), and its row in the contact list. Closing a room's window
// leaves the room.

// joinRoom asks for a room's address, a nickname and, for a protected
// room, its password, and joins; the room's window opens at once and
// says when the room accepted.
func (u *UI) joinRoom(room, nick string) { u.joinRoomWith(joinAsk{room: room, nick: nick}) }

// joinAsk is what the Join dialog starts from.
type joinAsk struct {
	// s is the account to join from (nil: the dialog's usual choice).
	s                    *session
	room, nick, password string
	// joined, if set, is called once the user asked to join.
	joined func(s *session, room string)
}

// joinRoomWith is joinRoom from a, with a Browse rooms… button when the
// core can list rooms.
func (u *UI) joinRoomWith(a joinAsk) {
	var items []*widget.FormItem
	chosen := u.accountChoice(lang.L("Account"), &items)
	if chosen == nil {
		u.signIn()
		return
	}
	if a.s != nil && len(items) > 0 {
		if sel, ok := items[0].Widget.(*widget.Select); ok {
			sel.SetSelected(a.s.acct.JID)
		}
	}
	addr := widget.NewEntry()
	addr.SetPlaceHolder("room@conference.example.org") // not translated: an example address
	addr.SetText(a.room)
	name := widget.NewEntry()
	nick := a.nick
	if nick == "" {
		nick = defaultNick(chosen().acct.JID)
	}
	name.SetText(nick)
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder(lang.L("only for a protected room"))
	pass.SetText(a.password)
	keep := widget.NewCheck(lang.L("Keep it in the list, and join at sign-in"), nil)
	keep.Checked = true
	items = append(items, widget.NewFormItem(lang.L("Room"), addr))
	if browse := u.browseButton(chosen, addr, pass); browse != nil {
		items = append(items, widget.NewFormItem("", browse))
	}
	items = append(items,
		widget.NewFormItem(lang.L("Nickname"), name),
		widget.NewFormItem(lang.L("Password"), pass),
		widget.NewFormItem("", keep),
	)
	u.formDialog(lang.L("Join a room"), lang.L("Join"), items, func() error {
		s := chosen()
		j, err := roomAddress(s, addr.Text)
		if err != nil {
			return err
		}
		n := strings.TrimSpace(name.Text)
		if n == "" {
			return errors.New(lang.L("enter a nickname: the others see you by it"))
		}
		if c := s.chats[j.String()]; c != nil && s.Rooms[j.String()] != nil {
			c.show(true)
			return nil // in it already
		}
		s.Joining(j.String(), n)
		s.core.JoinRoom(j.String(), n, pass.Text)
		if bm, ok := s.core.(bookmarker); ok && keep.Checked {
			// A bookmark (XEP-0402): other clients of the account see it
			// too. The password is not kept in it: it would sit on the
			// server.
			b := s.Bookmarks[j.String()]
			b.Room, b.Nick, b.Autojoin = j.String(), n, true
			bm.SetBookmark(b)
		}
		s.openChat(j.String())
		u.showRows()
		if a.joined != nil {
			a.joined(s, j.String())
		}
		return nil
	})
	u.win.Canvas().Focus(addr)
}

// defaultNick is the nickname offered for an account: its user name.
func defaultNick(bare string) string {
	local, _, _ := strings.Cut(bare, "@")
	return local
}

// roomRows returns the contact list's rows of every account's rooms:
// those joined or joining, and those bookmarked.
func (u *UI) roomRows() []Row {
	var rows []Row
	for _, s := range u.sessions {
		jids := make([]string, 0, len(s.Rooms)+len(s.Bookmarks))
		for j := range s.Rooms {
			jids = append(jids, j)
		}
		for j := range s.Bookmarks {
			if s.Rooms[j] == nil {
				jids = append(jids, j)
			}
		}
		slices.Sort(jids)
		for _, j := range jids {
			row := Row{Room: true, Account: s.acct.JID, JID: j, Name: s.roomTitle(j), Show: im.Offline, Status: lang.L("not joined")}
			if r := s.Rooms[j]; r != nil {
				row.Unread = r.Unread
				row.Status = lang.L("joining…")
				if r.Joined {
					row.Show, row.Status = im.Available, r.Subject
				}
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// bookmarker is a core that keeps room bookmarks (XEP-0402); app.Client
// is one.
type bookmarker interface {
	SetBookmark(app.Bookmark)
	RemoveBookmark(room string)
}

// openRoom opens the room jid's window; a bookmarked room not joined is
// joined first, with the bookmark's nickname.
func (s *session) openRoom(jid string) {
	if s.Rooms[jid] == nil {
		b, ok := s.Bookmarks[jid]
		if !ok {
			s.openChat(jid)
			return
		}
		nick := b.Nick
		if nick == "" {
			nick = defaultNick(s.acct.JID)
		}
		s.Joining(jid, nick)
		s.core.JoinRoom(jid, nick, b.Password)
		s.ui.showRows()
	}
	s.openChat(jid)
}

// roomClosed is called when the user closed the window of a room we are
// in: the room is left, and a bookmark no longer joins it at sign-in
// (it stays listed).
func (s *session) roomClosed(room string) {
	s.core.LeaveRoom(room)
	if b, ok := s.Bookmarks[room]; ok && b.Autojoin {
		if bm, ok := s.core.(bookmarker); ok {
			b.Autojoin = false
			bm.SetBookmark(b)
		}
	}
}

// forgetRoom removes the room from the list: its bookmark goes (and with
// it the room, if joined).
func (s *session) forgetRoom(room string) {
	if c := s.chats[room]; c != nil {
		c.win.Close()
	} else if s.Rooms[room] != nil {
		s.core.LeaveRoom(room)
	}
	if bm, ok := s.core.(bookmarker); ok {
		if _, kept := s.Bookmarks[room]; kept {
			bm.RemoveBookmark(room)
		}
	}
}

// roomName is how a room is named: its address's local part.
func roomName(jid string) string {
	local, _, _ := strings.Cut(jid, "@")
	return local
}

// roomTitle is how the room jid is named: by the name it gives itself,
// else its bookmark's, else its address's local part.
func (s *session) roomTitle(jid string) string {
	if r := s.Rooms[jid]; r != nil && r.Info != nil && r.Info.Name != "" {
		return r.Info.Name
	}
	if b, ok := s.Bookmarks[jid]; ok && b.Name != "" {
		return plainLine(b.Name)
	}
	return roomName(jid)
}

// roomTraits words what a room's features mean for those in it, for its
// header: "" when nothing is worth saying.
func roomTraits(info *app.RoomInfo) string {
	if info == nil {
		return ""
	}
	var t []string
	if info.MembersOnly {
		t = append(t, lang.L("members only"))
	}
	if info.PasswordProtected {
		t = append(t, lang.L("password"))
	}
	if info.Moderated {
		t = append(t, lang.L("moderated"))
	}
	if !info.Archive {
		t = append(t, lang.L("not archived"))
	}
	return strings.Join(t, ", ")
}

// roomFailureText words why a room refused us.
func roomFailureText(e app.RoomJoinFailed) string {
	room := plainLine(e.Room)
	switch e.Condition {
	case app.RoomNickInUse:
		return lang.L("Someone in {{.Room}} already uses the nickname “{{.Nick}}”. Choose another: Try again offers “{{.Other}}”.",
			map[string]any{"Room": room, "Nick": plainLine(e.Nick), "Other": plainLine(otherNick(e.Nick))})
	case app.RoomPasswordRequired:
		return lang.L("{{.Room}} is protected by a password, and none or a wrong one was given. Enter the room's password.", map[string]any{"Room": room})
	case app.RoomMembersOnly:
		return lang.L("{{.Room}} lets only its members in. Ask one of its owners to make you a member.", map[string]any{"Room": room})
	case app.RoomBanned:
		return lang.L("You are banned from {{.Room}}.", map[string]any{"Room": room})
	case app.RoomFull:
		return lang.L("{{.Room}} is full. Try again later.", map[string]any{"Room": room})
	case app.RoomNotFound:
		return lang.L("There is no room {{.Room}}, and the service does not let you create it. Check the address.", map[string]any{"Room": room})
	case app.RoomNotAllowed:
		return lang.L("The service does not let you create the room {{.Room}}. Check the address, or ask its administrator.", map[string]any{"Room": room})
	case app.RoomNickInvalid:
		return lang.L("“{{.Nick}}” cannot be a nickname (empty, too long, or with characters an address cannot have). Choose another.",
			map[string]any{"Nick": clipRunes(plainLine(e.Nick), 60)})
	case app.RoomAddressInvalid:
		return lang.L("{{.Room}} is not a room's address: write it as room@conference.example.org.", map[string]any{"Room": room})
	case app.RoomNoAnswer:
		return lang.L("{{.Room}} did not answer. Check the address, or try again later.", map[string]any{"Room": room})
	}
	if e.Err != nil {
		return lang.L("{{.Room}} refused you: {{.Error}}.", map[string]any{"Room": room, "Error": errorText(e.Err)})
	}
	return lang.L("{{.Room}} refused you.", map[string]any{"Room": room})
}

// roomLeftText words why we are no longer in a room; "" when we left.
// The actor and the reason, when the room gives them, each make another
// sentence (a translation may place them anywhere).
func roomLeftText(e app.RoomLeft) string {
	d := map[string]any{"Room": plainLine(e.Room), "Actor": plainLine(e.Actor), "Reason": clipRunes(plainLine(e.Text), 200)} // not translated: placeholder names
	by, why := e.Actor != "", e.Text != ""
	switch e.Reason {
	case app.LeftByChoice:
		return ""
	case app.LeftKicked:
		switch {
		case by && why:
			return lang.L("You were removed from {{.Room}} by {{.Actor}} (“{{.Reason}}”).", d)
		case by:
			return lang.L("You were removed from {{.Room}} by {{.Actor}}.", d)
		case why:
			return lang.L("You were removed from {{.Room}} (“{{.Reason}}”).", d)
		}
		return lang.L("You were removed from {{.Room}}.", d)
	case app.LeftBanned:
		switch {
		case by && why:
			return lang.L("You were banned from {{.Room}} by {{.Actor}} (“{{.Reason}}”).", d)
		case by:
			return lang.L("You were banned from {{.Room}} by {{.Actor}}.", d)
		case why:
			return lang.L("You were banned from {{.Room}} (“{{.Reason}}”).", d)
		}
		return lang.L("You were banned from {{.Room}}.", d)
	case app.LeftDestroyed:
		msg := lang.L("{{.Room}} was closed.", d)
		if why {
			msg = lang.L("{{.Room}} was closed (“{{.Reason}}”).", d)
		}
		if e.Alternate != "" {
			msg += " " + lang.L("Its successor is {{.Room}}.", map[string]any{"Room": plainLine(e.Alternate)})
		}
		return msg
	case app.LeftShutdown:
		return lang.L("The service of {{.Room}} is shutting down; Palaver joins again when it is back.", d)
	case app.LeftMembersOnly, app.LeftAffiliation:
		return lang.L("You are no longer a member of {{.Room}}.", d)
	}
	if why {
		return lang.L("You left {{.Room}} after an error of the room (“{{.Reason}}”); Palaver joins again.", d)
	}
	return lang.L("You left {{.Room}} after an error of the room; Palaver joins again.", d)
}

// renderRooms shows what a batch changed of the account's rooms.
func (s *session) renderRooms(ch model.Changes, touched map[*chatWindow]bool) {
	for _, e := range ch.RoomMessages {
		conv := s.conversation(e.Room)
		m := roomMsg(e)
		if conv.add(m) < 0 && e.Outgoing && e.ID != "" {
			conv.setState(e.ID, history.Sent, "") // our line, reflected: the room has it
			conv.learnStanzaID(e.ID, e.StanzaID)
			if own := conv.byID[e.ID]; own != nil && own.nick == "" {
				own.nick = e.Nick // the nickname it went under, for replies to it
			}
		}
		if c := s.chats[e.Room]; c != nil {
			touched[c] = true
		}
	}
	for _, e := range ch.RoomPresence {
		if text := presenceLine(e); text != "" {
			s.conversation(e.Room).notice(text, clock.now())
			if c := s.chats[e.Room]; c != nil {
				touched[c] = true
			}
		}
	}
	for _, room := range ch.RoomsTouched {
		if c := s.chats[room]; c != nil {
			c.updateHeader()
		}
	}
	for _, e := range ch.RoomFailures {
		if c := s.chats[e.Room]; c != nil {
			c.left = true
			c.updateHeader()
		}
		e := e
		retry := e.Condition == app.RoomNickInUse || e.Condition == app.RoomPasswordRequired || e.Condition == app.RoomNickInvalid
		msg := roomFailureText(e)
		if !retry {
			dialog.ShowInformation(lang.L("Could not join {{.Room}}", map[string]any{"Room": roomName(e.Room)}), msg, s.ui.win)
			continue
		}
		s.ui.askRoomAgain(e, msg)
	}
	for _, e := range ch.RoomLefts {
		// A destroyed room's bookmark no longer joins it at sign-in,
		// which would create it anew; it stays listed.
		if b, ok := s.Bookmarks[e.Room]; ok && b.Autojoin && e.Reason == app.LeftDestroyed {
			if bm, ok := s.core.(bookmarker); ok {
				b.Autojoin = false
				bm.SetBookmark(b)
			}
		}
		if c := s.chats[e.Room]; c != nil && e.Reason != app.LeftShutdown {
			c.left = true
			c.updateHeader()
		}
		if msg := roomLeftText(e); msg != "" {
			s.ui.showNotice(msg)
		}
	}
}

// presenceLine words someone coming to a room, going, or taking another
// name; "" for what needs no line.
func presenceLine(e app.OccupantChanged) string {
	d := map[string]any{"Name": plainLine(e.Occupant.Nick), "Actor": plainLine(e.Actor), "NewName": plainLine(e.NewNick)} // not translated: placeholder names
	by := e.Actor != ""
	switch {
	case e.NewNick != "" && e.Self:
		return lang.L("You are now {{.NewName}}", d)
	case e.NewNick != "":
		return lang.L("{{.Name}} is now {{.NewName}}", d)
	case e.Left && e.Reason == app.LeftKicked && e.Self && by:
		return lang.L("You were removed by {{.Actor}}", d)
	case e.Left && e.Reason == app.LeftKicked && e.Self:
		return lang.L("You were removed")
	case e.Left && e.Reason == app.LeftKicked && by:
		return lang.L("{{.Name}} was removed by {{.Actor}}", d)
	case e.Left && e.Reason == app.LeftKicked:
		return lang.L("{{.Name}} was removed", d)
	case e.Left && e.Reason == app.LeftBanned && e.Self && by:
		return lang.L("You were banned by {{.Actor}}", d)
	case e.Left && e.Reason == app.LeftBanned && e.Self:
		return lang.L("You were banned")
	case e.Left && e.Reason == app.LeftBanned && by:
		return lang.L("{{.Name}} was banned by {{.Actor}}", d)
	case e.Left && e.Reason == app.LeftBanned:
		return lang.L("{{.Name}} was banned", d)
	case e.Left && e.Self:
		return lang.L("You left")
	case e.Left:
		return lang.L("{{.Name}} left", d)
	case !e.Self:
		return lang.L("{{.Name}} joined", d)
	}
	return ""
}

// askRoomAgain explains a refused join and offers to try again with
// another nickname or the password.
func (u *UI) askRoomAgain(e app.RoomJoinFailed, msg string) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	nick := e.Nick
	if e.Condition == app.RoomNickInUse {
		nick = otherNick(nick)
	}
	d := dialog.NewCustomConfirm(lang.L("Could not join {{.Room}}", map[string]any{"Room": roomName(e.Room)}), lang.L("Try again…"), lang.L("Close"), l, func(ok bool) {
		if ok {
			u.joinRoom(e.Room, nick)
		}
	}, u.win)
	u.showDialog(d, 420)
}

// otherNick is the nickname offered when nick is taken in a room: nick
// with an underscore, as Gajim offers.
func otherNick(nick string) string { return nick + "_" }

// roomMsg is a room's line as a chat shows it. A reply (XEP-0461) does
// not show the quotation its sender put in front as text: the line it
// answers is named above it, as in one-to-one chats.
func roomMsg(e app.RoomMessage) *chatMsg {
	sender := plainLine(e.Nick)
	if e.Outgoing {
		sender = outgoingSender
	}
	if sender == "" {
		sender = roomName(e.Room) // the room itself
	}
	body, fallback, replyID := e.Body, "", ""
	if r := e.Reply; r != nil {
		replyID = r.ID
		if s, end, ok := r.FallbackRange(body); ok {
			body, fallback = body[:s]+body[end:], body[s:end]
		}
	}
	m := newChatMsg(e.ID, sender, body, e.Time, e.Outgoing)
	if e.Outgoing {
		m.state = history.Sent
	}
	m.archiveID = e.ArchiveID
	m.delayed = e.Delayed
	m.room = true
	m.stanzaID = e.StanzaID
	m.nick = e.Nick
	m.replyID, m.fallback = replyID, fallback
	return m
}

// roomHeader words a room window's header: its name, subject and the
// people in it; and whether we are in it.
func (c *chatWindow) roomHeader() (text string, in bool) {
	r := c.s.Rooms[c.conv.peer]
	name := c.s.roomTitle(c.conv.peer)
	switch {
	case r == nil || c.left:
		return lang.L("{{.Name}} — you are not in this room (close the window, or join it again)", map[string]any{"Name": name}), false
	case !r.Joined:
		return lang.L("{{.Name}} — joining…", map[string]any{"Name": name}), false
	}
	n := len(r.Occupants) + 1
	if n == 1 {
		text = lang.L("{{.Name}} — only you", map[string]any{"Name": name})
	} else {
		text = lang.N("{{.Name}} — {{.Count}} people", n, map[string]any{"Name": name, "Count": n})
	}
	// A second line: what the room's settings mean (short), and its
	// subject (which may be long).
	var more []string
	if t := roomTraits(r.Info); t != "" {
		more = append(more, t)
	}
	if r.Subject != "" {
		more = append(more, r.Subject)
	}
	if len(more) > 0 {
		text += "\n" + strings.Join(more, " · ")
	}
	return text, true
}
