// Package avatar prepares profile pictures (XEP-0153 vCard avatars) and
// keeps them in an on-disk cache by hash.
//
// Pictures come from the user and from contacts, and the latter may be
// hostile: Normalize and Decode bound the size of their input and the
// number of pixels before they decode anything, decode one picture at a
// time in the whole process, and turn a decoder's panic into ErrCorrupt.
// The Store names files only by validated hashes.
//
// This is the one place where Palaver decodes pictures: the views use
// Decode rather than the image package, so that every picture meets the
// same limits.
package avatar

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
)

// Limits of Normalize.
const (
	// MaxInput is the largest picture accepted, in bytes.
	MaxInput = 16 << 20
	// MaxDimension is the largest width or height accepted, in pixels.
	MaxDimension = 8192
	// MaxPixels is the largest width × height accepted in a picture the
	// user chose (Own). Decoding needs up to 8 bytes per pixel (a 16-bit
	// PNG; about 15 for a progressive JPEG) and scaling 4 more, so such a
	// picture may cost a few hundred MB: the user picked the file, once,
	// and a 24 Mpx camera picture must pass.
	MaxPixels = 24_000_000
	// MaxReceivedPixels is the largest width × height accepted in a
	// picture from someone else (Received): 2048 × 2048. A 194 KB 16-bit
	// PNG of 24 Mpx made Normalize allocate 285 MB; at this limit one
	// allocates at most about 61 MiB (TestNormalizeReceivedPeak), and
	// avatars are shown at 96 pixels or less (XEP-0153 suggests 64 to 96
	// pixels a side; XEP-0084 section 5 at most 96), so nothing is lost.
	MaxReceivedPixels = 2048 * 2048
	// MaxSide is the largest width or height of a normalized picture.
	MaxSide = 256
	// MaxPassThrough is the largest PNG or JPEG, in bytes, that Normalize
	// returns unchanged when it is within MaxSide.
	MaxPassThrough = 256 << 10
	// JPEGQuality is the quality of the JPEGs Normalize encodes.
	JPEGQuality = 85
)

// MIME types of the pictures Normalize accepts and produces.
const (
	PNG  = "image/png"
	JPEG = "image/jpeg"
	GIF  = "image/gif"
)

// Limits bound what decoding one picture may cost.
type Limits struct {
	// Bytes is the largest input, in bytes.
	Bytes int
	// Dimension is the largest width or height, in pixels.
	Dimension int
	// Pixels is the largest width × height.
	Pixels int64
}

// The limits of the two kinds of picture.
var (
	// Received is for pictures from contacts and servers, and from the
	// cache of those.
	Received = Limits{Bytes: MaxInput, Dimension: MaxDimension, Pixels: MaxReceivedPixels}
	// Own is for a picture file the user chose to publish.
	Own = Limits{Bytes: MaxInput, Dimension: MaxDimension, Pixels: MaxPixels}
)

// Errors of Normalize and Decode; errors from decoding wrap ErrCorrupt.
var (
	ErrTooLarge      = errors.New("avatar: picture larger than 16 MiB")
	ErrNotImage      = errors.New("avatar: not a PNG, JPEG or GIF picture")
	ErrTooManyPixels = errors.New("avatar: picture has too many pixels")
	ErrCorrupt       = errors.New("avatar: picture is damaged")
)

// Hash returns the XEP-0153 hash of a picture: the SHA-1 of its bytes as
// published, in lower-case hex.
func Hash(data []byte) string {
	sum := sha1.Sum(data)
	return hex.EncodeToString(sum[:])
}

// Type returns the MIME type of a PNG, JPEG or GIF picture from its first
// bytes, "" for anything else.
func Type(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return JPEG
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return GIF
	}
	return ""
}

// decoding admits one decode (and the scaling and encoding that follow it)
// at a time in the process: the profile workers of every account, and the
// views, would otherwise each hold a large picture at once.
var decoding = make(chan struct{}, 1)

// testHook, when set, runs inside every bounded call (tests count the
// calls running at once, and make a decoder panic).
var testHook func()

// bounded runs f while it holds decoding, and turns a panic in f into an
// error wrapping ErrCorrupt: the image decoders are meant not to panic,
// but they read hostile bytes, and a panic would end Palaver.
func bounded(f func() error) (err error) {
	decoding <- struct{}{}
	defer func() { <-decoding }()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: the decoder failed: %v", ErrCorrupt, p)
		}
	}()
	if testHook != nil {
		testHook()
	}
	return f()
}

