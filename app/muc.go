package app

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"sync"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/queue"
)

// Group chat (XEP-0045) in the core. The rooms the user joined live in the
// Client's roomBook for the whole Run: a new session rejoins them all
// (a resumed one, XEP-0198, keeps them on the server), and a self-ping
// (XEP-0410) after a room's silence notices a membership the room lost
// without telling us (the service restarted), and rejoins.
//
// Commands go through the runner (commands.go) like every other; the
// Serve handler reads the rooms' presence and messages (handler.go calls
// roomPresence and roomMessage) and updates the book; the session's room
// worker (roomWorker) does what waits on the network: self-pings, the
// configuration of rooms we created, and the join timeout. Every room
// event goes through the archiver, so that none overtakes the messages
// before it.

// Limits and times of group chat.
const (
	// MaxOccupants bounds the occupants kept per room: a room (or a flood
	// of joins) with more shows the first MaxOccupants, and
	// RoomJoined.Truncated says so; more join and leave unseen.
	MaxOccupants = 5000
	// roomHistory is the most history messages asked for on joining
	// (XEP-0045 §7.2.14); a rejoin asks only for those since the newest
	// one seen.
	roomHistory = 100
	// maxRoomSent is how many ids of our own recent room messages are
	// remembered, to know their reflection (the room sends our message
	// back to us, XEP-0045 §7.4) when our nick changed meanwhile.
	maxRoomSent = 64
	// roomJoinTimeout bounds the wait for a room's answer to a join.
	roomJoinTimeout = 30 * time.Second
	// roomRetry is the wait before a lost room (service shut down, no
	// answer to a rejoin) is joined again.
	roomRetry = 30 * time.Second
	// selfPingIdle is the silence of a room after which we ask it whether
	// we are still in (XEP-0410 §4 suggests some minutes); selfPingTimeout
	// bounds its answer.
	selfPingIdle    = 5 * time.Minute
	selfPingTimeout = 30 * time.Second
)

// ErrNotJoined is given for room commands while not in the room (or not
// yet back in it after a reconnection).
var ErrNotJoined = errors.New("not in the room: join it first (or wait until the account is online)")

// JoinRoom joins the group chat room (a bare JID such as
// room@conference.example.org) with the nickname nick, and the password
// of a protected room ("" for none). A RoomJoined event says we are in,
// a RoomJoinFailed why not. While offline the join waits for the next
// connection; once joined, the core stays in the room across reconnections
// until LeaveRoom.
func (c *Client) JoinRoom(room, nick, password string) {
	c.cmds.Push(cmdJoinRoom{room: room, nick: nick, password: password})
}

// LeaveRoom leaves the room and forgets it; a RoomLeft event follows at
// once.
func (c *Client) LeaveRoom(room string) { c.cmds.Push(cmdLeaveRoom{room: room}) }

// SendRoomMessage sends body to the room and returns the message's id.
// The room sends it back to every occupant, us included: that comes as a
// RoomMessage with Outgoing set and the same ID. A MessageFailed with
// this ID says it failed (not in the room, or the room refused it).
func (c *Client) SendRoomMessage(room, body string) string {
	id := NewID()
	c.cmds.Push(cmdRoomMessage{id: id, room: room, text: body})
	return id
}

// SendRoomReply is SendRoomMessage for a line that answers another
// (XEP-0461), and returns the line's id. to.ID names the line answered by
// the stanza id the room gave it (RoomMessage.StanzaID: XEP-0461 §3 names
// groupchat messages so, as reactions do), to.Author is its author's
// occupant JID (room@service/nick), and the body sent starts with the
// quotation of to.Quote, marked as a fallback (XEP-0428), as SendReply's.
// A line the room gave no stanza id cannot be named: with an empty to.ID
// only the quotation is sent, as a plain line. The room's copy of the
// reply (RoomMessage with Outgoing) carries Reply, and the archive keeps
// ReplyID, ReplyTo and the quotation's range.
func (c *Client) SendRoomReply(room, body string, to ReplyTo) string {
	id := NewID()
	c.cmds.Push(cmdRoomMessage{id: id, room: room, text: body, reply: &to})
	return id
}

// SetRoomSubject asks the room to change its subject (XEP-0045 §8.1) and
// returns the request's id. A RoomSubject event follows when the room
// accepted it, a MessageFailed with this id when it refused.
func (c *Client) SetRoomSubject(room, subject string) string {
	id := NewID()
	c.cmds.Push(cmdRoomMessage{id: id, room: room, text: subject, subject: true})
	return id
}

// ChangeNick changes our nickname in the room (XEP-0045 §7.6). An
// OccupantChanged with Self and NewNick follows when the room accepted
// it; a CommandFailed with OpChangeNick when it refused (its Err a
// stanza.Error: conflict when the nickname is taken).
func (c *Client) ChangeNick(room, nick string) { c.cmds.Push(cmdChangeNick{room: room, nick: nick}) }

// Kick asks the room to remove the occupant nick, with a reason (may be
// empty; XEP-0045 §8.2): it takes a moderator. Everyone sees an
// OccupantChanged with Left and LeftKicked; a refusal is a CommandFailed
// with OpKick.
func (c *Client) Kick(room, nick, reason string) {
	c.cmds.Push(cmdKick{room: room, nick: nick, reason: reason})
}

type cmdKick struct{ room, nick, reason string }

