package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// uploadProxy is a TCP proxy in front of the upload service's https port,
// as a flaky network between Palaver and the service: it passes
// everything, or cuts (or stalls) each connection once the client has
// sent a number of bytes.
type uploadProxy struct {
	l      net.Listener
	mu     sync.Mutex
	target string
	// cutAt > 0 closes a connection, stallAt > 0 stops reading from it,
	// after that many bytes from the client.
	cutAt, stallAt int64
	// reached is signalled when a connection hits cutAt or stallAt.
	reached chan struct{}
	conns   []net.Conn
}

func newUploadProxy(t *testing.T) *uploadProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &uploadProxy{l: l, reached: make(chan struct{}, 16)}
	t.Cleanup(p.close)
	go p.serve()
	return p
}

func (p *uploadProxy) url() string { return "https://" + p.l.Addr().String() + "/" }

// set changes the mode for new connections.
func (p *uploadProxy) set(cutAt, stallAt int64) {
	p.mu.Lock()
	p.cutAt, p.stallAt = cutAt, stallAt
	p.mu.Unlock()
}

func (p *uploadProxy) close() {
	p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

func (p *uploadProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		target, cutAt, stallAt := p.target, p.cutAt, p.stallAt
		p.mu.Unlock()
		up, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
		go func() {
			limit := max(cutAt, stallAt)
			if limit == 0 {
				_, _ = io.Copy(up, c)
				up.Close()
				return
			}
			_, _ = io.CopyN(up, c, limit)
			p.reached <- struct{}{}
			if cutAt > 0 {
				c.Close()
				up.Close()
			}
			// Stalled: the client's bytes stay unread until the test ends.
		}()
	}
}

// uploadServer starts a server with an upload service behind a proxy of
// the test's own, and alice (with a data folder) and bob signed in;
// alice has seen the service.
func uploadServer(t *testing.T, limit int64) (*prosodytest.Server, *uploadProxy, *probe, *probe, string) {
	t.Helper()
	proxy := newUploadProxy(t)
	srv := prosodytest.StartWith(t, prosodytest.Options{Upload: true, UploadLimit: limit, UploadURL: proxy.url()})
	proxy.mu.Lock()
	proxy.target = srv.UploadAddr
	proxy.mu.Unlock()
	dir := t.TempDir()
	alice := online(t, srv, "alice", func(c *app.Client) { c.SetDataDir(dir) })
	bob := online(t, srv, "bob", nil)
	svc := alice.wait("alice's upload service", isUploadService).(app.UploadService)
	if svc.Addr != srv.UploadDomain {
		t.Fatalf("upload service %+v, want %s", svc, srv.UploadDomain)
	}
	return srv, proxy, alice, bob, dir
}

func isUploadService(e app.Event) bool { _, ok := e.(app.UploadService); return ok }

func uploadEnded(id string) func(app.Event) bool {
	return func(e app.Event) bool {
		switch e := e.(type) {
		case app.UploadDone:
			return e.ID == id
		case app.UploadFailed:
			return e.ID == id
		}
		return false
	}
}