// Decode decodes a PNG, JPEG or GIF picture (a GIF's first frame, on its
// full screen) within lim, and returns its MIME type.
// The size of data and the dimensions its header claims are checked before
// any pixel is decoded (ErrTooLarge, ErrTooManyPixels); a damaged picture,
// or one whose decoder panics, gives ErrCorrupt.
// Decode is safe for concurrent use; calls (and those of Normalize) run one
// at a time.
func Decode(data []byte, lim Limits) (img image.Image, mimeType string, err error) {
	err = bounded(func() error {
		img, mimeType, err = decodeWithin(data, lim)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return img, mimeType, nil
}

// Normalize makes a picture fit to publish and to show: a PNG, JPEG or GIF
// (its first frame) is scaled down to fit within MaxSide × MaxSide, keeping
// its aspect ratio, and encoded as PNG when it has transparency and as JPEG
// otherwise. A PNG or JPEG that already fits and is at most MaxPassThrough
// bytes is returned unchanged, once decoding it proved it sound.
//
// The size of data and the dimensions its header claims are checked before
// any pixel is decoded (ErrTooLarge, ErrTooManyPixels), against Received:
// the picture is someone else's (or the user's own, as the server returned
// it, already small).
// Normalize is safe for concurrent use; calls (and those of Decode and
// Publishable) run one at a time.
func Normalize(data []byte) (out []byte, mimeType string, err error) {
	return normalize(data, true, Received)
}

// Publishable is Normalize for a picture the user publishes: it is always
// encoded afresh, so that nothing but pixels leaves the computer (a
// camera's JPEG carries the place and time it was taken in its metadata).
// Its limits are Own.
func Publishable(data []byte) (out []byte, mimeType string, err error) {
	return normalize(data, false, Own)
}

func normalize(data []byte, passThrough bool, lim Limits) (out []byte, mimeType string, err error) {
	// Scaling and encoding allocate too: they run in the same turn.
	err = bounded(func() error {
		out, mimeType, err = normalizeLocked(data, passThrough, lim)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return out, mimeType, nil
}

// decodeWithin is Decode without the bounds on concurrency and panics.
func decodeWithin(data []byte, lim Limits) (image.Image, string, error) {
	if len(data) > lim.Bytes {
		return nil, "", ErrTooLarge
	}
	typ := Type(data)
	if typ == "" {
		return nil, "", ErrNotImage
	}
	cfg, err := decodeConfig(typ, data)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", fmt.Errorf("%w: %d×%d pixels", ErrCorrupt, cfg.Width, cfg.Height)
	}
	if cfg.Width > lim.Dimension || cfg.Height > lim.Dimension || int64(cfg.Width)*int64(cfg.Height) > lim.Pixels {
		return nil, "", fmt.Errorf("%w: %d×%d", ErrTooManyPixels, cfg.Width, cfg.Height)
	}
	img, err := decode(typ, data)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	b := img.Bounds()
	if typ == GIF && b != image.Rect(0, 0, cfg.Width, cfg.Height) {
		// A frame smaller than the GIF's screen: the rest is transparent.
		canvas := image.NewNRGBA(image.Rect(0, 0, cfg.Width, cfg.Height))
		draw.Draw(canvas, b, img, b.Min, draw.Src)
		img, b = canvas, canvas.Bounds()
	}
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, "", fmt.Errorf("%w: %v decoded from a %d×%d header", ErrCorrupt, b, cfg.Width, cfg.Height)
	}
	return img, typ, nil
}

// normalizeLocked is normalize while holding decoding.
func normalizeLocked(data []byte, passThrough bool, lim Limits) (out []byte, mimeType string, err error) {
	img, typ, err := decodeWithin(data, lim)
	if err != nil {
		return nil, "", err
	}
	b := img.Bounds()
	if passThrough && typ != GIF && b.Dx() <= MaxSide && b.Dy() <= MaxSide && len(data) <= MaxPassThrough {
		return data, typ, nil
	}
	// Judged before scaling, which may round an opaque alpha down.
	solid := opaque(img)
	if b.Dx() > MaxSide || b.Dy() > MaxSide {
		img = scale(img)
	}
	var buf bytes.Buffer
	if solid {
		err, typ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: JPEGQuality}), JPEG
	} else {
		err, typ = png.Encode(&buf, img), PNG
	}
	if err != nil {
		return nil, "", err
	}
	return buf.Bytes(), typ, nil
}

