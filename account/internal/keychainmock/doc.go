// Package keychainmock holds the tests of account.Keychain, and of
// account.TokenSource storing refresh tokens through it, against
// go-keyring's in-memory mock (keyring.MockInit, keyring.MockInitWithError).
//
// They live in a package of their own, with no code, because MockInit
// replaces the keychain of the whole test binary, and go-keyring has no way
// to put the real one back: in package account they would break the tests
// that use the real OS keychain.
package keychainmock
