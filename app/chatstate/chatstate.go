// Package chatstate implements chat state notifications (XEP-0085).
package chatstate

import (
	"encoding/xml"

	"mellium.im/xmlstream"
)

// NS is the namespace of chat states.
const NS = "http://jabber.org/protocol/chatstates"

// State is a chat state: the name of its element.
type State string

// Chat states (XEP-0085 §2.1).
const (
	Active    State = "active"
	Composing State = "composing"
	Paused    State = "paused"
	Inactive  State = "inactive"
	Gone      State = "gone"
)

// Parse returns the chat state that an element named name stands for.
// It reports false for elements outside NS and for unknown names.
func Parse(name xml.Name) (State, bool) {
	if name.Space != NS {
		return "", false
	}
	switch s := State(name.Local); s {
	case Active, Composing, Paused, Inactive, Gone:
		return s, true
	}
	return "", false
}

// TokenReader encodes s as its empty element in NS.
// A State that is not one of the constants encodes as nothing.
func (s State) TokenReader() xml.TokenReader {
	name := xml.Name{Space: NS, Local: string(s)}
	if _, ok := Parse(name); !ok {
		return xmlstream.MultiReader()
	}
	return xmlstream.Wrap(nil, xml.StartElement{Name: name})
}

// Activity is what the user did in a conversation; a Composer turns
// activities into the chat states to send.
type Activity int

// Activities.
const (
	// Typed: the user changed the text being written.
	Typed Activity = iota
	// Sent: the user sent a message.
	Sent
	// Focused: the chat window gained focus.
	Focused
	// Unfocused: the chat window lost focus.
	Unfocused
	// Closed: the user closed the conversation.
	Closed
)
