package views

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	pictures "github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/media"
)

// Files and pictures in chats (XEP-0363 upload, XEP-0066 links): the
// attach button and drops send a file after a confirmation that offers to
// keep a picture's metadata; an upload is a row of ours with progress and
// Cancel, which becomes the message with the file's URL once uploaded. A
// message that is exactly one https URL shows what it points to: a
// picture's preview (fetched by the core into its cache, automatically
// only for contacts and only when the row is drawn), or a file's name and
// size with "Save as…".

// filer is the part of the core that sends and fetches files
// (app.Client); a core without it offers neither.
type filer interface {
	SendFile(peer, path string, opt app.FileOptions) string
	CancelUpload(id string)
	FetchMedia(url string)
	SaveMedia(url, path string)
}

var _ filer = (*app.Client)(nil)

// uploadState is one of our files on its way to the upload service.
type uploadState struct {
	path, name  string
	sent, total int64
	// failed says why it did not finish ("" while it runs); again is set
	// when sending it again makes sense.
	failed string
	again  bool
}

// mediaState is what the session knows about a shared file's URL.
type mediaState struct {
	// asked is set once the core was asked; info is its answer.
	asked bool
	info  *app.MediaInfo
}

// maxMedia bounds the URLs whose state a session keeps.
const maxMedia = 4096

// mediaURL returns the https URL that body is, when it is exactly one
// (what XEP-0363 uploads send, and what Conversations, Dino and Gajim
// preview), else "".
func mediaURL(body string) string {
	s := strings.TrimSpace(body)
	if s == "" || len(s) > 4096 || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return s
}

// fileName is the last segment of a shared file's URL, unescaped and
// made plain: what the row names the file by.
func fileName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return lang.L("file")
	}
	name := path.Base(u.Path)
	if name == "." || name == "/" || name == "" {
		return lang.L("file")
	}
	return clipRunes(plainLine(name), 80)
}

// sizeText words a size in bytes.
func sizeText(n int64) string {
	switch {
	case n < 0:
		return lang.L("size unknown")
	case n < 1000:
		return lang.N("{{.Count}} bytes", int(n), map[string]any{"Count": n})
	case n < 1000*1000:
		return lang.L("{{.Size}} kB", map[string]any{"Size": fmt.Sprintf("%.0f", float64(n)/1000)})
	case n < 1000*1000*1000:
		return lang.L("{{.Whole}}.{{.Tenth}} MB", decimalData(float64(n)/1e6))
	}
	return lang.L("{{.Whole}}.{{.Tenth}} GB", decimalData(float64(n)/1e9))
}

// decimal is a number with one decimal, for templates that put the
// language's decimal mark between Whole and Tenth.
type decimal struct{ Whole, Tenth int64 }

// decimalData splits x, rounded to a tenth, into its whole part and its
// tenths.
func decimalData(x float64) decimal {
	tenths := int64(x*10 + 0.5)
	return decimal{tenths / 10, tenths % 10}
}

// thumbSize fits a w×h picture into app.ThumbWidth×app.ThumbHeight, and
// then into width maxW, keeping its shape.
func thumbSize(w, h int, maxW float32) fyne.Size {
	if w <= 0 || h <= 0 {
		return fyne.NewSize(0, 0)
	}
	s := min(float32(app.ThumbWidth)/float32(w), float32(app.ThumbHeight)/float32(h), 1)
	tw, th := float32(w)*s, float32(h)*s
	if maxW > 0 && tw > maxW {
		th, tw = th*maxW/tw, maxW
	}
	return fyne.NewSize(tw, th)
}

// media returns the state of url, made when new.
func (s *session) media(u string) *mediaState {
	if s.mediaStates == nil {
		s.mediaStates = make(map[string]*mediaState)
	}
	st := s.mediaStates[u]
	if st == nil {
		if len(s.mediaStates) >= maxMedia {
			clear(s.mediaStates) // rows ask again when drawn
		}
		st = &mediaState{}
		s.mediaStates[u] = st
	}
	return st
}

