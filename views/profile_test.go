package views

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app"
	pictures "github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/vcard"
)

// profileCore is the fake core keeping the cards given to SetProfile.
type profileCore struct {
	*fakeCore
	saved []vcard.VCard
}

func (c *profileCore) SetProfile(card vcard.VCard) {
	c.saved = append(c.saved, card)
	c.fakeCore.SetProfile(card)
}

// profileHarness is a signed-in UI whose core keeps saved cards.
func profileHarness(t *testing.T) (*harness, *profileCore) {
	h := signedIn(t)
	pc := &profileCore{fakeCore: h.core}
	h.ui.only().core = pc
	// The rows' pictures, too, come back through the test's queue.
	h.ui.contacts.do = h.ui.do
	return h, pc
}

func profileReceivedEv(jid string, card vcard.VCard, err error) app.ProfileReceived {
	e := app.ProfileReceived{JID: jid, Card: card, Err: err}
	if err == nil {
		e.Fetched = time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	}
	e.Acct = me
	return e
}

func profileSavedEv(card vcard.VCard, err error, notAllowed bool) app.ProfileSaved {
	e := app.ProfileSaved{Card: card, Err: err, NotAllowed: notAllowed}
	e.Acct = me
	return e
}

func avatarChangedEv(jid, hash, path string) app.AvatarChanged {
	e := app.AvatarChanged{JID: jid, Hash: hash, Path: path}
	e.Acct = me
	return e
}

func fullCard() vcard.VCard {
	return vcard.VCard{
		FullName: "Alice Liddell",
		Name:     vcard.Name{Given: "Alice", Family: "Liddell", Prefix: "Dr."},
		Nickname: "Ali",
		Birthday: "1990-04-12",
		Emails: []vcard.Email{
			{Address: "alice@home.example", Kinds: []string{"HOME", "INTERNET"}},
			{Address: "a.liddell@work.example", Kinds: []string{"WORK", "INTERNET", "PREF"}},
		},
		Phones: []vcard.Phone{{Number: "+44 1865 000000", Kinds: []string{"CELL", "VOICE"}}},
		Addresses: []vcard.Address{{Kinds: []string{"WORK"}, Street: "1 Broad Street", PostalCode: "OX1 3BD",
			Locality: "Oxford", Country: "United Kingdom"}},
		Org:      vcard.Org{Name: "Wonderland Ltd", Units: []string{"Research"}},
		Title:    "Explorer",
		Role:     "Lead",
		URL:      "https://alice.example",
		Note:     "Curiouser and curiouser.",
		JabberID: "alice@example.org",
	}
}

// cardWith opens the card of alice, a contact who is available.
func cardWith(t *testing.T, h *harness) *profileCard {
	t.Helper()
	const alice = "alice@example.org"
	h.apply(resetEv(contact(alice, "Alice", "Friends")), presenceEv(alice, im.Available, "Reading"))
	h.ui.only().showProfile(alice)
	c := h.ui.only().profiles().cards[alice]
	if c == nil {
		t.Fatal("showProfile opened no card")
	}
	return c
}

func TestProfileCardMarkup(t *testing.T) {
	h, _ := profileHarness(t)
	c := cardWith(t, h)
	h.apply(profileReceivedEv(c.jid, fullCard(), nil))
	c.win.Resize(fyne.NewSize(440, 640))
	saveImage(t, "profile_card", c.win.Canvas())
	assertMarkup(t, "profile_card", c.win.Canvas())
}