// sendFile sends path from alice to bob and returns the URL bob got, after
// checking the events on both sides.
func sendFile(t *testing.T, alice, bob *probe, path string, opt app.FileOptions) string {
	t.Helper()
	bobJID := "bob@" + prosodytest.Domain
	mark, bmark := alice.mark(), bob.mark()
	t0 := time.Now()
	id := alice.c.SendFile(bobJID, path, opt)
	end := alice.waitFrom(mark, "the upload's end", uploadEnded(id))
	took := time.Since(t0)
	done, ok := end.(app.UploadDone)
	if !ok {
		t.Fatalf("upload failed: %+v", end)
	}
	start := alice.waitFrom(mark, "the upload's start", func(e app.Event) bool {
		p, ok := e.(app.UploadProgress)
		return ok && p.ID == id
	}).(app.UploadProgress)
	if start.Sent != 0 || start.Total <= 0 || start.Name != filepath.Base(path) || start.Peer != bobJID {
		t.Fatalf("first progress %+v", start)
	}
	// Progress: from 0 up to the total, at most ten a second.
	var progress []app.UploadProgress
	for _, e := range eventsFrom(alice, mark) {
		if p, ok := e.(app.UploadProgress); ok && p.ID == id {
			progress = append(progress, p)
		}
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Sent <= progress[i-1].Sent || progress[i].Sent > progress[i].Total {
			t.Fatalf("progress %+v after %+v", progress[i], progress[i-1])
		}
	}
	if limit := 2 + int(took/(100*time.Millisecond)); len(progress) > limit {
		t.Fatalf("%d progress events in %v", len(progress), took)
	}
	if done.Peer != bobJID || done.URL == "" {
		t.Fatalf("%+v", done)
	}
	m := bob.waitFrom(bmark, "the file's message", func(e app.Event) bool {
		m, ok := e.(app.MessageReceived)
		return ok && m.Msg.ID == id
	}).(app.MessageReceived)
	if m.Msg.Body != done.URL || m.Msg.OOB != done.URL {
		t.Fatalf("bob got body %q oob %q, want %q", m.Msg.Body, m.Msg.OOB, done.URL)
	}
	return done.URL
}

// download fetches url as alice's account would.
func download(t *testing.T, srv *prosodytest.Server, url string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, status, err := app.WebGet(ctx, accountFor(srv, "alice"), url)
	if err != nil || status != 200 {
		t.Fatalf("GET %s: %d %v", url, status, err)
	}
	return b
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func testPicture() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.NRGBA{uint8(x * 4), uint8(y * 5), 99, 255})
		}
	}
	return img
}

func jpegSegment(marker byte, payload string) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
}

// cameraJPEG returns a JPEG with EXIF (a GPS position) and a comment, and
// the same picture without them.
func cameraJPEG(t *testing.T) (tagged, plain []byte) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testPicture(), nil); err != nil {
		t.Fatal(err)
	}
	plain = b.Bytes()
	tagged = append([]byte{}, plain[:2]...)
	tagged = append(tagged, jpegSegment(0xE1, "Exif\x00\x00MM\x00*GPSLatitude 48.8584 N")...)
	tagged = append(tagged, jpegSegment(0xFE, "taken by Alice")...)
	tagged = append(tagged, plain[2:]...)
	return tagged, plain
}

// TestUploadPicturesOnProsody: pictures go up to Prosody's upload service
// and bob gets their URL as body and out-of-band data; what the URL
// serves is the picture without its metadata, or as it was with
// KeepMetadata; any other file goes as it is.
func TestUploadPicturesOnProsody(t *testing.T) {
	srv, _, alice, bob, _ := uploadServer(t, 0)

	var pb bytes.Buffer
	if err := png.Encode(&pb, testPicture()); err != nil {
		t.Fatal(err)
	}
	url := sendFile(t, alice, bob, writeFile(t, "plain.png", pb.Bytes()), app.FileOptions{})
	if got := download(t, srv, url); !bytes.Equal(got, pb.Bytes()) {
		t.Fatalf("the PNG came back with %d bytes, sent %d", len(got), pb.Len())
	}

	tagged, plain := cameraJPEG(t)
	url = sendFile(t, alice, bob, writeFile(t, "camera.jpg", tagged), app.FileOptions{})
	got := download(t, srv, url)
	if !bytes.Equal(got, plain) || bytes.Contains(got, []byte("GPS")) || bytes.Contains(got, []byte("Alice")) {
		t.Fatalf("the JPEG came back with %d bytes (metadata: %v), want %d without", len(got), bytes.Contains(got, []byte("GPS")), len(plain))
	}
	if _, _, err := image.Decode(bytes.NewReader(got)); err != nil {
		t.Fatalf("the stripped JPEG does not decode: %v", err)
	}

	url = sendFile(t, alice, bob, writeFile(t, "camera.jpg", tagged), app.FileOptions{KeepMetadata: true})
	if got := download(t, srv, url); !bytes.Equal(got, tagged) {
		t.Fatalf("with KeepMetadata the JPEG came back with %d bytes, sent %d", len(got), len(tagged))
	}

	doc := randomBytes(300 << 10)
	url = sendFile(t, alice, bob, writeFile(t, "notes.bin", doc), app.FileOptions{})
	if got := download(t, srv, url); !bytes.Equal(got, doc) {
		t.Fatal("a file came back changed")
	}
}

