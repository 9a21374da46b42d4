// Package media fetches the files and pictures others share (XEP-0066
// out-of-band data, XEP-0363 upload URLs): it looks at a URL, downloads a
// picture not too large into a cache folder and makes a thumbnail of it,
// and saves any file where the user chooses.
//
// Everything it fetches may be hostile. Only https URLs are fetched (the
// http.Client given must refuse plain http redirects itself); sizes are
// checked against Content-Length before a body is read and again while it
// is read, with a hard cap whatever the headers said; pictures are decoded
// only by avatar.Decode, within Limits.
package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/palaver-im/palaver/app/avatar"
)

// Defaults of a Fetcher's limits.
const (
	// MaxPreview is the largest picture downloaded for a preview.
	MaxPreview = 16 << 20
	// MaxSave is the largest file Save writes.
	MaxSave = 4 << 30
	// ThumbWidth and ThumbHeight bound a thumbnail.
	ThumbWidth, ThumbHeight = 360, 270
	// MaxPixels is the largest width × height of a picture previewed:
	// 4096 × 4096, enough for the 12 to 16 Mpx photos phones send (which
	// avatar.Received, meant for 96-pixel avatars, refuses). Decoding
	// costs at most 8 bytes a pixel (128 MiB for a 16-bit PNG), one
	// picture at a time in the process.
	MaxPixels = 4096 * 4096
	// MaxCache is the size the cache is pruned to by default.
	MaxCache = 256 << 20
)

// Limits are what decoding a shared picture may cost.
var Limits = avatar.Limits{Bytes: MaxPreview, Dimension: avatar.MaxDimension, Pixels: MaxPixels}

// Errors of Info and Save.
var (
	// ErrNotHTTPS: only https URLs (with a host, without user
	// information) are fetched.
	ErrNotHTTPS = errors.New("only https links are downloaded")
	// ErrTooLarge: the file is larger than the limit.
	ErrTooLarge = errors.New("the file is too large")
)

// StatusError is an HTTP answer other than success.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("the web server answered %d %s", e.Code, http.StatusText(e.Code))
}

// Info is what Fetcher.Info learned of a URL.
type Info struct {
	URL string
	// Type is the MIME type the server gave, or the picture's once
	// decoded; "" when unknown.
	Type string
	// Size is the file's size in bytes, -1 when unknown.
	Size int64
	// Name is the file's name, from the URL's last path segment (see
	// CleanName).
	Name string
	// Thumb is a PNG file of the picture scaled to fit within the
	// thumbnail size, "" when not a picture.
	Thumb string
	// Width and Height are the full picture's size, 0 when not a picture.
	Width, Height int
	// File is the whole picture in the cache, "" when not downloaded.
	File string
}

// Fetcher fetches shared files into a cache folder.
// A Fetcher is safe for concurrent use; requests for the same URL at the
// same time fetch it once. Its limits must not change once it is in use.
type Fetcher struct {
	// MaxPreview, MaxSave, ThumbWidth and ThumbHeight are set by New to
	// the package's defaults.
	MaxPreview, MaxSave     int64
	ThumbWidth, ThumbHeight int

	dir string

	mu       sync.Mutex
	inflight map[string]*call
}

// call is one fetch of a URL that others may wait for.
type call struct {
	done chan struct{}
	// waiters counts the other requests waiting for it (for tests).
	waiters int
	info    Info
	err     error
}

// New returns a Fetcher whose cache is the folder dir, made (mode 0700)
// if needed.
func New(dir string) (*Fetcher, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Fetcher{
		MaxPreview: MaxPreview, MaxSave: MaxSave,
		ThumbWidth: ThumbWidth, ThumbHeight: ThumbHeight,
		dir: dir, inflight: map[string]*call{},
	}, nil
}

// Dir returns the cache folder.
func (f *Fetcher) Dir() string { return f.dir }

// ParseURL parses s and checks that it is an absolute https URL with a
// host and without user information (ErrNotHTTPS).
func ParseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return nil, ErrNotHTTPS
	}
	return u, nil
}

// key names the cache files of a URL: the SHA-256 of the URL, in hex.
func key(rawURL string) string {
	sum := sha256.Sum256([]byte(rawURL))
	return hex.EncodeToString(sum[:])
}

// The cache files of a URL: its description (written last, so that it
// names only files already there), the whole picture and its thumbnail.
const (
	metaExt  = ".json"
	fullExt  = ".full"
	thumbExt = ".thumb.png"
	// tempPrefix starts the names of files being written.
	tempPrefix = ".tmp-"
)

