package history

// Benchmarks. Run them with
//
//	go test -run '^$' -bench . -benchmem -benchtime 10x ./app/history/
//
// The large archives (100 000 messages in one conversation, 1 000 000 over
// 1000 conversations) are built once with AddBatch in big transactions and
// cached in os.TempDir() as palaver-history-bench-<schema>-g<generator>-
// <kind>-<size>.db, so later runs skip the build; delete those files to
// rebuild. <schema> is a hash of the migrations' SQL and <generator> is
// benchGenVersion, so a stale cache is never used.

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchGenVersion changes whenever the generator changes the data it makes.
const benchGenVersion = 1

// commonWords are real, frequent chat words: the head of the Zipf
// distribution, so that queries like "the" and "meet" behave as in a real
// archive (with prefix matches: the, then, there, they...).
var commonWords = strings.Fields(`the i you to a and it is that of in for me on
	have this be ok not we are so but with just what do at can was my yes no
	will your get if all like know it's good about up out there they then them
	these their now go how see think one when time too from think well really
	yeah sure thanks today tomorrow tonight meet later back home work call
	please sorry lol haha nice great love right here going want need send
	photo file link message later soon morning evening night week weekend
	monday friday dinner lunch coffee café train bus car late early maybe
	would could should did does done got make made take took come came say
	said tell told let's okay fine cool wait still already again also only
	very much more some any other new old first last next long little big`)

// rareWords each occur in about one message in 100 000.
var rareWords = []string{"quokka", "xylophone", "zeppelin", "ptarmigan"}

// textGen makes varied chat text from a fixed seed: words from a
// vocabulary of a few thousand (real frequent words, then made-up ones)
// drawn with a Zipf distribution, some with diacritics, and rare words.
type textGen struct {
	rng   *rand.Rand
	zipf  *rand.Zipf
	vocab []string
}

func newTextGen(seed uint64) *textGen {
	rng := rand.New(rand.NewPCG(seed, 42))
	vocab := append([]string(nil), commonWords...)
	seen := map[string]bool{}
	for _, w := range vocab {
		seen[w] = true
	}
	syll := strings.Fields("ka lo mi ne ru sa ti vo be da fe gi ho ju ko la ma no pe ri so tu ve wa ya ze bra tre pli sto gru fla chi sho qua ven dor lin mar tek zur né ü ö ça ñe")
	wgen := rand.New(rand.NewPCG(7, 7))
	for len(vocab) < 4000 {
		var b strings.Builder
		for range 2 + wgen.IntN(3) {
			b.WriteString(syll[wgen.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	return &textGen{rng: rng, zipf: rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1)), vocab: vocab}
}

// body returns one message text: mostly short, some long.
func (g *textGen) body() string {
	n := 1 + g.rng.IntN(10)
	if g.rng.IntN(10) == 0 {
		n = 15 + g.rng.IntN(40)
	}
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		if g.rng.IntN(100_000/len(rareWords)) == 0 {
			b.WriteString(rareWords[g.rng.IntN(len(rareWords))])
			continue
		}
		w := g.vocab[g.zipf.Uint64()]
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
		if g.rng.IntN(8) == 0 {
			b.WriteString([]string{",", ".", "!", "?", " :)"}[g.rng.IntN(5)])
		}
	}
	return b.String()
}

// messages returns n messages with peers from peers, times a few seconds
// to minutes apart from start, 2% of them delayed (older than the one
// before), as they would arrive.
func (g *textGen) messages(n int, peers []string, start time.Time, seq *int) []Message {
	ms := make([]Message, n)
	t := start
	for i := range ms {
		*seq++
		t = t.Add(time.Duration(1+g.rng.IntN(300)) * time.Second)
		m := Message{
			Peer:     peers[g.rng.IntN(len(peers))],
			Dir:      Direction(g.rng.IntN(2)),
			MsgID:    fmt.Sprintf("msg-%d", *seq),
			StanzaID: fmt.Sprintf("stanza-%d", *seq),
			Time:     t,
			Body:     g.body(),
		}
		if m.Dir == Out {
			m.State = Delivered
		}
		if g.rng.IntN(50) == 0 {
			m.Time = t.Add(-time.Duration(g.rng.IntN(3600)) * time.Second)
			m.Delayed, m.DelayFrom = true, "example.org"
		}
		ms[i] = m
	}
	return ms
}

var benchStart = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func peerNames(n int) []string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("contact%04d@example.org", i)
	}
	return ps
}

