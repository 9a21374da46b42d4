package app

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/disco/info"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/app/caps"
)

// fakeVer returns a well-formed sha-1 ver for n (that no answer matches).
func fakeVer(n int) string {
	sum := sha1.Sum([]byte(fmt.Sprint(n)))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func newTestBook(t *testing.T, dir string) *capsBook {
	t.Helper()
	b := &capsBook{}
	b.open(dir)
	return b
}

// TestCapsBookLimits: what a flood of presences with invented hashes
// takes up to ask about, at one instant and a minute later.
func TestCapsBookLimits(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	for i, tc := range [...]struct {
		name     string
		contacts int // each sends hashes new hashes
		hashes   int
		later    time.Duration // then the same again after this
		want     int           // jobs, in all
	}{
		0: {"one contact, many hashes", 1, 3000, 0, maxCapsPerContact},
		1: {"one contact, a minute later", 1, 3000, time.Minute, 2 * maxCapsPerContact},
		2: {"one contact, within the minute", 1, 3000, 59 * time.Second, maxCapsPerContact},
		3: {"many contacts, one hash each", 5000, 1, 0, maxCapsPending},
		4: {"a few contacts", 10, 1, 0, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBook(t, "")
			jobs := 0
			n := 0
			round := func(at time.Time) {
				for c := range tc.contacts {
					full := jid.MustParse(fmt.Sprintf("c%d@example.org/r", c))
					for range tc.hashes {
						n++
						if _, _, job := b.announced(full, caps.Caps{Hash: caps.SHA1, Node: "urn:x", Ver: fakeVer(n)}, at); job != nil {
							jobs++
						}
					}
				}
			}
			round(now)
			if tc.later > 0 {
				// What was pending was settled (failed) meanwhile.
				b.abandon()
				round(now.Add(tc.later))
			}
			if jobs != tc.want {
				t.Errorf("%d: %d jobs, want %d", i, jobs, tc.want)
			}
		})
	}
}

// TestCapsBookSharedHash: many contacts with one hash make one query;
// failed answers try at most maxCapsAttempts of them, then the hash is
// not asked again in the run.
func TestCapsBookSharedHash(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	b := newTestBook(t, "")
	c := caps.Caps{Hash: caps.SHA1, Node: "urn:x", Ver: fakeVer(1)}
	var first *capsJob
	for i := range 100 {
		_, _, job := b.announced(jid.MustParse(fmt.Sprintf("c%d@example.org/r", i)), c, now)
		if job != nil && first != nil {
			t.Fatalf("a second job for one hash, from contact %d", i)
		}
		if job != nil {
			first = job
		}
	}
	if first == nil || first.to.String() != "c0@example.org/r" {
		t.Fatalf("first job %+v", first)
	}
	asked := []string{first.to.String()}
	for j := first; ; {
		_, next := b.answered(*j, nil, errCapsMismatch, now)
		if next == nil {
			break
		}
		asked = append(asked, next.to.String())
		j = next
	}
	if want := []string{"c0@example.org/r", "c1@example.org/r", "c2@example.org/r"}; !slices.Equal(asked, want) {
		t.Errorf("asked %v, want %v", asked, want)
	}
	if _, _, job := b.announced(jid.MustParse("late@example.org/r"), c, now.Add(time.Hour)); job != nil {
		t.Errorf("a failed hash is asked again: %+v", job)
	}
}

// TestCapsBucket: capsBurst queries go at once, then one every
// minute/capsPerMinute.
func TestCapsBucket(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	var b capsBucket
	for i := range capsBurst {
		if d := b.wait(now); d != 0 {
			t.Fatalf("query %d waits %v", i, d)
		}
	}
	step := time.Minute / capsPerMinute
	if d := b.wait(now); d < step-time.Millisecond || d > step+time.Millisecond {
		t.Errorf("query %d waits %v, want %v", capsBurst, d, step)
	}
	if d := b.wait(now.Add(10 * time.Minute)); d != 0 {
		t.Errorf("after ten quiet minutes a query waits %v", d)
	}
}