// Info looks at rawURL with hc: a HEAD request (a GET if the server
// refuses HEAD) gives its type and size; a picture (PNG, JPEG or GIF) of
// at most MaxPreview bytes is downloaded into the cache and a thumbnail
// made. A URL seen before is answered from the cache. On an error Info
// still gives what it learned (URL, Name, and Type and Size once the
// server answered).
// Errors: ErrNotHTTPS before any request, ErrTooLarge when a picture's
// body exceeds MaxPreview while Content-Length said less, a *StatusError,
// avatar's errors for a damaged picture or one with too many pixels, a
// *certs.UntrustedError from hc, or a network error.
func (f *Fetcher) Info(ctx context.Context, hc *http.Client, rawURL string) (Info, error) {
	info := Info{URL: rawURL, Size: -1}
	u, err := ParseURL(rawURL)
	if err != nil {
		return info, err
	}
	info.Name = nameOf(u)
	f.mu.Lock()
	c, ok := f.inflight[rawURL]
	if !ok {
		c = &call{done: make(chan struct{})}
		f.inflight[rawURL] = c
		f.mu.Unlock()
		c.info, c.err = f.cachedOrFetch(ctx, hc, info)
		f.mu.Lock()
		delete(f.inflight, rawURL)
		f.mu.Unlock()
		close(c.done)
		return c.info, c.err
	}
	c.waiters++
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.info, c.err
	case <-ctx.Done():
		return info, ctx.Err()
	}
}

// meta is the description of a URL kept in the cache.
type meta struct {
	Type    string `json:"type"`
	Size    int64  `json:"size"`
	Width   int    `json:"width,omitempty"`
	Height  int    `json:"height,omitempty"`
	Picture bool   `json:"picture,omitempty"`
}

func (f *Fetcher) cachedOrFetch(ctx context.Context, hc *http.Client, info Info) (Info, error) {
	k := key(info.URL)
	if got, ok := f.cached(info, k); ok {
		return got, nil
	}
	got, m, err := f.fetch(ctx, hc, info, k)
	if err != nil {
		return got, err
	}
	data, err := json.Marshal(m)
	if err == nil {
		err = f.writeFile(k+metaExt, data)
	}
	return got, err
}

// cached returns the cached Info of a URL, if all its files are there;
// it marks them used now, so that pruning keeps them longest.
func (f *Fetcher) cached(info Info, k string) (Info, bool) {
	data, err := os.ReadFile(filepath.Join(f.dir, k+metaExt))
	if err != nil {
		return info, false
	}
	var m meta
	if json.Unmarshal(data, &m) != nil {
		return info, false
	}
	names := []string{k + metaExt}
	if m.Picture {
		names = append(names, k+fullExt, k+thumbExt)
	}
	now := time.Now()
	for _, n := range names {
		if err := os.Chtimes(filepath.Join(f.dir, n), now, now); err != nil {
			return info, false
		}
	}
	info.Type, info.Size = m.Type, m.Size
	if m.Picture {
		info.Width, info.Height = m.Width, m.Height
		info.File = filepath.Join(f.dir, k+fullExt)
		info.Thumb = filepath.Join(f.dir, k+thumbExt)
	}
	return info, true
}

// fetch asks the server about the URL and downloads a picture.
func (f *Fetcher) fetch(ctx context.Context, hc *http.Client, info Info, k string) (Info, meta, error) {
	resp, err := f.request(ctx, hc, http.MethodHead, info.URL)
	if err != nil {
		return info, meta{}, err
	}
	resp.Body.Close()
	var get *http.Response
	if resp.StatusCode/100 != 2 {
		// Some servers refuse HEAD (405, 501, or 403 for URLs signed for
		// GET only): ask with GET, and read no more than a picture's cap.
		if get, err = f.get(ctx, hc, info.URL); err != nil {
			return info, meta{}, err
		}
		defer get.Body.Close()
		resp = get
	}
	info.Type = ParseType(resp.Header.Get("Content-Type"))
	info.Size = max(resp.ContentLength, -1)
	m := meta{Type: info.Type, Size: info.Size}
	declared := isPicture(info.Type)
	if !declared && !maybePicture(info.Type, info.Name) || info.Size > f.MaxPreview {
		return info, m, nil
	}
	if get == nil {
		if get, err = f.get(ctx, hc, info.URL); err != nil {
			return info, meta{}, err
		}
		defer get.Body.Close()
		if get.ContentLength > f.MaxPreview {
			return info, meta{}, ErrTooLarge
		}
	}
	data, err := readCapped(get.Body, f.MaxPreview)
	if err != nil {
		return info, meta{}, err
	}
	info.Size = int64(len(data))
	m.Size = info.Size
	if !declared && avatar.Type(data) == "" {
		// Only the name looked like a picture's.
		return info, m, nil
	}
	thumb, w, h, typ, err := f.thumbnail(data)
	if err != nil {
		return info, meta{}, err
	}
	if err := f.writeFile(k+fullExt, data); err != nil {
		return info, meta{}, err
	}
	if err := f.writeFile(k+thumbExt, thumb); err != nil {
		return info, meta{}, err
	}
	info.Type, info.Width, info.Height = typ, w, h
	info.File, info.Thumb = filepath.Join(f.dir, k+fullExt), filepath.Join(f.dir, k+thumbExt)
	m = meta{Type: typ, Size: info.Size, Width: w, Height: h, Picture: true}
	return info, m, nil
}

