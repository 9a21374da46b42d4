package views

import (
	"container/list"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"io"
	"os"
	"strings"
	"sync"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	// Named so: avatar is the widget here.
	pictures "github.com/palaver-im/palaver/app/avatar"
)

// maxPictureBytes is the largest picture file read, from the avatar cache
// or chosen by the user: what app/avatar decodes at most.
const maxPictureBytes = pictures.MaxInput

// avatarPalette are the colours of generated pictures: dark enough for a
// white letter to read on (contrast 4.5:1 or more), and apart enough to
// tell neighbours in the contact list apart.
var avatarPalette = []color.NRGBA{
	{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}, // red
	{R: 0xad, G: 0x14, B: 0x57, A: 0xff}, // pink
	{R: 0x6a, G: 0x1b, B: 0x9a, A: 0xff}, // purple
	{R: 0x45, G: 0x27, B: 0xa0, A: 0xff}, // deep purple
	{R: 0x28, G: 0x35, B: 0x93, A: 0xff}, // indigo
	{R: 0x15, G: 0x65, B: 0xc0, A: 0xff}, // blue
	{R: 0x00, G: 0x6a, B: 0x73, A: 0xff}, // cyan
	{R: 0x00, G: 0x69, B: 0x5c, A: 0xff}, // teal
	{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}, // green
	{R: 0x9a, G: 0x48, B: 0x00, A: 0xff}, // orange
	{R: 0x4e, G: 0x34, B: 0x2e, A: 0xff}, // brown
	{R: 0x37, G: 0x47, B: 0x4f, A: 0xff}, // blue grey
}

var avatarLetterColor = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}

// avatarColor picks jid's colour. It depends on the address alone (any
// case), so that a contact keeps its colour across renames and runs.
func avatarColor(jid string) color.NRGBA {
	h := fnv.New32a()
	io.WriteString(h, strings.ToLower(jid))
	return avatarPalette[h.Sum32()%uint32(len(avatarPalette))]
}

// avatarLetter is the letter a generated picture shows: the first letter
// or digit of name, else of jid's local part, upper case; "?" if neither
// has one.
func avatarLetter(name, jid string) string {
	if name == jid || name == "" {
		name, _, _ = strings.Cut(jid, "@")
	}
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	return "?"
}

// avatarSource is where a picture's bytes are: a file in the core's
// avatar cache, or bytes at hand (a vCard's photo).
type avatarSource struct {
	path string
	data []byte
}