type cmdJoinRoom struct{ room, nick, password string }
type cmdLeaveRoom struct{ room string }
type cmdRoomMessage struct {
	id, room, text string
	subject        bool
	// oob is a shared file's URL (XEP-0066), the same as text.
	oob string
	// reply, when not nil, is the line text answers (SendRoomReply).
	reply *ReplyTo
}
type cmdChangeNick struct{ room, nick string }

// cmdRoomRejoin comes from the room worker: join room again (its
// self-ping found us out of it, or it is time to retry).
type cmdRoomRejoin struct{ room string }

// roomPhase is where we stand with a room.
type roomPhase int

const (
	// roomWanted: to be joined once online.
	roomWanted roomPhase = iota
	// roomJoining: the join presence is on its way.
	roomJoining
	// roomJoined: the room sent our own presence.
	roomJoined
	// roomLost: the service went away (shut down, or no answer to a
	// rejoin); joined again after roomRetry.
	roomLost
)

// roomState is one room of the book.
type roomState struct {
	room     jid.JID // bare
	nick     string  // ours, or the one asked for while joining
	password string
	phase    roomPhase
	// since is when the phase began.
	since time.Time
	// rejoin: the current join is one the core did by itself; joinedOnce:
	// we were in the room during this Run.
	rejoin, joinedOnce bool
	// occupants are the others present, by nick (at most MaxOccupants);
	// self is our own entry.
	occupants map[string]Occupant
	self      Occupant
	truncated bool
	// created: the current join created the room (status 201).
	created bool
	// subject is set once the room sent its subject after the join: the
	// history is over (XEP-0045 §7.2.15).
	subject bool
	// newNick is a nickname change on its way.
	newNick string
	// heard is when the room last sent us something; pinging is set while
	// a self-ping is on its way.
	heard   time.Time
	pinging bool
	// last is the time of the newest message of the room seen, known once
	// lastKnown (read from the archive on the first join).
	last      time.Time
	lastKnown bool
	// sent are the ids of our recent messages to the room (a ring).
	sent []string
	// info is what the room said of itself (disco#info), nil until known;
	// infoStale: ask again before the next join (the room did not exist,
	// or did not answer). infoAsk numbers the question on its way, 0 for
	// none (roominfo.go).
	info      *RoomInfo
	infoStale bool
	infoAsk   uint64
	// mamQuery is the id of the query of the room's archive on its way
	// ("" for none), whose results the handler takes (roommam.go), at
	// most maxRoomArchive of them (mamTaken).
	mamQuery string
	mamTaken int
	// lastID is the room's stanza-id of the newest message seen (known
	// with last), lastIDAt its time; mamAfter, mamAfterAt and mamSince are
	// them and last as the join was sent: the archive is read from there.
	lastID, mamAfter               string
	lastIDAt, mamAfterAt, mamSince time.Time
	// stint numbers each presence of an occupant (ours included) under a
	// nick during the current join, stints counting them; live are the
	// latest lines that came live during it (at most maxRoomLive), with
	// their sender's stint then: a correction without occupant ids must
	// name one whose sender is still in the same stint (roomcorrect.go).
	stint  map[string]uint64
	stints uint64
	live   []liveLine
}

// roomBook holds the rooms of a Client across its sessions.
// It is safe for concurrent use: the runner, the Serve handler and the
// room worker use it.
type roomBook struct {
	mu    sync.Mutex
	rooms map[string]*roomState
	// jobs are the round trips for the room worker: accept the default
	// configuration of a room we created (201), admin items, room lists.
	jobs *queue.Queue[roomJob]
	// service is the group chat service ListRooms found (roomlist.go);
	// invites are our invitations and declines on their way (invite.go).
	service string
	invites []sentInvite
	// pingIdle and retry override selfPingIdle and roomRetry (for tests).
	pingIdle, retry time.Duration
	// private are the occupant JIDs we had private messages with during
	// the Run, at most maxPrivatePeers (roompm.go).
	private map[string]struct{}
	// archiveReads counts the readings of rooms' archives that ended,
	// but those a new join superseded (roommam.go; for tests);
	// archiveMax overrides maxRoomArchive (for tests).
	archiveReads, archiveMax int
}

func (b *roomBook) init() {
	if b.rooms == nil {
		b.rooms = map[string]*roomState{}
		b.jobs = queue.New[roomJob]()
	}
}

// has reports whether bare is a room of the book.
func (b *roomBook) has(bare string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.rooms[bare]
	return ok
}

// times returns the self-ping silence and the retry wait.
func (b *roomBook) times() (idle, retry time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	idle, retry = selfPingIdle, roomRetry
	if b.pingIdle > 0 {
		idle = b.pingIdle
	}
	if b.retry > 0 {
		retry = b.retry
	}
	return idle, retry
}

// remember records that room was sent our message id.
func (s *roomState) remember(id string) {
	if len(s.sent) >= maxRoomSent {
		s.sent = append(s.sent[:0], s.sent[1:]...)
	}
	s.sent = append(s.sent, id)
}

func (s *roomState) ours(id string) bool {
	if id == "" {
		return false
	}
	for _, v := range s.sent {
		if v == id {
			return true
		}
	}
	return false
}

// snapshot returns the occupants other than us.
func (s *roomState) snapshot() []Occupant {
	occ := make([]Occupant, 0, len(s.occupants))
	for _, o := range s.occupants {
		occ = append(occ, o)
	}
	return occ
}

