package views

import (
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/dataform"
)

// A room's settings, for its owners (XEP-0045 §10): the room's
// configuration form in a dialog (any data form, XEP-0004, drawn by
// formView), and its destruction. A room the join created opens at once
// with the service's defaults (the core accepts them, an instant room);
// its window says so, with a way to the settings.

// roomOwner is a core that configures and destroys rooms; app.Client is
// one.
type roomOwner interface {
	RoomConfig(room string)
	SetRoomConfig(room string, values dataform.Values)
	DestroyRoom(room, reason string)
}

var _ roomOwner = (*app.Client)(nil)

// owner returns the core as a roomOwner when we own the window's room
// and are in it.
func (c *chatWindow) owner() (roomOwner, bool) {
	o, ok := c.s.core.(roomOwner)
	r := c.s.Rooms[c.conv.peer]
	if !ok || !c.room || c.left || r == nil || !r.Joined || r.Self.Affiliation != muc.AffiliationOwner {
		return nil, false
	}
	return o, true
}

// ownerMenu offers an owner's choices; none to others.
func (c *chatWindow) ownerMenu() []*fyne.MenuItem {
	if _, ok := c.owner(); !ok {
		return nil
	}
	return []*fyne.MenuItem{
		fyne.NewMenuItem(lang.L("Room settings…"), c.showRoomSettings),
		fyne.NewMenuItem(lang.L("Destroy room…"), c.askDestroyRoom),
	}
}

// newOwnerButton is the room header's button with the owner's menu,
// shown only to owners (updateOwner).
func (c *chatWindow) newOwnerButton() *widget.Button {
	var b *widget.Button
	b = widget.NewButtonWithIcon("", theme.SettingsIcon(), func() {
		items := c.ownerMenu()
		if len(items) == 0 {
			return
		}
		at := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
		at.Y += b.Size().Height
		widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", items...), c.win.Canvas(), at)
	})
	b.Importance = widget.LowImportance
	b.Hide()
	c.ownerButton = b
	return b
}

// newCreatedBar is the bar under a room window's header that says we
// created the room, hidden but then (updateOwner).
func (c *chatWindow) newCreatedBar() fyne.CanvasObject {
	l := widget.NewLabel(lang.L("You created this room. Anyone with its address can join it now, with the service's default settings."))
	l.Wrapping = fyne.TextWrapWord
	settings := widget.NewButtonWithIcon(lang.L("Room settings…"), theme.SettingsIcon(), c.showRoomSettings)
	closeBar := widget.NewButtonWithIcon("", theme.CancelIcon(), func() {
		if r := c.s.Rooms[c.conv.peer]; r != nil {
			r.Created = false
		}
		c.updateOwner()
	})
	closeBar.Importance = widget.LowImportance
	bar := container.NewBorder(nil, widget.NewSeparator(), nil,
		container.NewVBox(container.NewHBox(settings, closeBar)), l)
	bar.Hide()
	c.createdBar = bar
	return bar
}

// updateOwner shows the owner's button to owners, and the bar of a room
// we just created.
func (c *chatWindow) updateOwner() {
	_, owner := c.owner()
	if c.ownerButton != nil {
		if owner {
			c.ownerButton.Show()
		} else {
			c.ownerButton.Hide()
		}
	}
	if c.createdBar != nil {
		if r := c.s.Rooms[c.conv.peer]; owner && r.Created {
			c.createdBar.Show()
		} else {
			c.createdBar.Hide()
		}
	}
}

// roomSettings is a room's open settings dialog.
type roomSettings struct {
	d *dialog.CustomDialog
	// status says what is going on (asking, saving, what went wrong);
	// body holds the form once it came.
	status *widget.Label
	body   *fyne.Container
	form   *formView
	save   *widget.Button
	saving bool
}

// showRoomSettings asks the room for its form, in a dialog that shows it
// once it comes.
func (c *chatWindow) showRoomSettings() {
	o, ok := c.owner()
	if !ok {
		return
	}
	if c.settings != nil {
		c.settings.d.Show()
		return
	}
	if c.s.State.State != app.Online {
		dialog.ShowInformation(lang.L("Room settings"), lang.L("You are not connected. Try again once Palaver is online."), c.win)
		return
	}
	st := &roomSettings{status: widget.NewLabel(lang.L("Asking the room for its settings…")), body: container.NewStack()}
	st.status.Wrapping = fyne.TextWrapWord
	st.save = widget.NewButtonWithIcon(lang.L("Save"), theme.DocumentSaveIcon(), func() { c.saveRoomSettings(st) })
	st.save.Importance = widget.HighImportance
	st.save.Disable()
	cancel := widget.NewButtonWithIcon(lang.L("Cancel"), theme.CancelIcon(), func() { st.d.Hide() })
	content := container.NewBorder(st.status, nil, nil, nil, st.body)
	st.d = dialog.NewCustomWithoutButtons(lang.L("Settings of {{.Room}}", map[string]any{"Room": c.s.roomTitle(c.conv.peer)}), content, c.win)
	st.d.SetButtons([]fyne.CanvasObject{cancel, st.save})
	st.d.SetOnClosed(func() {
		if c.settings == st {
			c.settings = nil
		}
	})
	c.settings = st
	size := c.win.Canvas().Size()
	st.d.Resize(fyne.NewSize(max(min(size.Width-24, 560), 320), max(min(size.Height-24, 640), 320)))
	st.d.Show()
	o.RoomConfig(c.conv.peer)
}