// autoPreviews reports whether pictures from contacts are fetched without
// a click (View menu); never for strangers and rooms.
func (u *UI) autoPreviews() bool {
	return u.app.Preferences().BoolWithFallback(prefAutoPreviews, true)
}

// autoPreviewsItem is the View menu toggle for autoPreviews.
func (u *UI) autoPreviewsItem() *fyne.MenuItem {
	item := fyne.NewMenuItem(lang.L("Show pictures from contacts"), nil)
	item.Checked = u.autoPreviews()
	item.Action = func() {
		on := !u.autoPreviews()
		u.app.Preferences().SetBool(prefAutoPreviews, on)
		item.Checked = on
		if mm := u.win.MainMenu(); mm != nil {
			mm.Refresh()
		}
	}
	return item
}

const prefAutoPreviews = "previews.auto"

// bindMedia asks the core about m's URL as its row is drawn, when the
// picture may be fetched without a click (autoMedia): ours, or a
// contact's, unless the user turned previews off. Only drawn rows ask, so scrolling
// through a thousand pictures fetches those seen.
func (c *chatWindow) bindMedia(m *chatMsg) {
	if m.media != "" && c.autoMedia(m) {
		c.fetchMedia(m.media)
	}
}

// fetchMedia asks the core about u once.
func (c *chatWindow) fetchMedia(u string) {
	f, ok := c.s.core.(filer)
	if !ok {
		return
	}
	st := c.s.media(u)
	if st.asked {
		return
	}
	st.asked = true
	f.FetchMedia(u)
}

// mediaTapped acts on the media part of m's row: show a preview, open the
// picture, save the file, cancel or resend an upload.
func (c *chatWindow) mediaTapped(m *chatMsg) {
	if up := m.upload; up != nil {
		f, ok := c.s.core.(filer)
		if !ok {
			return
		}
		if up.failed == "" {
			f.CancelUpload(m.id)
			return
		}
		if up.again {
			c.removeMsg(m)
			c.sendFile(up.path, app.FileOptions{})
		}
		return
	}
	if m.media == "" {
		return
	}
	st := c.s.media(m.media)
	switch {
	case !st.asked:
		c.fetchMedia(m.media)
		c.touchMedia(m.media)
	case st.info == nil:
		// Still loading.
	case st.info.Err != nil:
		st.asked, st.info = false, nil
		c.fetchMedia(m.media)
		c.touchMedia(m.media)
	case st.info.Thumb != "":
		c.showPicture(*st.info)
	default:
		c.saveAs(m.media)
	}
}

// removeMsg drops m (a failed upload sent again) from the conversation.
func (c *chatWindow) removeMsg(m *chatMsg) {
	for i, x := range c.conv.msgs {
		if x == m {
			c.conv.msgs = append(c.conv.msgs[:i], c.conv.msgs[i+1:]...)
			break
		}
	}
	if m.id != "" && c.conv.byID[m.id] == m {
		delete(c.conv.byID, m.id)
	}
	c.refresh(false)
}

// touchMedia redraws the rows of the open chats that show u.
func (c *chatWindow) touchMedia(u string) { c.s.touchMedia(u) }

func (s *session) touchMedia(u string) {
	for _, c := range s.chats {
		changed := false
		for _, m := range c.conv.msgs {
			if m.media == u {
				m.rev++
				changed = true
			}
		}
		if changed {
			c.refresh(false)
		}
	}
}

// attach asks for a file to send.
func (c *chatWindow) attach() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		p := r.URI().Path()
		r.Close()
		c.confirmFile(p)
	}, c.win)
	d.Show()
}

// dropped sends files dropped onto the window, each after its
// confirmation.
func (c *chatWindow) dropped(_ fyne.Position, uris []fyne.URI) {
	for _, u := range uris {
		if u.Scheme() == "file" {
			c.confirmFile(u.Path())
		}
	}
}