// roomEvent queues ev behind the archive writes before it (see archiver).
func (c *Client) roomEvent(ev Event) { c.arch.push(archiveOp{ev: ev}) }

// The runner's side: commands.

// joinRoom carries out JoinRoom.
func (r *runner) joinRoom(ctx context.Context, sess *xmpp.Session, cmd cmdJoinRoom) {
	room, ok := parseRoom(cmd.room)
	if !ok {
		r.roomEvent(RoomJoinFailed{base: r.b(), Room: cmd.room, Nick: cmd.nick, Condition: RoomAddressInvalid})
		return
	}
	nick, ok := validNick(room, cmd.nick)
	if !ok {
		if len(cmd.nick) > MaxNick {
			cmd.nick = cmd.nick[:MaxNick] // the event repeats it, bounded
		}
		r.roomEvent(RoomJoinFailed{base: r.b(), Room: room.String(), Nick: cmd.nick, Condition: RoomNickInvalid})
		return
	}
	key := room.String()
	b := &r.rooms
	b.mu.Lock()
	b.init()
	s := b.rooms[key]
	if s != nil && s.phase == roomJoined && s.nick == nick {
		// Already in: say so again, nothing to send.
		ev := RoomJoined{base: r.b(), Room: key, Nick: s.nick, Self: s.self, Occupants: s.snapshot(), Truncated: s.truncated}
		b.mu.Unlock()
		r.roomEvent(ev)
		return
	}
	if s == nil {
		s = &roomState{room: room}
		b.rooms[key] = s
	}
	s.nick, s.password = nick, cmd.password
	s.phase, s.since = roomWanted, time.Now()
	b.mu.Unlock()
	if sess != nil {
		r.sendJoin(ctx, sess, key, false)
	}
}

// joinRooms joins every room of the book on a new session (a resumed one
// is still in them).
func (r *runner) joinRooms(ctx context.Context, sess *xmpp.Session) {
	b := &r.rooms
	b.mu.Lock()
	keys := make([]string, 0, len(b.rooms))
	for k := range b.rooms {
		keys = append(keys, k)
	}
	b.mu.Unlock()
	for _, k := range keys {
		r.sendJoin(ctx, sess, k, true)
	}
}

// sendJoin joins room key: at once when we know what the room is, else
// once it said so (roominfo.go; the first join of a Run, or after a join
// that could not tell). rejoin is set for a join the core does by itself.
func (r *runner) sendJoin(ctx context.Context, sess *xmpp.Session, key string, rejoin bool) {
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[key]
	ask := s != nil && (s.info == nil || s.infoStale)
	if ask {
		s.phase, s.since = roomWanted, time.Now()
	}
	b.mu.Unlock()
	if ask {
		r.startRoomInfo(ctx, sess, key, true, rejoin)
		return
	}
	r.sendJoinNow(ctx, sess, key, rejoin)
}

// sendJoinNow sends the join presence to room key (XEP-0045 §7.2.1) and
// starts collecting its occupants afresh. A room with an archive is asked
// for no history (the core reads its archive after the join, roommam.go);
// another for at most roomHistory messages, and only those since the
// newest one seen when there is one (§7.2.14): the room sends its history
// on every join.
func (r *runner) sendJoinNow(ctx context.Context, sess *xmpp.Session, key string, rejoin bool) {
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[key]
	if s == nil {
		b.mu.Unlock()
		return
	}
	needLast := !s.lastKnown
	b.mu.Unlock()
	var last, lastIDAt time.Time
	var lastID string
	if needLast {
		// Once per room and Run: the archive is local and indexed.
		if st, _ := r.store(); st != nil {
			lctx, cancel := context.WithTimeout(ctx, archiveTimeout)
			last, _ = st.LastRoomTime(lctx, key)
			lastID, lastIDAt = lastRoomStanzaID(lctx, st, key)
			cancel()
		}
	}
	b.mu.Lock()
	if s = b.rooms[key]; s == nil {
		b.mu.Unlock()
		return
	}
	if needLast && !s.lastKnown {
		s.lastKnown = true
		if last.After(s.last) {
			s.last = last
		}
		if s.lastID == "" {
			s.lastID, s.lastIDAt = lastID, lastIDAt
		}
	}
	s.mamAfter, s.mamAfterAt, s.mamSince = s.lastID, s.lastIDAt, s.last
	s.mamQuery = "" // a reading of an earlier join is over
	s.phase, s.since, s.heard = roomJoining, time.Now(), time.Now()
	s.rejoin = rejoin && s.joinedOnce
	s.occupants, s.truncated, s.created, s.subject, s.newNick, s.pinging = map[string]Occupant{}, false, false, false, "", false
	s.stint, s.live = nil, nil
	to, _ := s.room.WithResource(s.nick)
	hist := []xml.Attr{{Name: xml.Name{Local: "maxstanzas"}, Value: fmt.Sprint(roomHistory)}}
	if s.info != nil && s.info.Archive {
		hist[0].Value = "0"
	} else if !s.last.IsZero() {
		hist = append(hist, xml.Attr{Name: xml.Name{Local: "since"}, Value: s.last.UTC().Format(time.RFC3339Nano)})
	}
	var inner []xml.TokenReader
	if s.password != "" {
		inner = append(inner, textElem("password", s.password))
	}
	inner = append(inner, xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "history"}, Attr: hist}))
	b.mu.Unlock()
	x := xmlstream.Wrap(xmlstream.MultiReader(inner...), xml.StartElement{Name: xml.Name{Space: muc.NS, Local: "x"}})
	if err := r.sendRoomPresence(ctx, sess, to, x); err != nil {
		// The connection is going; the next session joins again.
		return
	}
}

