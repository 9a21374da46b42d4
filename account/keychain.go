package account

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	// Profile keeps the secrets of one profile (--config-dir) apart from
	// those of the others, so that two profiles with the same address do
	// not share a refresh token: providers that rotate refresh tokens
	// revoke the grant when a rotated one is used again. Empty for the
	// default profile, whose items keep the names of earlier versions. See
	// ProfileID.
	Profile string
}

func (k Keychain) service() string {
	if k.Service != "" {
		return k.Service
	}
	return KeychainService
}

// Password returns the stored password of the account bare.
// A profile without its own falls back to the one of the default profile
// (stored by earlier versions for every profile): the same account has
// the same password, wherever it is used.
func (k Keychain) Password(bare string) (string, error) {
	pw, err := k.get(k.item(passwordItem(bare)), "password")
	if errors.Is(err, ErrNoSecret) && k.Profile != "" {
		return k.get(passwordItem(bare), "password")
	}
	return pw, err
}

// SetPassword stores the password of the account bare.
func (k Keychain) SetPassword(bare, password string) error {
	return k.set(k.item(passwordItem(bare)), "password", password)
}

// DeletePassword removes the stored password of the account bare.
// Deleting a password that is not there is not an error.
func (k Keychain) DeletePassword(bare string) error {
	return k.delete(k.item(passwordItem(bare)), "password")
}

// RefreshToken returns the stored OAuth refresh token of the account
// bare, or ErrNoSecret.
func (k Keychain) RefreshToken(bare string) (string, error) {
	return k.get(k.item(refreshItem(bare)), "refresh token")
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
	return k.set(k.item(refreshItem(bare)), "refresh token", token)
}

// DeleteRefreshToken removes the stored refresh token of the account
// bare. Deleting a token that is not there is not an error.
func (k Keychain) DeleteRefreshToken(bare string) error {
	return k.delete(k.item(refreshItem(bare)), "refresh token")
}

// The keychain item names; changing them loses every stored secret.
func passwordItem(bare string) string { return "password:" + bare }
func refreshItem(bare string) string  { return "refresh:" + bare }

// item returns the name of item in k's profile.
func (k Keychain) item(item string) string {
	if k.Profile == "" {
		return item
	}
	return item + " (profile " + k.Profile + ")"
}

// profileIDFile holds a profile's ID, in the profile directory.
const profileIDFile = "profile-id"

// ProfileID returns the ID of the profile in dir for Keychain.Profile,
// made (random) and kept in dir the first time: a profile that is moved
// or renamed keeps its secrets.
func ProfileID(dir string) (string, error) {
	name := filepath.Join(dir, profileIDFile)
	if b, err := os.ReadFile(name); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" && len(id) <= 64 {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("reading the profile's ID: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("making the profile folder: %w", err)
	}
	id := strings.ToLower(rand.Text()[:16])
	if err := os.WriteFile(name, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("saving the profile's ID: %w", err)
	}
	return id, nil
}

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