// confirmFile asks before sending the file at p: its name and size, and
// for a picture whether to keep what it says about where and how it was
// taken.
func (c *chatWindow) confirmFile(p string) {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		c.s.ui.showNotice(lang.L("Palaver cannot read {{.Name}}. Choose a file you can open.", map[string]any{"Name": plainLine(filepath.Base(p))}))
		return
	}
	if up := c.s.Upload; up.MaxSize > 0 && fi.Size() > up.MaxSize {
		c.s.ui.showNotice(tooLargeText(plainLine(filepath.Base(p)), fi.Size(), up.MaxSize))
		return
	}
	name := plainLine(filepath.Base(p))
	text := widget.NewLabel(lang.L("Send {{.Name}} ({{.Size}}) to {{.Contact}}?",
		map[string]any{"Name": name, "Size": sizeText(fi.Size()), "Contact": c.s.peerName(c.conv.peer)}))
	text.Wrapping = fyne.TextWrapWord
	strip := widget.NewCheck(lang.L("Remove the location, camera and other details from the picture"), nil)
	strip.SetChecked(true)
	items := []fyne.CanvasObject{text}
	if isPicture(p) {
		items = append(items, strip)
	}
	dialog.ShowCustomConfirm(lang.L("Send a file"), lang.L("Send"), lang.L("Cancel"), container.NewVBox(items...), func(ok bool) {
		if ok {
			c.sendFile(p, app.FileOptions{KeepMetadata: isPicture(p) && !strip.Checked})
		}
	}, c.win)
}