// sendRoomPresence sends our presence (show and status) to to, an
// occupant JID, with extra children.
func (r *runner) sendRoomPresence(ctx context.Context, sess *xmpp.Session, to jid.JID, extra xml.TokenReader) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	var inner []xml.TokenReader
	if show := r.own.Show.String(); show != "" && r.own.Show != im.Offline {
		inner = append(inner, textElem("show", show))
	}
	if r.own.Status != "" {
		inner = append(inner, textElem("status", r.own.Status))
	}
	if extra != nil {
		inner = append(inner, extra)
	}
	p := stanza.Presence{ID: NewID(), To: to}
	return sess.Send(ctx, p.Wrap(xmlstream.MultiReader(inner...)))
}

// presenceToRooms sends our new presence to the rooms we are in
// (XEP-0045 §7.7): a server does not broadcast it to them.
func (r *runner) presenceToRooms(ctx context.Context, sess *xmpp.Session) {
	for _, to := range r.rooms.occupantJIDs() {
		if err := r.sendRoomPresence(ctx, sess, to, nil); err != nil {
			r.emit(CommandFailed{base: r.b(), Op: OpRoomPresence, JID: to.Bare().String(), Err: err})
			return
		}
	}
}

// occupantJIDs returns our occupant JIDs in the rooms we are in.
func (b *roomBook) occupantJIDs() []jid.JID {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []jid.JID
	for _, s := range b.rooms {
		if s.phase == roomJoined {
			if to, err := s.room.WithResource(s.nick); err == nil {
				out = append(out, to)
			}
		}
	}
	return out
}

func textElem(name, text string) xml.TokenReader {
	return xmlstream.Wrap(xmlstream.Token(xml.CharData(text)), xml.StartElement{Name: xml.Name{Local: name}})
}

// leaveRoom carries out LeaveRoom: the room is forgotten at once, so that
// nothing rejoins it; online, the room is told (XEP-0045 §7.14).
func (r *runner) leaveRoom(ctx context.Context, sess *xmpp.Session, cmd cmdLeaveRoom) {
	room, ok := parseRoom(cmd.room)
	if !ok {
		return
	}
	key := room.String()
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[key]
	delete(b.rooms, key)
	b.mu.Unlock()
	if s == nil {
		return
	}
	if sess != nil && (s.phase == roomJoining || s.phase == roomJoined) {
		if to, err := s.room.WithResource(s.nick); err == nil {
			sctx, cancel := context.WithTimeout(ctx, sendTimeout)
			_ = sess.Send(sctx, stanza.Presence{To: to, Type: stanza.UnavailablePresence}.Wrap(nil))
			cancel()
		}
	}
	r.roomEvent(RoomLeft{base: r.b(), Room: key, Reason: LeftByChoice})
}

// sendToRoom carries out SendRoomMessage and SetRoomSubject.
func (r *runner) sendToRoom(ctx context.Context, sess *xmpp.Session, cmd cmdRoomMessage) {
	room, ok := parseRoom(cmd.room)
	fail := func(err error) {
		r.roomEvent(MessageFailed{base: r.b(), ID: cmd.id, Peer: cmd.room, Err: err})
	}
	if !ok {
		fail(ErrNotJoined)
		return
	}
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[room.String()]
	joined := s != nil && s.phase == roomJoined && sess != nil
	if joined {
		s.remember(cmd.id)
	}
	b.mu.Unlock()
	if !joined {
		fail(ErrNotJoined)
		return
	}
	m := im.Message{Message: stanza.Message{ID: cmd.id, To: room, Type: stanza.GroupChatMessage}, OriginID: cmd.id}
	if cmd.subject {
		m.Subject = cmd.text
		if cmd.text == "" {
			// An empty <subject/> clears it (XEP-0045 §8.1); im.Message
			// writes no empty subject.
			sctx, cancel := context.WithTimeout(ctx, sendTimeout)
			err := sess.Send(sctx, m.Message.Wrap(xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "subject"}})))
			cancel()
			if err != nil {
				fail(err)
			}
			return
		}
	} else {
		m.Body, m.OOB = cmd.text, cmd.oob
		if cmd.reply != nil {
			m.Body, m.Reply = replyBody(cmd.text, *cmd.reply)
			if m.Reply.ID == "" {
				m.Reply = nil // nothing to name: the quotation alone
			}
		}
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := sess.Send(sctx, m.TokenReader()); err != nil {
		fail(err)
	}
}

