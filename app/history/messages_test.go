package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDedupe(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		const alice, bob = "alice@example.org", "bob@example.org"
		add := func(m Message) (int64, bool) {
			t.Helper()
			if m.Time.IsZero() {
				m.Time = t0
			}
			id, added, err := s.Add(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			return id, added
		}
		expect := func(what string, gotID int64, gotAdded bool, wantID int64, wantAdded bool) {
			t.Helper()
			if gotAdded != wantAdded || (wantID != 0 && gotID != wantID) || gotID == 0 {
				t.Errorf("%s: id %d added %v; want id %d added %v", what, gotID, gotAdded, wantID, wantAdded)
			}
		}

		// Same peer and stanza-id: duplicate, whatever else differs.
		a, ok := add(Message{Peer: alice, StanzaID: "S1", MsgID: "m1", Body: "hello"})
		expect("first", a, ok, 0, true)
		id, ok := add(Message{Peer: alice, StanzaID: "S1", MsgID: "other", Body: "changed", Dir: Out})
		expect("same stanza-id", id, ok, a, false)
		id, ok = add(Message{Peer: bob, StanzaID: "S1", Body: "hello"})
		expect("same stanza-id, other peer", id, ok, 0, true)

		// Same peer, dir, msg id and body: duplicate.
		id, ok = add(Message{Peer: alice, MsgID: "m1", Body: "hello"})
		expect("same msg id and body", id, ok, a, false)
		id, ok = add(Message{Peer: alice, MsgID: "m1", Body: "hello again"})
		expect("same msg id, other body", id, ok, 0, true)
		id, ok = add(Message{Peer: alice, MsgID: "m1", Body: "hello", Dir: Out})
		expect("same msg id and body, other direction", id, ok, 0, true)
		id, ok = add(Message{Peer: bob, MsgID: "m1", Body: "hello"})
		expect("same msg id and body, other peer", id, ok, 0, true)

		// Empty ids never match.
		e1, ok := add(Message{Peer: alice, Body: "no ids"})
		expect("no ids", e1, ok, 0, true)
		e2, ok := add(Message{Peer: alice, Body: "no ids"})
		expect("no ids again", e2, ok, 0, true)
		if e1 == e2 {
			t.Error("messages without ids were merged")
		}

		// Our message, then its copy from the server with a stanza-id:
		// the copy is a duplicate and the row takes the stanza-id.
		out, ok := add(Message{Peer: alice, Dir: Out, MsgID: "o1", Body: "sent by me", State: Pending})
		expect("outgoing", out, ok, 0, true)
		id, ok = add(Message{Peer: alice, Dir: Out, MsgID: "o1", StanzaID: "S2", Body: "sent by me", State: Sent})
		expect("server copy", id, ok, out, false)
		id, ok = add(Message{Peer: alice, Dir: Out, StanzaID: "S2", Body: "sent by me"})
		expect("by the filled-in stanza-id", id, ok, out, false)
		// A row that has a stanza-id keeps it.
		id, ok = add(Message{Peer: alice, Dir: Out, MsgID: "o1", StanzaID: "S3", Body: "sent by me"})
		expect("same msg id, other stanza-id", id, ok, out, false)

		ms, err := s.Page(ctx, alice, Cursor{}, MaxPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.ID == out && (m.StanzaID != "S2" || m.State != Pending) {
				t.Errorf("outgoing message after dedupe: %+v; want stanza-id S2, state unchanged", m)
			}
		}
		if len(ms) != 6 {
			t.Errorf("%d messages with alice, want 6", len(ms))
		}
	})
}

