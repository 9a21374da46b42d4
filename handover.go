package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// One Palaver per profile (package internal/instance): a later start
// hands its command line to the first, which passes it to the views.

// uriOpener is what hand-overs go to: the views (views.UI.OpenURISoon).
type uriOpener interface {
	OpenURISoon(uri string)
}

// mailbox holds the arguments handed over before the views exist and
// passes them on once they do.
type mailbox struct {
	mu      sync.Mutex
	to      uriOpener
	pending []string
}

// deliver passes arg to the views, or keeps it until attach. It is safe
// for concurrent use.
func (m *mailbox) deliver(arg string) {
	m.mu.Lock()
	to := m.to
	if to == nil {
		m.pending = append(m.pending, arg)
	}
	m.mu.Unlock()
	if to != nil {
		to.OpenURISoon(arg)
	}
}

// attach makes to the receiver of the arguments handed over, and passes
// it those kept so far, in order.
func (m *mailbox) attach(to uriOpener) {
	m.mu.Lock()
	pending := m.pending
	m.to, m.pending = to, nil
	m.mu.Unlock()
	for _, arg := range pending {
		to.OpenURISoon(arg)
	}
}

// commandArg is the one argument Palaver takes after its flags: an xmpp:
// link (what a desktop passes for %u), or none.
func commandArg(args []string) (string, error) {
	switch len(args) {
	case 0:
		return "", nil
	case 1:
		if strings.ContainsAny(args[0], "\r\n") {
			return "", errors.New("the link has a line break")
		}
		return args[0], nil
	}
	return "", fmt.Errorf("one xmpp: link at most, got %d arguments", len(args))
}
