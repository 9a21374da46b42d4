package app

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/upload"
)

// HTTP File Upload (XEP-0363): the account's server names an upload
// service (disco#items of the server, then the service's disco#info
// with urn:xmpp:http:upload:0 and its max-file-size); SendFile asks it for
// a slot, PUTs the file over https (certificate checked as for the
// account, metadata stripped from pictures unless asked not to) and then
// sends the file's URL in the body and as out-of-band data (XEP-0066)
// through the outbox, under the same id.

// UploadService is sent after each sign-in: the account's HTTP upload
// service, or none.
type UploadService struct {
	base
	// Addr is the service's JID, "" when the server offers none.
	Addr string
	// MaxSize is the largest file the service accepts, in bytes; 0 when it
	// announces no limit.
	MaxSize int64
}

// FileOptions adjust SendFile.
type FileOptions struct {
	// KeepMetadata sends a picture as it is; by default Palaver removes
	// what could identify the sender (EXIF, GPS, XMP, comments) first.
	KeepMetadata bool
}

// UploadProgress is sent when an upload starts (Sent 0) and then at most
// ten times a second while it runs.
type UploadProgress struct {
	base
	// ID is the id SendFile returned.
	ID   string
	Peer string
	// Name is the file's name as sent.
	Name        string
	Sent, Total int64
}

// UploadDone is sent when the file is on the server: its message, with
// the same ID, is in the archive and the outbox from then on, and moves
// on with MessageStateChanged like any other.
type UploadDone struct {
	base
	ID, Peer string
	// URL is where the recipient downloads the file (the message's body).
	URL string
}

// UploadFailed is sent when an upload cannot finish. Err is one of the
// errors below (ErrUploadCanceled after CancelUpload), a
// *FileTooLargeError, a *certs.UntrustedError for the upload host, or a
// network or file error. Nothing is sent to the peer; SendFile again
// retries.
type UploadFailed struct {
	base
	ID, Peer string
	// Path is the file that was to be sent.
	Path string
	Err  error
}

// UploadInterrupted is sent after Run starts for each upload that had not
// finished when Palaver last stopped: nothing was sent to the peer.
type UploadInterrupted struct {
	base
	ID, Peer, Path string
	// Size is the file's size when the upload started.
	Size int64
}

// Errors of UploadFailed.
var (
	ErrNoUploadService = errors.New("the server offers no file upload")
	ErrUploadCanceled  = errors.New("the upload was canceled")
	// ErrUploadQuota: the service refused for lack of room
	// (resource-constraint), such as a full quota.
	ErrUploadQuota = errors.New("the upload service has no room left")
	// ErrUploadRefused: the service does not let this account upload
	// (forbidden or not-allowed).
	ErrUploadRefused = errors.New("the upload service refused the file")
)

// FileTooLargeError says that a file exceeds the service's limit.
type FileTooLargeError struct {
	Size, Max int64
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("the file has %d bytes; the server accepts at most %d", e.Size, e.Max)
}

// SendFile uploads the file at path and sends its URL to peer (a bare
// JID, an occupant's full JID, or a room we are in, where the URL is a
// line of ours like SendRoomMessage's); it returns the id of the upload
// and of the message that follows it. UploadProgress, then UploadDone or
// UploadFailed follow.
func (c *Client) SendFile(peer, path string, opt FileOptions) string {
	id := NewID()
	c.opened.add(peer)
	c.cmds.Push(cmdSendFile{id: id, peer: peer, path: path, opt: opt})
	return id
}

// CancelUpload stops the upload id; an UploadFailed with
// ErrUploadCanceled follows, unless it had already ended.
func (c *Client) CancelUpload(id string) { c.cmds.Push(cmdCancelUpload{id: id}) }

type cmdSendFile struct {
	id, peer, path string
	opt            FileOptions
}

type cmdCancelUpload struct{ id string }

// UploadStatusError says that the upload server answered the PUT with an
// HTTP status other than success (and other than 413, a
// *FileTooLargeError, and 401 or 403, ErrUploadRefused).
type UploadStatusError struct{ Status int }

func (e *UploadStatusError) Error() string {
	return fmt.Sprintf("the upload server answered %d %s", e.Status, http.StatusText(e.Status))
}

