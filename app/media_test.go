package app_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/certs"
)

// mediaClient runs a client that never signs in (its server's port is
// closed), trusting the certificate of srv when given, with its data in
// dir.
func mediaClient(t *testing.T, srv *httptest.Server, dir string) *probe {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	acct := account.Account{JID: "alice@localhost", Host: "127.0.0.1", Port: port}
	if srv != nil {
		acct.CAFile = filepath.Join(t.TempDir(), "ca.pem")
		pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		if err := os.WriteFile(acct.CAFile, pemData, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := app.New(acct, func(context.Context) (string, error) { return "pw", nil })
	c.SetDataDir(dir)
	return run(t, "alice", c)
}

// mediaInfo waits from mark for the MediaInfo of url.
func mediaInfo(p *probe, mark int, url string) app.MediaInfo {
	p.t.Helper()
	return p.waitFrom(mark, "media info of "+url, func(e app.Event) bool {
		m, ok := e.(app.MediaInfo)
		return ok && m.URL == url
	}).(app.MediaInfo)
}

// mediaSaved waits from mark for the MediaSaved of path.
func mediaSaved(p *probe, mark int, path string) app.MediaSaved {
	p.t.Helper()
	return p.waitFrom(mark, "media saved to "+path, func(e app.Event) bool {
		m, ok := e.(app.MediaSaved)
		return ok && m.Path == path
	}).(app.MediaSaved)
}

// pngPicture returns a w×h PNG.
func pngPicture(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkThumb checks that path is a PNG of w×h pixels within the bounds.
func checkThumb(t *testing.T, path string, w, h int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h || w > app.ThumbWidth || h > app.ThumbHeight {
		t.Fatalf("thumbnail %v, want %d×%d", b, w, h)
	}
}

func TestMediaFetchPreviewAndCache(t *testing.T) {
	pic := pngPicture(t, 800, 200)
	var requests atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(pic)
	}))
	defer srv.Close()
	dir := t.TempDir()
	alice := mediaClient(t, srv, dir)
	url := srv.URL + "/share/abc/sunset%20beach.png"

	mark := alice.mark()
	alice.c.FetchMedia(url)
	m := mediaInfo(alice, mark, url)
	if m.Err != nil || m.Type != "image/png" || m.Size != int64(len(pic)) || m.Name != "sunset beach.png" || m.Width != 800 || m.Height != 200 {
		t.Fatalf("%+v", m)
	}
	if !strings.HasPrefix(m.Thumb, filepath.Join(dir, "media")+string(filepath.Separator)) {
		t.Errorf("thumbnail %s outside the account's media folder", m.Thumb)
	}
	checkThumb(t, m.Thumb, 360, 90)
	if full, _ := os.ReadFile(m.File); !bytes.Equal(full, pic) {
		t.Error("the cached picture differs from the served one")
	}

	// Again, in this run and the next, with the server gone: the cache.
	srv.Close()
	served := requests.Load()
	mark = alice.mark()
	alice.c.FetchMedia(url)
	again := mediaInfo(alice, mark, url)
	alice.stop()
	next := mediaClient(t, nil, dir)
	mark = next.mark()
	next.c.FetchMedia(url)
	third := mediaInfo(next, mark, url)
	for _, a := range []app.MediaInfo{again, third} {
		a.Acct = m.Acct
		if a != m {
			t.Errorf("from the cache: %+v, first %+v", a, m)
		}
	}
	if requests.Load() != served {
		t.Errorf("%d requests for cached answers", requests.Load()-served)
	}
}