func TestAddBatch(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		pre := mustAdd(t, s, Message{Peer: "p@x", StanzaID: "old", Body: "before", Time: t0})
		batch := []Message{
			{Peer: "p@x", StanzaID: "a", Body: "one", Time: t0.Add(1)},
			{Peer: "p@x", StanzaID: "old", Body: "before", Time: t0},
			{Peer: "p@x", StanzaID: "b", Body: "two", Time: t0.Add(2)},
			{Peer: "p@x", StanzaID: "a", Body: "one", Time: t0.Add(1)},
			{Peer: "q@x", MsgID: "m", Body: "three", Time: t0.Add(3)},
			{Peer: "q@x", MsgID: "m", Body: "three", Time: t0.Add(3)},
		}
		ids, err := s.AddBatch(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != len(batch) {
			t.Fatalf("%d ids for %d messages", len(ids), len(batch))
		}
		if ids[1] != pre || ids[3] != ids[0] || ids[5] != ids[4] {
			t.Errorf("duplicate ids: %v (pre-existing %d)", ids, pre)
		}
		if ids[0] == ids[2] || ids[0] == pre || ids[2] == ids[4] {
			t.Errorf("distinct messages share ids: %v", ids)
		}
		if n, _ := s.Count(ctx, ""); n != 4 {
			t.Errorf("count %d, want 4", n)
		}

		// One invalid message: nothing is added.
		if _, err := s.AddBatch(ctx, []Message{{Peer: "p@x", Body: "fine"}, {Body: "no peer"}}); err == nil {
			t.Error("AddBatch with a message without peer succeeded")
		}
		if n, _ := s.Count(ctx, ""); n != 4 {
			t.Errorf("count %d after a failed batch, want 4", n)
		}
		// A cancelled context: nothing is added.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.AddBatch(cctx, []Message{{Peer: "p@x", Body: "fine"}}); err == nil {
			t.Error("AddBatch with a cancelled context succeeded")
		}
		if n, _ := s.Count(ctx, ""); n != 4 {
			t.Errorf("count %d after a cancelled batch, want 4", n)
		}
	})
}

func TestTimesAndFieldsRoundTrip(t *testing.T) {
	s := openMem(t)
	berlin := time.FixedZone("CET", 3600)
	in := Message{Peer: "p@x", Dir: In, MsgID: "m", StanzaID: "s",
		Time:    time.Date(2024, 12, 31, 23, 59, 59, 123456789, berlin),
		Delayed: true, DelayFrom: "x", DelayReason: "Offline Storage",
		Body: "multi\nline \x00 body ✓", State: Received}
	id := mustAdd(t, s, in)
	ms, err := s.Page(ctx, "p@x", Cursor{}, 1)
	if err != nil || len(ms) != 1 {
		t.Fatalf("%v %v", ms, err)
	}
	want := in
	want.ID = id
	want.Time = in.Time.Truncate(time.Microsecond).UTC()
	if !reflect.DeepEqual(ms[0], want) {
		t.Fatalf("got  %+v\nwant %+v", ms[0], want)
	}
	// A zero time is taken as now.
	before := time.Now().Add(-time.Second)
	mustAdd(t, s, Message{Peer: "z@x", Body: "when?"})
	ms, _ = s.Page(ctx, "z@x", Cursor{}, 1)
	if len(ms) != 1 || ms[0].Time.Before(before) || ms[0].Time.After(time.Now().Add(time.Second)) {
		t.Fatalf("zero time stored as %v", ms)
	}
}

func TestDelayedMessagesOrdered(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		// Inserted in this order; times say otherwise (delayed messages
		// arrive after newer ones).
		offsets := []int{5, 1, 9, 3, 7, 2, 8, 4, 6, 0}
		for _, o := range offsets {
			m := Message{Peer: "p@x", Time: t0.Add(time.Duration(o) * time.Minute), Body: fmt.Sprint(o)}
			m.Delayed = o < 5
			mustAdd(t, s, m)
		}
		ms, err := s.Page(ctx, "p@x", Cursor{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Body)
		}
		if want := "0 1 2 3 4 5 6 7 8 9"; strings.Join(got, " ") != want {
			t.Fatalf("order %v, want %s", got, want)
		}
		// Paging from the middle by cursor.
		before, err := s.Page(ctx, "p@x", ms[5].At(), 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(before) != 3 || before[0].Body != "2" || before[2].Body != "4" {
			t.Fatalf("page before 5: %+v", before)
		}
	})
}

