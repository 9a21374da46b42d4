package views

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	pictures "github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/media"
)

// fileCore is a fake core that sends and fetches files.
type fileCore struct{ *fakeCore }

func (f fileCore) SendFile(peer, path string, opt app.FileOptions) string {
	f.mu.Lock()
	f.nextID++
	id := "up" + strings.Repeat("i", f.nextID)
	f.mu.Unlock()
	f.record("SendFile %s %s keep=%v", peer, filepath.Base(path), opt.KeepMetadata)
	return id
}
func (f fileCore) CancelUpload(id string)     { f.record("CancelUpload %s", id) }
func (f fileCore) FetchMedia(url string)      { f.record("FetchMedia %s", url) }
func (f fileCore) SaveMedia(url, path string) { f.record("SaveMedia %s %s", url, path) }

// filesSignedIn is signedIn with a core that handles files.
func filesSignedIn(t *testing.T) *harness {
	return filesSignedInWith(t, newHarness(t, account.Account{JID: me}))
}

// filesSignedInWith is filesSignedIn with a harness made before.
func filesSignedInWith(t *testing.T, h *harness) *harness {
	h.wrap = func(c *fakeCore) Core { return fileCore{c} }
	h.ui.Show()
	h.apply(stateEv(app.Online))
	return h
}

// callsSince returns the calls recorded since mark that start with prefix.
func callsSince(h *harness, mark int, prefix string) []string {
	var out []string
	for _, c := range h.core.Calls()[mark:] {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func uploadProgress(peer, id string, sent, total int64) app.UploadProgress {
	e := app.UploadProgress{ID: id, Peer: peer, Sent: sent, Total: total}
	e.Acct = me
	return e
}

// writePNG writes a w×h picture into dir and returns its path.
func writePNG(t *testing.T, dir string, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, h/2, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "thumb.png")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSendFileShowsProgressCancelAndSendAgain(t *testing.T) {
	fixClock(t)
	h := filesSignedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)
	if _, ok := find(c.win.Content(), func(b *widget.Button) bool { return b == c.attachBtn }); !ok || c.attachBtn == nil {
		t.Error("no attach button in a chat with a core that sends files")
	}
	file := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(file, make([]byte, 2000), 0o600); err != nil {
		t.Fatal(err)
	}

	// The confirmation names the file and its size; a text file has no
	// metadata choice.
	mark := len(h.core.Calls())
	c.confirmFile(file)
	top := c.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no confirmation")
	}
	if _, ok := find(top, func(l *widget.Label) bool { return strings.Contains(l.Text, "notes.txt (2 kB) to Alice") }); !ok {
		t.Error("the confirmation does not name the file, its size and the peer")
	}
	if _, ok := find(top, func(*widget.Check) bool { return true }); ok {
		t.Error("a text file offers to remove picture details")
	}
	send, ok := find(top, func(b *widget.Button) bool { return b.Text == "Send" })
	if !ok {
		t.Fatal("no Send button")
	}
	test.Tap(send)
	if got := callsSince(h, mark, "SendFile"); len(got) != 1 || got[0] != "SendFile alice@example.org notes.txt keep=false" {
		t.Fatalf("calls %q", got)
	}
	var m *chatMsg
	for _, x := range c.conv.msgs {
		if x.upload != nil {
			m = x
		}
	}
	if m == nil {
		t.Fatal("no upload row")
	}
	h.settle()
	r := rowOf(t, c, m)
	if !r.media.progress.Visible() || r.media.button.Text != "Cancel" {
		t.Fatalf("upload row: progress %v, button %q", r.media.progress.Visible(), r.media.button.Text)
	}
	before := r.heightFor(c.width)
	if before < 2*c.lineH {
		t.Errorf("upload row %v high: no room for its progress (one line %v)", before, c.lineH)
	}

	// Progress.
	h.apply(uploadProgress(peer, m.id, 1000, 2000))
	h.settle()
	r = rowOf(t, c, m)
	if r.media.progress.Value != 0.5 || !strings.Contains(r.media.label.Text, "50 % of 2 kB") {
		t.Errorf("progress %v, label %q", r.media.progress.Value, r.media.label.Text)
	}

	// Cancel, then the core's answer; Send again starts anew.
	mark = len(h.core.Calls())
	test.Tap(r.media.button)
	if got := callsSince(h, mark, "CancelUpload"); len(got) != 1 || got[0] != "CancelUpload "+m.id {
		t.Fatalf("cancel calls %q", got)
	}
	failed := app.UploadFailed{ID: m.id, Peer: peer, Path: file, Err: app.ErrUploadCanceled}
	failed.Acct = me
	h.apply(failed)
	h.settle()
	r = rowOf(t, c, m)
	if r.media.progress.Visible() || r.media.button.Text != "Send again" || !strings.Contains(r.media.label.Text, "Canceled.") {
		t.Fatalf("canceled row: progress %v, button %q, label %q", r.media.progress.Visible(), r.media.button.Text, r.media.label.Text)
	}
	if r.retry.Visible() {
		t.Error("a failed upload offers Retry, which would resend a message that never was")
	}
	mark = len(h.core.Calls())
	test.Tap(r.media.button)
	if got := callsSince(h, mark, "SendFile"); len(got) != 1 {
		t.Fatalf("send again: %q", got)
	}
	if c.conv.byID[m.id] == m || len(c.conv.msgs) != 1 {
		t.Fatalf("the canceled row stays beside the new one: %d rows", len(c.conv.msgs))
	}
	m = c.conv.msgs[0]

	// Done: the row is the message with the URL, whose preview is asked
	// for as it is drawn (ours: no click needed).
	url := "https://upload.example.org/abc/notes.txt"
	mark = len(h.core.Calls())
	done := app.UploadDone{ID: m.id, Peer: peer, URL: url}
	done.Acct = me
	h.apply(done)
	h.settle()
	if m.upload != nil || m.body != url || m.media != url {
		t.Fatalf("after UploadDone: upload %v, body %q", m.upload, m.body)
	}
	if got := callsSince(h, mark, "FetchMedia"); len(got) != 1 || got[0] != "FetchMedia "+url {
		t.Fatalf("fetch calls %q", got)
	}
	// The file is not a picture: its name, size and Save as….
	info := app.MediaInfo{URL: url, Type: "text/plain", Size: 2000, Name: "notes.txt"}
	info.Acct = me
	h.apply(info)
	h.settle()
	r = rowOf(t, c, m)
	if !strings.Contains(r.media.label.Text, "notes.txt — 2 kB") || r.media.button.Text != "Save as…" {
		t.Fatalf("file row: label %q, button %q", r.media.label.Text, r.media.button.Text)
	}
	// The state moves on like any message.
	st := app.MessageStateChanged{ID: m.id, Peer: peer, State: history.Sent}
	st.Acct = me
	h.apply(st)
	if m.state != history.Sent {
		t.Errorf("state %v after Sent", m.state)
	}
}