// changeNick carries out ChangeNick (XEP-0045 §7.6).
func (r *runner) changeNick(ctx context.Context, sess *xmpp.Session, cmd cmdChangeNick) {
	room, ok := parseRoom(cmd.room)
	if !ok {
		r.emit(CommandFailed{base: r.b(), Op: OpChangeNick, JID: cmd.room, Err: ErrNotJoined})
		return
	}
	nick, ok := validNick(room, cmd.nick)
	if !ok {
		r.emit(CommandFailed{base: r.b(), Op: OpChangeNick, JID: cmd.room, Err: stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed}})
		return
	}
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[room.String()]
	joined := s != nil && s.phase == roomJoined && sess != nil
	if joined {
		s.newNick = nick
	}
	b.mu.Unlock()
	if !joined {
		r.emit(CommandFailed{base: r.b(), Op: OpChangeNick, JID: cmd.room, Err: ErrNotJoined})
		return
	}
	to, _ := room.WithResource(nick)
	if err := r.sendRoomPresence(ctx, sess, to, nil); err != nil {
		r.emit(CommandFailed{base: r.b(), Op: OpChangeNick, JID: cmd.room, Err: err})
	}
}

// rejoinRoom carries out cmdRoomRejoin.
func (r *runner) rejoinRoom(ctx context.Context, sess *xmpp.Session, cmd cmdRoomRejoin) {
	if sess == nil {
		return // the next session joins every room
	}
	r.sendJoin(ctx, sess, cmd.room, true)
}

// The handler's side: what rooms send.

// roomFailure maps the error of a join to its reason (XEP-0045 §7.2.6 to
// §7.2.11).
func roomFailure(e *stanza.Error) RoomFailure {
	if e == nil {
		return RoomRefused
	}
	switch e.Condition {
	case stanza.Conflict:
		return RoomNickInUse
	case stanza.NotAuthorized:
		return RoomPasswordRequired
	case stanza.RegistrationRequired:
		return RoomMembersOnly
	case stanza.Forbidden:
		return RoomBanned
	case stanza.ServiceUnavailable:
		return RoomFull
	case stanza.ItemNotFound:
		return RoomNotFound
	case stanza.NotAllowed:
		return RoomNotAllowed
	case stanza.JIDMalformed:
		return RoomNickInvalid
	}
	return RoomRefused
}

// transient reports whether a rejoin that failed with e is worth trying
// again later: the service is unreachable rather than refusing us.
func transient(e *stanza.Error) bool {
	return e != nil && (e.Condition == stanza.RemoteServerNotFound || e.Condition == stanza.RemoteServerTimeout)
}

// leaveReason reads why an occupant left from the status codes (XEP-0045
// §9.2, §9.7, §10.9 and the registry of §15.6.2).
func leaveReason(x *mucUser) LeaveReason {
	switch {
	case x.destroyed:
		return LeftDestroyed
	case x.has(333):
		return LeftError
	case x.has(301):
		return LeftBanned
	case x.has(307):
		return LeftKicked
	case x.has(321):
		return LeftAffiliation
	case x.has(322):
		return LeftMembersOnly
	case x.has(332):
		return LeftShutdown
	}
	return LeftByChoice
}

// occupant builds the occupant that presence p with x describes.
func occupant(nick string, p im.Presence, x *mucUser) Occupant {
	o := Occupant{Nick: nick, Role: parseRole(x.item.role), Affiliation: parseAffiliation(x.item.affiliation), Show: p.Show, Status: p.Status}
	if j, err := jid.Parse(x.item.jid); err == nil && x.item.jid != "" {
		o.JID = j.String()
	}
	return o
}

// roomPresence handles a presence from a room of the book. Each costs
// O(1) but the join's own presence, which copies the occupant list once.
func (h *handler) roomPresence(p im.Presence, x mucUser) {
	bare := p.From.Bare().String()
	nick := p.From.Resourcepart()
	b := &h.c.rooms
	b.mu.Lock()
	s := b.rooms[bare]
	if s == nil {
		b.mu.Unlock()
		return
	}
	s.heard = time.Now()
	var evs []Event
	switch {
	case p.Type == stanza.ErrorPresence:
		evs = h.roomError(s, nick, p.Err)
	case s.phase != roomJoining && s.phase != roomJoined:
		// Left, lost or not yet asked: nothing of it counts.
	case p.Type == stanza.UnavailablePresence:
		evs = h.roomUnavailable(s, nick, &x)
	case p.Type == stanza.AvailablePresence:
		evs = h.roomAvailable(s, nick, p, &x)
	}
	b.mu.Unlock()
	for _, ev := range evs {
		h.c.roomEvent(ev)
	}
}

// roomError handles an error presence from room s; b.mu is held.
func (h *handler) roomError(s *roomState, nick string, e *stanza.Error) []Event {
	key := s.room.String()
	var err error = stanza.Error{Condition: stanza.UndefinedCondition}
	if e != nil {
		err = *e
	}
	switch {
	case s.phase == roomJoined && s.newNick != "" && (nick == s.newNick || nick == ""):
		s.newNick = ""
		return []Event{CommandFailed{base: h.c.b(), Op: OpChangeNick, JID: key, Err: err}}
	case s.phase == roomJoining:
		if s.rejoin && transient(e) {
			s.phase, s.since = roomLost, time.Now()
			return nil
		}
		delete(h.c.rooms.rooms, key)
		return []Event{RoomJoinFailed{base: h.c.b(), Room: key, Nick: s.nick, Condition: roomFailure(e), Err: err, Rejoin: s.rejoin}}
	}
	return nil
}