// TestUploadTooLarge: a file over the service's limit fails before any
// slot is asked for, and nothing reaches bob; once the daily quota (ten
// times the limit) is used up, the service refuses with
// resource-constraint.
func TestUploadTooLarge(t *testing.T) {
	_, _, alice, bob, _ := uploadServer(t, 4000)
	if svc := alice.wait("the service", isUploadService).(app.UploadService); svc.MaxSize != 4000 {
		t.Fatalf("service limit %d, want 4000", svc.MaxSize)
	}
	bobJID := "bob@" + prosodytest.Domain
	mark, bmark := alice.mark(), bob.mark()
	id := alice.c.SendFile(bobJID, writeFile(t, "big.bin", randomBytes(4001)), app.FileOptions{})
	f, ok := alice.waitFrom(mark, "the refusal", uploadEnded(id)).(app.UploadFailed)
	var tl *app.FileTooLargeError
	if !ok || !errors.As(f.Err, &tl) || tl.Size != 4001 || tl.Max != 4000 {
		t.Fatalf("got %+v", f)
	}
	if n := countFrom(alice, mark, func(e app.Event) bool { _, ok := e.(app.UploadProgress); return ok }); n != 0 {
		t.Fatalf("%d progress events for a file refused at once", n)
	}
	alice.c.SendMessage(bobJID, "after the big file")
	first := bob.waitFrom(bmark, "the next message", func(e app.Event) bool { _, ok := e.(app.MessageReceived); return ok }).(app.MessageReceived)
	if first.Msg.Body != "after the big file" {
		t.Fatalf("bob got %+v first", first.Msg)
	}

	// The quota: 10 × 4000 bytes a day.
	small := writeFile(t, "small.bin", randomBytes(4000))
	for i := range 10 {
		mark := alice.mark()
		id := alice.c.SendFile(bobJID, small, app.FileOptions{})
		if _, ok := alice.waitFrom(mark, "upload within the quota", uploadEnded(id)).(app.UploadDone); !ok {
			t.Fatalf("upload %d failed:\n%s", i, alice.dump())
		}
	}
	mark = alice.mark()
	id = alice.c.SendFile(bobJID, small, app.FileOptions{})
	f, ok = alice.waitFrom(mark, "the quota", uploadEnded(id)).(app.UploadFailed)
	if !ok || !errors.Is(f.Err, app.ErrUploadQuota) {
		t.Fatalf("past the quota: %+v", f)
	}
}

// TestUploadConnectionCut: the connection to the upload server breaks in
// the middle of the file: UploadFailed with the network's error, and the
// same file sent again arrives.
func TestUploadConnectionCut(t *testing.T) {
	srv, proxy, alice, bob, dir := uploadServer(t, 0)
	data := randomBytes(2 << 20)
	path := writeFile(t, "video.bin", data)
	proxy.set(256<<10, 0)
	mark := alice.mark()
	id := alice.c.SendFile("bob@"+prosodytest.Domain, path, app.FileOptions{})
	f, ok := alice.waitFrom(mark, "the cut upload", uploadEnded(id)).(app.UploadFailed)
	if !ok || f.Err == nil || errors.Is(f.Err, app.ErrUploadCanceled) || f.Path != path {
		t.Fatalf("got %+v", f)
	}
	t.Logf("cut: %v", f.Err)
	if _, err := os.Stat(filepath.Join(dir, "uploads.json")); !os.IsNotExist(err) {
		t.Errorf("a failed upload is still listed as under way: %v", err)
	}
	proxy.set(0, 0)
	url := sendFile(t, alice, bob, path, app.FileOptions{})
	if got := download(t, srv, url); !bytes.Equal(got, data) {
		t.Fatal("the file sent again came back changed")
	}
}