// roomConfigEvent shows the core's answers about a room's settings in
// its window's dialog.
func (s *session) roomConfigEvent(e app.Event) {
	switch e := e.(type) {
	case app.RoomConfigForm:
		c := s.chats[e.Room]
		if c == nil || c.settings == nil || c.settings.form != nil {
			return // closed, or asked again
		}
		st := c.settings
		if e.Err != nil {
			st.status.SetText(roomConfigErrText(e.Err))
			return
		}
		st.form = newFormView(e.Form)
		st.status.SetText(formIntro(e.Form))
		// Room at the right for the scroll bar, which overlays.
		gutter := container.NewBorder(nil, nil, nil, sizedBox(layout.NewSpacer(), theme.Padding()*2), st.form.content)
		st.body.Objects = []fyne.CanvasObject{container.NewVScroll(gutter)}
		st.body.Refresh()
		st.save.Enable()
	case app.RoomConfigured:
		if r := s.Rooms[e.Room]; r != nil {
			r.Created = false
		}
		c := s.chats[e.Room]
		if c == nil {
			return
		}
		c.updateOwner()
		if c.settings != nil && c.settings.saving {
			c.settings.d.Hide()
		}
	}
}

// roomConfigFailed shows a refused change of settings in the room's open
// dialog; it reports whether it did (else the failure is a notice).
func (s *session) roomConfigFailed(e app.CommandFailed) bool {
	c := s.chats[e.JID]
	if e.Op != app.OpRoomConfig || c == nil || c.settings == nil || !c.settings.saving {
		return false
	}
	st := c.settings
	st.saving = false
	st.save.Enable()
	st.status.SetText(roomSaveErrText(e.Err))
	return true
}

// saveRoomSettings submits the fields the user changed; a required field
// left empty is asked for first, and nothing changed just closes.
func (c *chatWindow) saveRoomSettings(st *roomSettings) {
	o, ok := c.owner()
	if st.form == nil || st.saving {
		return
	}
	if !ok {
		st.status.SetText(lang.L("You are no longer an owner of this room, or no longer in it: its settings cannot be saved."))
		return
	}
	if missing := st.form.missing(); len(missing) > 0 {
		st.status.SetText(lang.L("Fill in {{.Fields}}: the room needs it, then save again.", map[string]any{"Fields": strings.Join(missing, ", ")}))
		return
	}
	values := st.form.changed()
	if len(values) == 0 {
		st.d.Hide()
		return
	}
	st.saving = true
	st.save.Disable()
	st.status.SetText(lang.L("Saving…"))
	o.SetRoomConfig(c.conv.peer, values)
}

// askDestroyRoom asks whether to destroy the room, with a reason.
func (c *chatWindow) askDestroyRoom() {
	o, ok := c.owner()
	if !ok {
		return
	}
	room := c.conv.peer
	l := widget.NewLabel(lang.L("Destroy {{.Room}}? Everyone in it is removed, and the room, its settings and its members are gone from the service for good. What you read stays in your history.", map[string]any{"Room": c.s.roomTitle(room)}))
	l.Wrapping = fyne.TextWrapWord
	reason := widget.NewEntry()
	reason.SetPlaceHolder(lang.L("Reason (optional)"))
	d := dialog.NewCustomConfirm(lang.L("Destroy room"), lang.L("Destroy"), lang.L("Cancel"), container.NewVBox(l, reason), func(yes bool) {
		if yes {
			o.DestroyRoom(room, strings.TrimSpace(reason.Text))
			// Its bookmark goes too: joining it at sign-in would create
			// the room anew.
			if bm, ok := c.s.core.(bookmarker); ok {
				if _, kept := c.s.Bookmarks[room]; kept {
					bm.RemoveBookmark(room)
				}
			}
		}
	}, c.win)
	d.Resize(fyne.NewSize(420, 220))
	d.Show()
}

