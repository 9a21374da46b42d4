package views

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/dataform"
)

// The fake core configures rooms (roomconfig.go's roomOwner).

func (f *fakeCore) RoomConfig(room string) { f.record("RoomConfig %s", room) }
func (f *fakeCore) SetRoomConfig(room string, values dataform.Values) {
	var kv []string
	for k, v := range values {
		kv = append(kv, fmt.Sprintf("%s=%q", k, v))
	}
	slices.Sort(kv)
	f.record("SetRoomConfig %s %s", room, strings.Join(kv, " "))
}
func (f *fakeCore) DestroyRoom(room, reason string) { f.record("DestroyRoom %s %q", room, reason) }

// ownerInTea joins tea as me, its owner (created says whether the join
// created it), with ann, and opens its window.
func ownerInTea(t *testing.T, created bool) (*harness, *chatWindow) {
	t.Helper()
	h := signedIn(t)
	s := h.ui.only()
	s.Joining(tea, "me")
	j := roomJoinedEv("me", "ann")
	j.Self.Affiliation = muc.AffiliationOwner
	j.Created = created
	h.apply(j)
	s.openChat(tea)
	return h, s.chats[tea]
}

// sampleForm is (part of) what Prosody gives an owner.
func sampleForm() dataform.Form {
	return dataform.Form{Type: "form", Title: "Configuration for tea", Instructions: "Complete and submit this form to configure the room.", Fields: []dataform.Field{
		{Var: "FORM_TYPE", Type: dataform.Hidden, Values: []string{app.NSRoomConfig}},
		{Type: dataform.Fixed, Values: []string{"Room information"}},
		{Var: "muc#roomconfig_roomname", Type: dataform.TextSingle, Label: "Title", Values: []string{"Tea"}},
		{Var: "muc#roomconfig_roomdesc", Type: dataform.TextMulti, Label: "Description", Desc: "A longer description of the room"},
		{Var: "muc#roomconfig_persistentroom", Type: dataform.Boolean, Label: "Persistent (room should remain even when it is empty)", Values: []string{"0"}},
		{Var: "muc#roomconfig_membersonly", Type: dataform.Boolean, Label: "Only allow members to join", Values: []string{"0"}},
		{Type: dataform.Fixed, Values: []string{"Access to the room"}},
		{Var: "muc#roomconfig_roomsecret", Type: dataform.TextPrivate, Label: "Password"},
		{Var: "muc#roomconfig_whois", Type: dataform.ListSingle, Label: "Addresses (JIDs) of room occupants may be viewed by:", Values: []string{"moderators"},
			Options: []dataform.Option{{Label: "Moderators only", Value: "moderators"}, {Label: "Anyone", Value: "anyone"}}},
		{Var: "muc#roomconfig_presencebroadcast", Type: dataform.ListMulti, Label: "Roles whose presence is broadcast", Values: []string{"moderator", "participant", "visitor"},
			Options: []dataform.Option{{Label: "Moderator", Value: "moderator"}, {Label: "Participant", Value: "participant"}, {Label: "Visitor", Value: "visitor"}}},
		{Var: "muc#roomconfig_roomadmins", Type: dataform.JIDMulti, Label: "Admins", Values: []string{"ann@example.org"}},
		{Var: "muc#roomconfig_historylength", Type: dataform.ListSingle, Label: "Maximum number of history messages returned by room", Values: []string{"20"},
			Options: []dataform.Option{{Value: "10"}, {Value: "20"}, {Value: "50"}}},
	}}
}

func formEv(f dataform.Form, err error) app.RoomConfigForm {
	e := app.RoomConfigForm{Room: tea, Form: f, Err: err}
	e.Acct = me
	return e
}

func pickItem(t *testing.T, items []*fyne.MenuItem, label string) {
	t.Helper()
	for _, it := range items {
		if it.Label == label {
			it.Action()
			return
		}
	}
	t.Fatalf("no %q in %q", label, labels(items))
}

func (h *harness) last() string {
	calls := h.core.Calls()
	if len(calls) == 0 {
		return ""
	}
	return calls[len(calls)-1]
}

func TestRoomOwnerMenuOnlyForOwners(t *testing.T) {
	_, c := ownerInTea(t, false)
	if got := strings.Join(labels(c.ownerMenu()), ", "); got != "Room settings…, Destroy room…" {
		t.Errorf("the owner's menu: %s", got)
	}
	if !c.ownerButton.Visible() {
		t.Error("the owner's button is hidden")
	}
	if c.createdBar.Visible() {
		t.Error("a room joined, not created, says we created it")
	}
	_, a := adminInTea(t)
	if got := a.ownerMenu(); len(got) != 0 {
		t.Errorf("an admin's owner menu: %q", labels(got))
	}
	if a.ownerButton.Visible() {
		t.Error("an admin sees the owner's button")
	}
	// An owner no more: the button goes.
	h, c := ownerInTea(t, false)
	self := app.OccupantChanged{Room: tea, Occupant: app.Occupant{Nick: "me", Role: muc.RoleModerator, Affiliation: muc.AffiliationAdmin}, Self: true}
	self.Acct = me
	h.apply(self)
	if c.ownerButton.Visible() || len(c.ownerMenu()) != 0 {
		t.Error("a former owner keeps the owner's menu")
	}
}

