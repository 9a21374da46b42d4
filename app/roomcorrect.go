package app

import (
	"context"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
)

// Corrections (XEP-0308) in group chat rooms, and replies (XEP-0461) to
// room lines.
//
// A room line is named by the id its sender gave it (the stanza's id
// attribute, which the room keeps; ours also carry it as origin id), as
// in 1:1 chats: that is the id the sender knows, and XEP-0308 corrects
// "the message as sent". The rule is XEP-0308 §8's: only the same
// occupant may correct a line. A nick alone does not say who that is
// (whoever comes in after someone left may take their nick), so, as
// Gajim and Dino do:
//
//   - a room that announces occupant ids (XEP-0421; RoomInfo.OccupantIDs)
//     stamps every message with its sender's, which stays the same for
//     the same account and removes forged ones: a correction is applied
//     only to a line archived with the same occupant id, live or from
//     the room's history or archive;
//   - in another room (Debian's Prosody ships no mod_muc_occupant_id), a
//     correction is applied only when it comes live, and names a line
//     that came live during the current join from the same nick, whose
//     occupant has not left, rejoined or changed nick since (roomState's
//     stints and live lines). History and archive corrections are then
//     new lines.
//
// A correction that fails the rule is a new line (as XEP-0308 §5 says),
// unless the line it names already has its body (the same correction
// seen again: the room's history, after a restart). Our own corrections
// (CorrectMessage) change the archive at once; the room's copy, whose id
// we remember (roomState.sent), changes nothing and shows nothing.
//
// A reply to a room line (SendRoomReply) names it by the stanza id the
// room gave it (XEP-0461 §3 for groupchat, as reactions do) and its
// author by occupant JID; received replies keep what they name in the
// archive as in 1:1 chats (history.Message.ReplyID, ReplyTo).

// maxRoomLive is how many of a room's latest live lines are remembered
// for corrections without occupant ids: an older line is not corrected
// (XEP-0308 is about the last message; a busy room has moved on).
const maxRoomLive = 256

// liveLine is a line that came live during the current join: its
// sender's nick, its id and the sender's stint then.
type liveLine struct {
	nick, id string
	stint    uint64
}

// enter starts a new stint for nick: an occupant (ours included) came
// in under it, or took it by a nick change.
func (s *roomState) enter(nick string) {
	if s.stint == nil {
		s.stint = map[string]uint64{}
	}
	s.stints++
	s.stint[nick] = s.stints
}

// leave ends nick's stint: its occupant left or changed nick.
func (s *roomState) leave(nick string) { delete(s.stint, nick) }

// heardLive remembers a line id from nick that came live, when nick is
// in a stint (an occupant we saw come in).
func (s *roomState) heardLive(nick, id string) {
	st, ok := s.stint[nick]
	if !ok || id == "" {
		return
	}
	if len(s.live) >= maxRoomLive {
		s.live = append(s.live[:0], s.live[1:]...)
	}
	s.live = append(s.live, liveLine{nick: nick, id: id, stint: st})
}

// sameStint reports whether the newest live line id from nick came
// during nick's current stint: its occupant is still there, unchanged.
func (s *roomState) sameStint(nick, id string) bool {
	st, ok := s.stint[nick]
	if !ok {
		return false
	}
	for i := len(s.live) - 1; i >= 0; i-- {
		if l := s.live[i]; l.id == id && l.nick == nick {
			return l.stint == st
		}
	}
	return false
}

// occupantIDs reports whether the room stamps occupant ids (XEP-0421),
// which may then be trusted.
func (s *roomState) occupantIDs() bool { return s.info != nil && s.info.OccupantIDs }