func TestPicturePreviewFromContactAndStranger(t *testing.T) {
	now := fixClock(t)
	h := filesSignedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)
	url := "https://upload.example.org/x/cat.png"
	mark := len(h.core.Calls())
	h.apply(messageEv(peer, url, now, false))
	h.settle()
	if got := callsSince(h, mark, "FetchMedia"); len(got) != 1 {
		t.Fatalf("a contact's picture is not fetched as it is drawn: %q", got)
	}
	m := c.conv.msgs[len(c.conv.msgs)-1]
	r := rowOf(t, c, m)
	if !strings.Contains(r.media.label.Text, "Loading") || len(r.links.Objects) != 0 && r.links.Visible() {
		t.Errorf("loading row: label %q, links shown %v", r.media.label.Text, r.links.Visible())
	}
	oneLine := r.heightFor(c.width)
	info := app.MediaInfo{URL: url, Type: "image/png", Size: 5000, Name: "cat.png", Width: 720, Height: 540,
		Thumb: writePNG(t, t.TempDir(), 360, 270)}
	info.Acct = me
	h.apply(info)
	h.settle()
	r = rowOf(t, c, m)
	if !r.media.thumb.Visible() || r.media.thumb.Size().Width != 360 || r.media.thumb.Size().Height != 270 {
		t.Fatalf("preview: shown %v at %v", r.media.thumb.Visible(), r.media.thumb.Size())
	}
	if got := r.heightFor(c.width); got < oneLine+200 {
		t.Errorf("row height %v with a 270-high picture (was %v)", got, oneLine)
	}
	if rh := c.heights[m]; !rh.measured || rh.h < oneLine+200 {
		t.Errorf("the list was not told the new height: %+v", rh)
	}
	// A second message with the same URL is not fetched again.
	mark = len(h.core.Calls())
	h.apply(messageEv(peer, url, now, false))
	h.settle()
	if got := callsSince(h, mark, "FetchMedia"); len(got) != 0 {
		t.Errorf("fetched again: %q", got)
	}

	// Someone not in the contact list: nothing fetched before a click.
	other := "mallory@example.net"
	co := openRead(h, other)
	url2 := "https://evil.example.net/track.png"
	mark = len(h.core.Calls())
	h.apply(messageEv(other, url2, now, false))
	h.settle()
	if got := callsSince(h, mark, "FetchMedia"); len(got) != 0 {
		t.Fatalf("a stranger's picture was fetched without a click: %q", got)
	}
	m2 := co.conv.msgs[len(co.conv.msgs)-1]
	r2 := rowOf(t, co, m2)
	if r2.media.button.Text != "Show preview" || !r2.media.button.Visible() {
		t.Fatalf("stranger's row: button %q", r2.media.button.Text)
	}
	test.Tap(r2.media.button)
	if got := callsSince(h, mark, "FetchMedia"); len(got) != 1 || got[0] != "FetchMedia "+url2 {
		t.Fatalf("click: %q", got)
	}
}

