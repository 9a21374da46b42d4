package views

import (
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/palaver-im/palaver/views/model"
)

// Messages fetched from the server's archive after a reconnection
// (app.MessageReceived.FromArchive) may be old, and come in bursts over
// several event batches. Each counts as unread, but none pops up a chat
// window or raises a notification of its own: once no more have come for
// catchUpQuiet, one notification sums up those still unread.
const catchUpQuiet = 2 * time.Second

// scheduleCatchUpNotice arranges for catchUpNotice to run once the
// catch-up is quiet, unless it is arranged already.
func (s *session) scheduleCatchUpNotice() {
	if len(s.CaughtUp.Peers) == 0 || s.CaughtUp.Scheduled {
		return
	}
	s.CaughtUp.Scheduled = true
	s.ui.after(catchUpQuiet, s.catchUpNotice)
}

// catchUpNotice sends the catch-up's notification, or waits on while
// messages still come.
func (s *session) catchUpNotice() {
	c := &s.CaughtUp
	c.Scheduled = false
	if s.closed {
		return
	}
	if wait := catchUpQuiet - clock.now().Sub(c.LastAt); wait > 0 {
		c.Scheduled = true
		s.ui.after(wait, s.catchUpNotice)
		return
	}
	var names []string
	total, one := 0, ""
	for _, peer := range c.Peers {
		// Read meanwhile (the window was opened): nothing to announce.
		n := min(c.Count[peer], s.Roster.Unread(peer))
		if n == 0 {
			continue
		}
		total += n
		one = peer
		names = append(names, s.notifyName(peer))
	}
	last := c.Last[one]
	*c = model.CatchUp{}
	if n := catchUpNotification(names, total, last); n != nil {
		s.ui.app.SendNotification(n)
	}
}

// catchUpNotification words the notification for total messages from
// the contacts names (in order of their first message); last is the
// newest text, shown when there is only one message. Nil when total is 0.
func catchUpNotification(names []string, total int, last string) *fyne.Notification {
	switch {
	case total == 0 || len(names) == 0:
		return nil
	case len(names) == 1:
		return notification(names[0], total, last)
	}
	const shown = 3
	// The names are the contacts' own, each kept to one line.
	names = slices.Clone(names)
	for i, name := range names {
		names[i] = plainLine(name)
	}
	var who string
	switch {
	case len(names) <= shown:
		who = lang.L("{{.Names}} and {{.Last}}", map[string]any{"Names": strings.Join(names[:len(names)-1], ", "), "Last": names[len(names)-1]})
	default:
		others := len(names) - shown + 1
		who = lang.N("{{.Names}} and {{.Count}} others", others, map[string]any{"Names": strings.Join(names[:shown-1], ", "), "Count": others})
	}
	text := lang.N("{{.Count}} new messages from {{.Names}}", total, map[string]any{"Count": total, "Names": who})
	return fyne.NewNotification("Palaver", notificationBody(text)) // not translated: the app's name
}
