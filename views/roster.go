package views

import (
	"slices"
	"strings"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// DefaultGroup is where contacts without a roster group are listed.
const DefaultGroup = "Contacts"

// Row is one line of the contact list: a group header or a contact.
type Row struct {
	// Header is true for a group header; Group is set for both kinds.
	Header bool
	Group  string
	// Collapsed, Online and Total describe a header.
	Collapsed     bool
	Online, Total int

	JID     string
	Name    string
	Show    im.Show
	Status  string
	Unread  int
	Pending bool
	// Typing is true while the contact is composing a message to us.
	Typing bool
	// Stale is set when Show and Status are the presence last seen, not
	// confirmed since (a server that answers no presence probe never
	// repeats it); Since is when it was last known to hold.
	Stale bool
	Since time.Time
	// Avatar is the hash of the contact's picture and AvatarPath its file
	// in the core's cache; both empty when a generated picture is shown.
	Avatar, AvatarPath string
}

// Roster is the contact list model of one account: the server's roster,
// the contacts' presence and unread counts, and the view settings (filter,
// offline contacts, collapsed groups). It flattens them into Rows.
//
// It is not safe for concurrent use; the UI goroutine owns it.
type Roster struct {
	contacts    map[string]*rosterEntry
	presence    map[string]presence
	unread      map[string]int
	typing      map[string]bool
	avatars     map[string]avatarRef
	collapsed   map[string]bool
	filter      string
	showOffline bool

	rows     []Row
	dirty    bool
	rebuilds int

	// watch, when set, hears of each contact whose presence, typing or
	// roster item Apply changed; "" means everyone's. Open profile cards
	// follow their contact with it.
	watch func(jid string)
}

type rosterEntry struct {
	app.Contact
	groups []string // deduplicated, DefaultGroup when none
	key    string   // lower-case display name, the sort key
	lower  string   // lower-case JID, for the filter
}

type presence struct {
	show   im.Show
	status string
	// stale and since: last seen, not confirmed (app.PresenceChanged).
	stale bool
	since time.Time
}

// avatarRef is where a picture is: its hash and cache file.
type avatarRef struct {
	hash, path string
}

// NewRoster returns an empty roster.
func NewRoster() *Roster {
	return &Roster{
		contacts:  make(map[string]*rosterEntry),
		presence:  make(map[string]presence),
		unread:    make(map[string]int),
		typing:    make(map[string]bool),
		avatars:   make(map[string]avatarRef),
		collapsed: make(map[string]bool),
	}
}

// Apply records one event. It only marks the rows stale; Rows rebuilds
// them once, however many events came in the batch.
func (r *Roster) Apply(ev app.Event) {
	if r.watch != nil {
		defer r.notify(ev)
	}
	switch e := ev.(type) {
	case app.RosterReset:
		clear(r.contacts)
		for _, c := range e.Contacts {
			r.put(c)
		}
	case app.ContactUpdated:
		r.put(e.Contact)
	case app.ContactRemoved:
		delete(r.contacts, e.JID)
		delete(r.typing, e.JID)
	case app.PresenceChanged:
		if e.Best.IsAvailable() {
			r.presence[e.JID] = presence{show: e.Best.Show, status: plainLine(e.Best.Status), stale: e.Stale, since: e.Since}
		} else {
			// Keep the status of unavailable presence: it often says why
			// ("gone home").
			r.presence[e.JID] = presence{show: im.Offline, status: plainLine(e.Best.Status)}
			// Someone who left cannot be typing any more.
			delete(r.typing, e.JID)
		}
	case app.StateChanged:
		if e.State == app.Online {
			return
		}
		// Without a session, presence is what was last seen: the core
		// says so (stale PresenceChanged) as the session ends; anything
		// still fresh here is marked too, as of now. Typing is over.
		for jid, p := range r.presence {
			if p.show != im.Offline && !p.stale {
				p.stale, p.since = true, clock.now()
				r.presence[jid] = p
			}
		}
		clear(r.typing)
	case app.ChatStateChanged:
		typing := e.State == chatstate.Composing
		if typing == r.typing[e.JID] {
			return
		}
		r.setTyping(e.JID, typing)
		if _, listed := r.contacts[e.JID]; !listed {
			return
		}
	case app.MessageReceived:
		// A message ends the typing it announced; it implies Active.
		if !r.typing[e.Peer] {
			return
		}
		r.setTyping(e.Peer, false)
	case app.AvatarChanged:
		ref := avatarRef{hash: e.Hash, path: e.Path}
		if ref.hash == "" {
			ref.path = ""
		}
		if old, ok := r.avatars[e.JID]; ok == (ref.hash != "") && old == ref {
			return
		}
		if ref.hash == "" {
			delete(r.avatars, e.JID)
		} else {
			r.avatars[e.JID] = ref
		}
		if _, listed := r.contacts[e.JID]; !listed {
			// The account's own picture, or a stranger's: no row shows it.
			return
		}
	default:
		return
	}
	r.dirty = true
}

func (r *Roster) put(c app.Contact) {
	// Names and groups are others' words, shown in rows, titles and
	// notifications: no control or bidi characters (see sanitize.go).
	c.Name = plainLine(c.Name)
	c.Groups = slices.Clone(c.Groups)
	for i, g := range c.Groups {
		c.Groups[i] = plainLine(g)
	}
	e := &rosterEntry{Contact: c, key: strings.ToLower(c.DisplayName()), lower: strings.ToLower(c.JID)}
	for _, g := range c.Groups {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(e.groups, g) {
			e.groups = append(e.groups, g)
		}
	}
	if len(e.groups) == 0 {
		e.groups = []string{DefaultGroup}
	}
	r.contacts[c.JID] = e
}

func (r *Roster) notify(ev app.Event) {
	switch e := ev.(type) {
	case app.ContactUpdated:
		r.watch(e.Contact.JID)
	case app.PresenceChanged:
		r.watch(e.JID)
	case app.ChatStateChanged:
		r.watch(e.JID)
	case app.MessageReceived:
		r.watch(e.Peer)
	case app.RosterReset:
		r.watch("")
	case app.StateChanged:
		if e.State != app.Online {
			r.watch("")
		}
	}
}

func (r *Roster) setTyping(jid string, typing bool) {
	if typing {
		r.typing[jid] = true
	} else {
		delete(r.typing, jid)
	}
}

// Typing reports whether jid is composing a message.
func (r *Roster) Typing(jid string) bool { return r.typing[jid] }

// Avatar returns the hash and cache file of jid's picture, both empty
// when jid has none (or it is not known yet).
func (r *Roster) Avatar(jid string) (hash, path string) {
	a := r.avatars[jid]
	return a.hash, a.path
}

// Contact returns the roster item of jid.
func (r *Roster) Contact(jid string) (app.Contact, bool) {
	e, ok := r.contacts[jid]
	if !ok {
		return app.Contact{}, false
	}
	return e.Contact, true
}

// Len returns the number of contacts.
func (r *Roster) Len() int { return len(r.contacts) }

// LastSeen reports whether jid's presence is the one last seen, not
// confirmed since, and when it was last known to hold.
func (r *Roster) LastSeen(jid string) (stale bool, since time.Time) {
	p := r.presence[jid]
	return p.stale, p.since
}

// Presence returns the show and status last seen for jid.
func (r *Roster) Presence(jid string) (im.Show, string) {
	p, ok := r.presence[jid]
	if !ok {
		return im.Offline, ""
	}
	return p.show, p.status
}

// DisplayName returns the name to show for jid, roster item or not.
func (r *Roster) DisplayName(jid string) string {
	if e, ok := r.contacts[jid]; ok {
		return e.DisplayName()
	}
	return jid
}

// Groups returns the names of all groups in use, sorted.
func (r *Roster) Groups() []string {
	seen := make(map[string]bool)
	var out []string
	for _, e := range r.contacts {
		for _, g := range e.groups {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	slices.SortFunc(out, compareFold)
	return out
}

// AddUnread counts n more unread messages from jid.
func (r *Roster) AddUnread(jid string, n int) {
	r.unread[jid] += n
	r.dirty = true
}

// ClearUnread marks everything from jid as read.
func (r *Roster) ClearUnread(jid string) {
	if r.unread[jid] == 0 {
		return
	}
	delete(r.unread, jid)
	r.dirty = true
}

// Unread returns the number of unread messages from jid.
func (r *Roster) Unread(jid string) int { return r.unread[jid] }

// SetFilter shows only contacts whose name or address contains s (any
// case). While a filter is set, matching offline contacts are shown too:
// the user is looking for someone.
func (r *Roster) SetFilter(s string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s != r.filter {
		r.filter = s
		r.dirty = true
	}
}

// SetShowOffline says whether offline contacts are listed.
func (r *Roster) SetShowOffline(show bool) {
	if show != r.showOffline {
		r.showOffline = show
		r.dirty = true
	}
}

// ToggleGroup collapses or expands a group.
func (r *Roster) ToggleGroup(g string) {
	r.collapsed[g] = !r.collapsed[g]
	r.dirty = true
}

// Rows returns the flattened list, rebuilt if anything changed since the
// last call. The slice is reused by the next rebuild.
func (r *Roster) Rows() []Row {
	if r.dirty {
		r.rebuild()
	}
	return r.rows
}

// Rebuilds returns how many times the rows were rebuilt.
func (r *Roster) Rebuilds() int { return r.rebuilds }

// Dirty reports whether the rows are stale.
func (r *Roster) Dirty() bool { return r.dirty }

type member struct {
	e      *rosterEntry
	p      presence
	online bool
}

func (r *Roster) rebuild() {
	r.dirty = false
	r.rebuilds++
	groups := make(map[string][]member)
	for _, e := range r.contacts {
		p, ok := r.presence[e.JID]
		if !ok {
			p.show = im.Offline
		}
		m := member{e: e, p: p, online: p.show != im.Offline}
		for _, g := range e.groups {
			groups[g] = append(groups[g], m)
		}
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	slices.SortFunc(names, compareFold)

	rows := r.rows[:0]
	for _, g := range names {
		ms := groups[g]
		slices.SortFunc(ms, compareMembers)
		online := 0
		for _, m := range ms {
			if m.online {
				online++
			}
		}
		header := len(rows)
		rows = append(rows, Row{Header: true, Group: g, Collapsed: r.collapsed[g], Online: online, Total: len(ms)})
		shown := 0
		for _, m := range ms {
			if !r.visible(m) {
				continue
			}
			shown++
			if r.collapsed[g] {
				continue
			}
			av := r.avatars[m.e.JID]
			rows = append(rows, Row{
				Group:      g,
				JID:        m.e.JID,
				Name:       m.e.DisplayName(),
				Show:       m.p.show,
				Status:     m.p.status,
				Unread:     r.unread[m.e.JID],
				Pending:    m.e.Pending,
				Typing:     r.typing[m.e.JID],
				Stale:      m.p.stale,
				Since:      m.p.since,
				Avatar:     av.hash,
				AvatarPath: av.path,
			})
		}
		// While searching, groups without a match only get in the way.
		if r.filter != "" && shown == 0 {
			rows = rows[:header]
		}
	}
	clear(rows[len(rows):cap(rows)]) // drop references held by old rows
	r.rows = rows
}

func (r *Roster) visible(m member) bool {
	if r.filter != "" {
		return strings.Contains(m.e.key, r.filter) || strings.Contains(m.e.lower, r.filter)
	}
	return m.online || r.showOffline || r.unread[m.e.JID] > 0
}

func compareMembers(a, b member) int {
	if a.online != b.online {
		if a.online {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.e.key, b.e.key); c != 0 {
		return c
	}
	return strings.Compare(a.e.JID, b.e.JID)
}

func compareFold(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