func TestProfileCardLoadingThenFields(t *testing.T) {
	h, _ := profileHarness(t)
	c := cardWith(t, h)
	root := c.win.Content()
	if !slices.Contains(h.core.Calls(), "FetchProfile alice@example.org false") {
		t.Fatalf("opening the card did not fetch the cached profile: %q", h.core.Calls())
	}
	if !labelContaining(root, "Loading…") {
		t.Error("no Loading… before the profile came")
	}
	if labelContaining(root, "No profile") || labelContaining(root, "Wonderland") {
		t.Error("the card shows a profile before it came")
	}

	h.apply(profileReceivedEv(c.jid, fullCard(), nil))
	if labelContaining(root, "Loading…") {
		t.Error("Loading… stays after the profile came")
	}
	for _, want := range []string{"Alice Liddell", "“Ali”", "alice@example.org", "Available — Reading",
		"12 Apr 1990", "E-mail (home)", "alice@home.example", "E-mail (work)", "a.liddell@work.example",
		"Phone (mobile)", "+44 1865 000000", "Address (work)", "1 Broad Street\nOX1 3BD Oxford\nUnited Kingdom",
		"Wonderland Ltd, Research", "Explorer", "Lead", "https://alice.example", "Curiouser", "Dr. Alice Liddell"} {
		if !labelContaining(root, want) {
			t.Errorf("no label with %q", want)
		}
	}
	// The text can be copied.
	if l, ok := find(root, func(l *widget.Label) bool { return l.Text == "alice@home.example" }); !ok || !l.Selectable {
		t.Error("field values are not selectable")
	}

	// A failed refresh keeps the cached card under the error line.
	h.apply(profileReceivedEv(c.jid, fullCard(), errors.New("remote-server-timeout")))
	if !labelContaining(root, "Could not fetch the profile: remote-server-timeout") {
		t.Error("no error line")
	}
	if !labelContaining(root, "alice@home.example") {
		t.Error("the cached card went away with the error")
	}

	h.apply(profileReceivedEv(c.jid, vcard.VCard{}, nil))
	if !labelContaining(root, "No profile") {
		t.Error("an empty profile does not say No profile")
	}
	if labelContaining(root, "alice@home.example") || labelContaining(root, "Could not fetch") {
		t.Error("an empty profile still shows the old card or error")
	}
}

func TestProfileCardRefreshAndReopen(t *testing.T) {
	h, _ := profileHarness(t)
	c := cardWith(t, h)
	h.apply(profileReceivedEv(c.jid, fullCard(), nil))
	test.Tap(button(t, c.win.Content(), "Refresh"))
	if calls := h.core.Calls(); calls[len(calls)-1] != "FetchProfile alice@example.org true" {
		t.Fatalf("Refresh called %q", calls[len(calls)-1])
	}
	if !labelContaining(c.win.Content(), "Loading…") {
		t.Error("no Loading… while refreshing")
	}

	n := len(h.core.Calls())
	h.ui.only().showProfile(c.jid)
	if got := h.ui.only().profiles().cards[c.jid]; got != c {
		t.Fatal("opening the card again made a second one")
	}
	if len(h.core.Calls()) != n {
		t.Errorf("raising an open card fetched again: %q", h.core.Calls()[n:])
	}

	c.win.Close()
	if h.ui.only().profiles().cards[c.jid] != nil {
		t.Fatal("a closed card is still listed")
	}
	h.ui.only().showProfile(c.jid)
	if got := h.ui.only().profiles().cards[c.jid]; got == nil || got == c {
		t.Fatal("opening after closing did not make a new card")
	}
}

func TestProfileFromContactMenu(t *testing.T) {
	h, _ := profileHarness(t)
	const bob = "bob@example.org"
	h.apply(resetEv(contact(bob, "Bob")), presenceEv(bob, im.Available, ""))
	h.ui.showContactProfile(Row{Account: me, JID: bob, Name: "Bob"})
	if h.ui.only().profiles().cards[bob] == nil {
		t.Fatal("the contact menu's Profile… opened no card")
	}
	h.ui.showMyProfile()
	if h.ui.only().profiles().own == nil {
		t.Fatal("My profile… opened no editor")
	}
	if !slices.Contains(h.core.Calls(), "FetchProfile "+me+" false") {
		t.Errorf("the own profile was not fetched: %q", h.core.Calls())
	}
}