// Limits of uploads.
const (
	// maxStrip bounds a picture read into memory to remove its metadata:
	// a larger one fails as too large (unless KeepMetadata).
	maxStrip = 256 << 20
	// progressEvery is the least time between two UploadProgress.
	progressEvery = 100 * time.Millisecond
	// uploadsFile lists the uploads under way, in the data directory.
	uploadsFile = "uploads.json"
	// maxInterrupted bounds the UploadInterrupted of a Run.
	maxInterrupted = 100
)

// uploader is the state of the uploads of a Run: the service found at the
// last sign-in, the uploads under way, and the file that lists them.
// Its fields are guarded by mu: the discovery and the upload workers run
// on goroutines of their own.
type uploader struct {
	mu sync.Mutex
	// svc and max are the current session's service (zero: none);
	// ready is closed once its discovery ended, sessDone when the session
	// ended.
	svc      jid.JID
	max      int64
	ready    chan struct{}
	sessDone <-chan struct{}
	jobs     map[string]*uploadJob
	// file lists the uploads under way ("" without a data directory).
	file    string
	records []uploadRecord
	wg      sync.WaitGroup
}

// uploadJob is an upload under way.
type uploadJob struct {
	cancel context.CancelFunc
	// canceled is set by CancelUpload (not by the end of Run).
	canceled atomic.Bool
}

// uploadRecord is an upload under way as kept on disk.
type uploadRecord struct {
	ID   string `json:"id"`
	Peer string `json:"peer"`
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// uploads returns the runner's uploader, made on first use.
func (r *runner) uploads() *uploader {
	if r.up == nil {
		r.up = &uploader{jobs: map[string]*uploadJob{}}
		r.mu.Lock()
		if r.dataDir != "" {
			r.up.file = filepath.Join(r.dataDir, uploadsFile)
		}
		r.mu.Unlock()
	}
	return r.up
}

// loadUploads reports the uploads an earlier run left unfinished
// (UploadInterrupted) and forgets them: nothing of them reached the peer.
func (r *runner) loadUploads() {
	up := r.uploads()
	if up.file == "" {
		return
	}
	b, err := os.ReadFile(up.file)
	if err != nil {
		return
	}
	var recs []uploadRecord
	_ = json.Unmarshal(b, &recs)
	// The file is ours, but may be damaged: at most maxInterrupted.
	for _, rec := range recs[:min(len(recs), maxInterrupted)] {
		if rec.ID == "" {
			continue
		}
		r.emit(UploadInterrupted{base: r.b(), ID: rec.ID, Peer: rec.Peer, Path: rec.Path, Size: rec.Size})
	}
	_ = os.Remove(up.file)
}

// waitUploads waits for the upload workers, once Run's context ended: an
// upload cut short that way stays on disk for the next run.
func (r *runner) waitUploads() { r.uploads().wg.Wait() }

// remember adds (or, with forget, removes) an upload in the file of those
// under way.
func (up *uploader) remember(rec uploadRecord, forget bool) {
	up.mu.Lock()
	defer up.mu.Unlock()
	if forget {
		up.records = slices.DeleteFunc(up.records, func(x uploadRecord) bool { return x.ID == rec.ID })
	} else {
		up.records = append(up.records, rec)
	}
	if up.file == "" {
		return
	}
	if len(up.records) == 0 {
		_ = os.Remove(up.file)
		return
	}
	b, err := json.Marshal(up.records)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(up.file), 0o700); err != nil {
		return
	}
	tmp := up.file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return
	}
	_ = os.Rename(tmp, up.file)
}

// discoverUpload looks for the server's upload service on a new session
// (XEP-0363 §3): disco#items of the server, then disco#info of each item
// (at most upload.MaxItems, at once). UploadService follows, unless the
// session ends first.
func (r *runner) discoverUpload(ctx context.Context, sess *xmpp.Session) {
	up := r.uploads()
	ready := make(chan struct{})
	up.mu.Lock()
	up.svc, up.max, up.ready, up.sessDone = jid.JID{}, 0, ready, ctx.Done()
	up.mu.Unlock()
	go func() {
		svc, max := findUploadService(ctx, sess)
		if ctx.Err() != nil {
			return
		}
		up.mu.Lock()
		up.svc, up.max = svc, max
		up.mu.Unlock()
		close(ready)
		addr := ""
		if !svc.Equal(jid.JID{}) {
			addr = svc.String()
		}
		r.emit(UploadService{base: r.b(), Addr: addr, MaxSize: max})
	}()
}

