package views

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"image"
	"io"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	pictures "github.com/palaver-im/palaver/app/avatar" // avatar is the widget here
	"github.com/palaver-im/palaver/app/vcard"
)

// ownProfileData is the user's own profile as the session knows it: the
// card last received or saved, the edits not saved yet, and how the last
// save went. It outlives the editor window, so that closing the window
// loses nothing.
type ownProfileData struct {
	base   vcard.VCard
	loaded bool      // base came from the core
	draft  *ownDraft // nil: no unsaved edits
	saving bool
	// sent is the draft being saved: edits made while saving stay
	// unsaved when the save succeeds.
	sent *ownDraft
	// result is the sentence about the last save; failed when it did not
	// go through.
	result string
	failed bool
}

// ownDraft holds what the editor edits. The card saved is the received
// card with these fields replaced, so that fields the editor does not
// show (addresses, organisation, further e-mails) are kept.
type ownDraft struct {
	FullName, Nickname, Email, Phone, Birthday, URL, Note string

	// Photo is a newly chosen picture (nil: unchanged), PhotoHash its
	// SHA-1; RemovePhoto drops the picture.
	Photo       *vcard.Photo
	PhotoHash   string
	RemovePhoto bool
}

// draftOf returns the editable fields of c.
func draftOf(c vcard.VCard) ownDraft {
	d := ownDraft{FullName: c.FullName, Nickname: c.Nickname, Birthday: c.Birthday, URL: c.URL, Note: c.Note}
	if len(c.Emails) > 0 {
		d.Email = c.Emails[0].Address
	}
	if len(c.Phones) > 0 {
		d.Phone = c.Phones[0].Number
	}
	return d
}

// apply returns base with d's fields in it. The first e-mail address and
// phone number are the ones edited.
func (d ownDraft) apply(base vcard.VCard) vcard.VCard {
	c := base
	c.FullName = strings.TrimSpace(d.FullName)
	c.Nickname = strings.TrimSpace(d.Nickname)
	c.Birthday = strings.TrimSpace(d.Birthday)
	c.URL = strings.TrimSpace(d.URL)
	c.Note = strings.TrimSpace(d.Note)
	c.Emails = slices.Clone(base.Emails)
	switch email := strings.TrimSpace(d.Email); {
	case len(c.Emails) > 0 && email != "":
		c.Emails[0].Address = email
	case len(c.Emails) > 0:
		c.Emails = c.Emails[1:]
	case email != "":
		c.Emails = []vcard.Email{{Address: email, Kinds: []string{"INTERNET"}}}
	}
	c.Phones = slices.Clone(base.Phones)
	switch phone := strings.TrimSpace(d.Phone); {
	case len(c.Phones) > 0 && phone != "":
		c.Phones[0].Number = phone
	case len(c.Phones) > 0:
		c.Phones = c.Phones[1:]
	case phone != "":
		c.Phones = []vcard.Phone{{Number: phone, Kinds: []string{"VOICE"}}}
	}
	switch {
	case d.Photo != nil:
		c.Photo = *d.Photo
	case d.RemovePhoto:
		c.Photo = vcard.Photo{}
	}
	return c
}

// ownProfile is the window in which the user sees and edits their own
// profile.
type ownProfile struct {
	s   *session
	win fyne.Window

	photo    *avatar
	fullName *widget.Entry
	nickname *widget.Entry
	email    *widget.Entry
	phone    *widget.Entry
	birthday *widget.Entry
	url      *widget.Entry
	note     *widget.Entry
	status   *widget.Label
	save     *widget.Button
	revert   *widget.Button
	filling  bool // the form is being filled, not edited
}

// showOwnProfile opens (or raises) the editor of the own profile.
func (s *session) showOwnProfile() {
	p := s.profiles()
	if p.own != nil {
		p.own.win.Show()
		p.own.win.RequestFocus()
		return
	}
	o := s.newOwnProfile()
	p.own = o
	o.win.Show()
	s.core.FetchProfile(s.acct.JID, false)
}