// TestCancelUpload: CancelUpload in the middle of the file gives
// ErrUploadCanceled and sends nothing.
func TestCancelUpload(t *testing.T) {
	_, proxy, alice, bob, _ := uploadServer(t, 0)
	proxy.set(0, 128<<10)
	mark, bmark := alice.mark(), bob.mark()
	bobJID := "bob@" + prosodytest.Domain
	id := alice.c.SendFile(bobJID, writeFile(t, "big.bin", randomBytes(1<<20)), app.FileOptions{})
	select {
	case <-proxy.reached:
	case <-time.After(20 * time.Second):
		t.Fatalf("the upload did not start:\n%s", alice.dump())
	}
	alice.c.CancelUpload(id)
	f, ok := alice.waitFrom(mark, "the canceled upload", uploadEnded(id)).(app.UploadFailed)
	if !ok || !errors.Is(f.Err, app.ErrUploadCanceled) {
		t.Fatalf("got %+v", f)
	}
	alice.c.SendMessage(bobJID, "never mind")
	first := bob.waitFrom(bmark, "the next message", func(e app.Event) bool { _, ok := e.(app.MessageReceived); return ok }).(app.MessageReceived)
	if first.Msg.Body != "never mind" {
		t.Fatalf("bob got %+v first", first.Msg)
	}
}

// TestUploadInterruptedByStop: an upload under way when Palaver stops is
// reported by UploadInterrupted on the next run, once.
func TestUploadInterruptedByStop(t *testing.T) {
	srv, proxy, alice, _, dir := uploadServer(t, 0)
	proxy.set(0, 128<<10)
	path := writeFile(t, "big.bin", randomBytes(1<<20))
	bobJID := "bob@" + prosodytest.Domain
	id := alice.c.SendFile(bobJID, path, app.FileOptions{})
	select {
	case <-proxy.reached:
	case <-time.After(20 * time.Second):
		t.Fatalf("the upload did not start:\n%s", alice.dump())
	}
	alice.stop()
	if n := alice.count(uploadEnded(id)); n != 0 {
		t.Fatalf("the stopped upload ended %d times", n)
	}

	again := func() *probe {
		c := app.New(accountFor(srv, "alice"), func(context.Context) (string, error) { return "alice-pw", nil })
		c.SetDataDir(dir)
		p := run(t, "alice again", c)
		p.waitOnline()
		return p
	}
	second := again()
	in := second.wait("the interrupted upload", func(e app.Event) bool { _, ok := e.(app.UploadInterrupted); return ok }).(app.UploadInterrupted)
	if in.ID != id || in.Peer != bobJID || in.Path != path || in.Size != 1<<20 {
		t.Fatalf("got %+v", in)
	}
	second.stop()
	third := again()
	third.wait("the upload service", isUploadService)
	if n := third.count(func(e app.Event) bool { _, ok := e.(app.UploadInterrupted); return ok }); n != 0 {
		t.Fatalf("reported again on the third run")
	}
}

// TestNoUploadService: a server without an upload service says so after
// sign-in, and SendFile fails with ErrNoUploadService.
func TestNoUploadService(t *testing.T) {
	srv := prosodytest.Start(t)
	alice := online(t, srv, "alice", nil)
	svc := alice.wait("the upload service", isUploadService).(app.UploadService)
	if svc.Addr != "" || svc.MaxSize != 0 {
		t.Fatalf("got %+v", svc)
	}
	mark := alice.mark()
	id := alice.c.SendFile("bob@"+srv.Domain, writeFile(t, "a.txt", []byte("hello")), app.FileOptions{})
	f, ok := alice.waitFrom(mark, "the failure", uploadEnded(id)).(app.UploadFailed)
	if !ok || !errors.Is(f.Err, app.ErrNoUploadService) {
		t.Fatalf("got %+v", f)
	}
}

// eventsFrom returns a copy of p's events from mark on.
func eventsFrom(p *probe, mark int) []app.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]app.Event(nil), p.events[min(mark, len(p.events)):]...)
}