func decodeConfig(typ string, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch typ {
	case PNG:
		return png.DecodeConfig(r)
	case JPEG:
		return jpeg.DecodeConfig(r)
	default:
		return gif.DecodeConfig(r)
	}
}

// decode decodes a picture of type typ; a GIF gives its first frame only
// (gif.Decode stops there rather than decoding every frame).
func decode(typ string, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch typ {
	case PNG:
		return png.Decode(r)
	case JPEG:
		return jpeg.Decode(r)
	default:
		return gif.Decode(r)
	}
}

// scale returns img scaled down to fit within MaxSide × MaxSide.
//
// CatmullRom rather than ApproxBiLinear: ApproxBiLinear reads only the 4
// source pixels nearest to each output pixel, so shrinking a photo 15-fold
// skips most of it and aliases (moiré, jagged edges); CatmullRom weighs
// every source pixel under its kernel and stays sharp. Its cost grows with
// the source's pixels: about 0.7 s of CPU for 4000×3000 on a slow 2-core
// machine, against 0.1 s for ApproxBiLinear. So a large picture is first
// shrunk by an integer factor with a box filter, which also averages every
// pixel, and CatmullRom does the last factor of 4 to 8: 0.16 s in all,
// less than decoding the JPEG (see BenchmarkPublishable4000x3000).
func scale(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w >= h {
		w, h = MaxSide, max(1, (h*MaxSide+w/2)/w)
	} else {
		w, h = max(1, (w*MaxSide+h/2)/h), MaxSide
	}
	src := shrink(img)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// shrink returns img shrunk by the largest integer factor that keeps its
// long side at least 4×MaxSide, each pixel the mean of a block of img's
// (premultiplied, so transparent pixels do not darken their neighbours).
// The last row and column of blocks, when partial, are left out: less than
// one output pixel.
func shrink(img image.Image) image.Image {
	b := img.Bounds()
	k := min(max(b.Dx(), b.Dy())/(4*MaxSide), b.Dx(), b.Dy())
	if k < 2 {
		return img
	}
	if y, ok := img.(*image.YCbCr); ok {
		// A JPEG: averaging its planes saves converting every pixel to RGB.
		return shrinkYCbCr(y, k)
	}
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx()/k, b.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	n := uint32(k * k)
	sums := make([]uint32, 4*w)
	for y := range h {
		clear(sums)
		for sy := y * k; sy < (y+1)*k; sy++ {
			row := src.Pix[sy*src.Stride : sy*src.Stride+4*w*k]
			for x := range w {
				s := sums[4*x : 4*x+4 : 4*x+4]
				block := row[4*x*k : 4*(x+1)*k]
				for i := 0; i+3 < len(block); i += 4 {
					s[0] += uint32(block[i])
					s[1] += uint32(block[i+1])
					s[2] += uint32(block[i+2])
					s[3] += uint32(block[i+3])
				}
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for i, s := range sums {
			out[i] = uint8((s + n/2) / n)
		}
	}
	return dst
}

// shrinkYCbCr is shrink for a YCbCr picture, with k ≥ 2 given.
func shrinkYCbCr(src *image.YCbCr, k int) *image.YCbCr {
	b := src.Bounds()
	w, h := b.Dx()/k, b.Dy()/k
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio444)
	n := uint32(k * k)
	for y := range h {
		for x := range w {
			var sy, scb, scr uint32
			for py := b.Min.Y + y*k; py < b.Min.Y+(y+1)*k; py++ {
				row := src.Y[src.YOffset(b.Min.X+x*k, py):][:k]
				for _, v := range row {
					sy += uint32(v)
				}
				for px := b.Min.X + x*k; px < b.Min.X+(x+1)*k; px++ {
					i := src.COffset(px, py)
					scb += uint32(src.Cb[i])
					scr += uint32(src.Cr[i])
				}
			}
			dst.Y[y*dst.YStride+x] = uint8((sy + n/2) / n)
			dst.Cb[y*dst.CStride+x] = uint8((scb + n/2) / n)
			dst.Cr[y*dst.CStride+x] = uint8((scr + n/2) / n)
		}
	}
	return dst
}

// opaque reports whether img has no transparent or translucent pixel.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}