func TestMediaFetchHTTPSOnly(t *testing.T) {
	var plainHits atomic.Int64
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngPicture(t, 10, 10))
	}))
	defer plain.Close()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/a.png", http.StatusFound)
	}))
	defer srv.Close()
	alice := mediaClient(t, srv, t.TempDir())
	mark := alice.mark()
	for _, url := range []string{plain.URL + "/a.png", srv.URL + "/moved.png"} {
		alice.c.FetchMedia(url)
		if m := mediaInfo(alice, mark, url); !errors.Is(m.Err, app.ErrNotHTTPS) || m.Thumb != "" {
			t.Errorf("%s: %+v, want ErrNotHTTPS", url, m)
		}
		path := filepath.Join(t.TempDir(), "a.png")
		alice.c.SaveMedia(url, path)
		if s := mediaSaved(alice, mark, path); !errors.Is(s.Err, app.ErrNotHTTPS) {
			t.Errorf("save %s: %+v, want ErrNotHTTPS", url, s)
		}
		if _, err := os.Stat(path + ".part"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("save %s left a .part (%v)", url, err)
		}
	}
	if n := plainHits.Load(); n != 0 {
		t.Errorf("the plain http server was asked %d times", n)
	}
}

func TestMediaFetchUntrusted(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request reached an untrusted server")
	}))
	defer srv.Close()
	alice := mediaClient(t, nil, t.TempDir())
	url := srv.URL + "/a.png"
	mark := alice.mark()
	alice.c.FetchMedia(url)
	m := mediaInfo(alice, mark, url)
	var ue *certs.UntrustedError
	if !errors.As(m.Err, &ue) || m.Name != "a.png" {
		t.Fatalf("%+v, want an UntrustedError", m)
	}
}

func TestMediaSave(t *testing.T) {
	data := bytes.Repeat([]byte{0, 1, 2, 0xff, '\n', '\r'}, 300000)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/f.zip" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Write(data)
	}))
	defer srv.Close()
	alice := mediaClient(t, srv, t.TempDir())
	dir := t.TempDir()
	mark := alice.mark()
	ok, missing := filepath.Join(dir, "f.zip"), filepath.Join(dir, "g.zip")
	alice.c.SaveMedia(srv.URL+"/f.zip", ok)
	alice.c.SaveMedia(srv.URL+"/g.zip", missing)
	if s := mediaSaved(alice, mark, ok); s.Err != nil || s.URL != srv.URL+"/f.zip" {
		t.Fatalf("%+v", s)
	}
	if got, err := os.ReadFile(ok); err != nil || !bytes.Equal(got, data) {
		t.Errorf("saved %d bytes (%v), want %d", len(got), err, len(data))
	}
	if s := mediaSaved(alice, mark, missing); s.Err == nil {
		t.Errorf("a missing file saved: %+v", s)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the folder, want f.zip alone", len(entries))
	}
}

// TestMediaFetchTwoAtATime: fetches run two at a time, the rest wait
// their turn; when Run ends, those under way stop and Run returns.
func TestMediaFetchTwoAtATime(t *testing.T) {
	var inFlight, most atomic.Int64
	var mu sync.Mutex
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		mu.Lock()
		most.Store(max(most.Load(), n))
		rel := release
		mu.Unlock()
		select {
		case <-rel:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("hello"))
	}))
	defer srv.Close()
	alice := mediaClient(t, srv, t.TempDir())
	mark := alice.mark()
	var urls []string
	for i := range 5 {
		url := srv.URL + "/f" + string(rune('a'+i)) + ".txt"
		urls = append(urls, url)
		alice.c.FetchMedia(url)
	}
	deadline := time.Now().Add(waitTimeout)
	for inFlight.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := inFlight.Load(); n != 2 {
		t.Fatalf("%d fetches at once, want 2", n)
	}
	close(release)
	for _, url := range urls {
		if m := mediaInfo(alice, mark, url); m.Err != nil || m.Type != "text/plain" || m.Size != 5 {
			t.Errorf("%+v", m)
		}
	}
	if most.Load() != 2 {
		t.Errorf("at most %d at once, want 2", most.Load())
	}

	// Held again: Run ends with two fetches under way.
	mu.Lock()
	release = make(chan struct{})
	mu.Unlock()
	defer close(release)
	alice.c.FetchMedia(srv.URL + "/held1")
	alice.c.FetchMedia(srv.URL + "/held2")
	for inFlight.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	alice.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %v to end with fetches under way", d)
	}
}