// roomCorrectionOf decides what the correction m from nick in room s
// does (b.mu is held): drop (our own, which the archive has already),
// or c, the correction to apply, or to check only (CheckOnly: the rule
// refuses it, and it is a new line unless seen before). ours: nick is
// ours; live: m came live, not as history.
func roomCorrectionOf(s *roomState, m im.Message, nick string, ours, live bool) (c history.Correction, drop bool) {
	if s.ours(m.ID) || s.ours(m.OriginID) {
		return c, true
	}
	c = history.Correction{Peer: s.room.String(), Room: true, MsgID: m.Replace, Dir: history.In, Nick: nick, Body: m.Body}
	if ours {
		c.Dir = history.Out
	}
	switch {
	case s.occupantIDs():
		if m.OccupantID == "" {
			c.CheckOnly = true
		} else {
			c.Nick, c.OccupantID = "", m.OccupantID
		}
	case !live || !s.sameStint(nick, m.Replace):
		c.CheckOnly = true
	}
	return c, false
}

// roomCorrectionOp returns the archive op of room correction c, which
// is the line a with the event ev when it corrects nothing.
func (h *handler) roomCorrectionOp(c history.Correction, a *history.Message, ev RoomMessage) archiveOp {
	return archiveOp{
		correct: &correctOp{c: c, orElse: a, orElseEv: ev},
		ev: MessageCorrected{base: h.c.b(), Peer: c.Peer, ID: c.MsgID, Body: c.Body, Outgoing: c.Dir == history.Out,
			Room: true, Nick: ev.Nick},
	}
}

// roomCorrect carries out CorrectMessage for our line id in room, which
// we must be in: the archive first (our last line only), then the
// correction to the room, at once (as sendToRoom; a write that fails is
// a CommandFailed, the archive keeps the new body all the same). Its id
// is remembered, so that the room's copy is known as ours.
func (r *runner) roomCorrect(ctx context.Context, sess *xmpp.Session, st *history.Store, room jid.JID, cmd cmdCorrect, fail func(error)) {
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[room.String()]
	joined := s != nil && s.phase == roomJoined
	if joined {
		s.remember(cmd.id)
	}
	b.mu.Unlock()
	if !joined {
		fail(ErrNotJoined)
		return
	}
	m, ok := correctOurs(ctx, st, history.Correction{Peer: room.String(), Room: true, MsgID: cmd.replace,
		Dir: history.Out, LastOnly: true, Body: cmd.body}, fail)
	if !ok {
		return
	}
	msg := im.Message{Message: stanza.Message{ID: cmd.id, To: room, Type: stanza.GroupChatMessage}, OriginID: cmd.id,
		Body: cmd.body, Replace: cmd.replace}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := sess.Send(sctx, msg.TokenReader()); err != nil {
		fail(err)
	}
	r.arch.push(archiveOp{ev: MessageCorrected{base: r.b(), Peer: room.String(), ID: cmd.replace, Body: m.Body,
		Outgoing: true, ArchiveID: m.ID, Room: true, Nick: m.Nick}})
}

// roomLine returns the archive row and event of a groupchat line m from
// nick in room key: ours (out) or an occupant's; stanzaID is the room's
// id of it, at when it was sent, occ the occupant id to keep (trusted).
func (h *handler) roomLine(key, nick string, m im.Message, out bool, stanzaID string, at time.Time, delayed, fromHistory bool, occ string) (*history.Message, RoomMessage) {
	a := &history.Message{
		Peer: key, Room: true, Nick: nick, Dir: history.In, MsgID: m.ID, StanzaID: stanzaID,
		Time: at, Delayed: delayed, Body: m.Body, State: history.Received, OccupantID: occ,
	}
	if out {
		a.Dir, a.State = history.Out, history.Sent
		if m.OriginID != "" {
			a.MsgID = m.OriginID
		}
	}
	archivedReply(a, m.Reply)
	ev := RoomMessage{
		base: h.c.b(), Room: key, Nick: nick, Body: m.Body, ID: a.MsgID, StanzaID: stanzaID,
		Time: at, Delayed: delayed, Outgoing: out, FromHistory: fromHistory, Reply: m.Reply,
	}
	return a, ev
}
