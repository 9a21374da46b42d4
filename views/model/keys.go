package model

// ContactKey names a contact: the same address on two accounts is two
// contacts (each with its own roster item, presence and conversation).
type ContactKey struct {
	// Account is the bare JID of the account; JID the contact's bare JID.
	Account, JID string
}

// Kind says what a conversation is with.
type Kind uint8

// Kinds of conversation.
const (
	// KindChat is a one-to-one conversation (message type chat or normal).
	KindChat Kind = iota
	// KindRoom is a group chat (XEP-0045).
	KindRoom
)

// ConversationID names a conversation: with whom, from which account.
type ConversationID struct {
	// Account is the bare JID of the account; Peer the bare JID of the
	// contact or room.
	Account, Peer string
	Kind          Kind
}

// Chat returns the one-to-one conversation with the contact k.
func (k ContactKey) Chat() ConversationID {
	return ConversationID{Account: k.Account, Peer: k.JID, Kind: KindChat}
}

// Contact returns the contact a one-to-one conversation is with.
func (id ConversationID) Contact() ContactKey {
	return ContactKey{Account: id.Account, JID: id.Peer}
}