// findUploadService returns the first item of the server that offers
// HTTP File Upload, and its limit; the zero JID when none does.
func findUploadService(ctx context.Context, sess *xmpp.Session) (jid.JID, int64) {
	domain := sess.LocalAddr().Domain()
	ictx, cancel := context.WithTimeout(ctx, requestTimeout)
	var items []string
	_ = sendIQ(ictx, sess, stanza.IQ{Type: stanza.GetIQ, To: domain},
		xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: disco.NSItems, Local: "query"}}),
		func(d *xml.Decoder, start *xml.StartElement) error {
			var err error
			items, err = upload.DecodeItems(d, start)
			return err
		})
	cancel()
	type found struct {
		ok  bool
		max int64
	}
	results := make([]found, len(items))
	addrs := make([]jid.JID, len(items))
	var wg sync.WaitGroup
	for i, item := range items {
		to, err := jid.Parse(item)
		if err != nil {
			continue
		}
		addrs[i] = to
		wg.Add(1)
		go func() {
			defer wg.Done()
			ictx, cancel := context.WithTimeout(ctx, requestTimeout)
			defer cancel()
			_ = sendIQ(ictx, sess, stanza.IQ{Type: stanza.GetIQ, To: to},
				xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: disco.NSInfo, Local: "query"}}),
				func(d *xml.Decoder, start *xml.StartElement) error {
					ok, max, err := upload.DecodeInfo(d, start)
					results[i] = found{ok, max}
					return err
				})
		}()
	}
	wg.Wait()
	for i, f := range results {
		if f.ok {
			return addrs[i], f.max
		}
	}
	return jid.JID{}, 0
}

// sendFile carries out SendFile: the upload runs on a worker goroutine of
// its own, which reports by events and, once the file is on the server,
// queues its message (a cmdMessage with the same id).
func (r *runner) sendFile(ctx context.Context, sess *xmpp.Session, cmd cmdSendFile) {
	fail := func(err error) {
		r.emit(UploadFailed{base: r.b(), ID: cmd.id, Peer: cmd.peer, Path: cmd.path, Err: err})
	}
	if _, err := jid.Parse(cmd.peer); err != nil {
		fail(fmt.Errorf("%w: %w", ErrInvalidAddress, err))
		return
	}
	if sess == nil {
		fail(ErrNotConnected)
		return
	}
	up := r.uploads()
	jctx, cancel := context.WithCancel(ctx)
	job := &uploadJob{cancel: cancel}
	up.mu.Lock()
	ready, sessDone := up.ready, up.sessDone
	up.jobs[cmd.id] = job
	up.wg.Add(1)
	up.mu.Unlock()
	web := webClient(r.settings())
	go func() {
		defer up.wg.Done()
		defer cancel()
		defer web.CloseIdleConnections()
		url, err := r.upload(jctx, sess, up, web, cmd, ready, sessDone)
		up.mu.Lock()
		delete(up.jobs, cmd.id)
		up.mu.Unlock()
		if err != nil && !job.canceled.Load() && ctx.Err() != nil {
			return // Run ended: the next run reports it (loadUploads)
		}
		up.remember(uploadRecord{ID: cmd.id}, true)
		if err != nil {
			if job.canceled.Load() {
				err = ErrUploadCanceled
			}
			fail(err)
			return
		}
		r.emit(UploadDone{base: r.b(), ID: cmd.id, Peer: cmd.peer, URL: url})
		if r.rooms.has(cmd.peer) {
			// A room's file goes to everyone in it, as a line of ours.
			r.cmds.Push(cmdRoomMessage{id: cmd.id, room: cmd.peer, text: url, oob: url})
			return
		}
		r.cmds.Push(cmdMessage{id: cmd.id, to: cmd.peer, body: url, oob: url})
	}()
}

// cancelUpload carries out CancelUpload.
func (r *runner) cancelUpload(cmd cmdCancelUpload) {
	up := r.uploads()
	up.mu.Lock()
	job := up.jobs[cmd.id]
	up.mu.Unlock()
	if job != nil {
		job.canceled.Store(true)
		job.cancel()
	}
}