func (s *session) newOwnProfile() *ownProfile {
	o := &ownProfile{s: s}
	o.win = s.ui.app.NewWindow(lang.L("My profile – {{.Address}}", map[string]any{"Address": s.acct.JID}))
	o.photo = newAvatarWidget(96, s.ui.do, avatarCache)
	choose := widget.NewButtonWithIcon(lang.L("Choose picture…"), theme.FileImageIcon(), o.choosePhoto)
	remove := widget.NewButtonWithIcon(lang.L("Remove picture"), theme.DeleteIcon(), o.removePhoto)
	jid := selectable(s.acct.JID, fyne.TextWrapBreak)
	header := container.NewBorder(nil, nil, container.NewVBox(o.photo), nil,
		container.NewVBox(jid, container.NewHBox(choose), container.NewHBox(remove)))

	entry := func(placeholder string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		e.OnChanged = func(string) { o.edited() }
		return e
	}
	o.fullName = entry(lang.L("Full name"))
	o.nickname = entry(lang.L("Nickname"))
	o.email = entry("name@example.org")
	o.phone = entry("+1 555 0100")
	o.birthday = entry(lang.L("YYYY-MM-DD"))
	o.url = entry("https://")
	o.note = widget.NewMultiLineEntry()
	o.note.Wrapping = fyne.TextWrapWord
	o.note.SetMinRowsVisible(3)
	o.note.SetPlaceHolder(lang.L("About you"))
	o.note.OnChanged = func(string) { o.edited() }
	form := container.New(layout.NewFormLayout(),
		formLabel(lang.L("Full name")), o.fullName,
		formLabel(lang.L("Nickname")), o.nickname,
		formLabel(lang.L("E-mail")), o.email,
		formLabel(lang.L("Phone")), o.phone,
		formLabel(lang.L("Birthday")), o.birthday,
		formLabel(lang.L("Web page")), o.url,
		formLabel(lang.L("Note")), o.note,
	)

	o.status = widget.NewLabel("")
	o.status.Wrapping = fyne.TextWrapWord
	o.status.Hide()
	o.save = widget.NewButtonWithIcon(lang.L("Save"), theme.DocumentSaveIcon(), o.saveProfile)
	o.save.Importance = widget.HighImportance
	o.revert = widget.NewButton(lang.L("Discard changes"), o.discard)
	refresh := widget.NewButtonWithIcon(lang.L("Refresh"), theme.ViewRefreshIcon(), func() {
		o.showStatus(lang.L("Loading…"), widget.LowImportance)
		s.core.FetchProfile(s.acct.JID, true)
	})
	closeBtn := widget.NewButton(lang.L("Close"), o.win.Close)
	buttons := container.NewBorder(widget.NewSeparator(), nil, container.NewHBox(refresh, o.revert),
		container.NewHBox(closeBtn, o.save))

	body := container.NewVBox(header, widget.NewSeparator(), form, o.status)
	o.win.SetContent(container.NewBorder(nil, buttons, nil, nil, container.NewVScroll(body)))
	o.win.Resize(fyne.NewSize(480, 560))
	o.win.SetOnClosed(func() {
		if p := s.prof; p != nil && p.own == o {
			p.own = nil
		}
	})

	mine := &s.profiles().mine
	o.fill()
	switch {
	case mine.saving:
		o.showStatus(lang.L("Saving…"), widget.LowImportance)
	case mine.result != "" && mine.failed:
		o.showStatus(mine.result, widget.DangerImportance)
	case !mine.loaded:
		o.showStatus(lang.L("Loading…"), widget.LowImportance)
	}
	return o
}

func formLabel(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
}

