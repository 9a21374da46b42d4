package app

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/disco/info"
	"mellium.im/xmpp/form"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/app/caps"
)

// Limits of the caps cache (XEP-0115). A contact's presence names what
// its client supports by a hash; the core asks one client with that hash
// what it means (disco#info), checks the answer hashes to it (§5.4) and
// keeps it on disk, so that a hash is asked once, ever, however many
// contacts use the same client. A presence carries whatever hash its
// sender likes: these bound what a flood of invented hashes costs.
const (
	// capsWorkers is how many disco#info queries run at once.
	capsWorkers = 3
	// capsTimeout bounds one query: a client that does not answer is
	// not waited for.
	capsTimeout = 15 * time.Second
	// maxCapsPending bounds the hashes waiting for an answer or being
	// asked: a further new hash is ignored until some are settled (a
	// later presence with it asks again).
	maxCapsPending = 128
	// maxCapsPerContact bounds the new hashes asked about per contact
	// (bare JID) per minute; a client changes its hash when it is updated
	// or a plugin is switched on, not every minute.
	maxCapsPerContact = 4
	// capsBurst queries may go at once, then capsPerMinute a minute:
	// thousands of contacts use a few dozen clients, which a sign-in
	// asks about at once, while a flood of new hashes is paced.
	capsBurst     = 60
	capsPerMinute = 60
	// maxCapsAttempts bounds how many of the clients announcing a hash
	// are asked when the answers do not hash to it (a forgery, §5.4).
	maxCapsAttempts = 3
	// maxCapsFailed bounds the hashes remembered as failed in a run.
	maxCapsFailed = 4096
	// maxCapsEntries bounds the cache: the least recently seen goes first.
	maxCapsEntries = 2000
	// maxCapsFileBytes bounds the cache file read at start.
	maxCapsFileBytes = 16 << 20
)

// capsFile is the cache's file name inside the data directory.
const capsFile = "caps.json"

// capsFileVersion is the format of capsFile; another is ignored.
const capsFileVersion = 1

// errCapsMismatch: a disco#info answer that does not hash to the ver it
// was asked for (XEP-0115 §5.4 step 5).
var errCapsMismatch = errors.New("the disco#info answer does not match the announced caps hash")

// capsEntry is what a verified hash means: the identities, features and
// forms of the answer, enough to check it again (capsEntry.check).
type capsEntry struct {
	Hash       string          `json:"hash"`
	Ver        string          `json:"ver"`
	Identities []info.Identity `json:"identities,omitempty"`
	Features   []string        `json:"features"`
	Forms      []capsForm      `json:"forms,omitempty"`
	// Used is when a presence last named the hash (for eviction).
	Used time.Time `json:"used"`
}

// capsForm is a XEP-0128 form as the verification string uses it.
type capsForm struct {
	Type   string              `json:"type"`
	Fields map[string][]string `json:"fields,omitempty"`
}

// key is the cache key of an entry: hash function and ver.
func (e *capsEntry) key() string { return capsKey(e.Hash, e.Ver) }

func capsKey(hash, ver string) string { return hash + " " + ver }

// newCapsEntry keeps what i says, features sorted.
func newCapsEntry(c caps.Caps, i disco.Info) *capsEntry {
	e := &capsEntry{Hash: c.Hash, Ver: c.Ver, Identities: i.Identity}
	for _, f := range i.Features {
		e.Features = append(e.Features, f.Var)
	}
	slices.Sort(e.Features)
	for k := range i.Form {
		d := &i.Form[k]
		f := capsForm{Fields: map[string][]string{}}
		hidden := false
		d.ForFields(func(fd form.FieldData) {
			switch {
			case fd.Var == "FORM_TYPE":
				hidden = fd.Type == form.TypeHidden
				if len(fd.Raw) > 0 {
					f.Type = fd.Raw[0]
				}
			case fd.Var != "":
				f.Fields[fd.Var] = fd.Raw
			}
		})
		if hidden { // the others do not count (caps.VerificationString)
			e.Forms = append(e.Forms, f)
		}
	}
	return e
}

