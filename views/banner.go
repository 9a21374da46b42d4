package views

import (
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/palaver-im/palaver/app"
)

// The connection bar, while the core waits to reconnect, says why the
// connection was lost and counts down to the next attempt. The count is
// kept live by one timer at a time on the UI side, set for the moment the
// number shown changes; it is dropped as soon as the state is no longer
// Waiting (a timer already set then fires once and does nothing).

// countdown is the timer of the connection bar's count.
type countdown struct {
	at    time.Time // the RetryAt counted down to
	gen   int       // bumped to disown the timer set
	armed bool      // a timer for at is set
}

// waitingText words the Waiting state: "Disconnected: <reason>.
// Reconnecting in 8 s…". The reason is errorText's, clipped so that the
// count always shows.
func waitingText(err error, retryAt, now time.Time) string {
	text := connStateText(app.Waiting)
	if err != nil {
		if reason := strings.TrimRight(clipRunes(errorText(err), 120), " ."); reason != "" {
			text += ": " + reason
		}
	}
	if !strings.HasSuffix(text, "…") { // not translated: a character, not words
		text += "."
	}
	if s := secondsLeft(retryAt, now); s > 0 {
		return text + " " + lang.L("Reconnecting in {{.Count}} s…", map[string]any{"Count": s})
	}
	return text + " " + lang.L("Reconnecting…")
}

// secondsLeft is the whole seconds from now until at, rounded up, so
// that the count reads 1 s until the attempt starts; 0 once it is due.
func secondsLeft(at, now time.Time) int {
	left := at.Sub(now)
	if at.IsZero() || left <= 0 {
		return 0
	}
	return int((left + time.Second - 1) / time.Second)
}

// armCountdown sets the timer that updates the count for the attempt at
// retryAt, unless one is set already.
func (u *UI) armCountdown(retryAt time.Time) {
	c := &u.countdown
	if c.armed && c.at.Equal(retryAt) {
		return
	}
	c.gen++
	c.armed = false
	left := retryAt.Sub(clock.now())
	if retryAt.IsZero() || left <= 0 {
		return
	}
	// The number shown changes when left crosses a whole second.
	wait := left % time.Second
	if wait == 0 {
		wait = time.Second
	}
	c.at, c.armed = retryAt, true
	gen := c.gen
	u.after(wait, func() {
		if u.countdown.gen != gen {
			return
		}
		u.countdown.armed = false
		if s := u.only(); s != nil && !s.closed && s.State.State == app.Waiting {
			u.refreshState()
		}
	})
}

// stopCountdown disowns the count's timer.
func (u *UI) stopCountdown() {
	u.countdown.gen++
	u.countdown.armed = false
}
