package model

import (
	"strings"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// Room is a group chat (XEP-0045) the account is in, or joining.
type Room struct {
	// JID is the room's bare JID; Nick ours in it.
	JID  string
	Nick string
	// Joined is set once the room accepted us, and again after a rejoin;
	// while unset the room is being joined (or rejoined).
	Joined  bool
	Subject string
	// Self is our own occupant entry; Occupants the others, by nickname.
	Self      app.Occupant
	Occupants map[string]app.Occupant
	// Unread counts the messages since the user last looked; Mentions
	// those that name our nickname.
	Unread, Mentions int
	// Info is what the room says of itself (name, features); nil until
	// it told.
	Info *app.RoomInfo
	// Created is set when our join created the room (with the service's
	// default settings), until the views have said so.
	Created bool
}

// maxRoomTitle bounds a room's name as the views show it.
const maxRoomTitle = 100

// ID returns the room's conversation.
func (r *Room) ID(account string) ConversationID {
	return ConversationID{Account: account, Peer: r.JID, Kind: KindRoom}
}

// PrivatePeer reports whether peer is someone in a room we are in,
// written to privately through the room (XEP-0045 §7.5): the core keys
// those conversations by the occupant's JID, room@service/nick. It
// returns the room and the nickname.
func (a *Account) PrivatePeer(peer string) (room, nick string, ok bool) {
	room, nick, ok = strings.Cut(peer, "/")
	if !ok || nick == "" || a.Rooms[room] == nil {
		return "", "", false
	}
	return room, nick, true
}

// Mentions reports whether body names the nickname nick, as a word.
func Mentions(body, nick string) bool {
	if nick == "" {
		return false
	}
	b, n := strings.ToLower(body), strings.ToLower(nick)
	for i := 0; ; {
		j := strings.Index(b[i:], n)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(n)
		if (start == 0 || !isWordByte(b[start-1])) && (end == len(b) || !isWordByte(b[end])) {
			return true
		}
		i = start + 1
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || c >= 0x80
}

// room returns the room jid, made when new.
func (a *Account) room(jid string) *Room {
	if a.Rooms == nil {
		a.Rooms = make(map[string]*Room)
	}
	r := a.Rooms[jid]
	if r == nil {
		r = &Room{JID: jid, Occupants: make(map[string]app.Occupant)}
		a.Rooms[jid] = r
	}
	return r
}

// Joining notes that the user asked to join room as nick: it is listed,
// not joined yet.
func (a *Account) Joining(room, nick string) {
	r := a.room(room)
	r.Nick = nick
}

// applyRoom takes a room event (see Apply).
func (a *Account) applyRoom(ev app.Event, v View, ch *Changes, notified map[string]int) {
	touch := func(room string) {
		ch.Rooms = true
		for _, r := range ch.RoomsTouched {
			if r == room {
				return
			}
		}
		ch.RoomsTouched = append(ch.RoomsTouched, room)
	}
	switch e := ev.(type) {
	case app.RoomInfo:
		// It comes before RoomJoined: the room is made if new.
		r := a.room(e.Room)
		e.Name = im.Clip(PlainLine(strings.TrimSpace(e.Name)), maxRoomTitle)
		e.Description = im.Clip(PlainText(e.Description), 1000)
		r.Info = &e
		touch(e.Room)
	case app.RoomJoined:
		r := a.room(e.Room)
		r.Joined, r.Nick, r.Self = true, e.Nick, e.Self
		r.Created = r.Created || e.Created
		clear(r.Occupants)
		for _, o := range e.Occupants {
			o.Nick = PlainLine(o.Nick)
			r.Occupants[o.Nick] = o
		}
		touch(e.Room)
	case app.RoomJoinFailed:
		delete(a.Rooms, e.Room)
		ch.Rooms = true
		ch.RoomFailures = append(ch.RoomFailures, e)
	case app.OccupantChanged:
		r := a.Rooms[e.Room]
		if r == nil {
			break
		}
		o := e.Occupant
		o.Nick = PlainLine(o.Nick)
		// Comings, goings and new names are lines of the room's window;
		// role and status changes are not.
		if _, known := r.Occupants[o.Nick]; e.Left || e.NewNick != "" || !known && !e.Self {
			ch.RoomPresence = append(ch.RoomPresence, e)
		}
		switch {
		case e.Self && e.NewNick != "":
			r.Nick = PlainLine(e.NewNick)
			o.Nick = r.Nick
			r.Self = o
		case e.Self:
			r.Self = o
		case e.Left:
			delete(r.Occupants, o.Nick)
		case e.NewNick != "":
			delete(r.Occupants, o.Nick)
			o.Nick = PlainLine(e.NewNick)
			r.Occupants[o.Nick] = o
		default:
			r.Occupants[o.Nick] = o
		}
		touch(e.Room)
	case app.RoomSubject:
		if r := a.Rooms[e.Room]; r != nil {
			r.Subject = PlainLine(e.Subject)
			touch(e.Room)
		}
	case app.RoomLeft:
		if r := a.Rooms[e.Room]; r != nil && e.Reason == app.LeftShutdown {
			r.Joined = false // the core rejoins when the service is back
		} else {
			delete(a.Rooms, e.Room)
		}
		ch.Rooms = true
		ch.RoomLefts = append(ch.RoomLefts, e)
	case app.RoomMessage:
		r := a.Rooms[e.Room]
		if r == nil {
			break
		}
		ch.RoomMessages = append(ch.RoomMessages, e)
		touch(e.Room)
		if e.Outgoing || e.FromHistory || (v.ChatOpen(e.Room) && v.ChatActive(e.Room)) {
			break
		}
		r.Unread++
		mentioned := Mentions(e.Body, r.Nick)
		if mentioned {
			r.Mentions++
		}
		// By default rooms notify only when they name us (as Gajim and
		// Dino do): a busy room would raise one a minute otherwise.
		if when := a.roomNotify(e.Room); when == account.RoomNotifyNone || !mentioned && when != account.RoomNotifyAll {
			break
		}
		if i, ok := notified[e.Room]; ok {
			ch.Notify[i].Count++
			ch.Notify[i].Last, ch.Notify[i].Nick = e.Body, e.Nick
			break
		}
		notified[e.Room] = len(ch.Notify)
		ch.Notify = append(ch.Notify, Notification{Peer: e.Room, Count: 1, Last: e.Body, Nick: e.Nick, Room: true})
	}
}

// roomNotify says when room notifies (account.RoomNotifyAll, ...).
func (a *Account) roomNotify(room string) string {
	if a.RoomNotify == nil {
		return account.RoomNotifyMentions
	}
	return a.RoomNotify(room)
}

// RoomRead marks what came in room as read.
func (a *Account) RoomRead(room string) bool {
	r := a.Rooms[room]
	if r == nil || r.Unread == 0 && r.Mentions == 0 {
		return false
	}
	r.Unread, r.Mentions = 0, 0
	a.Seen(room)
	return true
}