// roomUnavailable handles someone leaving room s; b.mu is held.
func (h *handler) roomUnavailable(s *roomState, nick string, x *mucUser) []Event {
	key := s.room.String()
	self := x.has(110) || nick == s.nick
	// A nickname change (303) is an unavailable presence of the old
	// nickname with the new one in the item, then the available presence
	// of the new one (XEP-0045 §7.6).
	newNick := ""
	if x.has(303) {
		if n, ok := validNick(s.room, x.item.nick); ok {
			newNick = n
		}
	}
	if self {
		if newNick != "" {
			old := s.self
			s.leave(s.nick)
			s.enter(newNick)
			s.nick, s.newNick, s.self.Nick = newNick, "", newNick
			return []Event{OccupantChanged{base: h.c.b(), Room: key, Occupant: old, NewNick: newNick, Self: true}}
		}
		if s.phase != roomJoined && s.phase != roomJoining {
			return nil
		}
		why := leaveReason(x)
		if s.phase == roomJoining && why == LeftByChoice {
			// The answer to a LeaveRoom before this join, overtaken by
			// the join (the handler and the runner run side by side).
			return nil
		}
		ev := RoomLeft{base: h.c.b(), Room: key, Reason: why, Actor: im.Clip(x.item.actor, MaxNick), Text: x.item.reason}
		if x.destroyed {
			ev.Text = x.destroyReason
			if a, ok := parseRoom(x.alternate); ok {
				ev.Alternate = a.String()
			}
		}
		if why == LeftShutdown || why == LeftError {
			// The service restarts, or dropped us for an error: join
			// again once it is back (XEP-0045 §15.6.2: 332, 333).
			s.phase, s.since = roomLost, time.Now()
		} else {
			delete(h.c.rooms.rooms, key)
		}
		return []Event{ev}
	}
	o, known := s.occupants[nick]
	if !known {
		return nil // never shown: a join beyond MaxOccupants, or a stranger's
	}
	delete(s.occupants, nick)
	s.leave(nick)
	if s.phase != roomJoined {
		return nil // still collecting the join's list
	}
	ev := OccupantChanged{base: h.c.b(), Room: key, Occupant: o}
	if newNick != "" {
		if len(s.occupants) < MaxOccupants {
			moved := o
			moved.Nick = newNick
			s.occupants[newNick] = moved
			s.enter(newNick)
		}
		ev.NewNick = newNick
		return []Event{ev}
	}
	ev.Left, ev.Reason = true, leaveReason(x)
	ev.Actor, ev.Text = im.Clip(x.item.actor, MaxNick), x.item.reason
	return []Event{ev}
}

// roomAvailable handles an occupant's presence in room s; b.mu is held.
func (h *handler) roomAvailable(s *roomState, nick string, p im.Presence, x *mucUser) []Event {
	key := s.room.String()
	if nick == "" {
		return nil
	}
	o := occupant(nick, p, x)
	// Our own presence says 110 (XEP-0045 §7.2.3); a service that forgets
	// it still sends it from our nick. The room may have changed the nick
	// we asked for (210).
	if x.has(110) || nick == s.nick || (s.newNick != "" && nick == s.newNick) {
		s.self = o
		if s.phase == roomJoining {
			s.enter(nick)
			s.nick, s.phase, s.since, s.joinedOnce = nick, roomJoined, time.Now(), true
			s.created = x.has(201)
			ev := RoomJoined{base: h.c.b(), Room: key, Nick: nick, Self: o, Occupants: s.snapshot(), Truncated: s.truncated, Created: s.created, Rejoined: s.rejoin}
			if s.created {
				// A new room is locked until its owner configures it
				// (XEP-0045 §10.1.1): others who try to enter are told it
				// does not exist. Accept the defaults, an instant room
				// (§10.1.2), on the room worker, which reports the join
				// once the room is open.
				h.c.rooms.jobs.Push(roomJob{room: key, instant: true, joined: &ev})
				// It exists now: what is it (the defaults, which the
				// instant room keeps)? A RoomInfo follows.
				h.c.cmds.Push(cmdRoomNeeds{room: key, info: true})
				return nil
			}
			if s.info != nil && s.info.Archive {
				// Joined without history: read what we missed from the
				// room's archive (roommam.go), after RoomJoined.
				h.c.cmds.Push(cmdRoomNeeds{room: key, history: true})
			}
			return []Event{ev}
		}
		if nick != s.nick {
			s.leave(s.nick)
			s.enter(nick)
		}
		s.nick, s.newNick = nick, ""
		return []Event{OccupantChanged{base: h.c.b(), Room: key, Occupant: o, Self: true}}
	}
	_, known := s.occupants[nick]
	if !known && len(s.occupants) >= MaxOccupants {
		s.truncated = true
		return nil
	}
	if !known {
		s.enter(nick)
	}
	s.occupants[nick] = o
	if s.phase != roomJoined {
		return nil // part of the list RoomJoined brings
	}
	return []Event{OccupantChanged{base: h.c.b(), Room: key, Occupant: o}}
}

