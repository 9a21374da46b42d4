package model

import (
	"slices"
	"strings"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// Roster is what one account knows of its contacts: the server's roster,
// their presence, typing, pictures and unread counts, keyed by bare JID
// (the account is the Roster's: together they make a ContactKey).
// Contacts merges the Rosters of all accounts into the rows of one list.
//
// It is not safe for concurrent use; the UI goroutine owns it.
type Roster struct {
	account  string
	contacts map[string]*rosterEntry
	presence map[string]presence
	unread   map[string]int
	typing   map[string]bool
	avatars  map[string]avatarRef

	dirty bool

	// Now is the clock that dates presence last seen; time.Now when nil.
	Now func() time.Time

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

// NewRoster returns the empty roster of the account with bare JID account.
func NewRoster(account string) *Roster {
	return &Roster{
		account:  account,
		contacts: make(map[string]*rosterEntry),
		presence: make(map[string]presence),
		unread:   make(map[string]int),
		typing:   make(map[string]bool),
		avatars:  make(map[string]avatarRef),
	}
}

// Account returns the bare JID of the roster's account.
func (r *Roster) Account() string { return r.account }

// SetWatch makes Apply call f with each contact it changed, "" for all.
func (r *Roster) SetWatch(f func(jid string)) { r.watch = f }

func (r *Roster) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Apply records one event of the roster's account. It only marks the rows
// stale; Contacts.Rows rebuilds them once, however many events came.
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
			r.presence[e.JID] = presence{show: e.Best.Show, status: PlainLine(e.Best.Status), stale: e.Stale, since: e.Since}
		} else {
			// Keep the status of unavailable presence: it often says why
			// ("gone home").
			r.presence[e.JID] = presence{show: im.Offline, status: PlainLine(e.Best.Status)}
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
				p.stale, p.since = true, r.now()
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
	// notifications: no control or bidi characters (see plain.go).
	c.Name = PlainLine(c.Name)
	c.Groups = slices.Clone(c.Groups)
	for i, g := range c.Groups {
		c.Groups[i] = PlainLine(g)
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

// Keys returns the contacts, in no particular order.
func (r *Roster) Keys() []ContactKey {
	out := make([]ContactKey, 0, len(r.contacts))
	for jid := range r.contacts {
		out = append(out, ContactKey{Account: r.account, JID: jid})
	}
	return out
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

// TotalUnread returns the number of unread messages of the account.
func (r *Roster) TotalUnread() int {
	n := 0
	for _, u := range r.unread {
		n += u
	}
	return n
}

// Dirty reports whether the roster changed since Contacts last built rows.
func (r *Roster) Dirty() bool { return r.dirty }

func compareFold(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
