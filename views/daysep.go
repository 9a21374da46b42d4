package views

import (
	"time"
)

// Words for times relative to now. They take the clock and the time zone
// as arguments (the views pass clock.now() and clock.loc) so that tests
// can fix both.

// daysBefore returns how many calendar days the date of t lies before the
// date of now, both taken in loc; negative when t is on a later day.
// Dates are compared, not durations: 23:59 and 00:01 are a day apart.
func daysBefore(t, now time.Time, loc *time.Location) int {
	civil := func(x time.Time) time.Time {
		y, m, d := x.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return int(civil(now).Sub(civil(t)).Hours() / 24)
}

// sameDay reports whether a and b fall on the same date in loc.
func sameDay(a, b time.Time, loc *time.Location) bool {
	ya, ma, da := a.In(loc).Date()
	yb, mb, db := b.In(loc).Date()
	return ya == yb && ma == mb && da == db
}

// dayLabel names the day of t for a day separator: "Today", "Yesterday",
// the weekday within the last week, else the date ("Mon 2 Nov 2026").
func dayLabel(t, now time.Time, loc *time.Location) string {
	switch d := daysBefore(t, now, loc); {
	case d == 0:
		return "Today"
	case d == 1:
		return "Yesterday"
	case d > 1 && d < 7:
		return t.In(loc).Weekday().String()
	}
	return t.In(loc).Format("Mon 2 Jan 2006")
}

// whenText says when t was, for a sentence: "today 22:14",
// "yesterday 22:14", "Monday 22:14", "Mon 2 Nov 2026 22:14".
func whenText(t, now time.Time, loc *time.Location) string {
	hm := t.In(loc).Format("15:04")
	switch d := daysBefore(t, now, loc); {
	case d == 0:
		return "today " + hm
	case d == 1:
		return "yesterday " + hm
	case d > 1 && d < 7:
		return t.In(loc).Weekday().String() + " " + hm
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04")
}

// shortWhen is a compact time for lists: the clock time today,
// "Yesterday", the weekday within the last week, else the date.
func shortWhen(t, now time.Time, loc *time.Location) string {
	switch d := daysBefore(t, now, loc); {
	case d == 0:
		return t.In(loc).Format("15:04")
	case d == 1:
		return "Yesterday"
	case d > 1 && d < 7:
		return t.In(loc).Weekday().String()
	}
	return t.In(loc).Format("2 Jan 2006")
}

// delayNote marks a message that was delivered late (XEP-0203): when it
// was sent, and who held it and why when the delay element says so, e.g.
// "Sent yesterday 22:14, delivered late by example.org (Offline Storage)".
func delayNote(sent, now time.Time, loc *time.Location, from, reason string) string {
	s := "Sent " + whenText(sent, now, loc) + ", delivered late"
	if from != "" {
		s += " by " + clipRunes(from, 100)
	}
	if reason != "" {
		s += " (" + clipRunes(reason, 200) + ")"
	}
	return s
}
