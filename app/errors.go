package app

import "errors"

// Errors of the connection and of sign-in that events carry (in
// CommandFailed, MessageFailed, StateChanged and the like), for errors.Is.
// Their texts are English for logs; the UI words them itself.
var (
	// ErrConnectionClosed: the server closed the connection without a
	// stream error.
	ErrConnectionClosed = errors.New("the server closed the connection")
	// ErrStalled: the server did not answer a ping after a silence, so
	// the core closed the connection (XEP-0199 §4.2). The error that
	// wraps it says how long it waited.
	ErrStalled = errors.New("the connection stalled")
	// ErrSignInTooLong: signing in did not finish within the time the
	// core gives it as a whole.
	ErrSignInTooLong = errors.New("signing in took too long")
	// ErrStoppedAnswering: the server went silent while signing in. The
	// error that wraps it says for how long.
	ErrStoppedAnswering = errors.New("the server stopped answering")
	// ErrSessionNotSignedIn: the server started the session without
	// signing in (empty stream features after TLS); nothing is sent on
	// such a stream. AuthFailed.Err with ConditionServerNotVerified wraps it.
	ErrSessionNotSignedIn = errors.New("the server started the session without signing in")
	// ErrSessionNotBound: the server started the session without binding
	// an address. AuthFailed.Err with ConditionServerNotVerified wraps it.
	ErrSessionNotBound = errors.New("the server started the session without binding an address")
	// ErrInvalidAddress: a command named an address that is not a valid
	// JID; the error that wraps it also wraps the parser's error.
	ErrInvalidAddress = errors.New("invalid address")
)