// info rebuilds the disco#info the entry was made from, as far as the
// verification string is concerned.
func (e *capsEntry) info() disco.Info {
	i := disco.Info{Identity: e.Identities}
	for _, f := range e.Features {
		i.Features = append(i.Features, info.Feature{Var: f})
	}
	for _, f := range e.Forms {
		fields := []form.Field{form.Hidden("FORM_TYPE", form.Value(f.Type))}
		for name, values := range f.Fields {
			opts := make([]form.Option, len(values))
			for k, v := range values {
				opts[k] = form.Value(v)
			}
			fields = append(fields, form.TextMulti(name, opts...))
		}
		i.Form = append(i.Form, *form.New(fields...))
	}
	return i
}

// check reports whether the entry hashes to its ver: entries read from
// disk are checked like answers from the network.
func (e *capsEntry) check() bool {
	ver, err := caps.Ver(e.Hash, e.info())
	return err == nil && ver == e.Ver
}

// capsPending is a hash being asked about.
type capsPending struct {
	c caps.Caps
	// candidates are the resources that announced it, in order; tried
	// how many of them were asked.
	candidates []jid.JID
	tried      int
}

// capsJob is a disco#info query for the caps workers.
type capsJob struct {
	c  caps.Caps
	to jid.JID
}

// capsBook is the caps cache of a Client and what each contact's
// resources announce. It lives as long as the Client; the zero value is
// ready to use (open loads the file).
// It is safe for concurrent use: the Serve handler records presence, the
// caps workers record answers, the session goroutine and the UI read.
type capsBook struct {
	mu     sync.Mutex
	opened bool
	file   string // "" = kept in memory only
	known  map[string]*capsEntry
	// res is the key each resource announced, by bare JID and resource.
	res map[string]map[string]string
	// pending are the hashes being asked about, failed those whose
	// answers did not match in this run.
	pending map[string]*capsPending
	failed  map[string]bool
	// window is when the current minute of perContact began.
	window     time.Time
	perContact map[string]int
	// queries counts the disco#info queries sent, asked the new hashes
	// taken up, settled the answers handled (for tests).
	queries, asked, settled atomic.Int64
	// saving serializes writes of the file.
	saving sync.Mutex
}

// capsFileData is the content of capsFile.
type capsFileData struct {
	Version int          `json:"version"`
	Entries []*capsEntry `json:"entries"`
}

// open loads the cache from dir ("" for none) once per Client. Our own
// hash is not put in: another Palaver is asked once like any client, the
// cache keeps the answer.
func (b *capsBook) open(dir string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.opened {
		return
	}
	b.opened = true
	b.known = map[string]*capsEntry{}
	b.res = map[string]map[string]string{}
	b.pending = map[string]*capsPending{}
	b.failed = map[string]bool{}
	b.perContact = map[string]int{}
	if dir != "" {
		b.file = filepath.Join(dir, capsFile)
		for _, e := range readCapsFile(b.file) {
			if len(b.known) < maxCapsEntries && e.check() {
				b.known[e.key()] = e
			}
		}
	}
}

// readCapsFile reads the cache file; a missing, unreadable or foreign one
// is an empty cache (it is only a cache).
func readCapsFile(name string) []*capsEntry {
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCapsFileBytes+1))
	if err != nil || len(data) > maxCapsFileBytes {
		return nil
	}
	var d capsFileData
	if json.Unmarshal(data, &d) != nil || d.Version != capsFileVersion {
		return nil
	}
	return d.Entries
}