// fill shows the unsaved edits, or the profile when there are none.
func (o *ownProfile) fill() {
	mine := &o.s.profiles().mine
	d := draftOf(mine.base)
	if mine.draft != nil {
		d = *mine.draft
	}
	o.filling = true
	o.fullName.SetText(d.FullName)
	o.nickname.SetText(d.Nickname)
	o.email.SetText(d.Email)
	o.phone.SetText(d.Phone)
	o.birthday.SetText(d.Birthday)
	o.url.SetText(d.URL)
	o.note.SetText(d.Note)
	o.filling = false
	o.refreshPhoto()
	o.refreshButtons()
}

// edited keeps what the form says as the unsaved edits.
func (o *ownProfile) edited() {
	if o.filling {
		return
	}
	mine := &o.s.profiles().mine
	d := draftOf(mine.base)
	if mine.draft != nil {
		d = *mine.draft
	}
	d.FullName, d.Nickname, d.Email, d.Phone = o.fullName.Text, o.nickname.Text, o.email.Text, o.phone.Text
	d.Birthday, d.URL, d.Note = o.birthday.Text, o.url.Text, o.note.Text
	mine.draft = &d
	o.refreshButtons()
}

func (o *ownProfile) refreshButtons() {
	mine := &o.s.profiles().mine
	if mine.saving {
		o.save.Disable()
	} else {
		o.save.Enable()
	}
	if mine.draft != nil && !mine.saving {
		o.revert.Enable()
	} else {
		o.revert.Disable()
	}
}

func (o *ownProfile) showStatus(text string, imp widget.Importance) {
	o.status.Importance = imp
	o.status.SetText(text)
	o.status.Show()
}

// discard drops the unsaved edits.
func (o *ownProfile) discard() {
	mine := &o.s.profiles().mine
	mine.draft = nil
	mine.result, mine.failed = "", false
	o.status.Hide()
	o.fill()
}

// saveProfile sends the edited profile to the server.
func (o *ownProfile) saveProfile() {
	mine := &o.s.profiles().mine
	if mine.saving {
		return
	}
	d := draftOf(mine.base)
	if mine.draft != nil {
		d = *mine.draft
	}
	if b := strings.TrimSpace(d.Birthday); b != "" {
		if _, err := time.Parse(time.DateOnly, b); err != nil {
			o.showStatus(lang.L("Write the birthday as year-month-day, for example 1990-04-12."), widget.DangerImportance)
			return
		}
	}
	mine.saving, mine.sent = true, mine.draft
	mine.result, mine.failed = "", false
	o.showStatus(lang.L("Saving…"), widget.LowImportance)
	o.refreshButtons()
	o.s.core.SetProfile(d.apply(mine.base))
}

// choosePhoto asks for a picture file.
func (o *ownProfile) choosePhoto() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		switch {
		case err != nil:
			o.showStatus(lang.L("Could not open the picture: {{.Error}}", map[string]any{"Error": errorText(err)}), widget.DangerImportance)
		case r != nil:
			o.loadPhoto(r)
		}
	}, o.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif"}))
	d.Show()
}

// loadPhoto reads and checks a chosen picture in the background; the
// file may be large or on a slow disk.
//
// The check is what publishing will do (app/avatar's Publishable, within
// the Own limits: the user's own file, chosen once, may be a 24 Mpx
// camera picture), and the preview is the small picture it makes, so
// that the picture cache never holds a full-size photo.
func (o *ownProfile) loadPhoto(r io.ReadCloser) {
	o.showStatus(lang.L("Reading the picture…"), widget.LowImportance)
	s := o.s
	go func() {
		b, err := readPicture(r)
		r.Close()
		var hash, mime string
		if err == nil {
			var small []byte
			small, _, err = pictures.Publishable(b)
			var img image.Image
			if err == nil {
				img, _, err = pictures.Decode(small, pictures.Received)
			}
			if err == nil {
				mime = pictures.Type(b)
				sum := sha1.Sum(b)
				hash = hex.EncodeToString(sum[:])
				avatarCache.put(hash, img)
			}
		}
		s.ui.do(func() { s.ownPhotoLoaded(b, mime, hash, err) })
	}()
}

