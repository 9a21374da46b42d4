package views

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/palaver-im/palaver/app"
)

// TestBarsTakeRoomWhenShown: the bars above and below the contacts
// (subscription requests, message requests, notices) get room in the
// window when they appear, and give it back when they go. Show alone left
// them at size zero: the real binary showed nothing of a stranger's
// messages.
func TestBarsTakeRoomWhenShown(t *testing.T) {
	h := signedIn(t)
	h.ui.win.Resize(fyne.NewSize(420, 640))
	listTop := func() float32 { return h.ui.search.view.Position().Y }
	before := listTop()

	req := app.SubscriptionRequest{From: "carol@example.org"}
	req.Acct = me
	h.apply(req)
	h.apply(messageEv("s0@spam.example", "buy", time.Now(), false))
	h.ui.showNotice("Something happened")
	for name, bar := range map[string]fyne.CanvasObject{
		"subscription requests": h.ui.requestsBox,
		"message requests":      h.ui.msgRequestsBar,
		"notice":                h.ui.noticeBar,
	} {
		if !bar.Visible() || bar.Size().Height < 10 || bar.Size().Width < 100 {
			t.Errorf("%s bar: visible %v, size %v", name, bar.Visible(), bar.Size())
		}
	}
	if listTop() <= before {
		t.Errorf("the contact list did not move down for the bars (%v, was %v)", listTop(), before)
	}

	h.ui.only().ignoreRequest("s0@spam.example")
	h.ui.only().answerRequest("carol@example.org", false)
	if got := listTop(); got != before {
		t.Errorf("the contact list starts at %v after the bars went, want %v", got, before)
	}
}