// TestPagingEqualTimestamps walks back through a conversation where many
// messages share a timestamp: no message is skipped or repeated.
func TestPagingEqualTimestamps(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		rng := rand.New(rand.NewPCG(1, 2))
		var batch []Message
		for i := range 60 {
			// Only 5 distinct times, in random insertion order.
			tm := t0.Add(time.Duration(rng.IntN(5)) * time.Second)
			batch = append(batch, Message{Peer: "p@x", Time: tm, Body: fmt.Sprint(i)})
			if i%3 == 0 {
				batch = append(batch, Message{Peer: "other@x", Time: tm, Body: "noise"})
			}
		}
		if _, err := s.AddBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		all, err := s.Page(ctx, "p@x", Cursor{}, MaxPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 60 {
			t.Fatalf("%d messages, want 60", len(all))
		}
		if !slices.IsSortedFunc(all, cmpMsg) {
			t.Fatal("not in (time, id) order")
		}
		for _, size := range []int{1, 7, 13, 100} {
			var walked []Message
			cur := Cursor{}
			for {
				page, err := s.Page(ctx, "p@x", cur, size)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				if len(page) > size {
					t.Fatalf("page of %d, asked %d", len(page), size)
				}
				walked = append(page, walked...)
				cur = page[0].At()
			}
			if !equalMessages(walked, all) {
				t.Fatalf("page size %d: walking back gave %d messages, not the %d in order", size, len(walked), len(all))
			}
			// And down again, from before the oldest to the newest.
			walked = nil
			cur = Cursor{Time: all[0].Time.Add(-time.Second)}
			for {
				page, err := s.PageAfter(ctx, "p@x", cur, size)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > size {
					t.Fatalf("page after of %d, asked %d", len(page), size)
				}
				walked = append(walked, page...)
				if len(page) < size {
					break
				}
				cur = page[len(page)-1].At()
			}
			if !equalMessages(walked, all) {
				t.Fatalf("page size %d: walking down gave %d messages, not the %d in order", size, len(walked), len(all))
			}
		}
		// From the middle: strictly after the cursor.
		after, err := s.PageAfter(ctx, "p@x", all[29].At(), 10)
		if err != nil || !equalMessages(after, all[30:40]) {
			t.Fatalf("after the 30th: %d messages, %v; want the 31st to 40th", len(after), err)
		}
		if last, err := s.PageAfter(ctx, "p@x", all[59].At(), 10); err != nil || len(last) != 0 {
			t.Fatalf("after the newest: %d messages, %v", len(last), err)
		}
	})
}

func cmpMsg(a, b Message) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return int(a.ID - b.ID)
}

// lowerPageCap makes the cap on n small for one test, so that testing it
// needs few messages (inserts are slow under -race).
func lowerPageCap(t *testing.T, n int) {
	old := pageCap
	pageCap = n
	t.Cleanup(func() { pageCap = old })
}

func TestPageLimits(t *testing.T) {
	lowerPageCap(t, 10)
	s := openMem(t)
	var batch []Message
	for i := range 15 {
		batch = append(batch, Message{Peer: "p@x", Time: t0.Add(time.Duration(i) * time.Second), Body: "x"})
	}
	if _, err := s.AddBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Page(ctx, "p@x", Cursor{}, 12)
	if err != nil || len(ms) != 10 {
		t.Fatalf("n above the cap: %d messages, %v", len(ms), err)
	}
	if !ms[9].Time.Equal(t0.Add(14 * time.Second)) {
		t.Fatalf("capped page does not end with the newest: %+v", ms[9])
	}
	for _, n := range []int{0, -1} {
		if ms, err := s.Page(ctx, "p@x", Cursor{}, n); err != nil || len(ms) != 0 {
			t.Fatalf("n=%d: %d messages, %v", n, len(ms), err)
		}
	}
	if ms, err := s.Page(ctx, "nobody@x", Cursor{}, 10); err != nil || len(ms) != 0 {
		t.Fatalf("unknown peer: %v, %v", ms, err)
	}
	after, err := s.PageAfter(ctx, "p@x", Cursor{Time: t0.Add(-time.Second)}, 12)
	if err != nil || len(after) != 10 || !after[0].Time.Equal(t0) {
		t.Fatalf("PageAfter with n above the cap: %d messages, %v", len(after), err)
	}
	for _, n := range []int{0, -1} {
		if ms, err := s.PageAfter(ctx, "p@x", Cursor{}, n); err != nil || len(ms) != 0 {
			t.Fatalf("PageAfter n=%d: %d messages, %v", n, len(ms), err)
		}
	}
}