// ownPhotoLoaded takes a chosen picture into the unsaved edits, or says
// why it cannot be used.
func (s *session) ownPhotoLoaded(b []byte, mime, hash string, err error) {
	p := s.prof
	if p == nil || s.closed {
		return
	}
	o := p.own
	if err != nil {
		if o == nil {
			return
		}
		o.showStatus(pictureRefused(err), widget.DangerImportance)
		return
	}
	d := draftOf(p.mine.base)
	if p.mine.draft != nil {
		d = *p.mine.draft
	}
	d.Photo = &vcard.Photo{Type: mime, Data: b}
	d.PhotoHash, d.RemovePhoto = hash, false
	p.mine.draft = &d
	if o != nil {
		o.status.Hide()
		o.refreshPhoto()
		o.refreshButtons()
	}
}

// pictureRefused says why a chosen picture cannot be used, and what to do.
func pictureRefused(err error) string {
	switch {
	case errors.Is(err, errPictureTooLarge), errors.Is(err, pictures.ErrTooLarge):
		return lang.L("This picture is larger than {{.Size}} MiB. Choose a smaller file.",
			map[string]any{"Size": maxPictureBytes >> 20})
	case errors.Is(err, pictures.ErrTooManyPixels):
		return lang.L("This picture has more than {{.Count}} million pixels. Choose a smaller picture, or make this one smaller first.",
			map[string]any{"Count": pictures.MaxPixels / 1_000_000})
	case errors.Is(err, pictures.ErrNotImage):
		return lang.L("This file is not a picture Palaver can read. Choose a PNG, JPEG or GIF file.")
	case errors.Is(err, pictures.ErrCorrupt):
		return lang.L("This picture is damaged and cannot be read. Choose another PNG, JPEG or GIF file.")
	}
	return lang.L("Palaver could not read this file: {{.Error}}. Choose another PNG, JPEG or GIF file.",
		map[string]any{"Error": errorText(err)})
}

// removePhoto drops the picture from the profile (once saved).
func (o *ownProfile) removePhoto() {
	mine := &o.s.profiles().mine
	d := draftOf(mine.base)
	if mine.draft != nil {
		d = *mine.draft
	}
	d.Photo, d.PhotoHash, d.RemovePhoto = nil, "", true
	mine.draft = &d
	o.refreshPhoto()
	o.refreshButtons()
}

// refreshPhoto shows the picture the profile will have: the one chosen,
// none if removed, else the current one.
func (o *ownProfile) refreshPhoto() {
	s := o.s
	mine := &s.profiles().mine
	jid := s.acct.JID
	name := mine.base.DisplayName()
	if d := mine.draft; d != nil {
		name = strings.TrimSpace(d.FullName)
		switch {
		case d.Photo != nil:
			o.photo.show(jid, name, d.PhotoHash, avatarSource{data: d.Photo.Data})
			return
		case d.RemovePhoto:
			o.photo.show(jid, name, "", avatarSource{})
			return
		}
	}
	if hash, path := s.Roster.Avatar(jid); hash != "" {
		o.photo.show(jid, name, hash, avatarSource{path: path})
		return
	}
	if data := mine.base.Photo.Data; len(data) > 0 {
		sum := sha1.Sum(data)
		o.photo.show(jid, name, hex.EncodeToString(sum[:]), avatarSource{data: data})
		return
	}
	o.photo.show(jid, name, "", avatarSource{})
}

