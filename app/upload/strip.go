package upload

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Metadata is removed from pictures without decoding them: whole JPEG
// segments and PNG chunks are left out, the picture's data is copied as
// it is, so the picture is exactly the same, only smaller.

// ErrBadPicture: a file that starts like a JPEG or PNG picture is not
// one that Strip can read, so its metadata cannot be removed.
var ErrBadPicture = errors.New("upload: the picture is damaged")

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// IsJPEG and IsPNG tell a picture by its first bytes.
func IsJPEG(b []byte) bool { return len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF }

// IsPNG tells a PNG picture by its signature.
func IsPNG(b []byte) bool { return bytes.HasPrefix(b, pngSignature) }

// Strip returns b without the metadata that could identify who made it
// (see StripJPEG and StripPNG); b itself for a file of another type.
func Strip(b []byte) ([]byte, error) {
	switch {
	case IsJPEG(b):
		return StripJPEG(b)
	case IsPNG(b):
		return StripPNG(b)
	}
	return b, nil
}

// JPEG markers (ITU T.81 Table B.1).
const (
	jpegSOI  = 0xD8
	jpegEOI  = 0xD9
	jpegSOS  = 0xDA
	jpegRST0 = 0xD0
	jpegRST7 = 0xD7
	jpegTEM  = 0x01
	jpegAPP1 = 0xE1
	jpegAPP2 = 0xE2
	jpegAP14 = 0xEE
	jpegAP15 = 0xEF
	jpegCOM  = 0xFE
)

// dropJPEG reports whether the segment with marker m and payload p
// (after its length) goes: comments, and the application segments APP1
// to APP15 (EXIF with its GPS position and camera serial, XMP, IPTC,
// maker data), except an ICC colour profile (APP2 "ICC_PROFILE") and
// Adobe's colour transform (APP14 "Adobe"), without which the colours
// change. APP0 (JFIF) stays: density and an optional thumbnail of the
// picture itself.
func dropJPEG(m byte, p []byte) bool {
	switch {
	case m == jpegCOM:
		return true
	case m == jpegAPP2:
		return !bytes.HasPrefix(p, []byte("ICC_PROFILE\x00"))
	case m == jpegAP14:
		return !bytes.HasPrefix(p, []byte("Adobe"))
	case m >= jpegAPP1 && m <= jpegAP15:
		return true
	}
	return false
}

// StripJPEG returns the JPEG file b without comments and application
// segments other than APP0, the ICC profile and Adobe's (see dropJPEG),
// and without what follows its end (EOI).
func StripJPEG(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0xFF || b[1] != jpegSOI {
		return nil, ErrBadPicture
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, jpegSOI)
	i := 2
	for {
		if i >= len(b) || b[i] != 0xFF {
			return nil, ErrBadPicture
		}
		// Fill bytes before a marker (T.81 B.1.1.2).
		for i < len(b) && b[i] == 0xFF {
			i++
		}
		if i >= len(b) {
			return nil, ErrBadPicture
		}
		m := b[i]
		i++
		switch {
		case m == jpegEOI:
			return append(out, 0xFF, m), nil
		case m == 0x00 || m == jpegSOI:
			return nil, ErrBadPicture
		case m == jpegTEM || (m >= jpegRST0 && m <= jpegRST7):
			out = append(out, 0xFF, m) // no length, no payload
			continue
		}
		if i+2 > len(b) {
			return nil, ErrBadPicture
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 || i+n > len(b) {
			return nil, ErrBadPicture
		}
		seg := b[i : i+n]
		i += n
		if dropJPEG(m, seg[2:]) {
			continue
		}
		out = append(out, 0xFF, m)
		out = append(out, seg...)
		if m != jpegSOS {
			continue
		}
		// The entropy-coded data after a scan's header runs to the next
		// marker: 0xFF followed by neither 0x00 (a stuffed byte) nor a
		// restart marker (T.81 B.1.1.5).
		j := i
		for {
			k := bytes.IndexByte(b[j:], 0xFF)
			if k < 0 || j+k+1 >= len(b) {
				return nil, ErrBadPicture
			}
			j += k
			if next := b[j+1]; next == 0x00 || (next >= jpegRST0 && next <= jpegRST7) {
				j += 2
				continue
			}
			break
		}
		out = append(out, b[i:j]...)
		i = j
	}
}

// dropPNG lists the chunks StripPNG leaves out: text (author, comments,
// software, and XMP in iTXt), EXIF, and the time of last change
// (PNG 3rd edition §11.3).
var dropPNG = map[string]bool{"tEXt": true, "zTXt": true, "iTXt": true, "eXIf": true, "tIME": true}

// StripPNG returns the PNG file b without its text, EXIF and time chunks
// (see dropPNG), and without what follows its end (IEND). The chunks kept
// are copied whole, with their CRCs.
func StripPNG(b []byte) ([]byte, error) {
	if !IsPNG(b) {
		return nil, ErrBadPicture
	}
	out := make([]byte, 0, len(b))
	out = append(out, pngSignature...)
	i := len(pngSignature)
	for {
		if len(b)-i < 12 {
			return nil, ErrBadPicture
		}
		n := binary.BigEndian.Uint32(b[i:])
		if n > 1<<31-1 || uint64(len(b)-i-12) < uint64(n) {
			return nil, ErrBadPicture
		}
		end := i + 12 + int(n)
		typ := string(b[i+4 : i+8])
		if !dropPNG[typ] {
			out = append(out, b[i:end]...)
		}
		i = end
		if typ == "IEND" {
			return out, nil
		}
	}
}