// isPicture reports whether p names a picture whose metadata Palaver can
// remove (JPEG, PNG).
func isPicture(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// sendFile starts the upload of p: a row of ours shows it at once.
func (c *chatWindow) sendFile(p string, opt app.FileOptions) {
	f, ok := c.s.core.(filer)
	if !ok {
		return
	}
	if c.room && c.left {
		c.s.ui.showNotice(lang.L("You are not in this room any more: join it again to send a file."))
		return
	}
	id := f.SendFile(c.conv.peer, p, opt)
	name := filepath.Base(p)
	m := newChatMsg(id, outgoingSender, name, clock.now(), true)
	m.links = nil
	var size int64 = -1
	if fi, err := os.Stat(p); err == nil {
		size = fi.Size()
	}
	m.upload = &uploadState{path: p, name: plainLine(name), total: size}
	c.toNewest()
	c.conv.add(m)
	c.refresh(true)
}

// applyFiles shows what the core says about uploads and media.
func (s *session) applyFiles(events []app.Event, touched map[*chatWindow]bool) {
	for _, ev := range events {
		switch e := ev.(type) {
		case app.UploadProgress:
			if m := s.uploadMsg(e.Peer, e.ID); m != nil && m.upload.failed == "" {
				m.upload.sent, m.upload.total = e.Sent, e.Total
				m.rev++
				s.touch(e.Peer, touched)
			}
		case app.UploadDone:
			if m := s.uploadMsg(e.Peer, e.ID); m != nil {
				m.upload = nil
				m.body, m.media = e.URL, mediaURL(e.URL)
				m.preview, m.clipped = clipPreview(e.URL)
				m.rev++
				s.touch(e.Peer, touched)
			}
		case app.UploadFailed:
			m := s.uploadMsg(e.Peer, e.ID)
			if m == nil {
				s.ui.showNotice(uploadFailedText(filepath.Base(e.Path), e.Err))
				break
			}
			m.upload.failed, m.upload.again = uploadFailedText(m.upload.name, e.Err), !errors.Is(e.Err, app.ErrNoUploadService)
			if errors.Is(e.Err, app.ErrUploadCanceled) {
				m.upload.failed = lang.L("Canceled.")
			}
			m.state = history.Failed
			m.rev++
			s.touch(e.Peer, touched)
		case app.UploadInterrupted:
			conv := s.conversation(e.Peer)
			name := filepath.Base(e.Path)
			m := newChatMsg(e.ID, outgoingSender, name, clock.now(), true)
			m.links, m.state = nil, history.Failed
			m.upload = &uploadState{path: e.Path, name: plainLine(name), total: e.Size, again: true,
				failed: lang.L("Palaver quit before this file was sent.")}
			conv.add(m)
			if !s.touch(e.Peer, touched) {
				s.ui.showNotice(lang.L("A file for {{.Name}} was not sent before Palaver quit: open the chat to send it again.", map[string]any{"Name": s.peerName(e.Peer)}))
			}
		case app.MediaInfo:
			st := s.media(e.URL)
			st.asked, st.info = true, &e
			s.touchMedia(e.URL)
		case app.MediaSaved:
			if e.Err != nil {
				s.ui.showNotice(lang.L("{{.Name}} was not saved: {{.Reason}}", map[string]any{"Name": fileName(e.URL), "Reason": mediaErrText(e.Err)}))
			} else {
				s.ui.showNotice(lang.L("Saved {{.Name}}.", map[string]any{"Name": plainLine(e.Path)}))
			}
		}
	}
}

// uploadMsg returns the upload row id in the conversation with peer.
func (s *session) uploadMsg(peer, id string) *chatMsg {
	conv := s.convs[peer]
	if conv == nil {
		return nil
	}
	m := conv.byID[id]
	if m == nil || m.upload == nil {
		return nil
	}
	return m
}

// touch marks peer's chat window for a refresh, and reports whether one
// is open.
func (s *session) touch(peer string, touched map[*chatWindow]bool) bool {
	c := s.chats[peer]
	if c != nil {
		touched[c] = true
	}
	return c != nil
}

// uploadFailedText words why an upload failed.
func uploadFailedText(name string, err error) string {
	var big *app.FileTooLargeError
	var ue *certs.UntrustedError
	var st *app.UploadStatusError
	switch {
	case errors.As(err, &st):
		return lang.L("The upload server refused the file with error {{.Status}}. Send it again later.", map[string]any{"Status": st.Status})
	case errors.As(err, &big):
		return tooLargeText(name, big.Size, big.Max)
	case errors.Is(err, app.ErrNoUploadService):
		return lang.L("Your server does not take files, so Palaver cannot send one from this account.")
	case errors.Is(err, app.ErrUploadQuota):
		return lang.L("Your server has no room left for files. Delete some, or try later.")
	case errors.Is(err, app.ErrUploadRefused):
		return lang.L("Your server does not let this account send files.")
	case errors.Is(err, app.ErrUploadCanceled):
		return lang.L("Canceled.")
	case errors.As(err, &ue):
		return lang.L("The upload server's certificate is not trusted, so the file was not sent.")
	case errors.Is(err, os.ErrNotExist), errors.Is(err, os.ErrPermission):
		return lang.L("Palaver cannot read {{.Name}} any more.", map[string]any{"Name": name})
	}
	return lang.L("The upload did not finish: {{.Error}}. Send it again.", map[string]any{"Error": errorText(err)})
}

// tooLargeText says that the file name of size bytes is larger than the
// server's limit of limit bytes.
func tooLargeText(name string, size, limit int64) string {
	return lang.L("{{.Name}} is {{.Size}}; your server accepts files up to {{.Max}}. Send a smaller file.",
		map[string]any{"Name": name, "Size": sizeText(size), "Max": sizeText(limit)})
}

// mediaErrText words why a file could not be fetched.
func mediaErrText(err error) string {
	var ue *certs.UntrustedError
	var se *media.StatusError
	switch {
	case errors.As(err, &se) && (se.Code == 404 || se.Code == 410):
		return lang.L("the file is no longer on the server")
	case errors.As(err, &se) && (se.Code == 401 || se.Code == 403):
		return lang.L("the server does not let Palaver download it")
	case errors.As(err, &se):
		return lang.L("the server answered with error {{.Status}}", map[string]any{"Status": se.Code})
	case errors.Is(err, pictures.ErrNotImage), errors.Is(err, pictures.ErrCorrupt):
		return lang.L("the picture is damaged or not a picture")
	case errors.Is(err, pictures.ErrTooManyPixels):
		return lang.L("the picture is too large to show")
	case errors.Is(err, app.ErrNotHTTPS):
		return lang.L("only secure (https) links are downloaded")
	case errors.Is(err, app.ErrMediaTooLarge):
		return lang.L("it is too large")
	case errors.As(err, &ue):
		return lang.L("the server's certificate is not trusted")
	}
	return errorText(err)
}

// saveAs asks where to save the file at u.
func (c *chatWindow) saveAs(u string) {
	f, ok := c.s.core.(filer)
	if !ok {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		p := w.URI().Path()
		w.Close()
		f.SaveMedia(u, p)
	}, c.win)
	d.SetFileName(fileName(u))
	d.Show()
}