// announced records the caps in an available presence from full, at now.
// It returns the resource's features when they are known and changed
// (ok), and a job when the hash must be asked about.
func (b *capsBook) announced(full jid.JID, c caps.Caps, now time.Time) (features []string, ok bool, job *capsJob) {
	bare, res := full.Bare().String(), full.Resourcepart()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !c.Checkable() {
		// Legacy or junk caps say nothing we can trust.
		b.forget(bare, res)
		return nil, false, nil
	}
	key := capsKey(c.Hash, c.Ver)
	rs := b.res[bare]
	if rs == nil {
		if len(b.res) >= maxPresenceJIDs {
			return nil, false, nil
		}
		rs = map[string]string{}
		b.res[bare] = rs
	}
	old, had := rs[res]
	if !had && len(rs) >= maxResources {
		return nil, false, nil
	}
	rs[res] = key
	if e := b.known[key]; e != nil {
		e.Used = now
		return e.Features, !had || old != key, nil
	}
	if p := b.pending[key]; p != nil {
		if len(p.candidates) < maxCapsAttempts && !slices.ContainsFunc(p.candidates, full.Equal) {
			p.candidates = append(p.candidates, full)
		}
		return nil, false, nil
	}
	if b.failed[key] || len(b.pending) >= maxCapsPending {
		return nil, false, nil
	}
	if now.Sub(b.window) >= time.Minute {
		b.window = now
		clear(b.perContact)
	}
	if b.perContact[bare] >= maxCapsPerContact {
		return nil, false, nil
	}
	b.perContact[bare]++
	b.asked.Add(1)
	b.pending[key] = &capsPending{c: c, candidates: []jid.JID{full}, tried: 1}
	return nil, false, &capsJob{c: c, to: full}
}

// gone records that full went unavailable; a bare JID means all its
// resources did.
func (b *capsBook) gone(full jid.JID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forget(full.Bare().String(), full.Resourcepart())
}

// forget drops what resource res of bare announced ("" = all); b.mu is
// held.
func (b *capsBook) forget(bare, res string) {
	rs := b.res[bare]
	if rs == nil {
		return
	}
	if res == "" {
		delete(b.res, bare)
		return
	}
	delete(rs, res)
	if len(rs) == 0 {
		delete(b.res, bare)
	}
}

// answered settles the query j: with the verified entry e, or with err.
// It returns the resources whose features became known, and the next
// query when another resource may be asked instead.
func (b *capsBook) answered(j capsJob, e *capsEntry, err error, now time.Time) (learnt []jid.JID, next *capsJob) {
	key := capsKey(j.c.Hash, j.c.Ver)
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.settled.Add(1)
	p := b.pending[key]
	if err != nil {
		if p != nil && p.tried < len(p.candidates) {
			next = &capsJob{c: j.c, to: p.candidates[p.tried]}
			p.tried++
			return nil, next
		}
		delete(b.pending, key)
		if len(b.failed) >= maxCapsFailed {
			clear(b.failed)
		}
		b.failed[key] = true
		return nil, nil
	}
	delete(b.pending, key)
	e.Used = now
	b.store(e)
	for bare, rs := range b.res {
		for res, k := range rs {
			if k != key {
				continue
			}
			if full, err := jid.Parse(bare + "/" + res); err == nil {
				learnt = append(learnt, full)
			}
		}
	}
	slices.SortFunc(learnt, func(a, b jid.JID) int { return cmp.Compare(a.String(), b.String()) })
	return learnt, nil
}

// store adds e, evicting the least recently seen entry when full; b.mu
// is held.
func (b *capsBook) store(e *capsEntry) {
	if _, ok := b.known[e.key()]; !ok && len(b.known) >= maxCapsEntries {
		var oldest *capsEntry
		for _, o := range b.known {
			if oldest == nil || o.Used.Before(oldest.Used) {
				oldest = o
			}
		}
		if oldest != nil {
			delete(b.known, oldest.key())
		}
	}
	b.known[e.key()] = e
}

// abandon drops the queries of a session that ended: the next session
// asks again.
func (b *capsBook) abandon() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.pending)
}

// features returns what resource res of bare supports, when known.
func (b *capsBook) features(bare, res string) ([]string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.known[b.res[bare][res]]; e != nil {
		return e.Features, true
	}
	return nil, false
}

// save writes the cache to its file, if it has one. A write that fails
// only means asking again after a restart.
func (b *capsBook) save() {
	b.saving.Lock()
	defer b.saving.Unlock()
	b.mu.Lock()
	if b.file == "" {
		b.mu.Unlock()
		return
	}
	d := capsFileData{Version: capsFileVersion}
	for _, e := range b.known {
		c := *e
		d.Entries = append(d.Entries, &c)
	}
	file := b.file
	b.mu.Unlock()
	slices.SortFunc(d.Entries, func(a, b *capsEntry) int { return cmp.Compare(a.key(), b.key()) })
	data, err := json.Marshal(d)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), capsFile+".*")
	if err != nil {
		return
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
}
