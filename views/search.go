package views

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app/history"
)

// Searching the archive from the main window.
const (
	// searchDelay is how long the query must rest before it is searched,
	// so that typing a word runs one search, not one per letter.
	searchDelay = 250 * time.Millisecond
	// searchLimit caps the results of one search.
	searchLimit = 100
	// searchTimeout bounds one search.
	searchTimeout = 10 * time.Second
	// snippetRunes caps the text of one result row.
	snippetRunes = 300
)

// messageSearch searches all conversations: an entry above the contact
// list; while it holds a query the results take the list's place, and
// opening one opens its chat. Everything in it belongs to the UI goroutine.
type messageSearch struct {
	u       *UI
	entry   *widget.Entry
	action  *widget.Button // a magnifier, a clear button while there is a query
	status  *widget.Label
	list    *widget.List
	results *fyne.Container // status and list
	under   fyne.CanvasObject
	// view holds under (the contact list) and the results, one shown.
	view *fyne.Container

	hits []searchHit
	// gen counts query changes; a debounce timer or a search that
	// finds gen moved on is stale.
	gen int
}

// newMessageSearch returns the search for the main window of u, which
// shows the results in place of under.
func newMessageSearch(u *UI, under fyne.CanvasObject) *messageSearch {
	m := &messageSearch{u: u, under: under}
	m.entry = widget.NewEntry()
	m.entry.SetPlaceHolder(lang.L("Search messages"))
	m.entry.OnChanged = m.changed
	m.action = widget.NewButtonWithIcon("", theme.SearchIcon(), func() { m.entry.SetText("") })
	m.action.Importance = widget.LowImportance
	m.entry.ActionItem = m.action
	m.status = widget.NewLabel("")
	m.status.Importance = widget.LowImportance
	m.status.Wrapping = fyne.TextWrapWord
	m.list = widget.NewList(
		func() int { return len(m.hits) },
		func() fyne.CanvasObject { return newSearchRow() },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(m.hits) {
				m.bind(o.(*searchRow), m.hits[id])
			}
		})
	m.list.OnSelected = func(id widget.ListItemID) {
		m.list.Unselect(id)
		if id >= len(m.hits) {
			return
		}
		hit := m.hits[id]
		if s := m.u.session(hit.account); s != nil {
			s.openChat(hit.Peer)
			if c := s.chats[hit.Peer]; c != nil {
				c.showArchived(hit.ID)
			}
		}
	}
	m.results = container.NewBorder(m.status, nil, nil, nil, m.list)
	m.results.Hide()
	m.view = container.NewStack(under, m.results)
	return m
}

// changed schedules a search for the query q, or restores the contact
// list when it is empty.
func (m *messageSearch) changed(q string) {
	m.gen++
	if q == "" {
		m.action.SetIcon(theme.SearchIcon())
	} else {
		m.action.SetIcon(theme.ContentClearIcon())
	}
	q = strings.TrimSpace(q)
	if q == "" {
		m.hits = nil
		m.list.Refresh()
		m.results.Hide()
		m.under.Show()
		return
	}
	g := m.gen
	m.u.after(searchDelay, func() {
		if g == m.gen {
			m.run(g, q)
		}
	})
}

// run searches for q on its own goroutine.
func (m *messageSearch) run(g int, q string) {
	m.under.Hide()
	m.results.Show()
	if len(m.u.sessions) == 0 {
		m.showStatus(lang.L("Set up an account to search its messages."))
		return
	}
	if len(m.hits) == 0 {
		m.showStatus(lang.L("Searching…"))
	}
	type archive struct {
		account string
		core    Core
	}
	var archives []archive
	for _, s := range m.u.sessions {
		archives = append(archives, archive{s.acct.JID, s.core})
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), searchTimeout)
		defer cancel()
		// Every account's archive, newest first across them.
		var all []searchHit
		var errs []error
		for _, a := range archives {
			hits, err := a.core.Search(ctx, q, searchLimit)
			if err != nil {
				errs = append(errs, err)
			}
			for _, h := range hits {
				all = append(all, searchHit{account: a.account, Hit: h})
			}
		}
		if len(archives) > 1 {
			slices.SortStableFunc(all, func(a, b searchHit) int { return b.Time.Compare(a.Time) })
		}
		err := errors.Join(errs...)
		if len(all) > 0 {
			err = nil // what was found is worth more than a failed archive
		}
		m.u.do(func() { m.found(g, q, all, err) })
	}()
}