// ownReceived takes the own profile from the core. Unsaved edits stay in
// the form.
func (s *session) ownReceived(e app.ProfileReceived) {
	p := s.profiles()
	mine := &p.mine
	// Without an answer and without a cached card, an empty card says
	// nothing: saving on top of it would erase the fields the editor
	// does not show.
	if e.Err == nil || !e.Card.IsEmpty() || !mine.loaded {
		mine.base = e.Card
	}
	mine.loaded = true
	o := p.own
	if o == nil {
		return
	}
	if mine.draft == nil {
		o.fill()
	} else {
		o.refreshPhoto()
	}
	switch {
	case mine.saving:
	case e.Err != nil:
		o.showStatus(lang.L("Could not fetch your profile: {{.Error}}",
			map[string]any{"Error": errorText(e.Err)}), widget.DangerImportance)
	case mine.failed:
		o.showStatus(mine.result, widget.DangerImportance)
	default:
		o.status.Hide()
	}
}

// ownSaved shows how saving the own profile went. When it failed (or the
// network does not allow it), the edits stay, in the form and in the
// session.
func (s *session) ownSaved(e app.ProfileSaved) {
	p := s.profiles()
	mine := &p.mine
	mine.saving = false
	mine.result, mine.failed = ownSaveResult(e), e.Err != nil
	if e.Err == nil {
		mine.base, mine.loaded = e.Card, true
		if mine.draft != nil && mine.sent != nil && *mine.draft == *mine.sent {
			mine.draft = nil
		}
	}
	mine.sent = nil
	o := p.own
	if o == nil {
		if mine.failed {
			s.ui.showNotice(mine.result)
		}
		return
	}
	if e.Err == nil {
		if mine.draft == nil {
			o.fill()
		} else {
			o.refreshButtons()
		}
		o.showStatus(mine.result, widget.SuccessImportance)
		return
	}
	o.refreshButtons()
	o.showStatus(mine.result, widget.DangerImportance)
}

// ownSaveResult words how saving the own profile went.
//
// The edits of a save that failed live in the session only
// (ownProfileData): closing the editor keeps them, but they are gone once
// Palaver quits or the account signs out, and the words say so rather
// than promise more. Keeping a draft on disk would buy little: on a
// network that refuses profile changes (the Messenger-style service
// answers vCard updates with an error, XEP-0054 section 3.2) it can never
// be saved, and Gajim and Dino keep no draft either.
func ownSaveResult(e app.ProfileSaved) string {
	switch {
	case e.Err == nil:
		return lang.L("Your profile was saved.")
	case e.NotAllowed:
		return lang.L("This network does not allow profile changes. Your edits stay in My profile until you quit Palaver or sign out; they are not stored anywhere.")
	}
	// The error may carry the server's words (RFC 6120 section 8.3.3.4).
	return lang.L("Your profile could not be saved: {{.Error}}. Your edits stay in My profile until you quit Palaver or sign out; they are not stored anywhere. Try Save again later.",
		map[string]any{"Error": errorText(e.Err)})
}

// showMyProfile opens the profile of the account, asking which one when
// several run.
func (u *UI) showMyProfile() {
	switch len(u.sessions) {
	case 0:
		u.showNotice(lang.L("Set up an account first: your profile is kept on its server."))
	case 1:
		u.sessions[0].showProfile(u.sessions[0].acct.JID)
	default:
		u.chooseAccount(lang.L("My profile"), lang.L("Whose profile do you want to see?"), func(s *session) {
			s.showProfile(s.acct.JID)
		})
	}
}

// chooseAccount asks which running account to act on, then calls f.
func (u *UI) chooseAccount(title, question string, f func(*session)) {
	names := make([]string, len(u.sessions))
	for i, s := range u.sessions {
		names[i] = s.acct.JID
	}
	pick := widget.NewRadioGroup(names, nil)
	pick.Selected = names[0]
	d := dialog.NewCustomConfirm(title, lang.L("Open"), lang.L("Cancel"), container.NewVBox(widget.NewLabel(question), pick), func(ok bool) {
		if s := u.session(pick.Selected); ok && s != nil {
			f(s)
		}
	}, u.win)
	u.showDialog(d, 360)
}

// showContactProfile opens the profile card of a contact row.
func (u *UI) showContactProfile(r Row) {
	if s := u.session(r.Account); s != nil {
		s.showProfile(r.JID)
	}
}
