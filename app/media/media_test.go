package media_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/media"
)

// file is what the test server serves at a path.
type file struct {
	typ  string
	body []byte
	// zeros follow body, written as they are read.
	zeros int64
	// noHead answers HEAD with 405; chunked sends GET's body without a
	// Content-Length; headLength, when not 0, is the Content-Length HEAD
	// gives (-1: none).
	noHead     bool
	chunked    bool
	headLength int64
}

// server is an https server of files that counts what it was asked and
// what it sent.
type server struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string]file
	// heads and gets count requests; served counts body bytes written.
	heads, gets, served atomic.Int64
	// hold, when set, is waited for before answering a HEAD.
	hold chan struct{}
}

func newServer(t *testing.T, files map[string]file) *server {
	s := &server{files: files}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.files[r.URL.Path]
	hold := s.hold
	s.mu.Unlock()
	if r.Method == http.MethodHead {
		s.heads.Add(1)
		if hold != nil {
			<-hold
		}
	} else {
		s.gets.Add(1)
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	if f.noHead && r.Method == http.MethodHead {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if f.typ != "" {
		w.Header().Set("Content-Type", f.typ)
	} else {
		// Keep net/http from sniffing a type.
		w.Header()["Content-Type"] = nil
	}
	size := int64(len(f.body)) + f.zeros
	if r.Method == http.MethodHead {
		switch {
		case f.headLength > 0:
			w.Header().Set("Content-Length", strconv.FormatInt(f.headLength, 10))
		case f.headLength == 0:
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	if !f.chunked {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	}
	w.WriteHeader(http.StatusOK)
	if f.chunked {
		w.(http.Flusher).Flush()
	}
	n, err := w.Write(f.body)
	s.served.Add(int64(n))
	zeros := make([]byte, 32<<10)
	for left := f.zeros; left > 0 && err == nil; {
		n, err = w.Write(zeros[:min(left, int64(len(zeros)))])
		s.served.Add(int64(n))
		left -= int64(n)
	}
}

func (s *server) set(path string, f file) {
	s.mu.Lock()
	s.files[path] = f
	s.mu.Unlock()
}

// newFetcher returns a Fetcher with its cache in a temporary folder.
func newFetcher(t *testing.T) *media.Fetcher {
	f, err := media.New(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// picture returns a w×h picture encoded as typ: a gradient, opaque.
func picture(t testing.TB, typ string, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 100, 255})
		}
	}
	var buf bytes.Buffer
	var err error
	switch typ {
	case avatar.PNG:
		err = png.Encode(&buf, img)
	case avatar.JPEG:
		err = jpeg.Encode(&buf, img, nil)
	case avatar.GIF:
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bomb returns a real grey PNG of w×h black pixels: a few KB that decode
// to w×h bytes.
func bomb(t testing.TB, w, h int) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		out.Write(c)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	chunk("IHDR", append(ihdr, 8, 0, 0, 0, 0)) // 8 bits, grey
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	row := make([]byte, 1+w)
	for range h {
		z.Write(row)
	}
	z.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// decodeThumb reads a thumbnail file as a PNG.
func decodeThumb(t *testing.T, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("thumbnail: %v", err)
	}
	return img
}

func TestFetchPicturePreview(t *testing.T) {
	wide := picture(t, avatar.PNG, 1200, 600)
	tall := picture(t, avatar.JPEG, 300, 900)
	small := picture(t, avatar.GIF, 100, 50)
	srv := newServer(t, map[string]file{
		"/up/wide one.png": {typ: "image/png", body: wide},
		"/tall.jpg":        {typ: "image/jpeg; charset=binary", body: tall},
		"/small.gif":       {typ: "IMAGE/GIF", body: small},
		// No useful type: the name and then the bytes say picture.
		"/x/photo.JPEG": {typ: "application/octet-stream", body: tall},
	})
	f := newFetcher(t)
	for i, tc := range []struct {
		path, name, typ      string
		data                 []byte
		w, h, thumbW, thumbH int
	}{
		0: {"/up/wide%20one.png", "wide one.png", avatar.PNG, wide, 1200, 600, 360, 180},
		1: {"/tall.jpg", "tall.jpg", avatar.JPEG, tall, 300, 900, 90, 270},
		2: {"/small.gif", "small.gif", avatar.GIF, small, 100, 50, 100, 50},
		3: {"/x/photo.JPEG", "photo.JPEG", avatar.JPEG, tall, 300, 900, 90, 270},
	} {
		url := srv.URL + tc.path
		info, err := f.Info(context.Background(), srv.Client(), url)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if info.URL != url || info.Name != tc.name || info.Type != tc.typ || info.Size != int64(len(tc.data)) ||
			info.Width != tc.w || info.Height != tc.h {
			t.Errorf("%d: %+v", i, info)
		}
		full, err := os.ReadFile(info.File)
		if err != nil || !bytes.Equal(full, tc.data) {
			t.Errorf("%d: the cached file differs from the served one (%v)", i, err)
		}
		b := decodeThumb(t, info.Thumb).Bounds()
		if b.Dx() != tc.thumbW || b.Dy() != tc.thumbH {
			t.Errorf("%d: thumbnail %v, want %d×%d", i, b, tc.thumbW, tc.thumbH)
		}
		if b.Dx() > media.ThumbWidth || b.Dy() > media.ThumbHeight {
			t.Errorf("%d: thumbnail %v beyond the bounds", i, b)
		}
		if r, want := float64(b.Dx())/float64(b.Dy()), float64(tc.w)/float64(tc.h); r/want > 1.02 || want/r > 1.02 {
			t.Errorf("%d: aspect %.3f, picture's %.3f", i, r, want)
		}
	}
	// The thumbnail of the gradient keeps its colours: red grows to the right.
	info, _ := f.Info(context.Background(), srv.Client(), srv.URL+"/up/wide%20one.png")
	img := decodeThumb(t, info.Thumb)
	r0, _, _, _ := img.At(5, 90).RGBA()
	r1, _, _, _ := img.At(354, 90).RGBA()
	if r0>>8 > 20 || r1>>8 < 230 {
		t.Errorf("thumbnail colours: red %d at the left, %d at the right", r0>>8, r1>>8)
	}
}

func TestFetchLargePhotoShrinks(t *testing.T) {
	photo, err := os.ReadFile(filepath.Join("..", "avatar", "testdata", "4000x3000.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, map[string]file{"/p.jpg": {typ: "image/jpeg", body: photo}})
	info, err := newFetcher(t).Info(context.Background(), srv.Client(), srv.URL+"/p.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if b := decodeThumb(t, info.Thumb).Bounds(); b.Dx() != 360 || b.Dy() != 270 || info.Width != 4000 || info.Height != 3000 {
		t.Fatalf("thumbnail %v of %d×%d", b, info.Width, info.Height)
	}
}

func TestFetchCacheHit(t *testing.T) {
	pic := picture(t, avatar.PNG, 400, 300)
	srv := newServer(t, map[string]file{
		"/a.png":   {typ: "image/png", body: pic},
		"/doc.pdf": {typ: "application/pdf", body: []byte("%PDF-1.4")},
	})
	dir := filepath.Join(t.TempDir(), "media")
	f, err := media.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	var first []media.Info
	for _, p := range []string{"/a.png", "/doc.pdf"} {
		info, err := f.Info(context.Background(), srv.Client(), srv.URL+p)
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, info)
	}
	hc := srv.Client()
	srv.Close()
	// The same Fetcher, and one made afresh on the folder (the next run).
	again, err := media.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, fe := range []*media.Fetcher{f, again} {
		for i, p := range []string{"/a.png", "/doc.pdf"} {
			info, err := fe.Info(context.Background(), hc, srv.URL+p)
			if err != nil || info != first[i] {
				t.Errorf("%s from the cache: %+v, %v; first %+v", p, info, err, first[i])
			}
		}
	}
	if first[0].Thumb == "" || first[1].Thumb != "" || first[1].Type != "application/pdf" || first[1].Size != 8 {
		t.Errorf("first answers: %+v", first)
	}
	// A thumbnail removed (pruned) means fetching again.
	os.Remove(first[0].Thumb)
	if _, err := f.Info(context.Background(), hc, srv.URL+"/a.png"); err == nil {
		t.Error("a half-pruned entry answered without the server")
	}
}

func TestFetchContentLengthOverCap(t *testing.T) {
	const limit = 64 << 10
	pic := picture(t, avatar.PNG, 40, 30)
	srv := newServer(t, map[string]file{
		"/big.png":    {typ: "image/png", body: pic, zeros: 64 << 20},
		"/nohead.png": {typ: "image/png", body: pic, zeros: 64 << 20, noHead: true},
	})
	f := newFetcher(t)
	f.MaxPreview = limit

	info, err := f.Info(context.Background(), srv.Client(), srv.URL+"/big.png")
	if err != nil || info.Thumb != "" || info.File != "" || info.Size != int64(len(pic))+64<<20 || info.Type != "image/png" {
		t.Fatalf("over the cap by HEAD: %+v, %v", info, err)
	}
	if srv.gets.Load() != 0 || srv.served.Load() != 0 {
		t.Fatalf("%d GETs and %d bytes served for a picture HEAD said was too large", srv.gets.Load(), srv.served.Load())
	}

	// HEAD refused: GET's Content-Length says too large, and the body is
	// left unread (what was served is what the socket buffers took).
	info, err = f.Info(context.Background(), srv.Client(), srv.URL+"/nohead.png")
	if err != nil || info.Thumb != "" || info.Size != int64(len(pic))+64<<20 {
		t.Fatalf("over the cap by GET: %+v, %v", info, err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := srv.served.Load(); n > 16<<20 {
		t.Fatalf("%d bytes served of a body not to be read", n)
	}
}

func TestFetchCutAtCap(t *testing.T) {
	const limit = 64 << 10
	pic := picture(t, avatar.PNG, 40, 30)
	srv := newServer(t, map[string]file{
		// HEAD says small, GET sends more without a length.
		"/liar.png": {typ: "image/png", body: pic, zeros: 64 << 20, chunked: true, headLength: 1000},
		// No length anywhere.
		"/nolength.png": {typ: "image/png", body: pic, zeros: 64 << 20, chunked: true, headLength: -1},
		// Exactly at the cap is fine (a PNG with trailing bytes).
		"/exact.png": {typ: "image/png", body: pic, zeros: limit - int64(len(pic)), chunked: true, headLength: -1},
	})
	f := newFetcher(t)
	f.MaxPreview = limit
	for _, p := range []string{"/liar.png", "/nolength.png"} {
		before := srv.served.Load()
		info, err := f.Info(context.Background(), srv.Client(), srv.URL+p)
		if !errors.Is(err, media.ErrTooLarge) || info.Thumb != "" || info.File != "" {
			t.Errorf("%s: %+v, %v; want ErrTooLarge", p, info, err)
		}
		time.Sleep(50 * time.Millisecond)
		if n := srv.served.Load() - before; n > 16<<20 {
			t.Errorf("%s: %d bytes served, read past the cap", p, n)
		}
	}
	info, err := f.Info(context.Background(), srv.Client(), srv.URL+"/exact.png")
	if err != nil || info.Thumb == "" || info.Size != limit {
		t.Errorf("at the cap: %+v, %v", info, err)
	}
	if entries, _ := os.ReadDir(f.Dir()); len(entries) != 3 {
		t.Errorf("cache holds %d files, want those of exact.png", len(entries))
	}
}

func TestFetchNotAPicture(t *testing.T) {
	html := []byte("<!doctype html><title>x</title>")
	zip := append([]byte("PK\x03\x04"), make([]byte, 5000)...)
	srv := newServer(t, map[string]file{
		"/page":               {typ: "text/html; charset=utf-8", body: html},
		"/files/a.zip":        {typ: "application/zip", body: zip},
		"/files/b.zip":        {typ: "application/zip", body: zip, noHead: true},
		"/fake.png":           {typ: "application/octet-stream", body: html},
		"/anim.webp":          {typ: "image/webp", body: zip},
		"/ctl\n\u202egpj.exe": {body: zip},
	})
	f := newFetcher(t)
	for i, tc := range []struct {
		path, name, typ string
		size            int64
		gets            int64
	}{
		0: {"/page", "page", "text/html", int64(len(html)), 0},
		1: {"/files/a.zip", "a.zip", "application/zip", int64(len(zip)), 0},
		// HEAD refused: the GET's headers answer, its body is left.
		2: {"/files/b.zip", "b.zip", "application/zip", int64(len(zip)), 1},
		// Named like a picture, but the bytes are not one.
		3: {"/fake.png", "fake.png", "application/octet-stream", int64(len(html)), 1},
		// A picture type the decoder does not read is a file.
		4: {"/anim.webp", "anim.webp", "image/webp", int64(len(zip)), 0},
		5: {"/ctl%0A%E2%80%AEgpj.exe", "ctl gpj.exe", "", int64(len(zip)), 0},
	} {
		gets := srv.gets.Load()
		info, err := f.Info(context.Background(), srv.Client(), srv.URL+tc.path)
		if err != nil || info.Thumb != "" || info.File != "" || info.Width != 0 || info.Name != tc.name || info.Type != tc.typ || info.Size != tc.size {
			t.Errorf("%d: %+v, %v", i, info, err)
		}
		if n := srv.gets.Load() - gets; n != tc.gets {
			t.Errorf("%d: %d GETs, want %d", i, n, tc.gets)
		}
	}
}

func TestFetchDamagedPicture(t *testing.T) {
	pic := picture(t, avatar.PNG, 400, 300)
	srv := newServer(t, map[string]file{
		"/cut.png":  {typ: "image/png", body: pic[:len(pic)/2]},
		"/html.jpg": {typ: "image/jpeg", body: []byte("<html>not found</html>")},
		// Real pixels, 25 Mpx: past MaxPixels though within a dimension.
		"/bomb.png": {typ: "image/png", body: bomb(t, 5000, 5000)},
		// A header claiming 100000 × 100000.
		"/huge.png": {typ: "image/png", body: bomb(t, 100000, 1)[:33]},
	})
	f := newFetcher(t)
	for _, tc := range []struct {
		path string
		err  error
	}{
		{"/cut.png", avatar.ErrCorrupt},
		{"/html.jpg", avatar.ErrNotImage},
		{"/bomb.png", avatar.ErrTooManyPixels},
		{"/huge.png", avatar.ErrTooManyPixels},
	} {
		info, err := f.Info(context.Background(), srv.Client(), srv.URL+tc.path)
		if !errors.Is(err, tc.err) || info.Thumb != "" || info.File != "" || info.Type == "" {
			t.Errorf("%s: %+v, %v; want %v", tc.path, info, err, tc.err)
		}
	}
	if entries, _ := os.ReadDir(f.Dir()); len(entries) != 0 {
		t.Errorf("%d files cached for damaged pictures", len(entries))
	}
	if body := bomb(t, 5000, 5000); len(body) > 64<<10 {
		t.Errorf("the bomb is %d bytes, not a bomb", len(body))
	}
}

func TestFetchNotHTTPS(t *testing.T) {
	f := newFetcher(t)
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("request made for %s", r.URL)
		return nil, errors.New("no")
	})}
	for _, u := range []string{"http://example.org/a.png", "https://u:p@example.org/a.png", "ftp://example.org/a", "https:///a.png", "/a.png", "%zz"} {
		if _, err := f.Info(context.Background(), hc, u); !errors.Is(err, media.ErrNotHTTPS) {
			t.Errorf("Info(%q): %v", u, err)
		}
		if err := f.Save(context.Background(), hc, u, filepath.Join(t.TempDir(), "x")); !errors.Is(err, media.ErrNotHTTPS) {
			t.Errorf("Save(%q): %v", u, err)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFetchStatus(t *testing.T) {
	srv := newServer(t, map[string]file{})
	info, err := newFetcher(t).Info(context.Background(), srv.Client(), srv.URL+"/gone.png")
	var se *media.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNotFound || info.Name != "gone.png" {
		t.Fatalf("%+v, %v", info, err)
	}
}

func TestFetchSameURLOnce(t *testing.T) {
	pic := picture(t, avatar.PNG, 400, 300)
	srv := newServer(t, map[string]file{"/a.png": {typ: "image/png", body: pic}})
	srv.hold = make(chan struct{})
	f := newFetcher(t)
	url := srv.URL + "/a.png"
	const n = 6
	infos := make([]media.Info, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { infos[i], errs[i] = f.Info(context.Background(), srv.Client(), url) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for media.Waiters(f, url) != n-1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters", media.Waiters(f, url))
		}
		time.Sleep(time.Millisecond)
	}
	close(srv.hold)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || infos[i] != infos[0] || infos[i].Thumb == "" {
			t.Errorf("%d: %+v, %v", i, infos[i], errs[i])
		}
	}
	if srv.heads.Load() != 1 || srv.gets.Load() != 1 {
		t.Errorf("%d HEADs and %d GETs, want 1 of each", srv.heads.Load(), srv.gets.Load())
	}
	if media.Waiters(f, url) != -1 {
		t.Error("the fetch is still under way")
	}
}

func TestFetchWaiterCancels(t *testing.T) {
	srv := newServer(t, map[string]file{"/a.png": {typ: "image/png", body: picture(t, avatar.PNG, 4, 3)}})
	srv.hold = make(chan struct{})
	f := newFetcher(t)
	url := srv.URL + "/a.png"
	done := make(chan error, 1)
	go func() {
		_, err := f.Info(context.Background(), srv.Client(), url)
		done <- err
	}()
	for media.Waiters(f, url) != 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Info(ctx, srv.Client(), url); !errors.Is(err, context.Canceled) {
		t.Errorf("a canceled waiter: %v", err)
	}
	close(srv.hold)
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestSaveMedia(t *testing.T) {
	data := bytes.Repeat([]byte("palaver\x00\xff"), 100000)
	pic := picture(t, avatar.PNG, 40, 30)
	srv := newServer(t, map[string]file{
		"/f.bin":   {typ: "application/octet-stream", body: data},
		"/c.bin":   {typ: "application/octet-stream", body: data, chunked: true},
		"/big.bin": {body: data, zeros: 1 << 20},
		"/huge":    {body: data, zeros: 1 << 20, chunked: true},
		"/p.png":   {typ: "image/png", body: pic},
	})
	f := newFetcher(t)
	f.MaxSave = int64(len(data))
	dir := t.TempDir()
	for _, p := range []string{"/f.bin", "/c.bin"} {
		path := filepath.Join(dir, "out"+filepath.Base(p))
		if err := f.Save(context.Background(), srv.Client(), srv.URL+p, path); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes saved (%v), want %d", p, len(got), err, len(data))
		}
	}
	// Failures leave nothing behind, not even a .part.
	for _, tc := range []struct {
		path string
		ok   func(error) bool
	}{
		{"/big.bin", func(err error) bool { return errors.Is(err, media.ErrTooLarge) }},
		{"/huge", func(err error) bool { return errors.Is(err, media.ErrTooLarge) }},
		{"/missing", func(err error) bool {
			var se *media.StatusError
			return errors.As(err, &se) && se.Code == http.StatusNotFound
		}},
	} {
		path := filepath.Join(dir, "fail")
		if err := f.Save(context.Background(), srv.Client(), srv.URL+tc.path, path); !tc.ok(err) {
			t.Errorf("%s: %v", tc.path, err)
		}
		for _, p := range []string{path, path + ".part"} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: %s left (%v)", tc.path, p, err)
			}
		}
	}
	// A folder that does not exist: the error says so.
	if err := f.Save(context.Background(), srv.Client(), srv.URL+"/f.bin", filepath.Join(dir, "no", "x")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("into a missing folder: %v", err)
	}

	// A picture in the cache is copied from it.
	if _, err := f.Info(context.Background(), srv.Client(), srv.URL+"/p.png"); err != nil {
		t.Fatal(err)
	}
	gets := srv.gets.Load()
	path := filepath.Join(dir, "p.png")
	if err := f.Save(context.Background(), srv.Client(), srv.URL+"/p.png", path); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, pic) || srv.gets.Load() != gets {
		t.Errorf("saved picture: %d bytes, %d GETs", len(got), srv.gets.Load()-gets)
	}
}

func TestSaveMediaCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		cancel()
		<-r.Context().Done()
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "x")
	err := newFetcher(t).Save(ctx, srv.Client(), srv.URL+"/x", path)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	for _, p := range []string{path, path + ".part"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left (%v)", p, err)
		}
	}
}

func TestFetchPrune(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	f, err := media.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 10 {
		p := filepath.Join(dir, "f"+strconv.Itoa(i))
		if err := os.WriteFile(p, make([]byte, 1000), 0o600); err != nil {
			t.Fatal(err)
		}
		// f0 is the oldest.
		at := now.Add(time.Duration(i-10) * time.Hour)
		os.Chtimes(p, at, at)
	}
	os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("half"), 0o600)
	if err := f.Prune(4500); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 4 || names[0] != "f6" || names[3] != "f9" {
		t.Errorf("left %v, want f6 to f9", names)
	}
}
