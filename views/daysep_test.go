package views

import (
	"testing"
	"time"
)

func TestDayLabels(t *testing.T) {
	// Thursday 12 March 2026, 00:30 in a zone an hour east of UTC: still
	// Wednesday in UTC, so a wrong zone shows up as a wrong day.
	loc := time.FixedZone("CET", 3600)
	now := time.Date(2026, 3, 12, 0, 30, 0, 0, loc)
	for i, tc := range []struct {
		t                time.Time
		day, when, short string
	}{
		0: {time.Date(2026, 3, 12, 0, 10, 0, 0, loc), "Today", "today 00:10", "00:10"},
		1: {time.Date(2026, 3, 11, 23, 50, 0, 0, loc), "Yesterday", "yesterday 23:50", "Yesterday"},
		// The same instant as 1, given in UTC: shown in loc.
		2: {time.Date(2026, 3, 11, 22, 50, 0, 0, time.UTC), "Yesterday", "yesterday 23:50", "Yesterday"},
		3: {time.Date(2026, 3, 10, 8, 0, 0, 0, loc), "Tuesday", "Tuesday 08:00", "Tuesday"},
		4: {time.Date(2026, 3, 6, 8, 0, 0, 0, loc), "Friday", "Friday 08:00", "Friday"},
		// Seven days back is the same weekday: a date, not "Thursday".
		5: {time.Date(2026, 3, 5, 8, 0, 0, 0, loc), "Thu 5 Mar 2026", "Thu 5 Mar 2026 08:00", "5 Mar 2026"},
		6: {time.Date(2025, 11, 2, 22, 14, 0, 0, loc), "Sun 2 Nov 2025", "Sun 2 Nov 2025 22:14", "2 Nov 2025"},
		// A clock running ahead: a later day is a date too.
		7: {time.Date(2026, 3, 13, 9, 0, 0, 0, loc), "Fri 13 Mar 2026", "Fri 13 Mar 2026 09:00", "13 Mar 2026"},
	} {
		if got := dayLabel(tc.t, now, loc); got != tc.day {
			t.Errorf("%d: dayLabel %q, want %q", i, got, tc.day)
		}
		if got := whenText(tc.t, now, loc); got != tc.when {
			t.Errorf("%d: whenText %q, want %q", i, got, tc.when)
		}
		if got := shortWhen(tc.t, now, loc); got != tc.short {
			t.Errorf("%d: shortWhen %q, want %q", i, got, tc.short)
		}
	}
}

func TestDayLabelsAcrossDaylightSaving(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	// The night of 29 March 2026 has 23 hours in Berlin.
	now := time.Date(2026, 3, 30, 0, 15, 0, 0, loc)
	if got := dayLabel(time.Date(2026, 3, 29, 0, 5, 0, 0, loc), now, loc); got != "Yesterday" {
		t.Fatalf("across the switch to summer time: %q, want Yesterday", got)
	}
	if !sameDay(time.Date(2026, 3, 29, 0, 5, 0, 0, loc), time.Date(2026, 3, 29, 23, 55, 0, 0, loc), loc) {
		t.Fatal("the short day is not one day")
	}
}

func TestDelayNote(t *testing.T) {
	loc := time.UTC
	now := time.Date(2026, 3, 14, 15, 30, 0, 0, loc)
	sent := time.Date(2026, 3, 13, 22, 14, 0, 0, loc)
	for i, tc := range []struct {
		from, reason, want string
	}{
		0: {"", "", "Sent yesterday 22:14, delivered late"},
		1: {"example.org", "", "Sent yesterday 22:14, delivered late by example.org"},
		2: {"example.org", "Offline Storage", "Sent yesterday 22:14, delivered late by example.org (Offline Storage)"},
		3: {"", "Resent", "Sent yesterday 22:14, delivered late (Resent)"},
	} {
		if got := delayNote(sent, now, loc, tc.from, tc.reason); got != tc.want {
			t.Errorf("%d: %q, want %q", i, got, tc.want)
		}
	}
}
