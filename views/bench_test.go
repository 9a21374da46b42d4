package views

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// benchUI is a signed-in UI whose main window shows the contact list.
func benchUI(b *testing.B) *UI {
	a := test.NewTempApp(b)
	u := New(Options{App: a, Dir: b.TempDir(), Config: &account.Config{Accounts: []account.Account{{JID: me}}},
		Start: func(account.Account, Credentials) (Core, func()) { return &fakeCore{}, nil }})
	u.after = func(time.Duration, func()) {}
	u.Show()
	u.win.Resize(fyne.NewSize(420, 800))
	b.Cleanup(u.stopSessions)
	return u
}

// bigRosterBatch is what a sign-in with n contacts brings: the roster,
// then one presence per contact (a quarter online, in 20 groups).
func bigRosterBatch(n int) []app.Event {
	cs := make([]app.Contact, n)
	for i := range cs {
		cs[i] = contact(fmt.Sprintf("user%05d@example.org", i), fmt.Sprintf("User %d", n-i), fmt.Sprintf("Group %02d", i%20))
	}
	batch := []app.Event{resetEv(cs...)}
	shows := []im.Show{im.Available, im.Offline, im.Offline, im.Offline}
	for i := range cs {
		batch = append(batch, presenceEv(cs[i].JID, shows[i%4], "status"))
	}
	return batch
}

// BenchmarkSignInBatch5000 applies a RosterReset of 5000 contacts plus
// 5000 PresenceChanged events as one batch: one model rebuild and one list
// refresh.
func BenchmarkSignInBatch5000(b *testing.B) {
	u := benchUI(b)
	u.offline.SetChecked(true)
	batch := bigRosterBatch(5000)
	b.ReportAllocs()
	for b.Loop() {
		u.only().apply(batch)
	}
	if got := len(u.contacts.rows); got != 5020 {
		b.Fatalf("%d rows, want 5020", got)
	}
}

// BenchmarkPresenceBatch5000 is the steady state: 50 presence changes in
// a roster of 5000.
func BenchmarkPresenceBatch5000(b *testing.B) {
	u := benchUI(b)
	u.offline.SetChecked(true)
	u.only().apply(bigRosterBatch(5000))
	var batch []app.Event
	for i := 0; i < 50; i++ {
		batch = append(batch, presenceEv(fmt.Sprintf("user%05d@example.org", i*97), im.Away, "away"))
	}
	b.ReportAllocs()
	for b.Loop() {
		u.only().apply(batch)
	}
}

// BenchmarkHugeMessage shows a 1.1 MB message from a contact in a new
// chat window: the model update, the layout of its clipped preview and
// one refresh (openHuge, styled_test.go).
func BenchmarkHugeMessage(b *testing.B) {
	u := benchUI(b)
	u.only().apply([]app.Event{stateEv(app.Online)})
	openHuge(b, u, strings.Repeat("0123456789 ", 100_000))
}