// openOwn opens the own profile editor with the card received.
func openOwn(t *testing.T, h *harness, card vcard.VCard) *ownProfile {
	t.Helper()
	h.ui.only().showProfile(me)
	o := h.ui.only().profiles().own
	if o == nil {
		t.Fatal("showProfile of the own JID opened no editor")
	}
	if !labelContaining(o.win.Content(), "Loading…") {
		t.Error("no Loading… before the own profile came")
	}
	h.apply(profileReceivedEv(me, card, nil))
	return o
}

func ownCard() vcard.VCard {
	return vcard.VCard{
		FullName:  "Me Myself",
		Nickname:  "me",
		Emails:    []vcard.Email{{Address: "old@example.org", Kinds: []string{"HOME", "INTERNET"}}, {Address: "second@example.org"}},
		Addresses: []vcard.Address{{Locality: "Paris", Country: "France"}},
		Org:       vcard.Org{Name: "Palaver"},
	}
}

func TestOwnProfileEditSaves(t *testing.T) {
	h, pc := profileHarness(t)
	o := openOwn(t, h, ownCard())
	root := o.win.Content()
	if got := entryWithPlaceholder(t, root, "Full name").Text; got != "Me Myself" {
		t.Fatalf("full name %q, want the received one", got)
	}
	entryWithPlaceholder(t, root, "Full name").SetText("Me Again")
	entryWithPlaceholder(t, root, "Nickname").SetText("again")
	entryWithPlaceholder(t, root, "name@example.org").SetText("new@example.org")
	entryWithPlaceholder(t, root, "+1 555 0100").SetText("+33 1 00 00 00 00")
	entryWithPlaceholder(t, root, "YYYY-MM-DD").SetText("1985-07-01")
	entryWithPlaceholder(t, root, "https://").SetText("https://me.example")
	entryWithPlaceholder(t, root, "About you").SetText("Hello there")
	test.Tap(button(t, root, "Save"))

	if len(pc.saved) != 1 {
		t.Fatalf("%d SetProfile calls, want 1", len(pc.saved))
	}
	want := ownCard()
	want.FullName, want.Nickname, want.Birthday, want.URL, want.Note = "Me Again", "again", "1985-07-01", "https://me.example", "Hello there"
	want.Emails = []vcard.Email{{Address: "new@example.org", Kinds: []string{"HOME", "INTERNET"}}, {Address: "second@example.org"}}
	want.Phones = []vcard.Phone{{Number: "+33 1 00 00 00 00", Kinds: []string{"VOICE"}}}
	if got := pc.saved[0]; !reflect.DeepEqual(got, want) {
		t.Fatalf("saved\n%+v\nwant\n%+v", got, want)
	}
	if !button(t, root, "Save").Disabled() || !labelContaining(root, "Saving…") {
		t.Error("no Saving… with Save disabled while saving")
	}

	h.apply(profileSavedEv(want, nil, false))
	if !labelContaining(root, "Your profile was saved.") {
		t.Error("success is not shown")
	}
	if h.ui.only().profiles().mine.draft != nil {
		t.Error("the saved edits are still kept as unsaved")
	}
	if got := entryWithPlaceholder(t, root, "Full name").Text; got != "Me Again" {
		t.Errorf("after saving the form says %q", got)
	}
}

func TestOwnProfileBadBirthdayIsNotSaved(t *testing.T) {
	h, pc := profileHarness(t)
	o := openOwn(t, h, ownCard())
	entryWithPlaceholder(t, o.win.Content(), "YYYY-MM-DD").SetText("12/04/1990")
	test.Tap(button(t, o.win.Content(), "Save"))
	if len(pc.saved) != 0 {
		t.Fatal("a malformed birthday was saved")
	}
	if !labelContaining(o.win.Content(), "year-month-day") {
		t.Error("no hint about the birthday's form")
	}
}

