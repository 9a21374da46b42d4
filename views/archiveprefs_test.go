package views

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

func (f *fakeCore) SetArchiveDefault(d im.ArchiveDefault) { f.record("SetArchiveDefault %s", d) }

func archivePrefsEv(d im.ArchiveDefault) app.ArchivePrefs {
	e := app.ArchivePrefs{Default: d}
	e.Acct = me
	return e
}

// TestArchiveOffIsToldOnce: a server that keeps no messages is explained
// once per account, with a button that turns its archive on; the default
// read back is confirmed; a later 'never' asks nothing again, whatever
// the user chose.
func TestArchiveOffIsToldOnce(t *testing.T) {
	for i, tc := range []struct {
		tap   string
		calls []string
		then  im.ArchiveDefault // the core's answer, "" for none
		says  string
	}{
		0: {tap: "Turn on", calls: []string{"SetArchiveDefault always"}, then: im.ArchiveAlways, says: "now keeps your messages"},
		1: {tap: "Turn on", calls: []string{"SetArchiveDefault always"}, then: im.ArchiveNever, says: "still keeps no messages"},
		2: {tap: "Not now"},
	} {
		h := signedIn(t)
		h.apply(archivePrefsEv(im.ArchiveAlways))
		if h.ui.win.Canvas().Overlays().Top() != nil {
			t.Fatalf("%d: a server that archives asks something", i)
		}
		h.apply(archivePrefsEv(im.ArchiveNever))
		d := h.overlay()
		if !labelContaining(d, "does not keep your messages") {
			t.Errorf("%d: the dialog does not say what is wrong", i)
		}
		test.Tap(button(t, d, tc.tap))
		if got := slices.DeleteFunc(h.core.Calls(), func(c string) bool { return c != "SetArchiveDefault always" }); !slices.Equal(got, tc.calls) {
			t.Errorf("%d: calls %q, want %q", i, got, tc.calls)
		}
		if tc.then != "" {
			h.apply(archivePrefsEv(tc.then))
			if !labelContaining(h.ui.win.Content(), tc.says) {
				t.Errorf("%d: the notice does not say %q", i, tc.says)
			}
		}
		// Told once: the next 'never' (the next sign-in, another run)
		// shows nothing.
		h.apply(archivePrefsEv(im.ArchiveNever))
		if h.ui.win.Canvas().Overlays().Top() != nil {
			t.Errorf("%d: told twice", i)
		}
		if !h.ui.app.Preferences().Bool(archiveToldKey(me)) {
			t.Errorf("%d: 'told' is not kept in the preferences", i)
		}
	}
}
