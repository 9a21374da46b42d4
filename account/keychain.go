package account

import (
	"errors"
	"fmt"

	"github.com/zalando/go-keyring"
)

// KeychainService is the service name under which Palaver keeps secrets.
const KeychainService = "palaver"

// ErrNoSecret is returned when the keychain holds no secret for an account.
var ErrNoSecret = errors.New("no secret stored")

// Keychain stores secrets in the OS keychain: Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows.
type Keychain struct {
	// Service overrides KeychainService (tests use their own).
	Service string
}

func (k Keychain) service() string {
	if k.Service != "" {
		return k.Service
	}
	return KeychainService
}

// Password returns the stored password of the account bare.
func (k Keychain) Password(bare string) (string, error) {
	return k.get(passwordItem(bare), "password")
}

// SetPassword stores the password of the account bare.
func (k Keychain) SetPassword(bare, password string) error {
	return k.set(passwordItem(bare), "password", password)
}

// DeletePassword removes the stored password of the account bare.
// Deleting a password that is not there is not an error.
func (k Keychain) DeletePassword(bare string) error {
	return k.delete(passwordItem(bare), "password")
}

// RefreshToken returns the stored OAuth refresh token of the account
// bare, or ErrNoSecret.
func (k Keychain) RefreshToken(bare string) (string, error) {
	return k.get(refreshItem(bare), "refresh token")
}

// SetRefreshToken stores the OAuth refresh token of the account bare,
// replacing the one stored before.
//
// Only the token string is stored, not a JSON blob: Windows Credential
// Manager holds at most 2560 bytes of secret and macOS about 3000 bytes
// for service, user and secret together. The access token is never
// stored.
func (k Keychain) SetRefreshToken(bare, token string) error {
	if token == "" {
		return errors.New("saving the refresh token in the keychain: the token is empty")
	}
	return k.set(refreshItem(bare), "refresh token", token)
}

// DeleteRefreshToken removes the stored refresh token of the account
// bare. Deleting a token that is not there is not an error.
func (k Keychain) DeleteRefreshToken(bare string) error {
	return k.delete(refreshItem(bare), "refresh token")
}

// The keychain item names; changing them loses every stored secret.
func passwordItem(bare string) string { return "password:" + bare }
func refreshItem(bare string) string  { return "refresh:" + bare }

func (k Keychain) get(item, what string) (string, error) {
	s, err := keyring.Get(k.service(), item)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoSecret
	}
	if err != nil {
		return "", fmt.Errorf("reading the %s from the keychain: %w", what, err)
	}
	return s, nil
}

func (k Keychain) set(item, what, secret string) error {
	if err := keyring.Set(k.service(), item, secret); err != nil {
		return fmt.Errorf("saving the %s in the keychain: %w", what, err)
	}
	return nil
}

func (k Keychain) delete(item, what string) error {
	err := keyring.Delete(k.service(), item)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("removing the %s from the keychain: %w", what, err)
	}
	return nil
}