func TestRoomSettingsDialog(t *testing.T) {
	h, c := ownerInTea(t, false)
	pickItem(t, c.ownerMenu(), "Room settings…")
	if got := h.last(); got != "RoomConfig "+tea {
		t.Fatalf("asked %q", got)
	}
	d := top(t, c.win)
	if !labelContaining(d, "Asking the room") {
		t.Error("no word while asking")
	}
	if button(t, d, "Save").Disabled() == false {
		t.Error("Save before the form came")
	}
	h.apply(formEv(sampleForm(), nil))
	d = top(t, c.win)
	for _, want := range []string{"Room information", "Title", "Description", "A longer description of the room", "Access to the room", "Password", "Admins"} {
		if !labelContaining(d, want) {
			t.Errorf("no %q", want)
		}
	}
	if labelContaining(d, "FORM_TYPE") || labelContaining(d, app.NSRoomConfig) {
		t.Error("the hidden field is shown")
	}
	name, ok := find(d, func(e *widget.Entry) bool { return e.Text == "Tea" })
	if !ok {
		t.Fatal("no entry with the room's name")
	}
	members, ok := find(d, func(ch *widget.Check) bool { return ch.Text == "Only allow members to join" })
	if !ok || members.Checked {
		t.Fatalf("members-only check: %v", ok)
	}
	if sel, ok := find(d, func(s *widget.Select) bool { return slices.Equal(s.Options, []string{"Moderators only", "Anyone"}) }); !ok || sel.Selected != "Moderators only" {
		t.Errorf("whois choice: %v", ok)
	}
	if g, ok := find(d, func(g *widget.CheckGroup) bool { return len(g.Options) == 3 }); !ok || len(g.Selected) != 3 {
		t.Errorf("presence broadcast checks: %v", ok)
	}
	if _, ok := find(d, func(e *widget.Entry) bool { return e.Password }); !ok {
		t.Error("no password entry")
	}
	if _, ok := find(d, func(e *widget.Entry) bool { return e.MultiLine && e.Text == "ann@example.org" }); !ok {
		t.Error("no entry of the admins")
	}
	// A long check's words wrap beside it, and toggle it.
	long, ok := find(d, func(l *checkLabel) bool { return strings.HasPrefix(l.Text, "Persistent") })
	if !ok || long.Wrapping != fyne.TextWrapWord {
		t.Fatal("the long check's words do not wrap")
	}
	test.Tap(long)
	if !long.check.Checked {
		t.Error("tapping the words does not check")
	}
	test.Tap(long)
	if _, ok := find(d, func(s *container.Scroll) bool { return true }); !ok {
		t.Error("the form does not scroll")
	}

	// Saving sends only what changed.
	name.SetText("Tea Room")
	test.Tap(members)
	test.Tap(button(t, d, "Save"))
	if got, want := h.last(), `SetRoomConfig `+tea+` muc#roomconfig_membersonly=["1"] muc#roomconfig_roomname=["Tea Room"]`; got != want {
		t.Fatalf("saved %s\nwant %s", got, want)
	}
	if !labelContaining(d, "Saving") {
		t.Error("no word while saving")
	}
	// Refused: the dialog says why, and Save works again.
	f := app.CommandFailed{Op: app.OpRoomConfig, JID: tea, Err: stanza.Error{Condition: stanza.NotAcceptable}}
	f.Acct = me
	h.apply(f)
	if !labelContaining(d, "The room did not accept these settings") || button(t, d, "Save").Disabled() {
		t.Error("the refusal is not in the dialog")
	}
	if h.ui.noticeBar.Visible() {
		t.Errorf("a notice for a refusal said in the dialog: %q", h.ui.notice.Text)
	}
	test.Tap(button(t, d, "Save"))
	done := app.RoomConfigured{Room: tea}
	done.Acct = me
	h.apply(done)
	if c.settings != nil || c.win.Canvas().Overlays().Top() != nil {
		t.Error("the dialog stays open once saved")
	}
}

