package views

import (
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// messageList is the chat's list of messages: virtual, as widget.List,
// but with rows of many heights at a cost that does not grow with the
// conversation. widget.List keeps row heights in a map that it walks
// whole on every SetItemHeight and every layout, so a flood of thousands
// of messages costs it quadratic time (docs/chatview.md). Here the
// heights come from the caller (height), their running sums (tops) are
// rebuilt once per Refresh, and finding the rows in view on a scroll is
// a binary search; only the rows in view have widgets, recycled.
//
// All its methods must be called on the UI goroutine.
type messageList struct {
	widget.BaseWidget

	length func() int
	height func(i int) float32 // row i's height, without the gap
	create func() fyne.CanvasObject
	update func(i int, o fyne.CanvasObject)

	scroll  *container.Scroll
	content *listContent

	// tops[i] is the top of row i; tops[length] the content's height.
	tops []float32
	// rows are the rows in view by index; pool the unbound ones.
	rows map[int]fyne.CanvasObject
	pool []fyne.CanvasObject
	objs []fyne.CanvasObject // rows as the content's renderer lists them
}

func newMessageList(length func() int, height func(int) float32, create func() fyne.CanvasObject, update func(int, fyne.CanvasObject)) *messageList {
	l := &messageList{length: length, height: height, create: create, update: update, rows: make(map[int]fyne.CanvasObject)}
	l.content = &listContent{l: l}
	l.content.ExtendBaseWidget(l.content)
	l.scroll = container.NewVScroll(l.content)
	l.scroll.OnScrolled = func(fyne.Position) { l.place(false) }
	l.ExtendBaseWidget(l)
	return l
}

// gap is the space between rows.
func (l *messageList) gap() float32 { return l.Theme().Size(theme.SizeNamePadding) }

// Length returns the number of rows.
func (l *messageList) Length() int { return l.length() }

// Refresh takes the rows' heights anew and draws the rows in view again
// (update is called for each).
func (l *messageList) Refresh() {
	l.sum()
	l.content.Refresh() // its MinSize: the content's height
	l.scroll.Refresh()
	l.place(true)
}

// sum rebuilds tops from the heights.
func (l *messageList) sum() {
	n := l.length()
	gap := l.gap()
	l.tops = l.tops[:0]
	var y float32
	for i := range n {
		l.tops = append(l.tops, y)
		y += l.height(i) + gap
	}
	if n > 0 {
		y -= gap
	}
	l.tops = append(l.tops, y)
}

// Top returns the top of row i (the content's height for i = Length).
func (l *messageList) Top(i int) float32 {
	if len(l.tops) == 0 {
		return 0
	}
	return l.tops[max(0, min(i, len(l.tops)-1))]
}

// ContentHeight returns the height of all rows with their gaps.
func (l *messageList) ContentHeight() float32 { return l.Top(len(l.tops)) }

// RowAt returns the row at offset y of the content.
func (l *messageList) RowAt(y float32) int {
	n := len(l.tops) - 1
	if n <= 0 {
		return 0
	}
	// The last row whose top is at or above y.
	i := sort.Search(n, func(i int) bool { return l.tops[i] > y }) - 1
	return max(0, i)
}

// GetScrollOffset returns how far the content is scrolled.
func (l *messageList) GetScrollOffset() float32 { return l.scroll.Offset.Y }

// ScrollToOffset scrolls the content to y (bounded to the content).
func (l *messageList) ScrollToOffset(y float32) {
	maxY := max(0, l.ContentHeight()-l.scroll.Size().Height)
	y = max(0, min(y, maxY))
	l.scroll.ScrollToOffset(fyne.NewPos(0, y))
	l.place(false)
}

// ScrollToBottom shows the last row.
func (l *messageList) ScrollToBottom() { l.ScrollToOffset(l.ContentHeight()) }

// ScrollToTop shows the first row.
func (l *messageList) ScrollToTop() { l.ScrollToOffset(0) }

// ScrollTo shows row i at the top.
func (l *messageList) ScrollTo(i int) { l.ScrollToOffset(l.Top(i)) }

// place binds the rows in view and lays them out; with all, the rows
// bound already are drawn again too.
func (l *messageList) place(all bool) {
	w := l.content.Size().Width
	if w <= 0 {
		w = l.scroll.Size().Width
	}
	n := len(l.tops) - 1
	first, last := 0, -1
	if n > 0 {
		off, view := l.scroll.Offset.Y, l.scroll.Size().Height
		first = l.RowAt(off)
		last = first
		for last+1 < n && l.tops[last+1] < off+view {
			last++
		}
	}
	for i, o := range l.rows {
		if i < first || i > last {
			delete(l.rows, i)
			o.Hide()
			l.pool = append(l.pool, o)
		}
	}
	l.objs = l.objs[:0]
	for i := first; i <= last; i++ {
		o, bound := l.rows[i]
		if !bound {
			if k := len(l.pool); k > 0 {
				o = l.pool[k-1]
				l.pool = l.pool[:k-1]
				o.Show()
			} else {
				o = l.create()
			}
			l.rows[i] = o
		}
		if !bound || all {
			l.update(i, o)
		}
		o.Move(fyne.NewPos(0, l.tops[i]))
		o.Resize(fyne.NewSize(w, l.height(i)))
		l.objs = append(l.objs, o)
	}
	// The pooled rows stay among the objects, hidden, so that their
	// renderers are kept rather than made again.
	l.objs = append(l.objs, l.pool...)
	l.content.objectsChanged()
}

// CreateRenderer implements fyne.Widget.
func (l *messageList) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(l.scroll)
}

// listContent is what the list scrolls: as high as all rows, holding
// the rows in view.
type listContent struct {
	widget.BaseWidget
	l *messageList
	r *listContentRenderer
}

func (c *listContent) objectsChanged() {
	if c.r != nil {
		c.r.objects = c.l.objs
	}
	canvas.Refresh(c)
}

// CreateRenderer implements fyne.Widget.
func (c *listContent) CreateRenderer() fyne.WidgetRenderer {
	c.r = &listContentRenderer{c: c, objects: c.l.objs}
	return c.r
}

type listContentRenderer struct {
	c       *listContent
	objects []fyne.CanvasObject
}

func (r *listContentRenderer) Destroy() {}
func (r *listContentRenderer) Objects() []fyne.CanvasObject {
	return r.objects
}
func (r *listContentRenderer) MinSize() fyne.Size {
	return fyne.NewSize(0, r.c.l.ContentHeight())
}
func (r *listContentRenderer) Layout(fyne.Size) { r.c.l.place(false) }
func (r *listContentRenderer) Refresh()         {}