func TestOwnProfileNotAllowedKeepsEdits(t *testing.T) {
	h, pc := profileHarness(t)
	o := openOwn(t, h, ownCard())
	entryWithPlaceholder(t, o.win.Content(), "Full name").SetText("Edited Name")
	entryWithPlaceholder(t, o.win.Content(), "About you").SetText("Edited note")
	test.Tap(button(t, o.win.Content(), "Save"))
	h.apply(profileSavedEv(pc.saved[0], errors.New("feature-not-implemented"), true))

	root := o.win.Content()
	const refused = "This network does not allow profile changes. Your edits stay in My profile until you quit Palaver or sign out; they are not stored anywhere."
	if !labelContaining(root, refused) {
		t.Error("the editor does not say the network refuses profile changes, and where the edits are")
	}
	if labelContaining(root, "kept on this computer") {
		t.Error("the editor promises what it does not do: the edits are not kept past quitting")
	}
	if got := entryWithPlaceholder(t, root, "Full name").Text; got != "Edited Name" {
		t.Errorf("full name %q after the refusal, want the edit", got)
	}
	if button(t, root, "Save").Disabled() {
		t.Error("Save stays disabled")
	}

	// A profile coming in (a refresh) does not overwrite the edits.
	h.apply(profileReceivedEv(me, ownCard(), nil))
	if got := entryWithPlaceholder(t, root, "Full name").Text; got != "Edited Name" {
		t.Errorf("a received profile replaced the edit with %q", got)
	}

	// Nor does closing the window lose them.
	o.win.Close()
	h.ui.only().showProfile(me)
	o = h.ui.only().profiles().own
	root = o.win.Content()
	if got := entryWithPlaceholder(t, root, "Full name").Text; got != "Edited Name" {
		t.Errorf("reopened: full name %q, want the edit", got)
	}
	if got := entryWithPlaceholder(t, root, "About you").Text; got != "Edited note" {
		t.Errorf("reopened: note %q, want the edit", got)
	}
	if !labelContaining(root, refused) {
		t.Error("reopened: the refusal is no longer said")
	}

	test.Tap(button(t, root, "Discard changes"))
	if got := entryWithPlaceholder(t, root, "Full name").Text; got != "Me Myself" {
		t.Errorf("after discarding: full name %q", got)
	}
}

func pngBytes(c color.Color, side int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // cannot fail writing to memory
	}
	return b.Bytes()
}

type pictureFile struct {
	*bytes.Reader
	closed bool
}

func (c *pictureFile) Close() error { c.closed = true; return nil }

func TestOwnProfilePhoto(t *testing.T) {
	h, pc := profileHarness(t)
	o := openOwn(t, h, ownCard())
	data := pngBytes(color.NRGBA{R: 200, A: 255}, 64)
	r := &pictureFile{Reader: bytes.NewReader(data)}
	o.loadPhoto(r)
	h.drain()
	if !r.closed {
		t.Error("the picture file was not closed")
	}
	if !o.photo.showing() {
		t.Fatal("the preview does not show the chosen picture")
	}
	test.Tap(button(t, o.win.Content(), "Save"))
	if got := pc.saved[0].Photo; got.Type != "image/png" || !bytes.Equal(got.Data, data) {
		t.Fatalf("saved photo %q with %d bytes, want image/png with the file's %d", got.Type, len(got.Data), len(data))
	}
	h.apply(profileSavedEv(vcard.VCard{}, errors.New("timeout"), false))

	test.Tap(button(t, o.win.Content(), "Remove picture"))
	if o.photo.showing() {
		t.Error("the preview still shows a picture after Remove")
	}
	test.Tap(button(t, o.win.Content(), "Save"))
	if got := pc.saved[1].Photo; !got.IsEmpty() {
		t.Errorf("the removed picture was saved: %q", got.Type)
	}
}

