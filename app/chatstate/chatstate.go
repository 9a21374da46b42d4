// Package chatstate implements chat state notifications (XEP-0085).
package chatstate

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