// cachedArchive returns the path of a benchmark archive, building it with
// build if the cache in os.TempDir() does not have it yet.
func cachedArchive(b *testing.B, kind string, size int, build func(s *Store)) string {
	b.Helper()
	h := sha256.New()
	for _, m := range migrations {
		h.Write([]byte(m.sql))
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("palaver-history-bench-%x-g%d-%s-%d.db", h.Sum(nil)[:6], benchGenVersion, kind, size))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := fmt.Sprintf("%s.building-%d", path, os.Getpid())
	os.Remove(tmp)
	s, err := Open(tmp)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	build(s)
	if n, err := s.Count(ctx, ""); err != nil || n != size {
		b.Fatalf("built archive has %d messages, %v; want %d", n, err, size)
	}
	if _, err := s.db.Exec(`INSERT INTO messages_fts (messages_fts) VALUES ('optimize')`); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	fi, _ := os.Stat(path)
	b.Logf("built %s in %v (%d MB)", path, time.Since(start).Round(time.Second), fi.Size()>>20)
	return path
}

// addInBatches adds n generated messages in transactions of batch.
func addInBatches(b *testing.B, s *Store, g *textGen, n, batch int, peers []string) {
	seq := 0
	t := benchStart
	for done := 0; done < n; done += batch {
		ms := g.messages(min(batch, n-done), peers, t, &seq)
		t = ms[len(ms)-1].Time
		if _, err := s.AddBatch(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsert100k archives 100 000 messages in a new archive: one Add
// per message as they arrive live, or AddBatch pages of 500 as from the
// server's archive. ns/op is the whole 100 000; ns/msg per message.
func BenchmarkInsert100k(b *testing.B) {
	const n = 100_000
	ms := newTextGen(1).messages(n, peerNames(50), benchStart, new(int))
	for _, c := range []struct {
		name  string
		batch int
	}{{"Add", 1}, {"AddBatch500", 500}} {
		b.Run(c.name, func(b *testing.B) {
			var cpu time.Duration
			for range b.N {
				b.StopTimer()
				s, err := Open(filepath.Join(b.TempDir(), "insert.db"))
				if err != nil {
					b.Fatal(err)
				}
				c0 := cpuTime()
				b.StartTimer()
				if c.batch == 1 {
					for _, m := range ms {
						if _, _, err := s.Add(ctx, m); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					for i := 0; i < n; i += c.batch {
						if _, err := s.AddBatch(ctx, ms[i:i+c.batch]); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/msg")
		})
	}
}

// BenchmarkFirstScreen reads the newest 50 messages of a conversation of
// 100 000: "warm" on an open archive, "open" including opening it.
func BenchmarkFirstScreen(b *testing.B) {
	const n = 100_000
	peer := "friend@example.org"
	path := cachedArchive(b, "conversation", n, func(s *Store) {
		addInBatches(b, s, newTextGen(2), n, 10_000, []string{peer})
	})
	b.Run("warm", func(b *testing.B) {
		s, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.ResetTimer()
		c0 := cpuTime()
		for range b.N {
			ms, err := s.Page(ctx, peer, Cursor{}, 50)
			if err != nil || len(ms) != 50 {
				b.Fatalf("%d messages, %v", len(ms), err)
			}
		}
		reportCPU(b, c0)
	})
	b.Run("open", func(b *testing.B) {
		c0 := cpuTime()
		for range b.N {
			s, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			ms, err := s.Page(ctx, peer, Cursor{}, 50)
			if err != nil || len(ms) != 50 {
				b.Fatalf("%d messages, %v", len(ms), err)
			}
			s.Close()
		}
		reportCPU(b, c0)
	})
}

// reportCPU reports the process's CPU time per op since c0: on a busy
// machine it is steadier than the wall time (ns/op).
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkSearch1M searches an archive of 1 000 000 messages over 1000
// conversations for the newest 50 hits.
func BenchmarkSearch1M(b *testing.B) {
	const n = 1_000_000
	path := cachedArchive(b, "search", n, func(s *Store) {
		addInBatches(b, s, newTextGen(3), n, 20_000, peerNames(1000))
	})
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct{ name, query string }{
		{"common", "the"},          // prefix: the, them, then, there...
		{"common-word", "the "},    // the word only
		{"common-4", "that"},       // prefix longer than the prefix indexes
		{"two-words", "meet tomo"}, // as typed
		{"rare", "quokka"},
		{"absent", "nonexistentword"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var hits []Hit
			c0 := cpuTime()
			for range b.N {
				hits, err = s.Search(ctx, c.query, 50)
				if err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(len(hits)), "hits")
		})
	}
}
