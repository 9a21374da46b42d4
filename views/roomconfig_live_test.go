package views

import (
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// TestRoomSettingsLive: against the real core and Prosody, alice creates
// a room, her window says so; its settings dialog draws Prosody's form,
// and saving a name and members-only changes the room (its header says
// both); she destroys it, and her window says she is out.
func TestRoomSettingsLive(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{MUC: true})
	srv.Register(t, "alice", "alice-pw")
	room := "settings@" + srv.MUCDomain
	acct := account.Account{JID: "alice@" + srv.Domain, Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile}
	h := newHarness(t, acct)
	h.ui.start = realCore("alice-pw")
	h.ui.Show()
	s := h.ui.only()
	h.until("alice online", func() bool { return s.State.State == app.Online })

	s.Joining(room, "alice")
	s.core.JoinRoom(room, "alice", "")
	s.openChat(room)
	h.until("alice in the room", func() bool { r := s.Rooms[room]; return r != nil && r.Joined })
	c := s.chats[room]
	if !c.createdBar.Visible() || !c.ownerButton.Visible() {
		t.Fatal("the owner's window does not say she created the room")
	}
	test.Tap(button(t, c.createdBar, "Room settings…"))
	h.until("the form", func() bool { return c.settings != nil && c.settings.form != nil })
	if os.Getenv("PALAVER_SHOTS") != "" {
		fyne.CurrentApp().Settings().SetTheme(Theme())
		c.win.Resize(fyne.NewSize(480, 560))
		h.settle()
		saveImage(t, "room_settings_prosody", c.win.Canvas())
	}
	name, ok := c.settings.form.input("muc#roomconfig_roomname").(*widget.Entry)
	if !ok {
		t.Fatal("no entry of the room's name")
	}
	members, ok := c.settings.form.input("muc#roomconfig_membersonly").(*widget.Check)
	if !ok || members.Checked {
		t.Fatal("no members-only check, or checked")
	}
	name.SetText("Tea Room")
	test.Tap(members)
	test.Tap(button(t, top(t, c.win), "Save"))
	h.until("saved and told", func() bool {
		r := s.Rooms[room]
		return c.settings == nil && r.Info != nil && r.Info.Name == "Tea Room" && r.Info.MembersOnly
	})
	if head := c.title.Text; !strings.HasPrefix(head, "Tea Room") || !strings.Contains(head, "members only") {
		t.Errorf("header %q", head)
	}
	if c.createdBar.Visible() {
		t.Error("the created bar stays once configured")
	}

	pickItem(t, c.ownerMenu(), "Destroy room…")
	test.Type(entryWithPlaceholder(t, top(t, c.win), "Reason (optional)"), "done")
	test.Tap(button(t, top(t, c.win), "Destroy"))
	h.until("out of the destroyed room", func() bool { return c.left })
	if !strings.Contains(h.ui.notice.Text, "was closed (“done”)") {
		t.Errorf("notice %q", h.ui.notice.Text)
	}
}
