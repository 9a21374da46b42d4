package views

import (
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/palaver-im/palaver/app/im"
)

// Private conversations with someone in a room (XEP-0045 §7.5): the core
// keys them by the occupant's JID, room@service/nick, and the model takes
// them for conversations, not message requests, while we are in the room
// (model.Account.PrivatePeer). They open, count and notify as a contact's.

// peerName is how a conversation's peer is named: a contact by their
// name, someone in a room by nickname and room ("ann (in Tea Room)").
func (s *session) peerName(peer string) string {
	room, nick, ok := strings.Cut(peer, "/")
	if ok && nick != "" && (s.Rooms[room] != nil || s.hasBookmark(room)) {
		return lang.L("{{.Nick}} (in {{.Room}})", map[string]any{"Nick": clipRunes(plainLine(nick), 60), "Room": s.roomTitle(room)})
	}
	return s.Roster.DisplayName(peer)
}

// hasBookmark reports whether the account keeps the room room.
func (s *session) hasBookmark(room string) bool {
	_, ok := s.Bookmarks[room]
	return ok
}

// privatePresence returns the presence in its room of peer, someone in a
// room we are in; ok is false for any other peer. Someone no longer in
// the room is offline.
func (s *session) privatePresence(peer string) (show im.Show, status string, ok bool) {
	room, nick, ok := s.PrivatePeer(peer)
	if !ok {
		return im.Offline, "", false
	}
	o, in := s.Rooms[room].Occupants[nick]
	if !in {
		return im.Offline, "", true
	}
	return o.Show, o.Status, true
}
