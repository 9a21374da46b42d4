package model

import (
	"slices"
	"strings"
	"time"

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

	// Account is the bare JID of the account the contact is on (of the
	// header's account when the list is grouped by account); with JID it
	// makes the row's Key.
	Account string
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
	// Room is set for a group chat's row (JID the room's, Name its name,
	// Status its subject, Show Available once joined).
	Room bool
	// Merged is the number of accounts' contacts the row stands for when
	// the user merged them into one (a metacontact), 0 otherwise. The row
	// then shows the contact of the best online account (Account, JID),
	// and the unread messages of all.
	Merged int
}

// Key returns the contact the row shows.
func (r Row) Key() ContactKey { return ContactKey{Account: r.Account, JID: r.JID} }

// Contacts is the one contact list of every account shown: it merges
// their Rosters, in account order, into rows grouped by roster group (the
// same group of two accounts is one group) or by account, and holds the
// view settings (filter, offline contacts, collapsed groups).
//
// It is not safe for concurrent use; the UI goroutine owns it.
type Contacts struct {
	rosters     []*Roster
	filter      string
	showOffline bool
	byAccount   bool
	collapsed   map[string]bool    // by group name
	collapsedAc map[string]bool    // by account, when grouped by account
	merged      map[ContactKey]int // metacontact index of merged contacts
	rooms       []Row              // the group chats, listed first

	rows     []Row
	dirty    bool
	rebuilds int
}

// NewContacts returns an empty list.
func NewContacts() *Contacts {
	return &Contacts{collapsed: make(map[string]bool), collapsedAc: make(map[string]bool)}
}

// SetRosters sets the accounts listed, in the order they are shown.
func (c *Contacts) SetRosters(rs ...*Roster) {
	c.rosters = slices.Clone(rs)
	c.dirty = true
}

// Rosters returns the accounts listed, in order.
func (c *Contacts) Rosters() []*Roster { return c.rosters }

// Roster returns the roster of account, nil if it is not listed.
func (c *Contacts) Roster(account string) *Roster {
	for _, r := range c.rosters {
		if r.account == account {
			return r
		}
	}
	return nil
}

// Len returns the number of contacts of all accounts.
func (c *Contacts) Len() int {
	n := 0
	for _, r := range c.rosters {
		n += r.Len()
	}
	return n
}

// SetFilter shows only contacts whose name or address contains s (any
// case). While a filter is set, matching offline contacts are shown too:
// the user is looking for someone.
func (c *Contacts) SetFilter(s string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s != c.filter {
		c.filter = s
		c.dirty = true
	}
}

// SetShowOffline says whether offline contacts are listed.
func (c *Contacts) SetShowOffline(show bool) {
	if show != c.showOffline {
		c.showOffline = show
		c.dirty = true
	}
}

// SetByAccount groups the list by account (true) or by roster group.
func (c *Contacts) SetByAccount(on bool) {
	if on != c.byAccount {
		c.byAccount = on
		c.dirty = true
	}
}

// ByAccount reports whether the list is grouped by account.
func (c *Contacts) ByAccount() bool { return c.byAccount }

// ToggleGroup collapses or expands the group of the header row h.
func (c *Contacts) ToggleGroup(h Row) {
	m, k := c.collapsedOf(h)
	m[k] = !m[k]
	c.dirty = true
}

func (c *Contacts) collapsedOf(h Row) (map[string]bool, string) {
	if c.byAccount {
		return c.collapsedAc, h.Account
	}
	return c.collapsed, h.Group
}

// SetMerged sets the metacontacts: the contacts of each set are listed as
// one row (when the list is grouped by roster group).
func (c *Contacts) SetMerged(sets [][]ContactKey) {
	c.merged = make(map[ContactKey]int)
	for i, set := range sets {
		for _, k := range set {
			c.merged[k] = i
		}
	}
	c.dirty = true
}