// formIntro is what the settings dialog says above the form: the form's
// instructions, else how to use it.
func formIntro(f dataform.Form) string {
	if t := clipRunes(plainText(strings.TrimSpace(f.Instructions)), 400); t != "" {
		return t
	}
	return lang.L("Change what you want, then save: only what you changed is sent.")
}

// condition returns the stanza error condition of err, "" if none.
func condition(err error) stanza.Condition {
	var se stanza.Error
	if errors.As(err, &se) {
		return se.Condition
	}
	return ""
}

// roomConfigErrText words why the room's settings could not be had.
func roomConfigErrText(err error) string {
	switch condition(err) {
	case stanza.Forbidden:
		return lang.L("Only the room's owners may see its settings, and the room says you are not one. Ask an owner.")
	case stanza.ItemNotFound:
		return lang.L("The room does not exist any more. Close this window.")
	case stanza.FeatureNotImplemented, stanza.ServiceUnavailable:
		return lang.L("This room's service does not let owners change settings. Ask its administrator.")
	}
	return lang.L("The room did not give its settings: {{.Error}}. Try again later.", map[string]any{"Error": errorText(err)})
}

// roomSaveErrText words why the room refused the settings.
func roomSaveErrText(err error) string {
	switch condition(err) {
	case stanza.Forbidden:
		return lang.L("Only the room's owners may change its settings, and the room says you are not one.")
	case stanza.NotAcceptable, stanza.BadRequest:
		return lang.L("The room did not accept these settings: {{.Error}}. Check them, then save again.", map[string]any{"Error": errorText(err)})
	}
	return lang.L("The room did not save the settings: {{.Error}}. Try again.", map[string]any{"Error": errorText(err)})
}

// maxCheckText is the longest text a check shows itself, in runes.
const maxCheckText = 40

// checkLabel is the wrapping words of a check, which toggle it when
// tapped as the check's own words do.
type checkLabel struct {
	widget.Label
	check *widget.Check
}

func newCheckLabel(text string, check *widget.Check) *checkLabel {
	l := &checkLabel{check: check}
	l.Text, l.Wrapping = text, fyne.TextWrapWord
	l.ExtendBaseWidget(l)
	return l
}

// Tapped toggles the check.
func (l *checkLabel) Tapped(*fyne.PointEvent) { l.check.SetChecked(!l.check.Checked) }

// formView draws a data form (XEP-0004) for the user to fill in: text
// fields are entries (multi-line, a value a line, for text-multi and
// jid-multi), booleans checks, lists a choice or checks, fixed fields
// text; hidden fields are not shown. The form's words are the network's:
// made plain.
type formView struct {
	content *fyne.Container
	fields  []*formField
}

// formField is a field shown: how to read its value, and the value it
// had when shown.
type formField struct {
	f    dataform.Field
	name string
	// input is the widget that holds the value (an Entry, a Check, a
	// Select or a CheckGroup).
	input   fyne.CanvasObject
	get     func() []string
	initial []string
}

// fieldName is how a field is named: its label, else its var.
func fieldName(f dataform.Field) string {
	if l := clipRunes(plainLine(strings.TrimSpace(f.Label)), 120); l != "" {
		return l
	}
	return clipRunes(plainLine(f.Var), 120)
}

// optionLabels returns the words of a list's options, made distinct, and
// the value of each.
func optionLabels(opts []dataform.Option) (labels []string, values map[string]string) {
	values = make(map[string]string, len(opts))
	for _, o := range opts {
		l := clipRunes(plainLine(strings.TrimSpace(o.Label)), 120)
		if l == "" {
			l = clipRunes(plainLine(o.Value), 120)
		}
		if _, dup := values[l]; dup {
			l += " (" + clipRunes(plainLine(o.Value), 60) + ")"
		}
		if _, dup := values[l]; dup || l == "" {
			continue
		}
		values[l] = o.Value
		labels = append(labels, l)
	}
	return labels, values
}

// labelOf returns the label of the option of value v, "" if none.
func labelOf(labels []string, values map[string]string, v string) string {
	for _, l := range labels {
		if values[l] == v {
			return l
		}
	}
	return ""
}

