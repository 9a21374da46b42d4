package views

import (
	"testing"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
)

// TestStatusIsRestoredAndShown: the status chosen (Away, with its
// message) is shown in the top line and comes back when the account is
// started again (a restart); Offline does not come back.
func TestStatusIsRestoredAndShown(t *testing.T) {
	h := signedIn(t)
	h.ui.statusEntry.SetText("at lunch")
	h.ui.showSelect.SetSelected("Away")
	if got := h.ui.stateText.Text; got != "Away as "+me {
		t.Errorf("top line %q", got)
	}

	restart := func() []string {
		h.ui.stopSessions()
		h.ui.statusEntry.SetText("")
		h.ui.showSelect.Selected = showLabel(0)
		mark := len(h.core.Calls())
		h.ui.startSession(account.Account{JID: me}, nil)
		h.apply(stateEv(app.Online))
		return h.core.Calls()[mark:]
	}
	calls := restart()
	if len(calls) == 0 || calls[0] != `SetPresence Away "at lunch"` {
		t.Fatalf("after a restart the core was told %q", calls)
	}
	if h.ui.showSelect.Selected != "Away" || h.ui.statusEntry.Text != "at lunch" || h.ui.stateText.Text != "Away as "+me {
		t.Errorf("after a restart: %q %q %q", h.ui.showSelect.Selected, h.ui.statusEntry.Text, h.ui.stateText.Text)
	}

	h.ui.showSelect.SetSelected("Invisible / Offline")
	calls = restart()
	for _, c := range calls {
		if c == `SetPresence Offline "at lunch"` {
			t.Errorf("Offline came back: %q", calls)
		}
	}
	if h.ui.showSelect.Selected != "Available" || h.ui.stateText.Text != "Online as "+me {
		t.Errorf("after Offline and a restart: %q %q", h.ui.showSelect.Selected, h.ui.stateText.Text)
	}
}
