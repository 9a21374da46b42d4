package views

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/vcard"
)

// profileCard is the window showing a contact's profile. There is one per
// contact; it follows the ProfileReceived and AvatarChanged events of its
// contact while open.
type profileCard struct {
	s   *session
	jid string
	win fyne.Window

	photo    *avatar
	name     *widget.Label
	nick     *widget.Label
	addr     *widget.Label
	dot      *canvas.Circle
	presence *widget.Label
	status   *widget.Label // Loading…, or why the profile could not be fetched
	empty    *widget.Label // No profile
	fields   *fyne.Container
	refresh  *widget.Button

	card   vcard.VCard
	loaded bool // a ProfileReceived came
}

// Values are clipped: a hostile profile must not make the card slow to
// lay out (wrapping costs grow faster than the text).
const (
	maxFieldRunes = 1000
	maxNoteRunes  = 4000
)

func (s *session) newProfileCard(jid string) *profileCard {
	c := &profileCard{s: s, jid: jid}
	c.win = s.ui.app.NewWindow(lang.L("{{.Name}} – Profile", map[string]any{"Name": plainLine(s.Roster.DisplayName(jid))}))
	c.photo = s.trackedAvatar(jid, 96)

	c.name = selectable("", fyne.TextWrapWord)
	c.name.TextStyle.Bold = true
	c.name.SizeName = theme.SizeNameSubHeadingText
	c.nick = selectable("", fyne.TextWrapWord)
	c.addr = selectable(jid, fyne.TextWrapBreak)
	c.dot = canvas.NewCircle(colorOffline)
	c.presence = selectable("", fyne.TextWrapWord)
	presence := container.NewBorder(nil, nil, container.NewCenter(sizedBox(c.dot, 10)), nil, c.presence)

	c.status = widget.NewLabel(lang.L("Loading…"))
	c.status.Wrapping = fyne.TextWrapWord
	c.status.Importance = widget.LowImportance
	c.empty = widget.NewLabel(lang.L("No profile"))
	c.empty.Importance = widget.LowImportance
	c.empty.Hide()
	c.fields = container.New(layout.NewFormLayout())

	c.refresh = widget.NewButtonWithIcon(lang.L("Refresh"), theme.ViewRefreshIcon(), c.refreshCard)
	chat := widget.NewButtonWithIcon(lang.L("Chat"), theme.MailComposeIcon(), func() { s.openChat(jid) })
	closeBtn := widget.NewButton(lang.L("Close"), c.win.Close)
	buttons := container.NewBorder(widget.NewSeparator(), nil, container.NewHBox(c.refresh, chat), closeBtn)

	header := container.NewBorder(nil, nil, container.NewVBox(c.photo), nil,
		container.NewVBox(c.name, c.nick, c.addr, presence))
	body := container.NewVBox(header, c.status, widget.NewSeparator(), c.empty, c.fields)
	c.win.SetContent(container.NewBorder(nil, buttons, nil, nil, container.NewVScroll(body)))
	c.win.Resize(fyne.NewSize(440, 520))
	c.win.SetOnClosed(func() {
		if p := s.prof; p != nil && p.cards[jid] == c {
			delete(p.cards, jid)
		}
	})
	c.show()
	return c
}

// selectable returns a label whose text can be selected and copied.
func selectable(text string, wrap fyne.TextWrap) *widget.Label {
	l := widget.NewLabel(text)
	l.Selectable = true
	l.Wrapping = wrap
	return l
}

// refreshCard asks the server again.
func (c *profileCard) refreshCard() {
	c.status.Importance = widget.LowImportance
	c.status.SetText(lang.L("Loading…"))
	c.status.Show()
	c.s.core.FetchProfile(c.jid, true)
}

// received shows a fetched profile. With an error, the cached card (if
// any) stays on show under the error line.
func (c *profileCard) received(e app.ProfileReceived) {
	c.card, c.loaded = e.Card, true
	if e.Err != nil {
		c.status.Importance = widget.DangerImportance
		// The error may carry the server's words (RFC 6120 8.3.3.4 <text/>).
		c.status.SetText(lang.L("Could not fetch the profile: {{.Error}}",
			map[string]any{"Error": errorText(e.Err)}))
		c.status.Show()
	} else {
		c.status.Hide()
	}
	c.show()
}