// Members returns the contacts merged with k, k among them, in the order
// of the accounts listed; nil when k is not merged.
func (c *Contacts) Members(k ContactKey) []ContactKey {
	i, ok := c.merged[k]
	if !ok {
		return nil
	}
	var out []ContactKey
	for _, r := range c.rosters {
		for jid := range r.contacts {
			m := ContactKey{r.account, jid}
			if j, ok := c.merged[m]; ok && j == i {
				out = append(out, m)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b ContactKey) int { return strings.Compare(a.JID, b.JID) })
	slices.SortStableFunc(out, func(a, b ContactKey) int { return c.order(a.Account) - c.order(b.Account) })
	return out
}

func (c *Contacts) order(account string) int {
	for i, r := range c.rosters {
		if r.account == account {
			return i
		}
	}
	return len(c.rosters)
}

// RoomsGroup is the header of the group chats, listed above the contacts.
const RoomsGroup = "Rooms"

// SetRooms sets the rows of the group chats (Room set), listed first
// under RoomsGroup.
func (c *Contacts) SetRooms(rows []Row) {
	if slices.Equal(rows, c.rooms) {
		return
	}
	c.rooms = slices.Clone(rows)
	c.dirty = true
}

// Dirty reports whether the rows are stale.
func (c *Contacts) Dirty() bool {
	if c.dirty {
		return true
	}
	for _, r := range c.rosters {
		if r.dirty {
			return true
		}
	}
	return false
}

// Rows returns the flattened list, rebuilt if anything changed since the
// last call. The slice is reused by the next rebuild.
func (c *Contacts) Rows() []Row {
	if c.Dirty() {
		c.rebuild()
	}
	return c.rows
}

// Rebuilds returns how many times the rows were rebuilt.
func (c *Contacts) Rebuilds() int { return c.rebuilds }

type member struct {
	r      *Roster
	order  int // the account's place in the list
	e      *rosterEntry
	p      presence
	online bool
	// What the row shows besides: for a metacontact, of all its members.
	unread int
	typing bool
	groups []string
	merged int
}

// better reports whether a is the better contact to show and write to of
// one metacontact: online first, then the more available, then the
// account listed first.
func better(a, b member) bool {
	if a.online != b.online {
		return a.online
	}
	if ra, rb := showRank(a.p.show), showRank(b.p.show); ra != rb {
		return ra < rb
	}
	return a.order < b.order
}

func showRank(s im.Show) int {
	switch s {
	case im.Chat:
		return 0
	case im.Available:
		return 1
	case im.Away:
		return 2
	case im.XA:
		return 3
	case im.DND:
		return 4
	}
	return 5
}

// group is one header's members: a roster group, or an account.
type group struct {
	name, account string
	members       []member
}

func (c *Contacts) rebuild() {
	c.dirty = false
	c.rebuilds++
	var groups []*group
	index := make(map[string]*group)
	add := func(name, account string, m member) {
		k := name
		if c.byAccount {
			k = account
		}
		g := index[k]
		if g == nil {
			g = &group{name: name, account: account}
			index[k] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, m)
	}
	var members []member
	metas := make(map[int]*member)
	for order, r := range c.rosters {
		r.dirty = false
		if c.byAccount {
			// Every account has its header, even without contacts.
			index[r.account] = &group{name: r.account, account: r.account}
			groups = append(groups, index[r.account])
		}
		for _, e := range r.contacts {
			p, ok := r.presence[e.JID]
			if !ok {
				p.show = im.Offline
			}
			m := member{r: r, order: order, e: e, p: p, online: p.show != im.Offline,
				unread: r.unread[e.JID], typing: r.typing[e.JID], groups: e.groups}
			if i, ok := c.merged[ContactKey{r.account, e.JID}]; ok && !c.byAccount {
				metas[i] = merge(metas[i], m)
				continue
			}
			members = append(members, m)
		}
	}
	for _, m := range metas {
		members = append(members, *m)
	}
	for _, m := range members {
		if c.byAccount {
			add(m.r.account, m.r.account, m)
			continue
		}
		for _, g := range m.groups {
			add(g, "", m)
		}
	}
	if !c.byAccount {
		slices.SortFunc(groups, func(a, b *group) int { return compareFold(a.name, b.name) })
	}

	rows := c.rows[:0]
	if len(c.rooms) > 0 {
		online := 0
		for _, r := range c.rooms {
			if r.Show != im.Offline {
				online++
			}
		}
		m, k := c.collapsedOf(Row{Group: RoomsGroup, Account: RoomsGroup})
		rows = append(rows, Row{Header: true, Group: RoomsGroup, Account: RoomsGroup, Collapsed: m[k], Online: online, Total: len(c.rooms)})
		if !m[k] {
			for _, r := range c.rooms {
				if c.filter == "" || strings.Contains(strings.ToLower(r.Name), c.filter) || strings.Contains(strings.ToLower(r.JID), c.filter) {
					r.Group = RoomsGroup
					rows = append(rows, r)
				}
			}
		}
	}
	for _, g := range groups {
		ms := g.members
		slices.SortFunc(ms, compareMembers)
		online := 0
		for _, m := range ms {
			if m.online {
				online++
			}
		}
		m, k := c.collapsedOf(Row{Group: g.name, Account: g.account})
		collapsed := m[k]
		header := len(rows)
		rows = append(rows, Row{Header: true, Group: g.name, Account: g.account, Collapsed: collapsed, Online: online, Total: len(ms)})
		shown := 0
		for _, m := range ms {
			if !c.visible(m) {
				continue
			}
			shown++
			if collapsed {
				continue
			}
			av := m.r.avatars[m.e.JID]
			merged := 0
			if m.merged > 1 {
				merged = m.merged
			}
			rows = append(rows, Row{
				Merged:     merged,
				Group:      g.name,
				Account:    m.r.account,
				JID:        m.e.JID,
				Name:       m.e.DisplayName(),
				Show:       m.p.show,
				Status:     m.p.status,
				Unread:     m.unread,
				Pending:    m.e.Pending,
				Typing:     m.typing,
				Stale:      m.p.stale,
				Since:      m.p.since,
				Avatar:     av.hash,
				AvatarPath: av.path,
			})
		}
		// While searching, groups without a match only get in the way.
		if c.filter != "" && shown == 0 {
			rows = rows[:header]
		}
	}
	clear(rows[len(rows):cap(rows)]) // drop references held by old rows
	c.rows = rows
}

func (c *Contacts) visible(m member) bool {
	if c.filter != "" {
		return strings.Contains(m.e.key, c.filter) || strings.Contains(m.e.lower, c.filter)
	}
	return m.online || c.showOffline || m.unread > 0
}

// merge adds m to the metacontact so far (nil before its first member):
// the best member is shown, with the unread messages and typing of all,
// in the groups of all.
func merge(so *member, m member) *member {
	m.merged = 1
	if so == nil {
		return &m
	}
	out := *so
	if better(m, *so) {
		out = m
		out.groups = so.groups
	}
	out.merged = so.merged + 1
	out.unread = so.unread + m.unread
	out.typing = so.typing || m.typing
	for _, g := range m.groups {
		if !slices.Contains(out.groups, g) {
			out.groups = append(slices.Clip(out.groups), g)
		}
	}
	return &out
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
	if c := strings.Compare(a.e.JID, b.e.JID); c != 0 {
		return c
	}
	return a.order - b.order
}