func newFormView(form dataform.Form) *formView {
	v := &formView{content: container.NewVBox()}
	for _, f := range form.Fields {
		if f.Type == dataform.Hidden {
			continue
		}
		if f.Type == dataform.Fixed {
			t := clipRunes(plainText(strings.Join(f.Values, "\n")), 400)
			if t == "" {
				continue
			}
			l := widget.NewLabel(t)
			l.TextStyle.Bold = true
			l.Wrapping = fyne.TextWrapWord
			v.content.Add(l)
			continue
		}
		if f.Var == "" {
			continue // a field that cannot be submitted
		}
		ff := &formField{f: f, name: fieldName(f)}
		label := ff.name
		if f.Required {
			label = lang.L("{{.Field}} (required)", map[string]any{"Field": ff.name})
		}
		var w fyne.CanvasObject
		switch f.Type {
		case dataform.Boolean:
			// A check's words do not wrap: long ones go in a label
			// beside it, which does.
			ch := widget.NewCheck(label, nil)
			w, ff.input = ch, ch
			if len([]rune(label)) > maxCheckText {
				ch.Text = ""
				w = container.NewBorder(nil, nil, ch, nil, newCheckLabel(label, ch))
			}
			ch.SetChecked(dataform.Bool(f.Value()))
			ff.get = func() []string {
				if ch.Checked {
					return []string{"1"}
				}
				return []string{"0"}
			}
			label = ""
		case dataform.TextPrivate:
			e := widget.NewPasswordEntry()
			e.SetText(f.Value())
			ff.get = func() []string { return []string{e.Text} }
			w = e
		case dataform.TextMulti, dataform.JIDMulti:
			e := widget.NewMultiLineEntry()
			e.Wrapping = fyne.TextWrapWord
			e.SetMinRowsVisible(3)
			e.SetText(plainText(strings.Join(f.Values, "\n")))
			jids := f.Type == dataform.JIDMulti
			ff.get = func() []string { return lines(e.Text, jids) }
			if jids {
				e.SetPlaceHolder(lang.L("One address a line"))
			}
			w = e
		case dataform.ListSingle:
			labels, values := optionLabels(f.Options)
			sel := widget.NewSelect(labels, nil)
			if l := labelOf(labels, values, f.Value()); l != "" {
				sel.SetSelected(l)
			}
			ff.get = func() []string {
				if sel.Selected == "" {
					return nil
				}
				return []string{values[sel.Selected]}
			}
			w = sel
		case dataform.ListMulti:
			labels, values := optionLabels(f.Options)
			g := widget.NewCheckGroup(labels, nil)
			var on []string
			for _, val := range f.Values {
				if l := labelOf(labels, values, val); l != "" {
					on = append(on, l)
				}
			}
			g.SetSelected(on)
			ff.get = func() []string {
				var out []string
				for _, l := range labels {
					if slices.Contains(g.Selected, l) {
						out = append(out, values[l])
					}
				}
				return out
			}
			w = g
		default: // text-single, jid-single
			e := widget.NewEntry()
			e.SetText(plainLine(f.Value()))
			ff.get = func() []string { return []string{e.Text} }
			w = e
		}
		if ff.input == nil {
			ff.input = w
		}
		ff.initial = ff.get()
		box := container.NewVBox()
		if label != "" {
			l := widget.NewLabel(label)
			l.Wrapping = fyne.TextWrapWord
			box.Add(l)
		}
		box.Add(w)
		if d := clipRunes(plainText(strings.TrimSpace(f.Desc)), 300); d != "" {
			hint := widget.NewLabel(d)
			hint.Wrapping = fyne.TextWrapWord
			hint.TextStyle.Italic = true
			hint.SizeName = theme.SizeNameCaptionText
			box.Add(hint)
		}
		v.content.Add(box)
		v.fields = append(v.fields, ff)
	}
	return v
}

// lines splits a multi-line entry's text into values: for addresses, the
// lines that are not blank, trimmed; else every line but the trailing
// blank ones.
func lines(text string, jids bool) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if jids {
			if l = strings.TrimSpace(l); l == "" {
				continue
			}
		}
		out = append(out, l)
	}
	for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	return out
}

// input returns the widget of the field named v, nil if none.
func (v *formView) input(name string) fyne.CanvasObject {
	for _, f := range v.fields {
		if f.f.Var == name {
			return f.input
		}
	}
	return nil
}

// changed returns the values of the fields the user changed.
func (v *formView) changed() dataform.Values {
	out := dataform.Values{}
	for _, f := range v.fields {
		if now := f.get(); !slices.Equal(now, f.initial) {
			out[f.f.Var] = now
		}
	}
	return out
}

// missing names the required fields left empty.
func (v *formView) missing() []string {
	var out []string
	for _, f := range v.fields {
		if !f.f.Required || f.f.Type == dataform.Boolean {
			continue
		}
		if !slices.ContainsFunc(f.get(), func(s string) bool { return strings.TrimSpace(s) != "" }) {
			out = append(out, lang.L("“{{.Text}}”", map[string]any{"Text": f.name}))
		}
	}
	return out
}