// showPicture opens a picture at full size (within the screen) in a
// window of its own, with Save as….
func (c *chatWindow) showPicture(info app.MediaInfo) {
	file := info.File
	if file == "" {
		file = info.Thumb
	}
	img := canvas.NewImageFromFile(file)
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScaleSmooth
	w := c.s.ui.app.NewWindow(fileName(info.URL))
	save := widget.NewButtonWithIcon(lang.L("Save as…"), theme.DocumentSaveIcon(), func() { c.saveAs(info.URL) })
	w.SetContent(container.NewBorder(nil, container.NewHBox(save), nil, nil, img))
	size := fyne.NewSize(min(float32(max(info.Width, 200)), 1000), min(float32(max(info.Height, 150)), 750))
	w.Resize(size)
	w.Show()
}

// mediaView is what the row of a shared file or upload shows under its
// text: the picture, a line about the file, a progress bar, one button.
type mediaView struct {
	thumb    *tappableImage
	label    *widget.Label
	progress *widget.ProgressBar
	button   *widget.Button
	// size is the picture's size at the row's width.
	pic fyne.Size
}

func newMediaView(tapped func()) *mediaView {
	v := &mediaView{
		thumb:    newTappableImage(tapped),
		label:    widget.NewLabel(""),
		progress: widget.NewProgressBar(),
		button:   widget.NewButton("", tapped),
	}
	v.label.Wrapping = fyne.TextWrapWord
	v.button.Importance = widget.LowImportance
	v.hide()
	return v
}

func (v *mediaView) objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{v.thumb, v.label, v.progress, v.button}
}

func (v *mediaView) hide() {
	for _, o := range v.objects() {
		o.Hide()
	}
}

// set shows m's file or upload; st is the state of its URL.
func (v *mediaView) set(m *chatMsg, st *mediaState, auto bool) {
	v.hide()
	button := func(text string) {
		v.button.SetText(text)
		v.button.Show()
	}
	if up := m.upload; up != nil {
		v.label.SetText(uploadLine(up))
		v.label.Show()
		if up.failed == "" {
			if up.total > 0 {
				v.progress.SetValue(float64(up.sent) / float64(up.total))
			}
			v.progress.Show()
			button(lang.L("Cancel"))
		} else if up.again {
			button(lang.L("Send again"))
		}
		return
	}
	if m.media == "" {
		return
	}
	switch {
	case st == nil || !st.asked:
		if !auto {
			button(lang.L("Show preview"))
		}
	case st.info == nil:
		v.label.SetText(lang.L("Loading the preview…"))
		v.label.Show()
	case st.info.Err != nil:
		v.label.SetText(lang.L("No preview: {{.Reason}}.", map[string]any{"Reason": mediaErrText(st.info.Err)}))
		v.label.Show()
		button(lang.L("Try again"))
	case st.info.Thumb != "":
		v.thumb.setFile(st.info.Thumb)
		v.pic = thumbSize(st.info.Width, st.info.Height, 0)
		v.thumb.Show()
	default:
		name := st.info.Name
		if name == "" {
			name = fileName(m.media)
		}
		v.label.SetText("📄 " + clipRunes(plainLine(name), 80) + " — " + sizeText(st.info.Size))
		v.label.Show()
		button(lang.L("Save as…"))
	}
}

// uploadLine words an upload's progress or failure.
func uploadLine(up *uploadState) string {
	if up.failed != "" {
		return "📎 " + up.failed
	}
	if up.total > 0 {
		return "📎 " + lang.L("Sending — {{.Percent}} % of {{.Size}}", map[string]any{"Percent": up.sent * 100 / up.total, "Size": sizeText(up.total)})
	}
	return "📎 " + lang.L("Sending…")
}