// TestCapsCacheFile: verified entries survive a restart; an entry whose
// content does not hash to its ver (edited, or a bug) and a file of
// another format are not believed.
func TestCapsCacheFile(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1_000_000, 0)
	good := disco.Info{
		Identity: []info.Identity{{Category: "client", Type: "phone", Name: "Pocket"}},
		Features: []info.Feature{{Var: "urn:xmpp:receipts"}, {Var: "http://jabber.org/protocol/chatstates"}},
	}
	ver, err := caps.Ver(caps.SHA1, good)
	if err != nil {
		t.Fatal(err)
	}
	c := caps.Caps{Hash: caps.SHA1, Node: "urn:pocket", Ver: ver}
	full := jid.MustParse("bob@example.org/phone")

	b := newTestBook(t, dir)
	_, _, job := b.announced(full, c, now)
	if job == nil {
		t.Fatal("no job for a new hash")
	}
	learnt, _ := b.answered(*job, newCapsEntry(c, good), nil, now)
	if len(learnt) != 1 || !learnt[0].Equal(full) {
		t.Errorf("learnt %v", learnt)
	}
	b.save()

	b = newTestBook(t, dir)
	f, ok, job := b.announced(full, c, now)
	if job != nil || !ok || !slices.Equal(f, []string{"http://jabber.org/protocol/chatstates", "urn:xmpp:receipts"}) {
		t.Fatalf("after a restart: %v %v %+v", f, ok, job)
	}

	// Edit the entry: it no longer hashes to its ver.
	name := filepath.Join(dir, capsFile)
	var d capsFileData
	data, err := os.ReadFile(name)
	if err != nil || json.Unmarshal(data, &d) != nil || len(d.Entries) != 1 {
		t.Fatalf("cache file %s: %v", data, err)
	}
	d.Entries[0].Features = append(d.Entries[0].Features, "urn:forged")
	data, _ = json.Marshal(d)
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	b = newTestBook(t, dir)
	if _, ok, job := b.announced(full, c, now); ok || job == nil {
		t.Errorf("an edited entry was believed (known %v, job %+v)", ok, job)
	}

	// Another format is ignored.
	if err := os.WriteFile(name, []byte(`{"version":99,"entries":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if b := newTestBook(t, dir); len(b.known) != 0 {
		t.Errorf("%d entries from a foreign file", len(b.known))
	}
}

// TestCapsCacheBounded: the cache keeps maxCapsEntries, dropping the
// least recently seen.
func TestCapsCacheBounded(t *testing.T) {
	b := newTestBook(t, "")
	t0 := time.Unix(1_000_000, 0)
	for i := range maxCapsEntries + 10 {
		b.mu.Lock()
		b.store(&capsEntry{Hash: caps.SHA1, Ver: fakeVer(i), Used: t0.Add(time.Duration(i) * time.Second)})
		b.mu.Unlock()
	}
	if len(b.known) != maxCapsEntries {
		t.Errorf("%d entries, want %d", len(b.known), maxCapsEntries)
	}
	if b.known[capsKey(caps.SHA1, fakeVer(0))] != nil || b.known[capsKey(caps.SHA1, fakeVer(maxCapsEntries+9))] == nil {
		t.Error("not the oldest evicted")
	}
}

// TestOwnTokensAreCopied: the precomputed presence <c/> and disco#info
// answer are shared by every session, and mellium's session encoder
// rewrites a start element's attributes in place (session.go,
// stanzaEncoder.EncodeToken): two sessions encoding at once must not
// share them (run with -race).
func TestOwnTokensAreCopied(t *testing.T) {
	encode := func(r interface{ Token() (xml.Token, error) }) {
		for {
			tok, err := r.Token()
			if err != nil {
				return
			}
			if s, ok := tok.(xml.StartElement); ok {
				attrs := s.Attr[:0] // as mellium does
				for _, a := range s.Attr {
					attrs = append(attrs, a)
				}
			}
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				answer := tokens(ownInfoTokensNodeVer)
				encode(&answer)
				encode(withOwnCaps(xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "presence"}})))
			}
		})
	}
	wg.Wait()
	if toks, _ := xmlstream.ReadAll(withOwnCaps(xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "presence"}}))); len(toks) != 4 {
		t.Errorf("presence with caps is %d tokens, want 4: %v", len(toks), toks)
	}
}