func TestAutoPreviewsCanBeTurnedOff(t *testing.T) {
	now := fixClock(t)
	h := filesSignedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	h.ui.autoPreviewsItem().Action()
	if h.ui.autoPreviews() {
		t.Fatal("the View menu item did not turn previews off")
	}
	c := openRead(h, peer)
	mark := len(h.core.Calls())
	h.apply(messageEv(peer, "https://upload.example.org/x/dog.jpg", now, false))
	h.settle()
	if got := callsSince(h, mark, "FetchMedia"); len(got) != 0 {
		t.Fatalf("fetched with previews off: %q", got)
	}
	r := rowOf(t, c, c.conv.msgs[len(c.conv.msgs)-1])
	if r.media.button.Text != "Show preview" {
		t.Errorf("button %q", r.media.button.Text)
	}
}

func TestUploadFailuresAndInterruptedUploads(t *testing.T) {
	fixClock(t)
	h := filesSignedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)
	file := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		err       error
		want      string
		sendAgain bool
	}{
		{&app.FileTooLargeError{Size: 30e6, Max: 10e6}, "big.bin is 30.0 MB; your server accepts files up to 10.0 MB", true},
		{app.ErrNoUploadService, "Your server does not take files", false},
		{app.ErrUploadQuota, "no room left", true},
		{errors.New("connection reset by peer"), "did not finish: connection reset by peer. Send it again.", true},
		{&app.UploadStatusError{Status: 500}, "refused the file with error 500", true},
	} {
		c.sendFile(file, app.FileOptions{})
		m := c.conv.msgs[len(c.conv.msgs)-1]
		e := app.UploadFailed{ID: m.id, Peer: peer, Path: file, Err: tc.err}
		e.Acct = me
		h.apply(e)
		h.settle()
		r := rowOf(t, c, m)
		if !strings.Contains(r.media.label.Text, tc.want) || r.media.button.Visible() != tc.sendAgain {
			t.Errorf("%v: label %q, Send again shown %v", tc.err, r.media.label.Text, r.media.button.Visible())
		}
	}

	// An upload cut short by quitting comes back as a row that offers to
	// send the file again; with no window open, a notice says so.
	in := app.UploadInterrupted{ID: "old1", Peer: "bob@example.org", Path: file, Size: 1}
	in.Acct = me
	h.apply(in)
	if !strings.Contains(h.ui.notice.Text, "was not sent before Palaver quit") {
		t.Errorf("notice %q", h.ui.notice.Text)
	}
	h.ui.only().openChat("bob@example.org")
	cb := h.ui.only().chats["bob@example.org"]
	cb.win.Resize(fyne.NewSize(480, 560))
	h.runLater()
	h.drain()
	h.settle()
	var m *chatMsg
	for _, x := range cb.conv.msgs {
		if x.upload != nil {
			m = x
		}
	}
	if m == nil {
		t.Fatal("the interrupted upload is not in the conversation")
	}
	r := rowOf(t, cb, m)
	if r.media.button.Text != "Send again" || !strings.Contains(r.media.label.Text, "quit before") {
		t.Fatalf("interrupted row: %q %q", r.media.label.Text, r.media.button.Text)
	}
}

func TestMediaURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://a.example/x.png":      "https://a.example/x.png",
		" https://a.example/x.png\n":   "https://a.example/x.png",
		"http://a.example/x.png":       "",
		"see https://a.example/x.png":  "",
		"https://u:p@a.example/x.png":  "",
		"https:///x.png":               "",
		"xmpp:a@example.org":           "",
		"https://a.example/x.png?a=b#": "https://a.example/x.png?a=b#",
	} {
		if got := mediaURL(in); got != want {
			t.Errorf("mediaURL(%q) = %q, want %q", in, got, want)
		}
	}
	if got := fileName("https://a.example/d/na%20me%0A.png"); got != "na me .png" && got != "na me.png" {
		t.Errorf("fileName = %q", got)
	}
	if got := thumbSize(720, 540, 0); got != fyne.NewSize(360, 270) {
		t.Errorf("thumbSize = %v", got)
	}
	if got := thumbSize(100, 50, 40); got != fyne.NewSize(40, 20) {
		t.Errorf("thumbSize narrow = %v", got)
	}
}

