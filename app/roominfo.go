package app

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"sync/atomic"

	"mellium.im/xmpp"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/caps"
	"github.com/palaver-im/palaver/app/im"
)

// What a room says of itself (XEP-0045 §6.4, disco#info), asked before
// the first join of a Run and again when the room says its configuration
// changed (status 104, §10.2.1). The question is a round trip: a
// goroutine asks, and its answer comes back to the runner as a command
// (cmdRoomInfo), which sends the join then. A LeaveRoom meanwhile forgets
// the room, and the answer finds no room to join; a JoinRoom or a new
// session meanwhile asks again, and the older answer is dropped (its ask
// number is no longer the room's).

// Room features (XEP-0045 §15.5.4) and forms (§15.5.3) the core reads.
const (
	nsRoomInfo = "http://jabber.org/protocol/muc#roominfo"
	// roomFeatureArchive: the room keeps a XEP-0313 archive.
	roomFeatureArchive = "urn:xmpp:mam:2"
)

// maxRoomName bounds a room's name and description, in bytes.
const maxRoomName = 1024

// roomInfoLimits bound what a room's disco#info answer may make us read.
var roomInfoLimits = caps.Limits{Tokens: 4096, Bytes: 64 << 10, Identities: 16, Features: 256, Forms: 4}

// roomAsks numbers the questions to rooms, so that a late answer to an
// older one is known.
var roomAsks atomic.Uint64

// cmdRoomInfo is the answer to a room's disco#info, from askRoomInfo.
type cmdRoomInfo struct {
	room string
	ask  uint64
	info RoomInfo
	err  error
	// join: send the join presence once the answer is in; rejoin is the
	// join's sendJoin argument.
	join, rejoin bool
}

// cmdRoomNeeds comes from the Serve handler: room changed its
// configuration (info), or we are in it and its archive holds what we
// missed (history).
type cmdRoomNeeds struct {
	room          string
	info, history bool
}

// roomNeeds carries out cmdRoomNeeds: offline, the next session's join
// does both anyway.
func (r *runner) roomNeeds(ctx context.Context, sess *xmpp.Session, cmd cmdRoomNeeds) {
	if sess == nil {
		return
	}
	if cmd.info {
		r.startRoomInfo(ctx, sess, cmd.room, false, false)
	}
	if cmd.history {
		r.startRoomHistory(ctx, sess, cmd.room)
	}
}

// startRoomInfo asks room key for its disco#info on a goroutine; join
// says whether the join follows the answer.
func (r *runner) startRoomInfo(ctx context.Context, sess *xmpp.Session, key string, join, rejoin bool) {
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[key]
	if s == nil {
		b.mu.Unlock()
		return
	}
	ask := roomAsks.Add(1)
	s.infoAsk = ask
	room := s.room
	b.mu.Unlock()
	go func() {
		info, err := queryRoomInfo(ctx, sess, room)
		if ctx.Err() != nil {
			return // Run is over
		}
		r.cmds.Push(cmdRoomInfo{room: key, ask: ask, info: info, err: err, join: join, rejoin: rejoin})
	}()
}

// roomInfoAnswer carries out cmdRoomInfo: it keeps and reports what the
// room said, then sends the join it waited for. item-not-found means the
// room does not exist yet: the join creates it, and the next session's
// join asks again. Another failure joins without knowing (the join's own
// answer tells what is wrong), and asks again on the next join.
func (r *runner) roomInfoAnswer(ctx context.Context, sess *xmpp.Session, cmd cmdRoomInfo) {
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[cmd.room]
	if s == nil || s.infoAsk != cmd.ask {
		b.mu.Unlock()
		return // left meanwhile, or asked again since
	}
	s.infoAsk = 0
	var ev *RoomInfo
	var se stanza.Error
	switch {
	case cmd.err == nil:
		info := cmd.info
		s.info, s.infoStale = &info, false
		ev = &info
	case errors.As(cmd.err, &se) && se.Condition == stanza.ItemNotFound:
		info := RoomInfo{Room: cmd.room}
		s.info, s.infoStale = &info, true
		ev = &info
	default:
		s.infoStale = true
	}
	join := cmd.join && s.phase == roomWanted
	b.mu.Unlock()
	if ev != nil {
		ev.base = r.b()
		r.roomEvent(*ev)
	}
	if join && sess != nil {
		r.sendJoinNow(ctx, sess, cmd.room, cmd.rejoin)
	}
}

