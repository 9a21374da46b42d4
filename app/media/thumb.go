package media

import (
	"bytes"
	"image"
	"image/png"

	"golang.org/x/image/draw"

	"github.com/palaver-im/palaver/app/avatar"
)

// thumbing admits one thumbnail at a time in the process: a decoded
// picture may take 128 MiB (see MaxPixels), and avatar.Decode, which runs
// one decode at a time, lets go of it before we scale it.
var thumbing = make(chan struct{}, 1)

// thumbnail decodes a picture within Limits and returns it as a PNG
// scaled to fit within the thumbnail size (never enlarged), with its full
// size and MIME type.
func (f *Fetcher) thumbnail(data []byte) (thumb []byte, w, h int, typ string, err error) {
	thumbing <- struct{}{}
	defer func() { <-thumbing }()
	lim := Limits
	lim.Bytes = int(min(int64(lim.Bytes), f.MaxPreview))
	img, typ, err := avatar.Decode(data, lim)
	if err != nil {
		return nil, 0, 0, "", err
	}
	b := img.Bounds()
	var buf bytes.Buffer
	if err := png.Encode(&buf, fit(img, f.ThumbWidth, f.ThumbHeight)); err != nil {
		return nil, 0, 0, "", err
	}
	return buf.Bytes(), b.Dx(), b.Dy(), typ, nil
}

// fitSize returns the size of a w×h picture scaled down to fit within
// maxW×maxH, keeping its aspect ratio; at least 1×1.
func fitSize(w, h, maxW, maxH int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	// Compare w/h with maxW/maxH without dividing.
	if int64(w)*int64(maxH) >= int64(h)*int64(maxW) {
		return maxW, max(1, int((int64(h)*int64(maxW)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(maxH)+int64(h)/2)/int64(h))), maxH
}

// fit returns img scaled down to fit within maxW×maxH.
//
// CatmullRom weighs every source pixel under its kernel, so a photo
// shrunk 10-fold does not alias as with bilinear sampling, but its cost
// grows with the source's pixels: a large picture is first shrunk by an
// integer factor with a box filter (each pixel the mean of a k×k block),
// so that CatmullRom does the last factor of 2 to 4.
func fit(img image.Image, maxW, maxH int) image.Image {
	b := img.Bounds()
	w, h := fitSize(b.Dx(), b.Dy(), maxW, maxH)
	if w == b.Dx() && h == b.Dy() {
		return img
	}
	src := boxShrink(img, min(b.Dx()/(2*w), b.Dy()/(2*h)))
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// boxShrink returns img shrunk by k, each pixel the mean of a k×k block
// (premultiplied, so transparent pixels do not darken their neighbours);
// the partial blocks at the right and bottom are left out. It converts k
// rows at a time, so it never holds a second copy of the whole picture.
func boxShrink(img image.Image, k int) image.Image {
	if k < 2 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx()/k, b.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	strip := image.NewRGBA(image.Rect(0, 0, w*k, k))
	n := uint32(k * k)
	sums := make([]uint32, 4*w)
	for y := range h {
		draw.Draw(strip, strip.Bounds(), img, image.Pt(b.Min.X, b.Min.Y+y*k), draw.Src)
		clear(sums)
		for sy := range k {
			row := strip.Pix[sy*strip.Stride : sy*strip.Stride+4*w*k]
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