func TestRoomSettingsRequiredAndUnchanged(t *testing.T) {
	h, c := ownerInTea(t, false)
	c.showRoomSettings()
	form := sampleForm()
	form.Fields[2].Required = true // the name
	h.apply(formEv(form, nil))
	d := top(t, c.win)
	if !labelContaining(d, "Title (required)") {
		t.Error("the required field is not marked")
	}
	name, _ := find(d, func(e *widget.Entry) bool { return e.Text == "Tea" })
	name.SetText("  ")
	n := len(h.core.Calls())
	test.Tap(button(t, d, "Save"))
	if len(h.core.Calls()) != n {
		t.Fatalf("saved with a required field empty: %s", h.last())
	}
	if !labelContaining(d, "Fill in “Title”") {
		t.Error("the empty field is not named")
	}
	// Nothing changed: nothing is sent, the dialog closes.
	name.SetText("Tea")
	test.Tap(button(t, d, "Save"))
	if len(h.core.Calls()) != n || c.settings != nil {
		t.Errorf("an unchanged form: %s, open %v", h.last(), c.settings != nil)
	}
}

func TestRoomSettingsRefused(t *testing.T) {
	h, c := ownerInTea(t, false)
	c.showRoomSettings()
	h.apply(formEv(dataform.Form{}, stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}))
	d := top(t, c.win)
	if !labelContaining(d, "Only the room's owners may see its settings") {
		t.Error("forbidden is not worded")
	}
	if !button(t, d, "Save").Disabled() {
		t.Error("Save without a form")
	}
	if got := roomConfigErrText(errors.New("timeout")); !strings.Contains(got, "Try again later") {
		t.Errorf("another error: %q", got)
	}
}

func TestRoomCreatedBar(t *testing.T) {
	h, c := ownerInTea(t, true)
	if !c.createdBar.Visible() || !labelContaining(c.createdBar, "You created this room") {
		t.Fatal("the window does not say we created the room")
	}
	test.Tap(button(t, c.createdBar, "Room settings…"))
	if got := h.last(); got != "RoomConfig "+tea {
		t.Fatalf("asked %q", got)
	}
	h.apply(formEv(sampleForm(), nil))
	d := top(t, c.win)
	name, _ := find(d, func(e *widget.Entry) bool { return e.Text == "Tea" })
	name.SetText("Tea Room")
	test.Tap(button(t, d, "Save"))
	done := app.RoomConfigured{Room: tea}
	done.Acct = me
	h.apply(done)
	if c.createdBar.Visible() {
		t.Error("the bar stays once the room is configured")
	}
}

func TestRoomDestroy(t *testing.T) {
	h, c := ownerInTea(t, false)
	pickItem(t, c.ownerMenu(), "Destroy room…")
	d := top(t, c.win)
	if !labelContaining(d, "Everyone in it is removed") {
		t.Error("the destruction is not explained")
	}
	n := len(h.core.Calls())
	test.Tap(button(t, d, "Cancel"))
	if len(h.core.Calls()) != n {
		t.Fatalf("canceled, it did %s", h.last())
	}
	pickItem(t, c.ownerMenu(), "Destroy room…")
	d = top(t, c.win)
	test.Type(entryWithPlaceholder(t, d, "Reason (optional)"), "moving on")
	test.Tap(button(t, d, "Destroy"))
	if got := h.last(); got != `DestroyRoom `+tea+` "moving on"` {
		t.Errorf("destroyed: %s", got)
	}
}

// TestDestroyedRoomBookmark: destroying a bookmarked room removes its
// bookmark; a room someone else destroyed stays listed but is no longer
// joined at sign-in (either would create the room anew).
func TestDestroyedRoomBookmark(t *testing.T) {
	h, c := ownerInTea(t, false)
	bms := app.Bookmarks{Rooms: []app.Bookmark{{Room: tea, Nick: "me", Autojoin: true}}}
	bms.Acct = me
	h.apply(bms)
	pickItem(t, c.ownerMenu(), "Destroy room…")
	test.Tap(button(t, top(t, c.win), "Destroy"))
	if got := h.last(); got != `RemoveBookmark `+tea {
		t.Errorf("after destroying, the last call is %s, want the bookmark removed", got)
	}

	h2, _ := ownerInTea(t, false)
	h2.apply(bms)
	left := app.RoomLeft{Room: tea, Reason: app.LeftDestroyed}
	left.Acct = me
	h2.apply(left)
	if !slices.Contains(h2.core.Calls(), `SetBookmark `+tea+` me false`) {
		t.Errorf("a destroyed room's bookmark still joins at sign-in: %q", h2.core.Calls())
	}
}

func TestRoomSettingsShot(t *testing.T) {
	h, c := ownerInTea(t, true)
	fyne.CurrentApp().Settings().SetTheme(Theme())
	c.win.Resize(fyne.NewSize(480, 560))
	h.settle()
	saveImage(t, "room_created", c.win.Canvas())
	c.showRoomSettings()
	h.apply(formEv(sampleForm(), nil))
	h.settle()
	saveImage(t, "room_settings", c.win.Canvas())
	if sc, ok := find(top(t, c.win), func(s *container.Scroll) bool { return true }); ok {
		sc.ScrollToBottom()
	}
	h.settle()
	saveImage(t, "room_settings_end", c.win.Canvas())
}