// queryRoomInfo asks room for its disco#info (through sendIQ, see there).
func queryRoomInfo(ctx context.Context, sess *xmpp.Session, room jid.JID) (RoomInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var info RoomInfo
	err := sendIQ(ctx, sess, stanza.IQ{Type: stanza.GetIQ, To: room}, disco.InfoQuery{}.TokenReader(),
		func(d *xml.Decoder, start *xml.StartElement) error {
			if start == nil {
				return errNoInfo
			}
			var err error
			info, err = decodeRoomInfo(d, start)
			return err
		})
	if err != nil {
		return RoomInfo{}, err
	}
	info.Room = room.String()
	return info, nil
}

// decodeRoomInfo decodes a room's disco#info <query/> (start opens it, r
// yields what follows), within roomInfoLimits.
func decodeRoomInfo(r xml.TokenReader, start *xml.StartElement) (RoomInfo, error) {
	di, err := caps.DecodeInfo(r, start, roomInfoLimits)
	if err != nil {
		return RoomInfo{}, err
	}
	return roomInfoOf(di), nil
}

// roomInfoOf reads what a room's disco#info says (XEP-0045 §6.4): its
// name from the conference identity (else the first with a name), its
// features, and the description of the muc#roominfo form.
func roomInfoOf(di disco.Info) RoomInfo {
	var info RoomInfo
	for _, id := range di.Identity {
		if id.Name == "" {
			continue
		}
		if info.Name == "" || id.Category == "conference" {
			info.Name = im.Clip(id.Name, maxRoomName)
		}
		if id.Category == "conference" {
			break
		}
	}
	for _, f := range di.Features {
		switch f.Var {
		case "muc_membersonly":
			info.MembersOnly = true
		case "muc_passwordprotected":
			info.PasswordProtected = true
		case "muc_moderated":
			info.Moderated = true
		case "muc_persistent":
			info.Persistent = true
		case "muc_public":
			info.Public = true
		case "muc_nonanonymous":
			info.NonAnonymous = true
		case roomFeatureArchive:
			info.Archive = true
		case im.NSOccupantID:
			info.OccupantIDs = true
		}
	}
	for i := range di.Form {
		d := &di.Form[i]
		if ft, _ := d.Raw("FORM_TYPE"); len(ft) == 0 || ft[0] != nsRoomInfo {
			continue
		}
		if v, ok := d.Raw("muc#roominfo_description"); ok {
			info.Description = im.Clip(strings.Join(v, "\n"), maxRoomName)
		}
		break
	}
	return info
}

// configChanged reports whether x, a room message's muc#user <x/>, says
// the room's configuration changed (status 104, XEP-0045 §10.2.1).
func configChanged(x *mucUser) bool { return x.present && x.has(104) }

// roomConfigChanged asks a room we are in for its disco#info again, when
// it said (from its own bare JID) that its configuration changed.
func (h *handler) roomConfigChanged(from jid.JID) {
	if from.Resourcepart() != "" {
		return // an occupant's words, not the room's
	}
	key := from.Bare().String()
	b := &h.c.rooms
	b.mu.Lock()
	s := b.rooms[key]
	in := s != nil && s.phase == roomJoined
	b.mu.Unlock()
	if in {
		h.c.cmds.Push(cmdRoomNeeds{room: key, info: true})
	}
}
