package views

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/views/model"
)

// hasForgery reports whether s holds a line break, a control character or
// a bidi control.
func hasForgery(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || model.IsBidiControl(r) })
}

// TestOthersTextIsPlain: names, groups and statuses that contacts and
// servers write reach rows, titles and notices without control or bidi
// characters, whichever way they arrive.
func TestOthersTextIsPlain(t *testing.T) {
	const evil = "Eve\u202egnp.exe\nSHA-256: 00:11"
	r := model.NewRoster(me)
	r.Apply(resetEv(contact("eve@example.org", evil, "Friends\u2066x")))
	r.Apply(presenceEv("eve@example.org", im.Away, "gone\r\nfishing\u202e"))
	list := model.NewContacts()
	list.SetRosters(r)
	list.SetShowOffline(true)
	var found bool
	for _, row := range list.Rows() {
		if row.JID != "eve@example.org" {
			continue
		}
		found = true
		for _, s := range []string{row.Name, row.Group, row.Status} {
			if hasForgery(s) {
				t.Errorf("row field %q", s)
			}
		}
	}
	if !found {
		t.Fatal("no row for eve")
	}
	if name := r.DisplayName("eve@example.org"); hasForgery(name) {
		t.Errorf("display name %q", name)
	}

	h := signedIn(t)
	h.ui.showNotice("The server said: " + evil)
	if hasForgery(strings.ReplaceAll(h.ui.notice.Text, "\n", "")) || strings.Contains(h.ui.notice.Text, "\u202e") {
		t.Errorf("notice %q", h.ui.notice.Text)
	}
	h.apply(authFailedEv("not-authorized", evil))
	if _, ok := find(h.overlay(), func(l *widget.Label) bool { return strings.ContainsRune(l.Text, 0x202e) }); ok {
		t.Error("the password prompt shows a bidi control")
	}
}
