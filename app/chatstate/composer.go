package chatstate

import "time"

// Timeouts of the Composer, as XEP-0085 §5 suggests them.
const (
	// PauseAfter is how long the user may stop typing before composing
	// becomes paused.
	PauseAfter = 5 * time.Second
	// InactiveAfter is how long the conversation may stay unfocused before
	// the state becomes inactive.
	InactiveAfter = 2 * time.Minute
)

// Composer is the chat state machine of one conversation: it turns the
// user's activities into the states to send, and reports a state only when
// it changes, so that a contact is never flooded.
//
// A Composer does not read the clock or start timers: every call takes the
// current time, Due says when Tick must next be called, and Tick performs
// the timed changes (composing → paused, unfocused → inactive).
//
// The transitions, from the state last reported (none at first):
//
//   - Typed: composing, unless already composing. This also holds after
//     gone: typing into a closed conversation reopens it.
//   - Sent: active, always reported, because the message being sent carries
//     it (XEP-0085 §5.1): attach it to the message, do not send it alone.
//   - Focused: active when the state is none, inactive or gone; composing
//     and paused stay as they are.
//   - Unfocused: nothing at once; InactiveAfter later, inactive (unless the
//     state is none, inactive or gone by then). Typed and Sent while
//     unfocused count as interaction and restart that countdown.
//   - Closed: gone, unless the state is none (no conversation to leave) or
//     already gone. Timers stop.
//   - PauseAfter without Typed while composing: paused.
//
// The zero Composer is ready to use: no state, focused.
// A Composer is not safe for concurrent use.
type Composer struct {
	state     State
	unfocused bool
	lastTyped time.Time
	// idleSince is when the countdown to inactive started (valid while unfocused).
	idleSince time.Time
}

// State returns the state last reported ("" when none).
func (c *Composer) State() State { return c.state }

// Do records activity a at time now and returns the state to send, if any.
// Timed changes due by now are applied first, and only the resulting state
// is reported, so that a late Tick never causes a repeat.
func (c *Composer) Do(a Activity, now time.Time) (State, bool) {
	before := c.state
	c.advance(now)
	switch a {
	case Typed:
		c.lastTyped, c.idleSince = now, now
		c.state = Composing
	case Sent:
		c.idleSince = now
		c.state = Active
		return Active, true
	case Focused:
		c.unfocused = false
		switch c.state {
		case "", Inactive, Gone:
			c.state = Active
		}
	case Unfocused:
		if !c.unfocused {
			c.unfocused, c.idleSince = true, now
		}
	case Closed:
		c.unfocused = false
		if c.state != "" {
			c.state = Gone
		}
	}
	return c.changed(before)
}

// changed reports the current state if it differs from before.
func (c *Composer) changed(before State) (State, bool) {
	if c.state == before {
		return "", false
	}
	return c.state, true
}

// Due returns when the next timed change is due; false when none is pending.
func (c *Composer) Due() (time.Time, bool) {
	var due time.Time
	ok := false
	if c.state == Composing {
		due, ok = c.lastTyped.Add(PauseAfter), true
	}
	if c.inactivePending() {
		if t := c.idleSince.Add(InactiveAfter); !ok || t.Before(due) {
			due, ok = t, true
		}
	}
	return due, ok
}

func (c *Composer) inactivePending() bool {
	if !c.unfocused {
		return false
	}
	switch c.state {
	case Active, Composing, Paused:
		return true
	}
	return false
}

// Tick applies the timed changes due by now and returns the state to send,
// if any. When several are due at once only the last one is reported.
func (c *Composer) Tick(now time.Time) (State, bool) {
	before := c.state
	c.advance(now)
	return c.changed(before)
}

// advance applies the timed changes due by now.
func (c *Composer) advance(now time.Time) {
	if c.state == Composing && !now.Before(c.lastTyped.Add(PauseAfter)) {
		c.state = Paused
	}
	if c.inactivePending() && !now.Before(c.idleSince.Add(InactiveAfter)) {
		c.state = Inactive
	}
}