// roomMessage handles a groupchat message: only from a room we are in
// (anyone may send a message of type groupchat). The room's own stanza-id
// (XEP-0359, by the room's bare JID) is the only one trusted; one an
// occupant wrote with another by is ignored (im.Message.StanzaIDBy).
func (h *handler) roomMessage(m im.Message, hasSubject bool) {
	bare := m.From.Bare().String()
	nick := m.From.Resourcepart()
	b := &h.c.rooms
	b.mu.Lock()
	s := b.rooms[bare]
	if s == nil || s.phase != roomJoined {
		b.mu.Unlock()
		return
	}
	now := time.Now()
	s.heard = now
	if hasSubject && m.Body == "" {
		// XEP-0045 §8.1: a subject without a body is the subject; the
		// first after a join also ends its history (§7.2.15).
		s.subject = true
		b.mu.Unlock()
		h.c.roomEvent(RoomSubject{base: h.c.b(), Room: bare, Subject: m.Subject, By: nick})
		return
	}
	if m.Reactions != nil {
		// Reactions (reactions.go) are no message.
		ours := nick != "" && (nick == s.nick || s.ours(m.ID) || s.ours(m.OriginID))
		b.mu.Unlock()
		h.roomReaction(bare, nick, ours, m.Reactions, sentAt(m, now))
		return
	}
	if m.Body == "" {
		b.mu.Unlock()
		return
	}
	at := sentAt(m, now)
	if at.After(s.last) {
		s.last = at
	}
	stanzaID := m.StanzaIDBy(bare)
	if stanzaID != "" && !at.Before(s.lastIDAt) {
		s.lastID, s.lastIDAt = stanzaID, at
	}
	ours := nick != "" && (nick == s.nick || s.ours(m.ID) || s.ours(m.OriginID))
	fromHistory := !m.Delay.IsZero() && !s.subject
	live := m.Delay.IsZero()
	occ := ""
	if s.occupantIDs() {
		occ = m.OccupantID
	}
	// A correction (roomcorrect.go) names a line; a refused one is a new
	// line, as is any other: when it came live, a later correction may
	// name it.
	var corr *history.Correction
	if m.Replace != "" && nick != "" {
		c, drop := roomCorrectionOf(s, m, nick, ours, live)
		if drop {
			b.mu.Unlock()
			return // ours: the archive has it already
		}
		corr = &c
	}
	if live && (corr == nil || corr.CheckOnly) {
		id := m.ID
		if ours && m.OriginID != "" {
			id = m.OriginID
		}
		s.heardLive(nick, id)
	}
	b.mu.Unlock()
	a, ev := h.roomLine(bare, nick, m, ours, stanzaID, at, !live, fromHistory, occ)
	if corr != nil {
		h.c.arch.push(h.roomCorrectionOp(*corr, a, ev))
		return
	}
	h.c.arch.push(archiveOp{add: a, onlyNew: true, ev: ev})
}

// privatePeer returns the peer of a chat message from (or to) addr: an
// occupant of a room we are in writes privately from its occupant JID,
// which is the peer then (a room's bare JID is no person; roompm.go).
func (h *handler) privatePeer(addr jid.JID) string { return h.c.rooms.peer(addr) }

// The room worker: what waits on the network.

// roomWorker runs for a session: it accepts the default configuration of
// rooms we created, gives up joins that get no answer, retries lost rooms,
// and self-pings rooms that have been silent (XEP-0410).
func (r *runner) roomWorker(ctx context.Context, sess *xmpp.Session) {
	r.rooms.mu.Lock()
	r.rooms.init()
	jobs := r.rooms.jobs
	r.rooms.mu.Unlock()
	idle, retry := r.rooms.times()
	// Room lists take many round trips: each runs on its own goroutine,
	// one at a time (listing), and ends with the session.
	var lists sync.WaitGroup
	defer lists.Wait()
	listing := make(chan struct{}, 1)
	tick := time.NewTicker(max(min(idle/4, retry/4, 5*time.Second), 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-jobs.Ready():
			for _, j := range jobs.Take() {
				switch {
				case j.instant:
					r.instantRoom(ctx, sess, j.room)
					r.roomEvent(*j.joined)
				case j.owner != nil:
					r.ownerRoundTrip(ctx, sess, j.room, *j.owner)
				case j.list != nil:
					lists.Add(1)
					go func() {
						defer lists.Done()
						r.listRoomsOnline(ctx, sess, *j.list, listing)
					}()
				default:
					r.adminItem(ctx, sess, j)
				}
			}
		case now := <-tick.C:
			r.roomChecks(ctx, sess, now, idle, retry)
		}
	}
}

// roomJob is a round trip for the room worker: instant, an admin item
// (op), or a room list.
type roomJob struct {
	room    string
	instant bool
	// joined is reported once the instant room is configured.
	joined *RoomJoined
	// op (OpKick, OpSetRole, OpSetAffiliation) names the command of an
	// admin item with the attributes item (nick and role, or jid and
	// affiliation) and a reason.
	op     Op
	item   []xml.Attr
	reason string
	// list is a ListRooms to carry out.
	list *cmdListRooms
	// owner is an owner's round trip (roomconfig.go).
	owner *ownerJob
}

// queueKick carries out Kick: online, the room worker asks the room.
func (r *runner) queueKick(sess *xmpp.Session, cmd cmdKick) {
	r.queueAdmin(sess, OpKick, cmd.room, cmd.reason, "nick", im.Clip(cmd.nick, MaxNick), "role", muc.RoleNone.String())
}

// queueAdmin has the room worker send room an admin item (XEP-0045 §8,
// §9, §10) with the attributes k1=v1 and k2=v2, for the command op: we
// must be in the room.
func (r *runner) queueAdmin(sess *xmpp.Session, op Op, room, reason, k1, v1, k2, v2 string) {
	j, ok := parseRoom(room)
	if !ok || sess == nil || !r.rooms.in(j.String()) {
		r.emit(CommandFailed{base: r.b(), Op: op, JID: room, Err: ErrNotJoined})
		return
	}
	r.rooms.mu.Lock()
	r.rooms.init()
	r.rooms.jobs.Push(roomJob{room: j.String(), op: op, reason: im.Clip(reason, maxRoomText), item: []xml.Attr{
		{Name: xml.Name{Local: k1}, Value: v1}, {Name: xml.Name{Local: k2}, Value: v2}}})
	r.rooms.mu.Unlock()
}

