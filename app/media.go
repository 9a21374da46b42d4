package app

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/palaver-im/palaver/app/internal/queue"
	"github.com/palaver-im/palaver/app/media"
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
	// Err is ErrNotHTTPS, ErrMediaTooLarge (a picture whose body passed
	// MaxPreviewBytes, though its Content-Length said less or nothing), a
	// *media.StatusError, an avatar error wrapping avatar.ErrCorrupt or
	// avatar.ErrTooManyPixels for a damaged picture, a
	// *certs.UntrustedError for the file's host, or a network or file
	// error. Name (but for ErrNotHTTPS), and Type and Size once the
	// server answered, are set even then.
	Err error
}

// MediaSaved is sent when SaveMedia ends.
type MediaSaved struct {
	base
	URL, Path string
	// Err is nil once the file is whole at Path; else one of MediaInfo's
	// errors (ErrMediaTooLarge past MaxSaveBytes), and nothing is left at
	// Path or Path+".part".
	Err error
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
	ErrNotHTTPS = media.ErrNotHTTPS
	// ErrMediaTooLarge: the file is larger than the limit.
	ErrMediaTooLarge = media.ErrTooLarge
)

// FetchMedia looks at url and, for a picture, makes its preview; a
// MediaInfo follows. A URL fetched before is answered from the cache.
func (c *Client) FetchMedia(url string) { c.cmds.Push(cmdFetchMedia{url: url}) }

// SaveMedia downloads url into the file path; a MediaSaved follows.
func (c *Client) SaveMedia(url, path string) { c.cmds.Push(cmdSaveMedia{url: url, path: path}) }

type cmdFetchMedia struct{ url string }

type cmdSaveMedia struct{ url, path string }

// mediaWorkers is how many fetches and saves of an account run at once.
const mediaWorkers = 2

// mediaDir is the media cache's folder inside the data directory.
const mediaDir = "media"

// mediaJobs runs FetchMedia and SaveMedia away from the runner: the
// runner starts it on the first such command and stops it when Run ends.
type mediaJobs struct {
	jobs   *queue.Queue[mediaJob]
	cancel context.CancelFunc
	done   chan struct{}
}

// fetchMedia carries out FetchMedia on the media worker.
func (r *runner) fetchMedia(ctx context.Context, cmd cmdFetchMedia) {
	r.mediaWorker(ctx).jobs.Push(mediaJob{url: cmd.url})
}

// saveMedia carries out SaveMedia on the media worker.
func (r *runner) saveMedia(ctx context.Context, cmd cmdSaveMedia) {
	r.mediaWorker(ctx).jobs.Push(mediaJob{url: cmd.url, path: cmd.path, save: true})
}

// mediaJob is one FetchMedia (save unset) or SaveMedia for the media
// worker: not a command, which only the runner's handle may switch over.
type mediaJob struct {
	url, path string
	save      bool
}

// mediaWorker returns the media worker, started with ctx (Run's) if it
// was not yet.
func (r *runner) mediaWorker(ctx context.Context) *mediaJobs {
	if r.media != nil {
		return r.media
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &mediaJobs{jobs: queue.New[mediaJob](), cancel: cancel, done: make(chan struct{})}
	r.media = m
	c := r.Client
	c.mu.Lock()
	dir := c.dataDir
	c.mu.Unlock()
	go func() {
		defer close(m.done)
		c.runMedia(ctx, dir, m.jobs)
	}()
	return m
}

// stopMedia stops the media worker, if it runs, and waits for it: what it
// had not done yet is dropped with Run.
func (r *runner) stopMedia() {
	if r.media != nil {
		r.media.cancel()
		<-r.media.done
		r.media = nil
	}
}

// runMedia opens the cache in dataDir (a temporary folder without one),
// prunes it, and carries out jobs in order, mediaWorkers at a time,
// until ctx ends.
func (c *Client) runMedia(ctx context.Context, dataDir string, jobs *queue.Queue[mediaJob]) {
	var dir string
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "palaver-media-")
		if err == nil {
			defer os.RemoveAll(tmp)
		}
		dir = tmp
	} else {
		dir = filepath.Join(dataDir, mediaDir)
	}
	f, openErr := media.New(dir)
	if openErr == nil {
		// A full cache only costs room: pruning it may fail.
		_ = f.Prune(media.MaxCache)
		f.MaxPreview, f.MaxSave = MaxPreviewBytes, MaxSaveBytes
		f.ThumbWidth, f.ThumbHeight = ThumbWidth, ThumbHeight
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, mediaWorkers)
	for {
		select {
		case <-ctx.Done():
			return
		case <-jobs.Ready():
		}
		for _, j := range jobs.Take() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				defer func() { <-sem }()
				if openErr != nil {
					c.mediaFailed(j, openErr)
					return
				}
				c.runMediaJob(ctx, f, j)
			})
		}
	}
}

// runMediaJob fetches or saves, with an https client for the account as it
// is now, and says how it went.
func (c *Client) runMediaJob(ctx context.Context, f *media.Fetcher, j mediaJob) {
	hc := webClient(c.settings())
	defer hc.CloseIdleConnections()
	if j.save {
		err := f.Save(ctx, hc, j.url, j.path)
		c.emit(MediaSaved{base: c.b(), URL: j.url, Path: j.path, Err: err})
		return
	}
	info, err := f.Info(ctx, hc, j.url)
	c.emit(MediaInfo{
		base: c.b(), URL: j.url, Type: info.Type, Size: info.Size, Name: info.Name,
		Thumb: info.Thumb, Width: info.Width, Height: info.Height, File: info.File, Err: err,
	})
}

// mediaFailed answers a job that cannot run.
func (c *Client) mediaFailed(j mediaJob, err error) {
	if j.save {
		c.emit(MediaSaved{base: c.b(), URL: j.url, Path: j.path, Err: err})
		return
	}
	c.emit(MediaInfo{base: c.b(), URL: j.url, Size: -1, Err: err})
}
