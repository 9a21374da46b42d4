package model

import (
	"cmp"
	"errors"
	"slices"
	"strings"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// The rooms of a group chat service (XEP-0045 §6.3), as the room browser
// shows them: the service's answer, cleaned and sorted, and those that
// match what the user typed.

// BrowseState is where a room browser stands.
type BrowseState uint8

// States of a room browser.
const (
	// BrowseLoading: the list was asked for, no answer yet.
	BrowseLoading BrowseState = iota
	// BrowseLoaded: the service listed its rooms (maybe none).
	BrowseLoaded
	// BrowseFailed: no list (RoomBrowse.Err, RoomBrowse.NoService).
	BrowseFailed
)

// MaxBrowsedRooms bounds the rooms a browser keeps of one answer; past
// it the list is marked truncated.
const MaxBrowsedRooms = 5000

// Lengths the rooms' words are clipped to, in bytes: a service's answer
// is anyone's words.
const (
	maxRoomJID   = 1023
	maxRoomName  = 300
	maxRoomWords = 600
)

// RoomBrowse is a room browser's state: Start asks, Take takes the
// answer, SetFilter chooses what is shown.
type RoomBrowse struct {
	State BrowseState
	// Asked is the service asked for ("": the account's server's own).
	Asked string
	// Service is the service listed, once known.
	Service string
	// NoService is set when the server has no group chat service; Err
	// says why the list could not be had otherwise.
	NoService bool
	Err       error
	// Truncated is set when the service had more rooms than listed.
	Truncated bool
	// Rooms are all the rooms listed, cleaned (one line each, clipped)
	// and sorted by name then address; Shown those that match the
	// filter, in the same order.
	Rooms []app.RoomItem
	Shown []app.RoomItem

	keys   []string // lower-case name, address and description, by room
	filter []string // the filter's lower-case words
}

// Start notes that the rooms of service were asked for.
func (b *RoomBrowse) Start(service string) {
	b.State, b.Asked = BrowseLoading, service
	b.NoService, b.Err = false, nil
}

// Take takes the service's answer; it reports false, taking nothing,
// when none was awaited.
func (b *RoomBrowse) Take(e app.RoomList) bool {
	if b.State != BrowseLoading {
		return false
	}
	if e.Err != nil {
		b.State, b.Err = BrowseFailed, e.Err
		b.NoService = errors.Is(e.Err, app.ErrNoRoomService)
		if e.Service != "" {
			b.Service = im.Clip(PlainLine(e.Service), maxRoomJID)
		}
		b.Rooms, b.Shown, b.keys = nil, nil, nil
		return true
	}
	b.State, b.Service, b.Truncated = BrowseLoaded, im.Clip(PlainLine(e.Service), maxRoomJID), e.Truncated
	rooms := e.Rooms
	if len(rooms) > MaxBrowsedRooms {
		rooms, b.Truncated = rooms[:MaxBrowsedRooms], true
	}
	b.Rooms = make([]app.RoomItem, 0, len(rooms))
	for _, r := range rooms {
		r.JID = im.Clip(PlainLine(r.JID), maxRoomJID)
		if r.JID == "" {
			continue
		}
		r.Name = strings.TrimSpace(im.Clip(PlainLine(r.Name), maxRoomName))
		r.Description = strings.TrimSpace(im.Clip(PlainLine(r.Description), maxRoomWords))
		if !r.Detailed && r.Occupants == 0 {
			r.Occupants = -1 // not told
		}
		b.Rooms = append(b.Rooms, r)
	}
	slices.SortStableFunc(b.Rooms, func(x, y app.RoomItem) int {
		return cmp.Or(strings.Compare(strings.ToLower(RoomTitle(x)), strings.ToLower(RoomTitle(y))), strings.Compare(x.JID, y.JID))
	})
	b.keys = make([]string, len(b.Rooms))
	for i, r := range b.Rooms {
		b.keys[i] = strings.ToLower(r.Name + "\n" + r.JID + "\n" + r.Description)
	}
	b.show()
	return true
}

// SetFilter shows the rooms whose name, address or description hold
// every word of text, whatever the case.
func (b *RoomBrowse) SetFilter(text string) {
	b.filter = strings.Fields(strings.ToLower(text))
	b.show()
}

// Filtered reports whether a filter hides some rooms.
func (b *RoomBrowse) Filtered() bool { return len(b.filter) > 0 }

func (b *RoomBrowse) show() {
	if len(b.filter) == 0 {
		b.Shown = b.Rooms
		return
	}
	b.Shown = nil
	for i, k := range b.keys {
		if b.matches(k) {
			b.Shown = append(b.Shown, b.Rooms[i])
		}
	}
}

func (b *RoomBrowse) matches(key string) bool {
	for _, w := range b.filter {
		if !strings.Contains(key, w) {
			return false
		}
	}
	return true
}

// RoomTitle is how a listed room is named: its name, else its address's
// local part.
func RoomTitle(r app.RoomItem) string {
	if r.Name != "" {
		return r.Name
	}
	local, _, _ := strings.Cut(r.JID, "@")
	return local
}

// roomList takes a RoomList: the account's service, when it was the one
// asked for, and the answer of an open browser.
func (a *Account) roomList(e app.RoomList, ch *Changes) {
	if e.Err == nil && e.Service != "" && (a.Browse == nil || a.Browse.Asked == "") {
		a.RoomService = im.Clip(PlainLine(e.Service), maxRoomJID)
	}
	if a.Browse != nil && a.Browse.Take(e) {
		ch.RoomList = true
	}
}