func TestSetStateAndPending(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		// The incoming message with the same id must not be touched.
		mustAdd(t, s, Message{Peer: "p@x", Dir: In, MsgID: "a", Body: "theirs", Time: t0})
		mustAdd(t, s, Message{Peer: "p@x", Dir: Out, MsgID: "b", Body: "2nd", State: Pending, Time: t0.Add(2 * time.Second)})
		mustAdd(t, s, Message{Peer: "q@x", Dir: Out, MsgID: "a", Body: "1st", State: Pending, Time: t0.Add(time.Second)})
		mustAdd(t, s, Message{Peer: "p@x", Dir: Out, MsgID: "a", Body: "3rd", State: Pending, Time: t0.Add(3 * time.Second)})

		pending := func() string {
			t.Helper()
			ms, err := s.Pending(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var b []string
			for _, m := range ms {
				b = append(b, m.Body)
			}
			return strings.Join(b, ",")
		}
		if got := pending(); got != "1st,2nd,3rd" {
			t.Fatalf("pending %q", got)
		}
		set := func(peer, id string, st State, wantFound bool) {
			t.Helper()
			found, err := s.SetState(ctx, peer, id, st)
			if err != nil || found != wantFound {
				t.Fatalf("SetState(%s, %s, %d): %v, %v; want %v", peer, id, st, found, err, wantFound)
			}
		}
		set("p@x", "a", Sent, true)
		set("p@x", "nope", Sent, false)
		set("p@x", "", Sent, false)
		if got := pending(); got != "1st,2nd" {
			t.Fatalf("pending %q", got)
		}
		set("p@x", "a", Delivered, true)
		set("p@x", "a", Sent, true) // late ack: stays Delivered
		set("q@x", "a", Failed, true)
		set("p@x", "b", Sent, true)
		if got := pending(); got != "" {
			t.Fatalf("pending %q", got)
		}
		ms, _ := s.Page(ctx, "p@x", Cursor{}, 10)
		states := map[string]State{}
		for _, m := range ms {
			states[m.Body] = m.State
		}
		if states["theirs"] != Received || states["3rd"] != Delivered || states["2nd"] != Sent {
			t.Fatalf("states %v", states)
		}
		ms, _ = s.Page(ctx, "q@x", Cursor{}, 10)
		if len(ms) != 1 || ms[0].State != Failed {
			t.Fatalf("q@x: %+v", ms)
		}
	})
}

func TestLastStanzaID(t *testing.T) {
	s := openMem(t)
	id, tm, err := s.LastStanzaID(ctx)
	if err != nil || id != "" || !tm.IsZero() {
		t.Fatalf("empty archive: %q %v %v", id, tm, err)
	}
	mustAdd(t, s, Message{Peer: "a@x", StanzaID: "s-new", Time: t0.Add(time.Hour)})
	mustAdd(t, s, Message{Peer: "b@x", StanzaID: "s-old", Time: t0}) // archived later, older
	mustAdd(t, s, Message{Peer: "b@x", Time: t0.Add(2 * time.Hour)}) // newest, no stanza-id
	id, tm, err = s.LastStanzaID(ctx)
	if err != nil || id != "s-new" || !tm.Equal(t0.Add(time.Hour)) {
		t.Fatalf("got %q %v %v; want s-new", id, tm, err)
	}
}

// TestConcurrentUse writes and reads from many goroutines at once (run
// with -race).
func TestConcurrentUse(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		const writers, perWriter = 4, 15
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for w := range writers {
			wg.Go(func() {
				peer := fmt.Sprintf("peer%d@x", w)
				for i := range perWriter {
					m := Message{Peer: peer, MsgID: fmt.Sprint(i), Body: fmt.Sprintf("word%d concurrent", i), Time: t0.Add(time.Duration(i))}
					var err error
					if i%4 == 0 {
						_, err = s.AddBatch(ctx, []Message{m, m})
					} else {
						_, _, err = s.Add(ctx, m)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		for r := range 4 {
			wg.Go(func() {
				for range 15 {
					var err error
					switch r {
					case 0:
						_, err = s.Page(ctx, "peer1@x", Cursor{}, 20)
					case 1:
						_, err = s.Search(ctx, "concurrent", 20)
					case 2:
						err = s.SetPhotoHash(ctx, "peer1@x", "h")
					default:
						_, err = s.Pending(ctx)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n, err := s.Count(ctx, ""); err != nil || n != writers*perWriter {
			t.Fatalf("count %d, %v; want %d", n, err, writers*perWriter)
		}
	})
}

// TestCloseWhileBusy closes the store while others use it: no race, no
// panic, and operations after Close fail with ErrClosed.
func TestCloseWhileBusy(t *testing.T) {
	s, _ := openTemp(t)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				_, _, err := s.Add(ctx, Message{Peer: "p@x", Body: "x", Time: t0.Add(time.Duration(i))})
				if err != nil {
					if err != ErrClosed {
						t.Errorf("Add: %v", err)
					}
					return
				}
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}