func TestOwnProfileRefusesBadPictures(t *testing.T) {
	h, _ := profileHarness(t)
	o := openOwn(t, h, ownCard())
	o.loadPhoto(&pictureFile{Reader: bytes.NewReader(make([]byte, maxPictureBytes+1))})
	h.drain()
	if !labelContaining(o.win.Content(), "larger than 16 MiB") {
		t.Error("a picture over 16 MiB is not refused")
	}
	o.loadPhoto(&pictureFile{Reader: bytes.NewReader([]byte("not a picture"))})
	h.drain()
	if !labelContaining(o.win.Content(), "Choose a PNG, JPEG or GIF file") {
		t.Error("a file that is no picture is not refused")
	}
	// More pixels than app/avatar takes from the user (a header is enough).
	o.loadPhoto(&pictureFile{Reader: bytes.NewReader(pngHeaderOnly(6000, 4001))})
	h.drain()
	if !labelContaining(o.win.Content(), "more than 24 million pixels") {
		t.Error("a picture of too many pixels is not refused as such")
	}
	o.loadPhoto(&pictureFile{Reader: bytes.NewReader(pngHeaderOnly(64, 64))})
	h.drain()
	if !labelContaining(o.win.Content(), "This picture is damaged") {
		t.Error("a damaged picture is not refused as such")
	}
	if d := h.ui.only().profiles().mine.draft; d != nil && d.Photo != nil {
		t.Error("a refused picture went into the edits")
	}
}

// pngHeaderOnly returns the start of a w×h PNG, with no pixels.
func pngHeaderOnly(w, h int) []byte {
	b := pngBytes(color.Black, 1)
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b[:33]
}

// The preview of a chosen picture is the small one publishing makes: the
// picture cache holds no full-size photo.
func TestOwnProfilePhotoPreviewIsSmall(t *testing.T) {
	h, pc := profileHarness(t)
	o := openOwn(t, h, ownCard())
	data := pngBytes(color.NRGBA{G: 200, A: 255}, 1000)
	o.loadPhoto(&pictureFile{Reader: bytes.NewReader(data)})
	h.drain()
	d := h.ui.only().profiles().mine.draft
	if d == nil || d.Photo == nil {
		t.Fatal("the picture is not in the edits")
	}
	img, _, err := avatarCache.get(d.PhotoHash, avatarSource{}, nil, nil)
	if err != nil || img == nil {
		t.Fatalf("the preview is not cached: %v", err)
	}
	if b := img.Bounds(); b.Dx() > pictures.MaxSide || b.Dy() > pictures.MaxSide {
		t.Errorf("the cached preview is %v, want at most %d a side", b.Size(), pictures.MaxSide)
	}
	test.Tap(button(t, o.win.Content(), "Save"))
	if got := pc.saved[0].Photo; !bytes.Equal(got.Data, data) || got.Type != "image/png" {
		t.Error("the file chosen is not what is saved (the core makes it publishable)")
	}
}

func TestOwnSaveResult(t *testing.T) {
	const kept = " Your edits stay in My profile until you quit Palaver or sign out; they are not stored anywhere."
	for i, tc := range []struct {
		err        error
		notAllowed bool
		want       string
	}{
		0: {nil, false, "Your profile was saved."},
		1: {errors.New("feature-not-implemented"), true, "This network does not allow profile changes." + kept},
		2: {errors.New("the server did not answer in time"), false,
			"Your profile could not be saved: the server did not answer in time." + kept + " Try Save again later."},
		3: {errors.New("internal-server-error: \u202Eline\nbreak"), false,
			"Your profile could not be saved: internal-server-error: line break." + kept + " Try Save again later."},
		4: {fmt.Errorf("saving: %w", stanza.Error{Condition: stanza.NotAcceptable, Text: map[string]string{"": "photo\ntoo big"}}), false,
			"Your profile could not be saved: the server did not accept what was sent; the server said “photo too big”." + kept + " Try Save again later."},
	} {
		if got := ownSaveResult(profileSavedEv(vcard.VCard{}, tc.err, tc.notAllowed)); got != tc.want {
			t.Errorf("%d: %q\nwant %q", i, got, tc.want)
		}
	}
}

func TestProfileSavedWithEditorClosed(t *testing.T) {
	h, _ := profileHarness(t)
	h.apply(profileSavedEv(vcard.VCard{}, errors.New("not-allowed"), true))
	if !h.ui.noticeBar.Visible() || !strings.Contains(h.ui.notice.Text, "does not allow profile changes") {
		t.Errorf("a refused save with the editor closed is not noticed: %q", h.ui.notice.Text)
	}
}

