package views

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

func TestFindLinks(t *testing.T) {
	for i, tc := range []struct {
		text string
		want []string
	}{
		0: {"see https://example.org/a?b=1.", []string{"https://example.org/a?b=1"}},
		1: {"(http://x.example/path), mailto:ann@example.org!", []string{"http://x.example/path", "mailto:ann@example.org"}},
		2: {"join xmpp:tea@conference.example.org?join now", []string{"xmpp:tea@conference.example.org?join"}},
		3: {"file:///etc/passwd javascript:alert(1) ftp://x.example smb://h/s", nil},
		4: {"https://user:secret@evil.example/ hidden host", nil},
		5: {"https:// no host; http:/relative", nil},
		6: {"a https://a.example b https://b.example c https://c.example d https://d.example", []string{"https://a.example", "https://b.example", "https://c.example"}},
		7: {"twice https://a.example and https://a.example", []string{"https://a.example"}},
		8: {"xmpp:not a jid", nil},
		9: {"HTTPS://EXAMPLE.ORG", []string{"https://EXAMPLE.ORG"}},
	} {
		var got []string
		for _, u := range findLinks(tc.text) {
			got = append(got, u.String())
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%d: %q → %q, want %q", i, tc.text, got, tc.want)
		}
	}
}

func TestLinksInAMessage(t *testing.T) {
	h := signedIn(t)
	peer := "bob@example.org"
	h.apply(resetEv(contact(peer, "Bob")))
	h.apply(messageEv(peer, "menu at https://tea.example/menu and xmpp:tea@conference.example.org?join", clock.now(), false))
	c := h.ui.only().chats[peer]
	c.win.Resize(fyne.NewSize(480, 560))
	c.refresh(false)
	h.settle()
	saveImage(t, "chat_links", c.win.Canvas())
	var links []*widget.Hyperlink
	walk(c.win.Content(), func(o fyne.CanvasObject) bool {
		if l, ok := o.(*widget.Hyperlink); ok && l.Visible() {
			links = append(links, l)
		}
		return true
	})
	if len(links) != 2 || links[0].Text != "https://tea.example/menu" {
		t.Fatalf("links shown: %d", len(links))
	}
	// A web link goes to the browser; an xmpp:…?join link to the join
	// dialog, filled in.
	links[0].OnTapped() // test.Tap taps beside the text
	if got := h.browser.waitOpened(1); got.String() != "https://tea.example/menu" {
		t.Errorf("the browser opened %v", got)
	}
	links[1].OnTapped()
	if e := entryWithPlaceholder(t, h.overlay(), "room@conference.example.org"); e.Text != "tea@conference.example.org" {
		t.Errorf("the join dialog starts with %q", e.Text)
	}
	// The row grew for its links: measured, not cut.
	m := c.conv.msgs[0]
	if rh := c.heights[m]; !rh.measured {
		t.Errorf("the row with links was not measured: %+v", rh)
	}
}
