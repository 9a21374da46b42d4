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
	s, err := keyring.Get(k.service(), "password:"+bare)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoSecret
	}
	if err != nil {
		return "", fmt.Errorf("reading the password from the keychain: %w", err)
	}
	return s, nil
}

// SetPassword stores the password of the account bare.
func (k Keychain) SetPassword(bare, password string) error {
	if err := keyring.Set(k.service(), "password:"+bare, password); err != nil {
		return fmt.Errorf("saving the password in the keychain: %w", err)
	}
	return nil
}

// DeletePassword removes the stored password of the account bare.
// Deleting a password that is not there is not an error.
func (k Keychain) DeletePassword(bare string) error {
	err := keyring.Delete(k.service(), "password:"+bare)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("removing the password from the keychain: %w", err)
	}
	return nil
}