// upload reads the file (stripping a picture's metadata), asks the
// service for a slot and PUTs the file there; it returns the URL to send.
// It runs on the upload's own goroutine.
func (r *runner) upload(ctx context.Context, sess *xmpp.Session, up *uploader, web *http.Client, cmd cmdSendFile, ready, sessDone <-chan struct{}) (string, error) {
	f, err := os.Open(cmd.path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a file", cmd.path)
	}
	up.remember(uploadRecord{ID: cmd.id, Peer: cmd.peer, Path: cmd.path, Size: fi.Size()}, false)

	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	head = head[:n]
	var (
		body io.Reader
		size = fi.Size()
	)
	if !cmd.opt.KeepMetadata && (upload.IsJPEG(head) || upload.IsPNG(head)) {
		if size > maxStrip {
			return "", &FileTooLargeError{Size: size, Max: maxStrip}
		}
		data, err := io.ReadAll(io.MultiReader(bytes.NewReader(head), io.LimitReader(f, maxStrip)))
		if err != nil {
			return "", err
		}
		if data, err = upload.Strip(data); err != nil {
			return "", err
		}
		body, size = bytes.NewReader(data), int64(len(data))
	} else {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", err
		}
		body = io.LimitReader(f, size)
	}

	// The service found at sign-in.
	select {
	case <-ready:
	case <-sessDone:
		return "", ErrNotConnected
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(2 * requestTimeout):
		return "", ErrNoUploadService
	}
	up.mu.Lock()
	svc, max := up.svc, up.max
	up.mu.Unlock()
	if svc.Equal(jid.JID{}) {
		return "", ErrNoUploadService
	}
	if max > 0 && size > max {
		return "", &FileTooLargeError{Size: size, Max: max}
	}
	name := filepath.Base(cmd.path)
	r.emit(UploadProgress{base: r.b(), ID: cmd.id, Peer: cmd.peer, Name: name, Total: size})

	ctype := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	if ctype == "" {
		ctype = http.DetectContentType(head)
	}
	slot, err := requestSlot(ctx, sess, svc, upload.Request{Filename: name, Size: size, ContentType: ctype})
	var se *upload.Error
	if errors.As(err, &se) {
		return "", slotError(se, size, max)
	}
	if err != nil {
		return "", err
	}
	if _, err := httpsURL(slot.Put); err != nil {
		return "", err
	}
	if _, err := httpsURL(slot.Get); err != nil {
		return "", err
	}

	counter := upload.NewCounter(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, slot.Put, counter)
	if err != nil {
		return "", err
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	for k, vs := range slot.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", ctype)
	stop := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		var last int64
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if sent := counter.N(); sent != last {
				last = sent
				r.emit(UploadProgress{base: r.b(), ID: cmd.id, Peer: cmd.peer, Name: name, Sent: sent, Total: size})
			}
		}
	}()
	resp, err := web.Do(req)
	close(stop)
	<-progressDone
	if err != nil {
		var ue *certs.UntrustedError
		if errors.As(err, &ue) {
			return "", ue
		}
		return "", err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return slot.Get, nil
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		return "", &FileTooLargeError{Size: size, Max: max}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", ErrUploadRefused
	}
	return "", &UploadStatusError{Status: resp.StatusCode}
}

// requestSlot asks svc for a slot (XEP-0363 §4). Not through sendIQ:
// the error answer's <file-too-large/> with the service's limit is an
// application-specific child that stanza.Error does not keep;
// upload.DecodeResponse reads answers of either type, within limits.
func requestSlot(ctx context.Context, sess *xmpp.Session, svc jid.JID, q upload.Request) (upload.Slot, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := sess.SendIQElement(ctx, q.TokenReader(), stanza.IQ{Type: stanza.GetIQ, To: svc})
	if err != nil {
		return upload.Slot{}, err
	}
	defer resp.Close()
	return upload.DecodeResponse(resp)
}

// slotError maps the service's refusal of a slot to UploadFailed's errors.
func slotError(e *upload.Error, size, max int64) error {
	switch {
	case e.TooLarge:
		if e.MaxSize > 0 {
			max = e.MaxSize
		}
		return &FileTooLargeError{Size: size, Max: max}
	case e.Condition == string(stanza.ResourceConstraint):
		return ErrUploadQuota
	case e.Condition == string(stanza.NotAllowed) || e.Condition == string(stanza.Forbidden):
		return ErrUploadRefused
	}
	return e
}
