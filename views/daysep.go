package views

import (
	"time"

	"fyne.io/fyne/v2/lang"
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
		return lang.L("Today")
	case d == 1:
		return lang.L("Yesterday")
	case d > 1 && d < 7:
		return weekdayName(t.In(loc).Weekday())
	}
	return lang.L("{{.Weekday}} {{.Day}} {{.Month}} {{.Year}}", dateData(t.In(loc)))
}

// whenText says when t was, for a sentence: "today 22:14",
// "yesterday 22:14", "Monday 22:14", "Mon 2 Nov 2026 22:14".
func whenText(t, now time.Time, loc *time.Location) string {
	d := dateData(t.In(loc))
	switch days := daysBefore(t, now, loc); {
	case days == 0:
		return lang.L("today {{.Time}}", d)
	case days == 1:
		return lang.L("yesterday {{.Time}}", d)
	case days > 1 && days < 7:
		d.Weekday = weekdayName(t.In(loc).Weekday())
		return lang.L("{{.Weekday}} {{.Time}}", d)
	}
	return lang.L("{{.Weekday}} {{.Day}} {{.Month}} {{.Year}} {{.Time}}", d)
}

// shortWhen is a compact time for lists: the clock time today,
// "Yesterday", the weekday within the last week, else the date.
func shortWhen(t, now time.Time, loc *time.Location) string {
	switch d := daysBefore(t, now, loc); {
	case d == 0:
		return t.In(loc).Format("15:04")
	case d == 1:
		return lang.L("Yesterday")
	case d > 1 && d < 7:
		return weekdayName(t.In(loc).Weekday())
	}
	return lang.L("{{.Day}} {{.Month}} {{.Year}}", dateData(t.In(loc)))
}

// dateFields is what the date templates take of a time: the short
// weekday and month names of the language, the day, the year and the
// clock time.
type dateFields struct {
	Weekday, Month, Time string
	Day, Year            int
}

// dateData is the dateFields of t, already in the zone shown.
func dateData(t time.Time) dateFields {
	return dateFields{
		Weekday: shortWeekdayName(t.Weekday()),
		Day:     t.Day(),
		Month:   shortMonthName(t.Month()),
		Year:    t.Year(),
		Time:    t.Format("15:04"),
	}
}

// weekdayName is the name of w in the language shown.
func weekdayName(w time.Weekday) string {
	switch w {
	case time.Monday:
		return lang.L("Monday")
	case time.Tuesday:
		return lang.L("Tuesday")
	case time.Wednesday:
		return lang.L("Wednesday")
	case time.Thursday:
		return lang.L("Thursday")
	case time.Friday:
		return lang.L("Friday")
	case time.Saturday:
		return lang.L("Saturday")
	}
	return lang.L("Sunday")
}

// shortWeekdayName is the short name of w in the language shown.
func shortWeekdayName(w time.Weekday) string {
	switch w {
	case time.Monday:
		return lang.L("Mon")
	case time.Tuesday:
		return lang.L("Tue")
	case time.Wednesday:
		return lang.L("Wed")
	case time.Thursday:
		return lang.L("Thu")
	case time.Friday:
		return lang.L("Fri")
	case time.Saturday:
		return lang.L("Sat")
	}
	return lang.L("Sun")
}

// shortMonthName is the short name of m in the language shown.
func shortMonthName(m time.Month) string {
	switch m {
	case time.January:
		return lang.L("Jan")
	case time.February:
		return lang.L("Feb")
	case time.March:
		return lang.L("Mar")
	case time.April:
		return lang.L("Apr")
	case time.May:
		return lang.L("May")
	case time.June:
		return lang.L("Jun")
	case time.July:
		return lang.L("Jul")
	case time.August:
		return lang.L("Aug")
	case time.September:
		return lang.L("Sep")
	case time.October:
		return lang.L("Oct")
	case time.November:
		return lang.L("Nov")
	}
	return lang.L("Dec")
}

// delayNote marks a message that was delivered late (XEP-0203): when it
// was sent, and who held it and why when the delay element says so, e.g.
// "Sent yesterday 22:14, delivered late by example.org (Offline Storage)".
func delayNote(sent, now time.Time, loc *time.Location, from, reason string) string {
	d := struct{ When, Server, Reason string }{whenText(sent, now, loc), clipRunes(from, 100), clipRunes(reason, 200)}
	switch {
	case from != "" && reason != "":
		return lang.L("Sent {{.When}}, delivered late by {{.Server}} ({{.Reason}})", d)
	case from != "":
		return lang.L("Sent {{.When}}, delivered late by {{.Server}}", d)
	case reason != "":
		return lang.L("Sent {{.When}}, delivered late ({{.Reason}})", d)
	}
	return lang.L("Sent {{.When}}, delivered late", d)
}
