package views

import (
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// Links in messages. A message's http, https, mailto and xmpp addresses
// are listed under its text as links (the text itself stays selectable);
// nothing else is: no file:, no javascript:, no scheme that an app of the
// system could be made to run. Web and mail links open in the system's
// browser or mail program; xmpp: links (RFC 5122) are followed inside
// Palaver, as links from outside are (uri.go): the chat, or the Add
// contact or Join dialog for ?roster, ?subscribe and ?join (XEP-0147).

// Limits of the links of one message.
const (
	maxLinks     = 3
	maxLinkBytes = 2048
)

// findLinks returns the links in text, at most maxLinks, in order, each
// once.
func findLinks(text string) []*url.URL {
	var out []*url.URL
	seen := make(map[string]bool)
	for _, word := range strings.Fields(text) {
		if len(out) == maxLinks {
			break
		}
		word = strings.TrimRight(word, ".,;:!?)]}'\"»”’")
		word = strings.TrimLeft(word, "([{'\"«“‘<")
		word = strings.TrimRight(word, ">")
		if len(word) > maxLinkBytes || seen[word] {
			continue
		}
		u, ok := linkOf(word)
		if ok {
			seen[word] = true
			out = append(out, u)
		}
	}
	return out
}

// linkOf parses s as a link Palaver follows.
func linkOf(s string) (*url.URL, bool) {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok {
		return nil, false
	}
	switch strings.ToLower(scheme) {
	case "http", "https", "mailto", "xmpp":
	default:
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, false
	}
	switch u.Scheme = strings.ToLower(u.Scheme); u.Scheme {
	case "http", "https":
		return u, u.Host != "" && u.User == nil // no user:password@ to hide the host
	case "mailto":
		return u, u.Opaque != ""
	case "xmpp":
		_, err := parseURI(s) // uri.go
		return u, err == nil
	}
	return nil, false
}

// linkText is how a link is shown: as it is, on one line, clipped, with
// nothing hidden (see escapedLine): the user sees where it goes.
func linkText(u *url.URL) string {
	return clipRunes(escapedLine(u.String()), 70)
}

// linkBox is a row's links under its text.
func linkBox(links []*url.URL, open func(*url.URL)) *fyne.Container {
	box := container.NewVBox()
	for _, u := range links {
		u := u
		h := widget.NewHyperlink(linkText(u), u)
		h.Truncation = fyne.TextTruncateEllipsis
		h.OnTapped = func() { open(u) }
		box.Add(h)
	}
	return box
}

// openLink follows a link of a message of s's account: xmpp: ones inside
// Palaver, others in the system's browser or mail program (off the UI
// goroutine: the browser may take a while to say it failed).
func (s *session) openLink(u *url.URL) {
	if u.Scheme == "xmpp" {
		s.ui.followURI(u.String(), s) // uri.go
		return
	}
	open := s.ui.openURL
	go func() {
		if err := open(u); err != nil {
			s.ui.do(func() {
				s.ui.showNotice(lang.L("Palaver could not open {{.Link}}: {{.Error}}", map[string]any{"Link": linkText(u), "Error": errorText(err)}))
			})
		}
	}()
}
