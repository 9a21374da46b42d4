package views

import "testing"

// BenchmarkContactListScroll5000 scrolls through a roster of 5000 by
// 40 rows a step: each step draws the rows that came into view, with
// their (generated) pictures.
func BenchmarkContactListScroll5000(b *testing.B) {
	u := benchUI(b)
	u.offline.SetChecked(true)
	u.only().apply(bigRosterBatch(5000))
	n := len(u.contacts.rows)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i = (i + 40) % n
		u.contacts.list.ScrollTo(i)
	}
}
