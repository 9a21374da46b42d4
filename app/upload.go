package app

import (
	"context"
	"errors"
	"fmt"

	"mellium.im/xmpp"
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
// JID, or an occupant's full JID); it returns the id of the upload and of
// the message that follows it. UploadProgress, then UploadDone or
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

// sendFile carries out SendFile (stub).
func (r *runner) sendFile(ctx context.Context, sess *xmpp.Session, cmd cmdSendFile) {
	r.emit(UploadFailed{base: r.b(), ID: cmd.id, Peer: cmd.peer, Path: cmd.path, Err: errors.New("not built yet")})
}

// cancelUpload carries out CancelUpload (stub).
func (r *runner) cancelUpload(cmd cmdCancelUpload) {}
