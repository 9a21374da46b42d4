package keychainmock_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/palaver-im/palaver/account"
)

// Tests here replace go-keyring's global provider, so none of them may run
// in parallel.

func TestMockSetGetDelete(t *testing.T) {
	keyring.MockInit()
	k := account.Keychain{Service: "palaver-test"}
	const alice = "alice@example.org"

	if pw, err := k.Password(alice); !errors.Is(err, account.ErrNoSecret) {
		t.Fatalf("Password before SetPassword = %q, %v; want ErrNoSecret", pw, err)
	}
	for _, pw := range []string{"first", "second", ""} {
		if err := k.SetPassword(alice, pw); err != nil {
			t.Fatal(err)
		}
		if got, err := k.Password(alice); err != nil || got != pw {
			t.Errorf("Password = %q, %v; want %q", got, err, pw)
		}
	}
	if err := k.DeletePassword(alice); err != nil {
		t.Fatal(err)
	}
	if pw, err := k.Password(alice); !errors.Is(err, account.ErrNoSecret) {
		t.Errorf("Password after DeletePassword = %q, %v; want ErrNoSecret", pw, err)
	}
	if err := k.DeletePassword(alice); err != nil {
		t.Errorf("DeletePassword of a missing password = %v, want nil", err)
	}
}

// TestMockStorageKey pins where passwords are kept: changing the service or
// the item name would lose every stored password.
func TestMockStorageKey(t *testing.T) {
	tests := []struct {
		name    string
		k       account.Keychain
		service string
	}{
		{"default service", account.Keychain{}, account.KeychainService},
		{"own service", account.Keychain{Service: "other"}, "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyring.MockInit()
			if account.KeychainService != "palaver" {
				t.Errorf("KeychainService = %q, want palaver", account.KeychainService)
			}
			if err := tt.k.SetPassword("alice@example.org", "pw"); err != nil {
				t.Fatal(err)
			}
			if got, err := keyring.Get(tt.service, "password:alice@example.org"); err != nil || got != "pw" {
				t.Errorf("keyring.Get(%q, password:alice@example.org) = %q, %v; want pw", tt.service, got, err)
			}
			if err := keyring.Set(tt.service, "password:bob@example.org", "bob's"); err != nil {
				t.Fatal(err)
			}
			if got, err := tt.k.Password("bob@example.org"); err != nil || got != "bob's" {
				t.Errorf("Password(bob) = %q, %v; want bob's", got, err)
			}
		})
	}
}

func TestMockServicesApart(t *testing.T) {
	keyring.MockInit()
	a, b := account.Keychain{Service: "a"}, account.Keychain{Service: "b"}
	if err := a.SetPassword("alice@example.org", "in a"); err != nil {
		t.Fatal(err)
	}
	if pw, err := b.Password("alice@example.org"); !errors.Is(err, account.ErrNoSecret) {
		t.Errorf("service b sees %q, %v; want ErrNoSecret", pw, err)
	}
	if err := b.DeletePassword("alice@example.org"); err != nil {
		t.Fatal(err)
	}
	if pw, err := a.Password("alice@example.org"); err != nil || pw != "in a" {
		t.Errorf("service a after deleting in b: %q, %v", pw, err)
	}
}

func TestMockErrors(t *testing.T) {
	injected := errors.New("the keychain is on fire")
	tests := []struct {
		name    string
		err     error
		want    error // errors.Is target for Password, SetPassword
		wantDel error // errors.Is target for DeletePassword; nil: no error
		words   string
	}{
		{"any error", injected, injected, injected, "keychain"},
		{"data too big", keyring.ErrSetDataTooBig, keyring.ErrSetDataTooBig, keyring.ErrSetDataTooBig, "keychain"},
		// A keychain that finds nothing: no secret, and deleting is fine.
		{"not found", keyring.ErrNotFound, account.ErrNoSecret, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyring.MockInitWithError(tt.err)
			k := account.Keychain{Service: "palaver-test"}

			pw, err := k.Password("alice@example.org")
			if !errors.Is(err, tt.want) || pw != "" {
				t.Errorf("Password = %q, %v; want %v", pw, err, tt.want)
			}
			if tt.want != account.ErrNoSecret && errors.Is(err, account.ErrNoSecret) {
				t.Errorf("Password error %v is ErrNoSecret: the user would be asked for a password instead of told of the failure", err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.words) {
				t.Errorf("Password error %q does not mention %q", err, tt.words)
			}

			err = k.SetPassword("alice@example.org", "pw")
			if tt.err == keyring.ErrNotFound {
				if !errors.Is(err, keyring.ErrNotFound) {
					t.Errorf("SetPassword = %v, want the keychain's error", err)
				}
			} else if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.words) {
				t.Errorf("SetPassword = %v, want %v mentioning %q", err, tt.want, tt.words)
			}

			err = k.DeletePassword("alice@example.org")
			if tt.wantDel == nil && err != nil {
				t.Errorf("DeletePassword = %v, want nil", err)
			}
			if tt.wantDel != nil && !errors.Is(err, tt.wantDel) {
				t.Errorf("DeletePassword = %v, want %v", err, tt.wantDel)
			}
		})
	}
}
