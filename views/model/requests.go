package model

import (
	"slices"
	"strings"
	"time"

	"github.com/palaver-im/palaver/app"
)

// Limits of what strangers cause (issue 9): anyone may write to the
// account, from as many addresses as they like, so what they cause is
// bounded and opens nothing by itself.
const (
	// MaxMessageRequests bounds the senders waiting in "Message
	// requests", and MaxSubscriptionRequests the subscription requests
	// listed above the contacts: past it the oldest is dropped (its
	// messages stay in the archive).
	MaxMessageRequests      = 100
	MaxSubscriptionRequests = 100
	// MaxIgnored bounds the addresses the user blocked on this computer
	// (when the server cannot block); the oldest is forgotten first.
	MaxIgnored = 1000
)

// MessageRequest is a sender outside the contact list who wrote to the
// account: their messages are in the archive, and nothing opened for them.
type MessageRequest struct {
	From  string
	Count int
	Last  string // the last message, for a preview
	At    time.Time
}

// MessageRequests holds the senders outside the contact list, oldest
// first, at most MaxMessageRequests, and the addresses blocked on this
// computer.
type MessageRequests struct {
	List    []*MessageRequest
	ignored []string
}

// Add records a message from a stranger; it reports false when from is
// blocked and the message should be dropped from view.
func (m *MessageRequests) Add(from, body string, at time.Time) bool {
	if m.IsIgnored(from) {
		return false
	}
	for i, r := range m.List {
		if r.From == from {
			r.Count++
			r.Last, r.At = body, at
			// The most recent goes last, so that the oldest is dropped.
			m.List = append(append(m.List[:i:i], m.List[i+1:]...), r)
			return true
		}
	}
	if len(m.List) >= MaxMessageRequests {
		m.List[0] = nil
		m.List = m.List[1:]
	}
	m.List = append(m.List, &MessageRequest{From: from, Count: 1, Last: body, At: at})
	return true
}

// Remove drops the request from from.
func (m *MessageRequests) Remove(from string) {
	for i, r := range m.List {
		if r.From == from {
			m.List = append(m.List[:i:i], m.List[i+1:]...)
			return
		}
	}
}

// Ignore blocks from on this computer.
func (m *MessageRequests) Ignore(from string) {
	m.Remove(from)
	if m.IsIgnored(from) {
		return
	}
	if len(m.ignored) >= MaxIgnored {
		m.ignored = m.ignored[1:]
	}
	m.ignored = append(m.ignored, from)
}

// IsIgnored reports whether from is blocked on this computer.
func (m *MessageRequests) IsIgnored(from string) bool {
	return slices.Contains(m.ignored, from)
}

// Ignored returns how many addresses are blocked on this computer.
func (m *MessageRequests) Ignored() int { return len(m.ignored) }

// addSubscription lists the request e, replacing an earlier one of the
// same sender; past MaxSubscriptionRequests the oldest goes.
func (a *Account) addSubscription(e app.SubscriptionRequest) {
	for i, r := range a.Requests {
		if strings.EqualFold(r.From, e.From) {
			a.Requests[i] = e
			return
		}
	}
	if len(a.Requests) >= MaxSubscriptionRequests {
		// Anyone may ask: the oldest unanswered request goes.
		a.Requests[0] = app.SubscriptionRequest{}
		a.Requests = a.Requests[1:]
	}
	a.Requests = append(a.Requests, e)
}

// Answered drops the subscription request of jid, answered by the user.
func (a *Account) Answered(jid string) {
	out := a.Requests[:0]
	for _, r := range a.Requests {
		if r.From != jid {
			out = append(out, r)
		}
	}
	clear(a.Requests[len(out):])
	a.Requests = out
}

// CatchUp gathers the messages the server's archive brought after a
// reconnection (app.MessageReceived.FromArchive), for the one
// notification that sums them up once no more come.
type CatchUp struct {
	Peers     []string // in the order of their first message
	Count     map[string]int
	Last      map[string]string // the newest body, by peer
	LastAt    time.Time         // when the newest message was added
	Scheduled bool              // the views' notice is due
}

func (c *CatchUp) add(peer, body string, now time.Time) {
	if c.Count == nil {
		c.Count, c.Last = make(map[string]int), make(map[string]string)
	}
	if c.Count[peer] == 0 {
		c.Peers = append(c.Peers, peer)
	}
	c.Count[peer]++
	c.Last[peer] = body
	c.LastAt = now
}

// forget drops peer's messages: the user has seen the conversation.
func (c *CatchUp) forget(peer string) {
	if c.Count[peer] == 0 {
		return
	}
	delete(c.Count, peer)
	delete(c.Last, peer)
	c.Peers = slices.DeleteFunc(c.Peers, func(p string) bool { return p == peer })
}
