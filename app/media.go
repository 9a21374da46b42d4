package app

import (
	"context"
	"errors"
)

// Shared files and pictures received (XEP-0066 OOB, XEP-0363 URLs):
// FetchMedia looks at a URL and, for a picture not too large, downloads
// it once into the account's media cache and makes a thumbnail; SaveMedia
// downloads a file to where the user chose. Only https URLs are fetched,
// with the certificate checked as for the account; sizes are checked
// before (Content-Length) and while reading (a hard cap).

// MediaInfo is sent for each FetchMedia.
type MediaInfo struct {
	base
	URL string
	// Type is the MIME type the server gave (or the picture's, once
	// decoded), "" when unknown.
	Type string
	// Size is the file's size in bytes, -1 when unknown.
	Size int64
	// Name is the file's name, from the URL's last path segment.
	Name string
	// Thumb is a PNG file holding the picture scaled down to at most
	// ThumbWidth×ThumbHeight, "" when the file is not a picture (or
	// larger than MaxPreviewBytes, or Err is set).
	Thumb string
	// Width and Height are the full picture's size, 0 when not a picture.
	Width, Height int
	// File is the whole picture in the cache, "" when not downloaded.
	File string
	Err  error
}

// MediaSaved is sent when SaveMedia ends.
type MediaSaved struct {
	base
	URL, Path string
	Err       error
}

// Limits of fetched media.
const (
	// MaxPreviewBytes is the largest picture downloaded for a preview.
	MaxPreviewBytes = 16 << 20
	// MaxSaveBytes is the largest file SaveMedia writes.
	MaxSaveBytes = 4 << 30
	// ThumbWidth and ThumbHeight bound a thumbnail.
	ThumbWidth, ThumbHeight = 360, 270
)

// Errors of MediaInfo and MediaSaved.
var (
	// ErrNotHTTPS: only https URLs are fetched.
	ErrNotHTTPS = errors.New("only https links are downloaded")
	// ErrMediaTooLarge: the file is larger than the limit.
	ErrMediaTooLarge = errors.New("the file is too large")
)

// FetchMedia looks at url and, for a picture, makes its preview; a
// MediaInfo follows. A URL fetched before is answered from the cache.
func (c *Client) FetchMedia(url string) { c.cmds.Push(cmdFetchMedia{url: url}) }

// SaveMedia downloads url into the file path; a MediaSaved follows.
func (c *Client) SaveMedia(url, path string) { c.cmds.Push(cmdSaveMedia{url: url, path: path}) }

type cmdFetchMedia struct{ url string }

type cmdSaveMedia struct{ url, path string }

// fetchMedia carries out FetchMedia (stub).
func (r *runner) fetchMedia(ctx context.Context, cmd cmdFetchMedia) {
	r.emit(MediaInfo{base: r.b(), URL: cmd.url, Size: -1, Err: errors.New("not built yet")})
}

// saveMedia carries out SaveMedia (stub).
func (r *runner) saveMedia(ctx context.Context, cmd cmdSaveMedia) {
	r.emit(MediaSaved{base: r.b(), URL: cmd.url, Path: cmd.path, Err: errors.New("not built yet")})
}