// place lays v out from y at x, width w, and returns the new y.
func (v *mediaView) place(x, y, w float32) float32 {
	if v.thumb.Visible() {
		// In line with the text above, which labels inset by their
		// inner padding.
		in := theme.Size(theme.SizeNameInnerPadding)
		s := v.pic
		if s.Width > w-in {
			s = fyne.NewSize(w-in, s.Height*(w-in)/s.Width)
		}
		v.thumb.Move(fyne.NewPos(x+in, y))
		v.thumb.Resize(s)
		y += s.Height
	}
	if v.label.Visible() || v.button.Visible() {
		var bs fyne.Size
		if v.button.Visible() {
			bs = v.button.MinSize()
		}
		lw := max(w-bs.Width, 1)
		lh := float32(0)
		if v.label.Visible() {
			v.label.Resize(fyne.NewSize(lw, v.label.Size().Height))
			lh = v.label.MinSize().Height
			v.label.Move(fyne.NewPos(x, y))
			v.label.Resize(fyne.NewSize(lw, lh))
		}
		if v.button.Visible() {
			bx := x + lw
			if !v.label.Visible() {
				bx = x
			}
			v.button.Move(fyne.NewPos(bx, y))
			v.button.Resize(bs)
		}
		y += max(lh, bs.Height)
	}
	if v.progress.Visible() {
		ph := v.progress.MinSize().Height
		v.progress.Move(fyne.NewPos(x, y))
		v.progress.Resize(fyne.NewSize(w, ph))
		y += ph
	}
	return y
}

// tappableImage is a picture that reacts to a tap.
type tappableImage struct {
	widget.BaseWidget
	img    *canvas.Image
	file   string
	tapped func()
}

func newTappableImage(tapped func()) *tappableImage {
	t := &tappableImage{img: &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScaleSmooth}, tapped: tapped}
	t.ExtendBaseWidget(t)
	return t
}

// setFile shows the picture in file (a thumbnail in the core's cache):
// Fyne decodes it when drawn, and rows are recycled, so only the
// pictures in view are held decoded.
func (t *tappableImage) setFile(file string) {
	if t.file == file {
		return
	}
	t.file = file
	t.img.File = file
	t.img.Refresh()
}

// Tapped implements fyne.Tappable.
func (t *tappableImage) Tapped(*fyne.PointEvent) {
	if t.tapped != nil {
		t.tapped()
	}
}

// CreateRenderer implements fyne.Widget.
func (t *tappableImage) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(t.img)
}

// autoMedia reports whether m's picture is fetched without a click.
func (c *chatWindow) autoMedia(m *chatMsg) bool {
	switch {
	case !c.s.ui.autoPreviews():
		return false
	case m.outgoing:
		return true // what we sent ourselves
	case c.room:
		return false // anyone can write in a room
	}
	_, ok := c.s.Roster.Contact(c.conv.peer)
	return ok
}

// mediaShape describes what decides the height of m's media part, for
// the heights measured by what rows show.
func (c *chatWindow) mediaShape(m *chatMsg) string {
	if up := m.upload; up != nil {
		return "u" + up.failed + fmt.Sprint(up.again)
	}
	st := c.s.mediaStates[m.media]
	switch {
	case st == nil || !st.asked:
		return "n" + fmt.Sprint(c.autoMedia(m))
	case st.info == nil:
		return "l"
	case st.info.Err != nil:
		return "e" + st.info.Err.Error()
	case st.info.Thumb != "":
		return fmt.Sprintf("t%dx%d", st.info.Width, st.info.Height)
	}
	return "f" + st.info.Name + fmt.Sprint(st.info.Size)
}

// mediaEstimate guesses the height of m's media part at width w.
func (c *chatWindow) mediaEstimate(m *chatMsg, w float32) float32 {
	if m.upload == nil && m.media == "" {
		return 0
	}
	line := theme.TextSize() * 2.6
	if m.upload != nil {
		return 2 * line
	}
	if st := c.s.mediaStates[m.media]; st != nil && st.info != nil && st.info.Thumb != "" {
		return thumbSize(st.info.Width, st.info.Height, w).Height
	}
	return line
}