// searchHit is a message found, and the account whose archive holds it.
type searchHit struct {
	account string
	history.Hit
}

// found shows the results of the search for q, unless the query changed
// since.
func (m *messageSearch) found(g int, q string, hits []searchHit, err error) {
	if g != m.gen {
		return
	}
	if len(hits) > searchLimit {
		hits = hits[:searchLimit]
	}
	m.hits = hits
	m.list.Refresh()
	m.list.ScrollToTop()
	switch {
	case err != nil:
		m.showStatus(lang.L("The search failed: {{.Error}}", map[string]any{"Error": errorText(err)}))
	case len(hits) == 0:
		m.showStatus(lang.L("No message matches “{{.Query}}”.", map[string]any{"Query": clipRunes(q, 100)}))
	default:
		m.status.Hide()
	}
	// The border layout only gives the list the status line's room back
	// when it lays out again.
	m.results.Refresh()
}

func (m *messageSearch) showStatus(text string) {
	m.status.SetText(text)
	m.status.Show()
}

func (m *messageSearch) bind(r *searchRow, h searchHit) {
	name := h.Peer
	if s := m.u.session(h.account); s != nil {
		name = s.peerName(h.Peer)
	}
	if len(m.u.sessions) > 1 {
		name += " (" + h.account + ")"
	}
	if h.Dir == history.Out {
		name = senderText(outgoingSender, true) + " → " + name
	}
	strong := widget.RichTextStyleStrong
	strong.Inline = true
	dim := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameDisabled}
	r.title.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: name, Style: strong},
		&widget.TextSegment{Text: "  " + shortWhen(h.Time, clock.now(), clock.loc), Style: dim},
	}
	r.title.Refresh()
	snippet := h.Snippet
	if snippet == "" {
		snippet = h.Body
	}
	r.snippet.Segments = snippetSegments(snippet)
	r.snippet.Refresh()
}

// snippetSegments turns a search snippet, whose matched terms stand
// between '\x02' and '\x03', into one line of text with those terms in
// bold, at most snippetRunes long.
func snippetSegments(s string) []widget.RichTextSegment {
	var (
		segs []widget.RichTextSegment
		b    strings.Builder
		bold bool
		n    int
	)
	flush := func() {
		if b.Len() == 0 {
			return
		}
		style := widget.RichTextStyleInline
		if bold {
			style = widget.RichTextStyleStrong
			style.Inline = true
		}
		segs = append(segs, &widget.TextSegment{Text: b.String(), Style: style})
		b.Reset()
	}
	for _, r := range s {
		switch r {
		case '\x02':
			flush()
			bold = true
			continue
		case '\x03':
			flush()
			bold = false
			continue
		case '\n', '\r', '\t':
			r = ' '
		}
		if n == snippetRunes {
			b.WriteRune('…')
			break
		}
		b.WriteRune(r)
		n++
	}
	flush()
	return segs
}

// searchRow is one result: who and when, and the matching text.
type searchRow struct {
	widget.BaseWidget
	title, snippet *widget.RichText
	box            *fyne.Container
}

func newSearchRow() *searchRow {
	r := &searchRow{title: widget.NewRichText(), snippet: widget.NewRichText()}
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.snippet.Truncation = fyne.TextTruncateEllipsis
	r.box = container.New(&tightRows{}, r.title, r.snippet)
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer implements fyne.Widget.
func (r *searchRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.box) }

// tightRows stacks objects at their minimum heights, overlapping by the
// padding that each RichText adds at its top and bottom.
type tightRows struct{}

func (tightRows) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for i, o := range objs {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
		if i > 0 {
			s.Height -= theme.Padding()
		}
	}
	return s
}

func (tightRows) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var y float32
	for _, o := range objs {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - theme.Padding()
	}
}