// TestUploadRefused: a service that lets only some accounts upload
// refuses the others' slot requests (forbidden): ErrUploadRefused.
func TestUploadRefused(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{Upload: true, UploadConfig: `http_file_share_access = { "bob@localhost" }`})
	alice := online(t, srv, "alice", nil)
	alice.wait("the upload service", isUploadService)
	mark := alice.mark()
	id := alice.c.SendFile("bob@"+srv.Domain, writeFile(t, "a.txt", []byte("hello")), app.FileOptions{})
	f, ok := alice.waitFrom(mark, "the refusal", uploadEnded(id)).(app.UploadFailed)
	if !ok || !errors.Is(f.Err, app.ErrUploadRefused) {
		t.Fatalf("got %+v", f)
	}
}

// TestUploadUntrustedHost: slots on a host whose certificate the account
// does not trust fail with *certs.UntrustedError, and nothing is PUT.
func TestUploadUntrustedHost(t *testing.T) {
	var puts int
	var mu sync.Mutex
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		puts++
		mu.Unlock()
	}))
	t.Cleanup(other.Close)
	srv := prosodytest.StartWith(t, prosodytest.Options{Upload: true, UploadURL: other.URL + "/"})
	alice := online(t, srv, "alice", nil)
	alice.wait("the upload service", isUploadService)
	mark := alice.mark()
	id := alice.c.SendFile("bob@"+srv.Domain, writeFile(t, "a.txt", []byte("hello")), app.FileOptions{})
	f, ok := alice.waitFrom(mark, "the refusal", uploadEnded(id)).(app.UploadFailed)
	var ue *certs.UntrustedError
	if !ok || !errors.As(f.Err, &ue) {
		t.Fatalf("got %+v", f)
	}
	mu.Lock()
	defer mu.Unlock()
	if puts != 0 {
		t.Fatalf("%d requests reached the untrusted host", puts)
	}
}

// TestUploadToRoom: a file sent to a room we are in goes to everyone in it
// as one of our lines, its URL the line's text, under the upload's id.
func TestUploadToRoom(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{Upload: true, MUC: true})
	alice := online(t, srv, "alice", nil)
	bob := online(t, srv, "bob", nil)
	alice.wait("alice's upload service", isUploadService)
	room := "files@" + srv.MUCDomain
	alice.join(room, "alice", "")
	bob.join(room, "bob", "")

	var pb bytes.Buffer
	if err := png.Encode(&pb, testPicture()); err != nil {
		t.Fatal(err)
	}
	mark, bmark := alice.mark(), bob.mark()
	id := alice.c.SendFile(room, writeFile(t, "room.png", pb.Bytes()), app.FileOptions{})
	done, ok := alice.waitFrom(mark, "the upload's end", uploadEnded(id)).(app.UploadDone)
	if !ok {
		t.Fatalf("upload to the room failed: %+v", alice.waitFrom(mark, "the upload's end", uploadEnded(id)))
	}
	line := bob.waitFrom(bmark, "bob's line", roomLine(room, "alice", done.URL)).(app.RoomMessage)
	if line.Body != done.URL {
		t.Fatalf("bob got %q, want %q", line.Body, done.URL)
	}
	// Our own line comes back from the room under the upload's id.
	own := alice.waitFrom(mark, "alice's own line", roomLine(room, "alice", done.URL)).(app.RoomMessage)
	if own.ID != id {
		t.Fatalf("the room reflected id %q, want %q", own.ID, id)
	}
	if got := download(t, srv, done.URL); !bytes.Equal(got, pb.Bytes()) {
		t.Fatalf("the room's picture came back with %d bytes, sent %d", len(got), pb.Len())
	}
	// Nothing went to the room's address as a chat message.
	if n := countFrom(bob, bmark, func(e app.Event) bool { m, ok := e.(app.MessageReceived); return ok && m.Peer == room }); n != 0 {
		t.Fatalf("%d chat messages from the room's address", n)
	}
}
