package chatstate_test

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"mellium.im/xmlstream"

	"github.com/palaver-im/palaver/app/chatstate"
)

func TestParse(t *testing.T) {
	for i, tc := range []struct {
		name xml.Name
		want chatstate.State
		ok   bool
	}{
		0: {xml.Name{Space: chatstate.NS, Local: "active"}, chatstate.Active, true},
		1: {xml.Name{Space: chatstate.NS, Local: "composing"}, chatstate.Composing, true},
		2: {xml.Name{Space: chatstate.NS, Local: "paused"}, chatstate.Paused, true},
		3: {xml.Name{Space: chatstate.NS, Local: "inactive"}, chatstate.Inactive, true},
		4: {xml.Name{Space: chatstate.NS, Local: "gone"}, chatstate.Gone, true},
		5: {xml.Name{Space: chatstate.NS, Local: "typing"}, "", false},
		6: {xml.Name{Space: "urn:other", Local: "active"}, "", false},
		7: {xml.Name{Local: "active"}, "", false},
		8: {xml.Name{Space: chatstate.NS, Local: "Active"}, "", false},
	} {
		got, ok := chatstate.Parse(tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%d: Parse(%v) = %q %v, want %q %v", i, tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTokenReader(t *testing.T) {
	for i, tc := range []struct {
		s    chatstate.State
		want string
	}{
		0: {chatstate.Composing, `<composing xmlns="http://jabber.org/protocol/chatstates"></composing>`},
		1: {chatstate.Gone, `<gone xmlns="http://jabber.org/protocol/chatstates"></gone>`},
		2: {"", ``},
		3: {"bogus", ``},
	} {
		var buf bytes.Buffer
		e := xml.NewEncoder(&buf)
		if _, err := xmlstream.Copy(e, tc.s.TokenReader()); err != nil {
			t.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tc.want {
			t.Errorf("%d: got %s, want %s", i, buf.String(), tc.want)
		}
	}
}

// tick stands for a call of Tick in a step.
const tick chatstate.Activity = -1

type step struct {
	at   time.Duration // since the start of the test
	a    chatstate.Activity
	want chatstate.State // "" when nothing must be sent
}

func run(t *testing.T, steps []step) {
	t.Helper()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var c chatstate.Composer
	for j, st := range steps {
		now := t0.Add(st.at)
		var got chatstate.State
		var ok bool
		if st.a == tick {
			got, ok = c.Tick(now)
		} else {
			got, ok = c.Do(st.a, now)
		}
		if ok != (st.want != "") || got != st.want {
			t.Fatalf("step %d (%v at %v): got %q %v, want %q", j, name(st.a), st.at, got, ok, st.want)
		}
		if ok && c.State() != got {
			t.Fatalf("step %d: State() = %q after reporting %q", j, c.State(), got)
		}
	}
}

func name(a chatstate.Activity) string {
	return map[chatstate.Activity]string{tick: "Tick", chatstate.Typed: "Typed", chatstate.Sent: "Sent",
		chatstate.Focused: "Focused", chatstate.Unfocused: "Unfocused", chatstate.Closed: "Closed"}[a]
}

func TestComposer(t *testing.T) {
	const (
		typed     = chatstate.Typed
		sent      = chatstate.Sent
		focused   = chatstate.Focused
		unfocused = chatstate.Unfocused
		closed    = chatstate.Closed
		s         = time.Second
		m         = time.Minute
	)
	for name, steps := range map[string][]step{
		"typed composes once": {
			{0, typed, chatstate.Composing}, {1 * s, typed, ""}, {2 * s, typed, ""}, {6 * s, typed, ""},
		},
		"pause after 5s": {
			{0, typed, chatstate.Composing}, {4 * s, tick, ""}, {5 * s, tick, chatstate.Paused}, {6 * s, tick, ""},
		},
		"typing postpones the pause": {
			{0, typed, chatstate.Composing}, {4 * s, typed, ""}, {8 * s, tick, ""}, {9 * s, tick, chatstate.Paused},
		},
		"typed after paused composes again": {
			{0, typed, chatstate.Composing}, {5 * s, tick, chatstate.Paused}, {7 * s, typed, chatstate.Composing},
		},
		"late typed without tick is no repeat": {
			{0, typed, chatstate.Composing}, {30 * s, typed, ""}, {34 * s, tick, ""}, {35 * s, tick, chatstate.Paused},
		},
		"late tick reports the pause": {
			{0, typed, chatstate.Composing}, {time.Hour, focused, chatstate.Paused},
		},
		"sent is active and always reported": {
			{0, sent, chatstate.Active}, {1 * s, sent, chatstate.Active},
			{2 * s, typed, chatstate.Composing}, {3 * s, sent, chatstate.Active}, {10 * s, tick, ""},
		},
		"focus from none is active": {
			{0, focused, chatstate.Active}, {1 * s, focused, ""},
		},
		"focus keeps composing and paused": {
			{0, typed, chatstate.Composing}, {1 * s, focused, ""}, {5 * s, tick, chatstate.Paused}, {6 * s, focused, ""},
		},
		"inactive two minutes after unfocus": {
			{0, focused, chatstate.Active}, {1 * s, unfocused, ""}, {1*s + 2*m - 1, tick, ""},
			{1*s + 2*m, tick, chatstate.Inactive}, {5 * m, tick, ""}, {6 * m, unfocused, ""},
		},
		"focus again within two minutes": {
			{0, focused, chatstate.Active}, {1 * s, unfocused, ""}, {1 * m, focused, ""}, {10 * m, tick, ""},
		},
		"repeated unfocus does not restart": {
			{0, focused, chatstate.Active}, {0, unfocused, ""}, {1 * m, unfocused, ""}, {2 * m, tick, chatstate.Inactive},
		},
		"focus after inactive is active": {
			{0, focused, chatstate.Active}, {0, unfocused, ""}, {2 * m, tick, chatstate.Inactive}, {3 * m, focused, chatstate.Active},
		},
		"composing then unfocused pauses then goes inactive": {
			{0, focused, chatstate.Active}, {0, typed, chatstate.Composing}, {1 * s, unfocused, ""},
			{5 * s, tick, chatstate.Paused}, {1*s + 2*m, tick, chatstate.Inactive},
		},
		"both due at once reports inactive only": {
			{0, typed, chatstate.Composing}, {0, unfocused, ""}, {3 * m, tick, chatstate.Inactive}, {4 * m, tick, ""},
		},
		"typing while unfocused restarts the countdown": {
			{0, focused, chatstate.Active}, {0, unfocused, ""}, {1 * m, typed, chatstate.Composing},
			{2 * m, tick, chatstate.Paused}, {3*m - 1, tick, ""}, {3 * m, tick, chatstate.Inactive},
		},
		"unfocused from none stays none": {
			{0, unfocused, ""}, {time.Hour, tick, ""},
		},
		"closed is gone once": {
			{0, focused, chatstate.Active}, {1 * s, closed, chatstate.Gone}, {2 * s, closed, ""}, {time.Hour, tick, ""},
		},
		"closed while composing stops the pause": {
			{0, typed, chatstate.Composing}, {1 * s, closed, chatstate.Gone}, {10 * s, tick, ""},
		},
		"closed from none sends nothing": {
			{0, closed, ""},
		},
		"closed stops the inactive countdown": {
			{0, focused, chatstate.Active}, {0, unfocused, ""}, {1 * m, closed, chatstate.Gone}, {10 * m, tick, ""},
		},
		"typed after gone composes": {
			{0, focused, chatstate.Active}, {0, closed, chatstate.Gone}, {1 * s, typed, chatstate.Composing},
		},
		"focus after gone is active": {
			{0, focused, chatstate.Active}, {0, closed, chatstate.Gone}, {1 * s, focused, chatstate.Active},
		},
		"sent after gone is active": {
			{0, focused, chatstate.Active}, {0, closed, chatstate.Gone}, {1 * s, sent, chatstate.Active},
		},
		"unfocused after gone stays gone": {
			{0, focused, chatstate.Active}, {0, closed, chatstate.Gone}, {0, unfocused, ""}, {time.Hour, tick, ""},
		},
	} {
		t.Run(name, func(t *testing.T) { run(t, steps) })
	}
}

func TestComposerDue(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var c chatstate.Composer
	if _, ok := c.Due(); ok {
		t.Fatal("zero Composer has a timer")
	}
	c.Do(chatstate.Focused, t0)
	if _, ok := c.Due(); ok {
		t.Fatal("focused active has a timer")
	}
	c.Do(chatstate.Typed, t0)
	if d, ok := c.Due(); !ok || !d.Equal(t0.Add(chatstate.PauseAfter)) {
		t.Fatalf("composing: Due = %v %v", d, ok)
	}
	c.Do(chatstate.Unfocused, t0.Add(time.Second))
	if d, ok := c.Due(); !ok || !d.Equal(t0.Add(chatstate.PauseAfter)) {
		t.Fatalf("composing, unfocused: Due = %v %v, want the pause first", d, ok)
	}
	c.Tick(t0.Add(chatstate.PauseAfter))
	if d, ok := c.Due(); !ok || !d.Equal(t0.Add(time.Second+chatstate.InactiveAfter)) {
		t.Fatalf("paused, unfocused: Due = %v %v", d, ok)
	}
	c.Tick(t0.Add(time.Hour))
	if c.State() != chatstate.Inactive {
		t.Fatalf("state = %q", c.State())
	}
	if _, ok := c.Due(); ok {
		t.Fatal("inactive has a timer")
	}
}