func TestCardFields(t *testing.T) {
	for i, tc := range []struct {
		card vcard.VCard
		want []field
	}{
		0: {vcard.VCard{}, nil},
		1: {vcard.VCard{FullName: "A", Birthday: "soon", Emails: []vcard.Email{{Address: " "}}},
			[]field{{"Birthday", "soon"}}},
		2: {vcard.VCard{Org: vcard.Org{Units: []string{"Lab", ""}}, Phones: []vcard.Phone{{Number: "1", Kinds: []string{"WORK", "FAX"}}}},
			[]field{{"Phone (work, fax)", "1"}, {"Organisation", "Lab"}}},
		3: {vcard.VCard{Note: strings.Repeat("x", 5000)}, []field{{"Note", strings.Repeat("x", maxNoteRunes) + "…"}}},
		4: {vcard.VCard{Addresses: []vcard.Address{{POBox: "12", Region: "Texas"}}}, []field{{"Address", "PO Box 12\nTexas"}}},
	} {
		if got := cardFields(tc.card); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d: %q, want %q", i, got, tc.want)
		}
	}
}

func TestProfileCardFollowsPresence(t *testing.T) {
	h, _ := profileHarness(t)
	c := cardWith(t, h)
	root := c.win.Content()
	h.apply(presenceEv(c.jid, im.DND, "In a meeting"))
	if !labelContaining(root, "Do not disturb — In a meeting") || c.dot.FillColor != colorDND {
		t.Error("the card does not follow the presence")
	}
	h.apply(typingStateEv(c.jid, chatstate.Composing))
	if !labelContaining(root, "typing…") {
		t.Error("the card does not say the contact is typing")
	}
	// Without a connection the presence is the one last seen.
	h.apply(stateEv(app.Waiting))
	if !labelContaining(root, "Do not disturb (last seen") || labelContaining(root, "typing…") {
		t.Error("the card does not show the presence as last seen with the connection gone")
	}
}

func TestOwnProfileChoosePictureOpensFileDialog(t *testing.T) {
	h, _ := profileHarness(t)
	o := openOwn(t, h, ownCard())
	test.Tap(button(t, o.win.Content(), "Choose picture…"))
	if o.win.Canvas().Overlays().Top() == nil {
		t.Fatal("Choose picture… shows no file dialog")
	}
}

func TestProfilesOfClosedSessionAreDropped(t *testing.T) {
	h, _ := profileHarness(t)
	c := cardWith(t, h)
	s := h.ui.only()
	h.ui.only().showProfile(me)
	own := s.profiles().own
	open := func(w fyne.Window) bool { return slices.Contains(fyne.CurrentApp().Driver().AllWindows(), w) }
	if !open(c.win) || !open(own.win) {
		t.Fatal("the profile windows are not open")
	}
	h.ui.stopSessions()
	if open(c.win) || open(own.win) {
		t.Error("the profile windows of a closed session stay open")
	}
	if s.prof != nil {
		t.Error("the closed session's profile state is kept")
	}
}

func TestOwnProfileEditsWhileSavingStay(t *testing.T) {
	h, pc := profileHarness(t)
	o := openOwn(t, h, ownCard())
	name := entryWithPlaceholder(t, o.win.Content(), "Full name")
	name.SetText("First")
	test.Tap(button(t, o.win.Content(), "Save"))
	name.SetText("Second")
	h.apply(profileSavedEv(pc.saved[0], nil, false))
	if name.Text != "Second" {
		t.Fatalf("an edit made while saving was replaced by %q", name.Text)
	}
	if d := h.ui.only().profiles().mine.draft; d == nil || d.FullName != "Second" {
		t.Fatal("an edit made while saving is not kept as unsaved")
	}
	test.Tap(button(t, o.win.Content(), "Save"))
	if got := pc.saved[1].FullName; got != "Second" {
		t.Fatalf("saved %q, want Second", got)
	}
}