// in reports whether we are in the room bare.
func (b *roomBook) in(bare string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.rooms[bare]
	return s != nil && s.phase == roomJoined
}

// adminItem sends the room j's admin item (XEP-0045 §8.2 for a kick);
// a refusal is a CommandFailed with j.op.
func (r *runner) adminItem(ctx context.Context, sess *xmpp.Session, j roomJob) {
	to, err := jid.Parse(j.room)
	if err != nil {
		return
	}
	var reason xml.TokenReader
	if j.reason != "" {
		reason = textElem("reason", j.reason)
	}
	item := xmlstream.Wrap(reason, xml.StartElement{Name: xml.Name{Local: "item"}, Attr: j.item})
	q := xmlstream.Wrap(item, xml.StartElement{Name: xml.Name{Space: muc.NSAdmin, Local: "query"}})
	kctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if err := sendIQ(kctx, sess, stanza.IQ{Type: stanza.SetIQ, To: to}, q, nil); err != nil && ctx.Err() == nil {
		r.roomEvent(CommandFailed{base: r.b(), Op: j.op, JID: j.room, Err: err})
	}
}

// instantRoom accepts the default configuration of room, which we just
// created (XEP-0045 §10.1.2): an empty submitted form.
func (r *runner) instantRoom(ctx context.Context, sess *xmpp.Session, room string) {
	to, err := jid.Parse(room)
	if err != nil {
		return
	}
	form := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: "jabber:x:data", Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}})
	q := xmlstream.Wrap(form, xml.StartElement{Name: xml.Name{Space: muc.NSOwner, Local: "query"}})
	ictx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if err := sendIQ(ictx, sess, stanza.IQ{Type: stanza.SetIQ, To: to}, q, nil); err != nil && ctx.Err() == nil {
		r.roomEvent(CommandFailed{base: r.b(), Op: OpCreateRoom, JID: room, Err: err})
	}
}

// roomCheck is what the worker found to do about a room.
type roomCheck struct {
	room   string
	to     jid.JID
	rejoin bool // join again now
	ping   bool // self-ping to
	failed *RoomJoinFailed
}

// roomChecks looks at every room once.
func (r *runner) roomChecks(ctx context.Context, sess *xmpp.Session, now time.Time, idle, retry time.Duration) {
	var todo []roomCheck
	b := &r.rooms
	b.mu.Lock()
	for key, s := range b.rooms {
		switch s.phase {
		case roomJoining:
			if now.Sub(s.since) < roomJoinTimeout {
				continue
			}
			if s.rejoin {
				s.phase, s.since = roomLost, now
				continue
			}
			delete(b.rooms, key)
			todo = append(todo, roomCheck{room: key, failed: &RoomJoinFailed{base: r.b(), Room: key, Nick: s.nick, Condition: RoomNoAnswer}})
		case roomLost:
			if now.Sub(s.since) >= retry {
				s.since = now
				todo = append(todo, roomCheck{room: key, rejoin: true})
			}
		case roomJoined:
			if s.pinging || now.Sub(s.heard) < idle {
				continue
			}
			if to, err := s.room.WithResource(s.nick); err == nil {
				s.pinging = true
				todo = append(todo, roomCheck{room: key, to: to, ping: true})
			}
		}
	}
	b.mu.Unlock()
	for _, c := range todo {
		switch {
		case c.failed != nil:
			r.roomEvent(*c.failed)
		case c.rejoin:
			r.cmds.Push(cmdRoomRejoin{room: c.room})
		case c.ping:
			r.selfPing(ctx, sess, c)
		}
	}
}

// selfPing asks the room whether we are still in it (XEP-0410 §3): a
// ping to our own occupant JID, which the room answers itself or passes
// to our client. A result, or an error the room could only have passed on
// from a client (service-unavailable, feature-not-implemented), means we
// are in; the service unreachable (remote-server-*, no answer) means
// try later; any other error (not-acceptable: "You are not currently
// connected to this chat") means the room lost us: join again.
func (r *runner) selfPing(ctx context.Context, sess *xmpp.Session, c roomCheck) {
	_, timeout := r.liveness()
	timeout = max(timeout, selfPingTimeout)
	pctx, cancel := context.WithTimeout(ctx, timeout)
	err := sendIQ(pctx, sess, stanza.IQ{Type: stanza.GetIQ, To: c.to},
		xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}), nil)
	cancel()
	if ctx.Err() != nil {
		return
	}
	var se stanza.Error
	gone := errors.As(err, &se) && !transient(&se) &&
		se.Condition != stanza.ServiceUnavailable && se.Condition != stanza.FeatureNotImplemented
	b := &r.rooms
	b.mu.Lock()
	s := b.rooms[c.room]
	if s != nil {
		s.pinging = false
		if !gone {
			s.heard = time.Now() // in, or unknown: ask again after another silence
		}
	}
	b.mu.Unlock()
	if gone && s != nil {
		r.cmds.Push(cmdRoomRejoin{room: c.room})
	}
}