// show fills the card from c.card, the roster and the presence. All of
// it is the contact's own words: each line is made plain (plainLine), so
// that no bidi control or line break makes it read as something else.
func (c *profileCard) show() {
	card := c.card
	name := strings.TrimSpace(plainLine(card.DisplayName()))
	if name == "" {
		name = plainLine(c.s.Roster.DisplayName(c.jid))
	}
	c.name.SetText(clipRunes(name, maxFieldRunes))
	nick := strings.TrimSpace(plainLine(card.Nickname))
	if nick != "" && nick != name {
		c.nick.SetText(lang.L("“{{.Nickname}}”", map[string]any{"Nickname": clipRunes(nick, maxFieldRunes)}))
		c.nick.Show()
	} else {
		c.nick.Hide()
	}
	c.updatePresence()
	c.refreshPhoto()

	objs := make([]fyne.CanvasObject, 0, 24)
	for _, f := range cardFields(card) {
		l := widget.NewLabelWithStyle(f.label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		objs = append(objs, l, selectable(f.value, fyne.TextWrapWord))
	}
	c.fields.Objects = objs
	c.fields.Refresh()
	if c.loaded && len(objs) == 0 {
		c.empty.Show()
	} else {
		c.empty.Hide()
	}
}

// updatePresence shows the contact's presence as the roster knows it.
func (c *profileCard) updatePresence() {
	show, status := c.s.Roster.Presence(c.jid)
	c.dot.FillColor = showColor(show)
	c.dot.Refresh()
	text := showText(show)
	if stale, since := c.s.Roster.LastSeen(c.jid); stale && show != im.Offline {
		text += " (" + lastSeenText(since, clock.now()) + ")"
	}
	if show != im.Offline && c.s.Roster.Typing(c.jid) {
		text = lang.L("{{.Presence}}, typing…", map[string]any{"Presence": text})
	}
	if status = strings.TrimSpace(plainLine(status)); status != "" {
		text += " — " + clipRunes(status, maxFieldRunes)
	}
	c.presence.SetText(text)
}

// refreshPhoto shows the picture: the one announced for the contact, else
// the photo in the card, else the generated one.
func (c *profileCard) refreshPhoto() {
	if hash, _ := c.s.Roster.Avatar(c.jid); hash != "" || len(c.card.Photo.Data) == 0 {
		c.s.pointAvatar(c.photo, c.jid)
		return
	}
	sum := sha1.Sum(c.card.Photo.Data)
	c.photo.show(c.jid, c.s.Roster.DisplayName(c.jid), hex.EncodeToString(sum[:]), avatarSource{data: c.card.Photo.Data})
}

// field is one labelled line of a profile card.
type field struct{ label, value string }

// cardFields lists the filled fields of card, in the order a card shows
// them. The name and nickname are shown in the card's header instead.
// Values are made plain: one line each (plainLine), except the note and
// the lines of an address (plainText).
func cardFields(card vcard.VCard) []field {
	var out []field
	addText := func(label, value string, max int) {
		if value = strings.TrimSpace(plainText(value)); value != "" {
			out = append(out, field{label, clipRunes(value, max)})
		}
	}
	add := func(label, value string, max int) { addText(label, plainLine(value), max) }
	if n := card.Name; card.FullName != "" && n != (vcard.Name{}) {
		// FN is the header; a structured name that says more is shown too.
		full := strings.Join(strings.Fields(strings.Join([]string{n.Prefix, n.Given, n.Middle, n.Family, n.Suffix}, " ")), " ")
		if full != strings.TrimSpace(card.FullName) {
			add(lang.L("Name"), full, maxFieldRunes)
		}
	}
	add(lang.L("Birthday"), birthday(card.Birthday), maxFieldRunes)
	for _, e := range card.Emails {
		add(withKinds(lang.L("E-mail"), e.Kinds), e.Address, maxFieldRunes)
	}
	for _, p := range card.Phones {
		add(withKinds(lang.L("Phone"), p.Kinds), p.Number, maxFieldRunes)
	}
	for _, a := range card.Addresses {
		addText(withKinds(lang.L("Address"), a.Kinds), address(a), maxFieldRunes)
	}
	var org []string
	for _, u := range append([]string{card.Org.Name}, card.Org.Units...) {
		if u = strings.TrimSpace(u); u != "" {
			org = append(org, u)
		}
	}
	add(lang.L("Organisation"), strings.Join(org, ", "), maxFieldRunes)
	add(lang.L("Title"), card.Title, maxFieldRunes)
	add(lang.L("Role"), card.Role, maxFieldRunes)
	add(lang.L("Web page"), card.URL, maxFieldRunes)
	add(lang.L("Jabber ID"), card.JabberID, maxFieldRunes)
	addText(lang.L("Note"), card.Note, maxNoteRunes)
	return out
}

// birthday shows an ISO date as the language writes a date ("12 Apr
// 1990", "12 Apr. 1990"); anything else as given.
func birthday(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return lang.L("{{.Day}} {{.Month}} {{.Year}}", dateData(t))
	}
	return s
}

// kindWord is a vCard flag worth showing, as a word; "" for the others.
func kindWord(kind string) string {
	switch kind {
	case "HOME":
		return lang.L("home")
	case "WORK":
		return lang.L("work")
	case "CELL":
		return lang.L("mobile")
	case "FAX":
		return lang.L("fax")
	case "PAGER":
		return lang.L("pager")
	case "VIDEO":
		return lang.L("video")
	case "MSG":
		return lang.L("messages")
	case "POSTAL":
		return lang.L("postal")
	case "PARCEL":
		return lang.L("parcel")
	}
	return ""
}

// withKinds adds the flags of an entry to its label: "Phone (work, mobile)".
func withKinds(label string, kinds []string) string {
	var words []string
	for _, k := range kinds {
		if w := kindWord(strings.ToUpper(strings.TrimSpace(k))); w != "" {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return label
	}
	return label + " (" + strings.Join(words, ", ") + ")"
}

// address writes an address the way envelopes do, one part per line.
func address(a vcard.Address) string {
	var lines []string
	add := func(parts ...string) {
		var ps []string
		for _, p := range parts {
			if p = strings.TrimSpace(plainLine(p)); p != "" {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			lines = append(lines, strings.Join(ps, " "))
		}
	}
	add(a.Street)
	add(a.Extended)
	if a.POBox != "" {
		add(lang.L("PO Box"), a.POBox)
	}
	add(a.PostalCode, a.Locality)
	add(a.Region)
	add(a.Country)
	return strings.Join(lines, "\n")
}
