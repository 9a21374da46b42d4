package views

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	pictures "github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// writeTempFile writes b to a file in a fresh directory.
func writeTempFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testHashes returns a function giving hashes that no other test (or run
// of the same test) uses: the picture cache is shared.
func testHashes(t *testing.T) func(n string) string {
	run := testRuns.Add(1)
	return func(n string) string { return fmt.Sprintf("%s/%d/%s", t.Name(), run, n) }
}

var testRuns atomic.Int64

func TestAvatarFollowsAvatarChanged(t *testing.T) {
	hash := testHashes(t)
	h, _ := profileHarness(t)
	const alice = "alice@example.org"
	h.apply(resetEv(contact(alice, "Alice")))
	a := h.ui.only().newAvatar(alice, 40).(*avatar)
	if a.showing() || a.letter.Text != "A" || a.circle.FillColor != avatarColor(alice) {
		t.Fatalf("new avatar: showing %v, letter %q: want the generated A", a.showing(), a.letter.Text)
	}
	if a.MinSize() != fyne.NewSquareSize(40) {
		t.Errorf("min size %v, want 40×40", a.MinSize())
	}

	path := writeTempFile(t, "a.png", pngBytes(color.NRGBA{B: 255, A: 255}, 32))
	h.apply(avatarChangedEv(alice, hash("1"), path))
	if a.showing() {
		t.Fatal("the picture was decoded on the UI goroutine")
	}
	h.drain() // the decoded picture comes back
	if !a.showing() || !a.image.Visible() || a.circle.Visible() {
		t.Fatal("the avatar does not show the picture once loaded")
	}

	h.apply(avatarChangedEv(alice, "", ""))
	if a.showing() || !a.circle.Visible() || a.image.Visible() {
		t.Fatal("an empty picture does not bring the generated one back")
	}

	// The same picture again is in the cache: shown at once.
	h.apply(avatarChangedEv(alice, hash("1"), path))
	if !a.showing() {
		t.Fatal("a cached picture is not shown at once")
	}
}

func TestAvatarBrokenOrMissingFile(t *testing.T) {
	hash := testHashes(t)
	h, _ := profileHarness(t)
	const bob = "bob@example.org"
	h.apply(resetEv(contact(bob, "Bob")))
	a := h.ui.only().newAvatar(bob, 28).(*avatar)
	for i, path := range []string{
		writeTempFile(t, "broken.png", []byte("\x89PNG\r\n\x1a\nbroken")),
		filepath.Join(t.TempDir(), "missing.jpg"),
		writeTempFile(t, "huge.png", pngHeader(100000, 100000)),
	} {
		h.apply(avatarChangedEv(bob, hash(string(rune('a'+i))), path))
		h.drain()
		if a.showing() || !a.circle.Visible() || a.letter.Text != "B" {
			t.Errorf("%d: a broken picture does not fall back to the generated one", i)
		}
	}
}

// pngHeader is a PNG claiming to be w×h, with a valid header.
func pngHeader(w, h int) []byte {
	b := pngBytes(color.White, 1)
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestAvatarGeneratedIsStable(t *testing.T) {
	const jid = "alice@example.org"
	c := avatarColor(jid)
	for range 3 {
		if got := avatarColor(jid); got != c {
			t.Fatalf("colour changed from %v to %v", c, got)
		}
	}
	if got := avatarColor("Alice@Example.ORG"); got != c {
		t.Errorf("the colour depends on the case of the address")
	}
	// Pinned: the colour must not change between releases either.
	if want := avatarPalette[9]; c != want {
		t.Errorf("colour of %s is %v, want %v", jid, c, want)
	}
	seen := make(map[color.NRGBA]bool)
	for i := range 200 {
		seen[avatarColor("user"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.org")] = true
	}
	if len(seen) < len(avatarPalette)-1 {
		t.Errorf("200 addresses use only %d of %d colours", len(seen), len(avatarPalette))
	}
	for i, tc := range []struct{ name, jid, want string }{
		0: {"Alice", jid, "A"},
		1: {"", "bob@example.org", "B"},
		2: {"carol@example.org", "carol@example.org", "C"},
		3: {"  élodie", "e@x", "É"},
		4: {"@@@", "@x", "?"},
		5: {"42 Club", "club@x", "4"},
	} {
		if got := avatarLetter(tc.name, tc.jid); got != tc.want {
			t.Errorf("%d: letter %q, want %q", i, got, tc.want)
		}
	}
}

func TestAvatarsAreHeldWeakly(t *testing.T) {
	h, _ := profileHarness(t)
	const alice = "alice@example.org"
	p := h.ui.only().profiles()
	kept := h.ui.only().newAvatar(alice, 28)
	func() {
		for range 10 {
			h.ui.only().newAvatar(alice, 28) // as in a window closed since
		}
	}()
	if n := len(p.avatars[alice]); n != 11 {
		t.Fatalf("%d avatars tracked, want 11", n)
	}
	runtime.GC()
	h.apply(avatarChangedEv(alice, "", ""))
	if n := len(p.avatars[alice]); n != 1 {
		t.Errorf("%d avatars tracked after the collection, want 1", n)
	}
	if p.tracked != 1 {
		t.Errorf("tracked count %d, want 1", p.tracked)
	}
	runtime.KeepAlive(kept)
}

func TestAvatarImagesCache(t *testing.T) {
	c := newAvatarImages(2, 1)
	data := pngBytes(color.Black, 4)
	do := make(chan func(), 8)
	queue := func(f func()) { do <- f }
	ready := 0
	// Hold the only loading slot, so that the load cannot finish between
	// the three asks.
	c.slots <- struct{}{}
	for range 3 {
		if img, loading, _ := c.get("x", avatarSource{data: data}, queue, func() { ready++ }); img != nil || !loading {
			t.Fatal("a picture not loaded yet is returned")
		}
	}
	<-c.slots
	for range 3 {
		(<-do)()
	}
	if ready != 3 || c.loads != 1 {
		t.Fatalf("%d ready calls and %d loads, want 3 and 1", ready, c.loads)
	}
	if img, loading, err := c.get("x", avatarSource{}, queue, nil); img == nil || err != nil || loading {
		t.Fatal("a loaded picture is not cached")
	}
	c.put("y", nil)
	c.put("z", nil)
	if _, loading, _ := c.get("x", avatarSource{data: data}, queue, func() {}); !loading {
		t.Error("the least recently used picture was not dropped")
	}
	(<-do)()
	if _, _, err := c.get("broken", avatarSource{data: []byte("junk")}, queue, func() {}); err != nil {
		t.Fatal("an error before loading")
	}
	(<-do)()
	if img, loading, err := c.get("broken", avatarSource{}, queue, nil); img != nil || err == nil || loading {
		t.Error("a broken picture is not remembered as broken")
	}
}

func TestContactRowShowsPicture(t *testing.T) {
	hash := testHashes(t)
	h, _ := profileHarness(t)
	const alice = "alice@example.org"
	h.apply(resetEv(contact(alice, "Alice")), presenceEv(alice, im.Available, ""))
	row, ok := find(h.ui.win.Content(), func(r *contactRow) bool { return r.row.JID == alice })
	if !ok {
		t.Fatal("no row for alice")
	}
	if row.avatar.showing() || row.avatar.letter.Text != "A" {
		t.Fatal("the row does not show the generated picture")
	}
	path := writeTempFile(t, "a.png", pngBytes(color.NRGBA{G: 255, A: 255}, 16))
	h.apply(avatarChangedEv(alice, hash("1"), path))
	h.drain()
	if !row.avatar.showing() {
		t.Fatal("the row does not show the picture once loaded")
	}
	h.apply(avatarChangedEv(alice, "", ""))
	if row.avatar.showing() {
		t.Fatal("the row keeps a removed picture")
	}
}

func TestContactRowTypingMarkup(t *testing.T) {
	test.NewTempApp(t)
	cl := newContactList()
	r := newContactRow(cl)
	row := Row{Group: "Friends", JID: "alice@example.org", Name: "Alice", Show: im.Available, Status: "Reading", Typing: true}
	r.set(0, row)
	w := test.NewWindow(r)
	defer w.Close()
	w.SetPadded(false)
	w.Resize(fyne.NewSize(320, 36))
	saveImage(t, "contactrow_typing", w.Canvas())
	assertMarkup(t, "contactrow_typing", w.Canvas())
	if r.status.Text != "typing…" {
		t.Fatalf("status %q while typing", r.status.Text)
	}
	row.Typing = false
	r.set(0, row)
	if r.status.Text != "Reading" {
		t.Fatalf("status %q after typing, want the status text back", r.status.Text)
	}
}

func TestContactListTypingMarker(t *testing.T) {
	h, _ := profileHarness(t)
	const alice = "alice@example.org"
	h.apply(resetEv(contact(alice, "Alice")), presenceEv(alice, im.Available, "Reading"))
	status := func() string {
		t.Helper()
		row, ok := find(h.ui.win.Content(), func(r *contactRow) bool { return r.row.JID == alice })
		if !ok {
			t.Fatal("no row for alice")
		}
		return row.status.Text
	}
	h.apply(typingStateEv(alice, chatstate.Composing))
	if got := status(); got != "typing…" {
		t.Fatalf("status %q while composing", got)
	}
	h.apply(typingStateEv(alice, chatstate.Paused))
	if got := status(); got != "Reading" {
		t.Fatalf("status %q after pausing", got)
	}
}

func TestAvatarsLoadLazily(t *testing.T) {
	hash := testHashes(t)
	h, _ := profileHarness(t)
	var mu sync.Mutex
	delivered := 0
	h.ui.contacts.do = func(func()) { mu.Lock(); delivered++; mu.Unlock() }
	h.ui.offline.SetChecked(true)
	batch := bigRosterBatch(5000)
	path := writeTempFile(t, "a.png", pngBytes(color.White, 8))
	for i := range 5000 {
		batch = append(batch, avatarChangedEv(fmt.Sprintf("user%05d@example.org", i), hash(strconv.Itoa(i)), path))
	}
	before := avatarLoads()
	h.apply(batch...)
	loads := avatarLoads() - before
	if shown := len(h.ui.contacts.rows); shown != 5020 {
		t.Fatalf("%d rows, want 5020", shown)
	}
	// Only the rows on screen (the window shows about ten) load theirs.
	if loads == 0 || loads > 40 {
		t.Fatalf("%d pictures loaded for 5000 contacts, want those on screen", loads)
	}
}

func avatarLoads() int {
	avatarCache.mu.Lock()
	defer avatarCache.mu.Unlock()
	return avatarCache.loads
}

// png16 returns a w×h 16-bit RGBA PNG, all transparent: 8 bytes a pixel
// to decode, almost nothing to store.
func png16(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA64(image.Rect(0, 0, w, h))
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The views decode with app/avatar's received limits: a picture just
// over them is broken, one within them shows.
func TestAvatarImagesUseReceivedLimits(t *testing.T) {
	c := newAvatarImages(4, 1)
	for i, tc := range []struct {
		w, h   int
		broken bool
	}{
		0: {2048, 2048, false},
		1: {2049, 2048, true}, // the views' own limit allowed 4096×4096
	} {
		do := make(chan func(), 1)
		hash := fmt.Sprint("big", i)
		c.get(hash, avatarSource{data: png16(t, tc.w, tc.h)}, func(f func()) { do <- f }, func() {})
		(<-do)()
		img, _, err := c.get(hash, avatarSource{}, nil, nil)
		if (err != nil) != tc.broken || (img == nil) != tc.broken {
			t.Errorf("%d: %d×%d gave %v, %v; want broken %v", i, tc.w, tc.h, img != nil, err, tc.broken)
		}
		if tc.broken && !errors.Is(err, pictures.ErrTooManyPixels) {
			t.Errorf("%d: %v, want app/avatar's ErrTooManyPixels", i, err)
		}
	}
}
