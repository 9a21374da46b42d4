package app

// ErrNotJoined is errNotJoined, for tests.
var ErrNotJoined = errNotJoined