func TestMediaErrText(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&media.StatusError{Code: 404}, "no longer on the server"},
		{&media.StatusError{Code: 403}, "does not let Palaver"},
		{&media.StatusError{Code: 502}, "error 502"},
		{app.ErrNotHTTPS, "only secure (https) links"},
		{fmt.Errorf("decoding: %w", pictures.ErrCorrupt), "damaged"},
		{app.ErrMediaTooLarge, "too large"},
	} {
		if got := mediaErrText(tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("mediaErrText(%v) = %q, want %q in it", tc.err, got, tc.want)
		}
	}
}

func TestSendFileToRoom(t *testing.T) {
	fixClock(t)
	h := filesSignedIn(t)
	s := h.ui.only()
	h.ui.joinRoom("", "")
	d := h.overlay()
	entryWithPlaceholder(t, d, "room@conference.example.org").SetText(tea)
	test.Tap(button(t, d, "Join"))
	h.apply(roomJoinedEv("me", "ann"))
	c := s.chats[tea]
	if c.attachBtn == nil {
		t.Fatal("no attach button in a room")
	}
	file := filepath.Join(t.TempDir(), "menu.pdf")
	if err := os.WriteFile(file, []byte("%PDF"), 0o600); err != nil {
		t.Fatal(err)
	}
	mark := len(h.core.Calls())
	c.sendFile(file, app.FileOptions{})
	if got := callsSince(h, mark, "SendFile"); len(got) != 1 || got[0] != "SendFile "+tea+" menu.pdf keep=false" {
		t.Fatalf("calls %q", got)
	}
	m := c.conv.msgs[len(c.conv.msgs)-1]
	url := "https://upload.example.org/x/menu.pdf"
	done := app.UploadDone{ID: m.id, Peer: tea, URL: url}
	done.Acct = me
	h.apply(done)
	// The room reflects our line: one row, sent.
	h.apply(roomLineEv("me", url, m.id, true))
	n := 0
	for _, x := range c.conv.msgs {
		if x.body == url {
			n++
		}
	}
	if n != 1 || m.state != history.Sent || m.media != url {
		t.Fatalf("%d rows with the URL, state %v, media %q", n, m.state, m.media)
	}
	// What ann shares in the room is not fetched before a click; ours is.
	h.apply(roomLineEv("ann", "https://elsewhere.example.net/a.png", "", false))
	c.win.Resize(fyne.NewSize(480, 560))
	c.refresh(true)
	h.settle()
	if got := callsSince(h, mark, "FetchMedia"); len(got) != 1 || got[0] != "FetchMedia "+url {
		for _, x := range c.conv.msgs {
			_, ok := find(c.list, func(r *messageRow) bool { return r.msg == x && r.Visible() })
			t.Logf("%q out=%v media=%q drawn=%v auto=%v", x.body, x.outgoing, x.media, ok, c.autoMedia(x))
		}
		t.Fatalf("fetches %q: want only ours", got)
	}
}

func TestPictureOpensFullSizeAndSaves(t *testing.T) {
	now := fixClock(t)
	h := filesSignedIn(t)
	peer := "alice@example.org"
	h.apply(resetEv(contact(peer, "Alice")))
	c := openRead(h, peer)
	url := "https://upload.example.org/x/cat.png"
	h.apply(messageEv(peer, url, now, false))
	dir := t.TempDir()
	info := app.MediaInfo{URL: url, Type: "image/png", Size: 5000, Name: "cat.png", Width: 800, Height: 600,
		Thumb: writePNG(t, dir, 360, 270), File: writePNG(t, t.TempDir(), 800, 600)}
	info.Acct = me
	h.apply(info)
	h.settle()
	r := rowOf(t, c, c.conv.msgs[len(c.conv.msgs)-1])
	before := len(h.ui.app.Driver().AllWindows())
	test.Tap(r.media.thumb)
	wins := h.ui.app.Driver().AllWindows()
	if len(wins) != before+1 {
		t.Fatalf("%d windows after tapping the picture, want %d", len(wins), before+1)
	}
	w := wins[len(wins)-1]
	if w.Title() != "cat.png" {
		t.Errorf("picture window titled %q", w.Title())
	}
	if _, ok := find(w.Content(), func(b *widget.Button) bool { return b.Text == "Save as…" }); !ok {
		t.Error("the picture window cannot save it")
	}
	if _, ok := find(w.Content(), func(i *canvas.Image) bool { return i.File == info.File }); !ok {
		t.Error("the picture window does not show the whole picture")
	}
	w.Close()
}