// request makes one request and turns the client's errors into ours.
func (f *Fetcher) request(ctx context.Context, hc *http.Client, method, rawURL string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, ErrNotHTTPS
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return resp, nil
}

// get GETs rawURL and checks that the answer is a success.
func (f *Fetcher) get(ctx context.Context, hc *http.Client, rawURL string) (*http.Response, error) {
	resp, err := f.request(ctx, hc, http.MethodGet, rawURL)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &StatusError{Code: resp.StatusCode}
	}
	return resp, nil
}

// readCapped reads r whole, or fails with ErrTooLarge as soon as it gives
// more than limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, ErrTooLarge
	}
	return data, nil
}

// writeFile writes a cache file whole: aside, then renamed.
func (f *Fetcher) writeFile(name string, data []byte) error {
	tmp, err := os.CreateTemp(f.dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(f.dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// Save downloads rawURL with hc into the file path: it is written to
// path+".part", renamed to path once whole, and removed on any failure. A
// picture already in the cache is copied from it. Save ends with ctx.
// Errors: those of Info, and ErrTooLarge beyond MaxSave bytes.
func (f *Fetcher) Save(ctx context.Context, hc *http.Client, rawURL, path string) (err error) {
	if _, err := ParseURL(rawURL); err != nil {
		return err
	}
	var src io.Reader
	if in, err := os.Open(filepath.Join(f.dir, key(rawURL)+fullExt)); err == nil {
		defer in.Close()
		src = in
	} else {
		resp, err := f.get(ctx, hc, rawURL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.ContentLength > f.MaxSave {
			return ErrTooLarge
		}
		src = resp.Body
	}
	part := path + ".part"
	out, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(part)
		}
	}()
	n, err := io.Copy(out, &ctxReader{ctx: ctx, r: io.LimitReader(src, f.MaxSave+1)})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	if n > f.MaxSave {
		return ErrTooLarge
	}
	return os.Rename(part, path)
}

// ctxReader stops reading once ctx ends (a cached file's reads do not
// watch ctx as a response body does).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Prune removes the oldest files of the cache (by last use) until it holds
// at most max bytes, and files left half-written by an earlier run. Call
// it when no fetch is running.
func (f *Fetcher) Prune(max int64) error {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return err
	}
	type file struct {
		name string
		size int64
		used time.Time
	}
	var files []file
	var total int64
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if err := os.Remove(filepath.Join(f.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		files = append(files, file{e.Name(), fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	slices.SortFunc(files, func(a, b file) int { return a.used.Compare(b.used) })
	for _, fl := range files {
		if total <= max {
			break
		}
		if err := os.Remove(filepath.Join(f.dir, fl.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		total -= fl.size
	}
	return nil
}

// The picture types previewed: those avatar.Decode reads.
var pictureTypes = []string{avatar.PNG, avatar.JPEG, avatar.GIF}

// isPicture reports whether a MIME type is one of pictureTypes.
func isPicture(typ string) bool { return slices.Contains(pictureTypes, typ) }

// maybePicture reports whether a file the server gave no useful type is
// named like a picture: the bytes decide then.
func maybePicture(typ, name string) bool {
	if typ != "" && typ != "application/octet-stream" {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif":
		return true
	}
	return false
}

// maxTypeLen bounds a MIME type kept.
const maxTypeLen = 127

// ParseType returns the media type of a Content-Type header in lower
// case, without parameters; "" when the header is missing or malformed.
func ParseType(header string) string {
	if len(header) > 1024 {
		return ""
	}
	typ, _, err := mime.ParseMediaType(header)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return ""
	}
	if len(typ) > maxTypeLen || strings.Count(typ, "/") != 1 {
		return ""
	}
	return typ
}