func (s avatarSource) read() ([]byte, error) {
	if s.data != nil {
		return s.data, nil
	}
	if s.path == "" {
		return nil, errors.New("no picture file") // not translated: an error for the log
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readPicture(f)
}

// readPicture reads a picture file of at most maxPictureBytes.
func readPicture(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPictureBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPictureBytes {
		return nil, errPictureTooLarge
	}
	return b, nil
}

var errPictureTooLarge = fmt.Errorf("the picture is larger than %d MiB", maxPictureBytes>>20) // not translated: matched with errors.Is, worded by pictureRefused

// avatarImages is a cache of decoded pictures by hash, the least recently
// used dropped beyond its size. Pictures are read and decoded in
// background goroutines, a few at a time, and only when a widget asks;
// app/avatar decodes them one at a time, within its Received limits.
// A picture that cannot be read or decoded is remembered as broken.
//
// Its methods may be called from any goroutine.
type avatarImages struct {
	mu      sync.Mutex
	max     int
	entries map[string]*list.Element // of *imageEntry
	lru     list.List                // front: most recently used
	slots   chan struct{}            // bounds the loads running at once
	loads   int                      // decodes started, for tests
}

type imageEntry struct {
	hash    string
	img     image.Image
	err     error
	done    bool
	waiters []func()
}

func newAvatarImages(max, parallel int) *avatarImages {
	return &avatarImages{max: max, entries: make(map[string]*list.Element), slots: make(chan struct{}, parallel)}
}

// avatarCache holds the pictures of all windows. It is keyed by content
// hash, so sharing it between accounts is safe.
var avatarCache = newAvatarImages(256, 4)

// get returns the picture of hash. When it is not cached yet, get starts
// reading it from src (once however often it is asked for) and returns
// loading; once the picture is decoded or found broken, ready is run
// through do, which hands it to the UI goroutine. A broken picture gives
// a nil image and its error.
func (c *avatarImages) get(hash string, src avatarSource, do func(func()), ready func()) (img image.Image, loading bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[hash]; ok {
		e := el.Value.(*imageEntry)
		c.lru.MoveToFront(el)
		if e.done {
			return e.img, false, e.err
		}
		e.waiters = append(e.waiters, func() { do(ready) })
		return nil, true, nil
	}
	e := &imageEntry{hash: hash, waiters: []func(){func() { do(ready) }}}
	c.entries[hash] = c.lru.PushFront(e)
	c.evict()
	c.loads++
	go c.load(e, src)
	return nil, true, nil
}

// put caches a picture decoded elsewhere (one the user chose).
func (c *avatarImages) put(hash string, img image.Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[hash]; ok {
		if e := el.Value.(*imageEntry); !e.done {
			return // the load under way will tell its waiters
		}
		c.lru.Remove(el)
	}
	c.entries[hash] = c.lru.PushFront(&imageEntry{hash: hash, img: img, done: true})
	c.evict()
}

// evict drops the least recently used pictures beyond max; pictures still
// loading stay, their waiters need them.
func (c *avatarImages) evict() {
	for el := c.lru.Back(); el != nil && len(c.entries) > c.max; {
		prev := el.Prev()
		if e := el.Value.(*imageEntry); e.done {
			c.lru.Remove(el)
			delete(c.entries, e.hash)
		}
		el = prev
	}
}

func (c *avatarImages) load(e *imageEntry, src avatarSource) {
	c.slots <- struct{}{}
	b, err := src.read()
	var img image.Image
	if err == nil {
		// Cached pictures and vCard photos are someone else's: the
		// received limits, one decode at a time in the process.
		img, _, err = pictures.Decode(b, pictures.Received)
	}
	<-c.slots
	if err != nil {
		fyne.LogError("Could not load a picture", err)
	}
	c.mu.Lock()
	e.img, e.err, e.done = img, err, true
	waiters := e.waiters
	e.waiters = nil
	c.mu.Unlock()
	for _, w := range waiters {
		w()
	}
}

// avatar shows a contact's picture, or a generated one: a coloured circle
// with the first letter of the name. It is set with show; images are
// loaded in the background, through do back to the UI goroutine, and it
// shows the generated picture until then or if loading fails.
type avatar struct {
	widget.BaseWidget
	side  float32
	do    func(func())
	cache *avatarImages

	jid, name, hash string
	src             avatarSource
	img             image.Image // the picture shown, nil for the generated one
	set             bool        // show was called
	// rendered is set once Fyne asked for a renderer. Until then a
	// change needs no refresh; refreshing would make Fyne create and
	// cache a renderer, which would keep an avatar never shown alive.
	rendered bool

	circle *canvas.Circle
	letter *canvas.Text
	image  *canvas.Image
}

func newAvatarWidget(side float32, do func(func()), cache *avatarImages) *avatar {
	a := &avatar{
		side:   side,
		do:     do,
		cache:  cache,
		circle: canvas.NewCircle(avatarPalette[0]),
		letter: canvas.NewText("", avatarLetterColor),
		image:  canvas.NewImageFromImage(nil),
	}
	a.letter.TextStyle.Bold = true
	a.letter.Alignment = fyne.TextAlignCenter
	a.image.FillMode = canvas.ImageFillCover
	a.image.Hide()
	a.ExtendBaseWidget(a)
	return a
}

// show points the avatar at jid's picture: hash and src, or the generated
// picture when hash is empty. It does nothing when nothing changed.
func (a *avatar) show(jid, name, hash string, src avatarSource) {
	// The hash names the bytes, wherever they are.
	if a.set && a.jid == jid && a.name == name && a.hash == hash {
		return
	}
	a.jid, a.name, a.hash, a.src, a.set = jid, name, hash, src, true
	a.circle.FillColor = avatarColor(jid)
	a.letter.Text = avatarLetter(name, jid)
	a.img = nil
	if hash != "" {
		a.img = a.lookup()
	}
	a.refresh()
}

func (a *avatar) refresh() {
	if a.rendered {
		a.Refresh()
	}
}

// lookup returns the picture of a.hash if it is decoded, and otherwise
// has the avatar refreshed once it is.
func (a *avatar) lookup() image.Image {
	hash := a.hash
	img, _, _ := a.cache.get(hash, a.src, a.do, func() {
		if a.hash != hash {
			return // shows another picture by now (a recycled row)
		}
		if a.img = a.lookup(); a.img != nil {
			a.refresh()
		}
	})
	return img
}

// showing reports whether the avatar shows a picture rather than the
// generated one.
func (a *avatar) showing() bool { return a.img != nil }

// CreateRenderer implements fyne.Widget.
func (a *avatar) CreateRenderer() fyne.WidgetRenderer {
	a.rendered = true
	r := &avatarRenderer{a: a, objects: []fyne.CanvasObject{a.circle, a.letter, a.image}}
	r.apply()
	return r
}

type avatarRenderer struct {
	a       *avatar
	objects []fyne.CanvasObject
}

func (r *avatarRenderer) Destroy()                     {}
func (r *avatarRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *avatarRenderer) MinSize() fyne.Size           { return fyne.NewSquareSize(r.a.side) }

// Layout draws the picture as the largest circle that fits, centred.
func (r *avatarRenderer) Layout(size fyne.Size) {
	a := r.a
	side := min(size.Width, size.Height)
	pos := fyne.NewPos((size.Width-side)/2, (size.Height-side)/2)
	a.circle.Move(pos)
	a.circle.Resize(fyne.NewSquareSize(side))
	a.image.Move(pos)
	a.image.Resize(fyne.NewSquareSize(side))
	a.image.CornerRadius = side / 2
	a.letter.TextSize = side * 0.45
	h := a.letter.MinSize().Height
	a.letter.Move(fyne.NewPos(pos.X, pos.Y+(side-h)/2))
	a.letter.Resize(fyne.NewSize(side, h))
}

func (r *avatarRenderer) Refresh() {
	r.apply()
	r.Layout(r.a.Size())
	r.a.circle.Refresh()
	r.a.letter.Refresh()
	r.a.image.Refresh()
}

// apply shows the picture or the generated one.
func (r *avatarRenderer) apply() {
	a := r.a
	if a.img != nil {
		a.circle.Hide()
		a.letter.Hide()
		a.image.Image = a.img
		a.image.Show()
	} else {
		a.image.Hide()
		a.image.Image = nil
		a.circle.Show()
		a.letter.Show()
	}
}
