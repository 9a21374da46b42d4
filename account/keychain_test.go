package account_test

// These tests use the real OS keychain through go-keyring: on Linux a Secret
// Service (gnome-keyring) on the D-Bus session bus. `make test` runs them in
// a private D-Bus session with a throwaway, unlocked gnome-keyring (see
// .ci/with-services). Tests against go-keyring's in-memory mock live in
// account/internal/keychainmock, because keyring.MockInit replaces the
// keychain of the whole test binary.

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/palaver-im/palaver/account"
)

// keychainTimeout bounds each keychain call: a locked keyring on a desktop
// may wait for a password prompt forever.
const keychainTimeout = 30 * time.Second

var (
	keychainOnce  sync.Once
	keychainProbe error // why the keychain is unusable; nil when usable
)

// requireKeychain skips the test when no keychain is reachable, or fails it
// when the CI environment variable is set.
func requireKeychain(t *testing.T) {
	t.Helper()
	keychainOnce.Do(func() { keychainProbe = probeKeychain() })
	if keychainProbe == nil {
		return
	}
	msg := fmt.Sprintf("no usable OS keychain: %v; run `make test`, which starts a private D-Bus session with gnome-keyring", keychainProbe)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set, so this is an error)", msg)
	}
	t.Skip(msg)
}

func probeKeychain() error {
	if runtime.GOOS == "linux" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		// godbus would otherwise look for $XDG_RUNTIME_DIR/bus and then
		// run dbus-launch, whose bus outlives the test.
		if _, err := os.Stat(filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "bus")); os.Getenv("XDG_RUNTIME_DIR") == "" || err != nil {
			return errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
		}
	}
	// Reading a secret that does not exist shows that the keychain answers.
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err = keyring.Get("palaver-test-probe-"+rand.Text(), "probe")
	}()
	select {
	case <-done:
	case <-time.After(keychainTimeout):
		return fmt.Errorf("the keychain did not answer within %v (locked, waiting for a prompt?)", keychainTimeout)
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	if err == nil {
		return errors.New("the keychain returned a secret that was never stored")
	}
	return err
}

// testKeychain returns a keychain with a service name of its own, whose
// secrets are removed when the test ends.
func testKeychain(t *testing.T) account.Keychain {
	t.Helper()
	requireKeychain(t)
	k := account.Keychain{Service: "palaver-test-" + rand.Text()}
	t.Cleanup(func() {
		if err := keyring.DeleteAll(k.Service); err != nil {
			t.Errorf("removing the test secrets of %s: %v", k.Service, err)
		}
	})
	return k
}

// within runs f, failing the test if it does not return in keychainTimeout.
func within[T any](t *testing.T, what string, f func() (T, error)) (T, error) {
	t.Helper()
	return withinTime(t, keychainTimeout, what, f)
}

// withinTime runs f, failing the test if it does not return in limit.
func withinTime[T any](t *testing.T, limit time.Duration, what string, f func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(limit):
		t.Fatalf("%s: the keychain did not answer within %v", what, limit)
		panic("unreachable")
	}
}

func password(t *testing.T, k account.Keychain, bare string) (string, error) {
	t.Helper()
	return within(t, "Password("+bare+")", func() (string, error) { return k.Password(bare) })
}

func setPassword(t *testing.T, k account.Keychain, bare, pw string) {
	t.Helper()
	if _, err := within(t, "SetPassword("+bare+")", func() (struct{}, error) { return struct{}{}, k.SetPassword(bare, pw) }); err != nil {
		t.Fatalf("SetPassword(%s): %v", bare, err)
	}
}

func deletePassword(t *testing.T, k account.Keychain, bare string) {
	t.Helper()
	if _, err := within(t, "DeletePassword("+bare+")", func() (struct{}, error) { return struct{}{}, k.DeletePassword(bare) }); err != nil {
		t.Fatalf("DeletePassword(%s): %v", bare, err)
	}
}

func wantPassword(t *testing.T, k account.Keychain, bare, want string) {
	t.Helper()
	got, err := password(t, k, bare)
	if err != nil || got != want {
		t.Errorf("Password(%s) = %q, %v; want %q", bare, got, err, want)
	}
}

func wantNoSecret(t *testing.T, k account.Keychain, bare string) {
	t.Helper()
	got, err := password(t, k, bare)
	if !errors.Is(err, account.ErrNoSecret) {
		t.Errorf("Password(%s) = %q, %v; want ErrNoSecret", bare, got, err)
	}
}

func TestKeychainSetGetDelete(t *testing.T) {
	k := testKeychain(t)
	const alice = "alice@example.org"

	wantNoSecret(t, k, alice)
	setPassword(t, k, alice, "correct horse battery staple")
	wantPassword(t, k, alice, "correct horse battery staple")

	setPassword(t, k, alice, "second") // replaces
	wantPassword(t, k, alice, "second")

	deletePassword(t, k, alice)
	wantNoSecret(t, k, alice)
	deletePassword(t, k, alice) // not there: not an error
}

func TestKeychainPasswords(t *testing.T) {
	k := testKeychain(t)
	tests := []struct{ name, bare, password string }{
		{"unicode", "ünïcödé@example.org", "pässwörd ✓ 密码"},
		{"spaces and quotes", "quotes@example.org", ` "'<&>' ` + "\t"},
		{"long", "long@example.org", strings.Repeat("0123456789", 100)},
		{"empty", "empty@example.org", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setPassword(t, k, tt.bare, tt.password)
			wantPassword(t, k, tt.bare, tt.password)
		})
	}
}

func TestKeychainKeepsAccountsAndServicesApart(t *testing.T) {
	k1, k2 := testKeychain(t), testKeychain(t)
	setPassword(t, k1, "alice@example.org", "alice-1")
	setPassword(t, k1, "bob@example.org", "bob-1")
	setPassword(t, k2, "alice@example.org", "alice-2")

	wantPassword(t, k1, "alice@example.org", "alice-1")
	wantPassword(t, k1, "bob@example.org", "bob-1")
	wantPassword(t, k2, "alice@example.org", "alice-2")
	wantNoSecret(t, k2, "bob@example.org")

	deletePassword(t, k1, "alice@example.org")
	wantNoSecret(t, k1, "alice@example.org")
	wantPassword(t, k1, "bob@example.org", "bob-1")
	wantPassword(t, k2, "alice@example.org", "alice-2")
}

// TestKeychainKeepsProfilesApart: two profiles with the same address keep
// their own refresh tokens (a provider that rotates them revokes the grant
// when a rotated one is used again) and passwords; a profile without a
// password of its own uses the default profile's.
func TestKeychainKeepsProfilesApart(t *testing.T) {
	def := testKeychain(t)
	work, home := def, def
	var err error
	if work.Profile, err = account.ProfileID(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if home.Profile, err = account.ProfileID(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if work.Profile == home.Profile {
		t.Fatalf("two profiles share the ID %q", work.Profile)
	}
	const alice = "alice@example.org"
	for k, tok := range map[*account.Keychain]string{&def: "r-default", &work: "r-work", &home: "r-home"} {
		if _, err := within(t, "SetRefreshToken", func() (struct{}, error) { return struct{}{}, k.SetRefreshToken(alice, tok) }); err != nil {
			t.Fatal(err)
		}
	}
	for k, want := range map[*account.Keychain]string{&def: "r-default", &work: "r-work", &home: "r-home"} {
		got, err := within(t, "RefreshToken", func() (string, error) { return k.RefreshToken(alice) })
		if err != nil || got != want {
			t.Errorf("profile %q: refresh token %q, %v; want %q", k.Profile, got, err, want)
		}
	}
	if _, err := within(t, "DeleteRefreshToken", func() (struct{}, error) { return struct{}{}, work.DeleteRefreshToken(alice) }); err != nil {
		t.Fatal(err)
	}
	if got, err := within(t, "RefreshToken", func() (string, error) { return work.RefreshToken(alice) }); !errors.Is(err, account.ErrNoSecret) {
		t.Errorf("work after delete: %q, %v; want ErrNoSecret (no fallback for refresh tokens)", got, err)
	}
	if got, _ := within(t, "RefreshToken", func() (string, error) { return def.RefreshToken(alice) }); got != "r-default" {
		t.Errorf("the default profile lost its token: %q", got)
	}

	// Passwords: the default profile's is the fallback; a profile's own wins.
	setPassword(t, def, alice, "pw")
	wantPassword(t, work, alice, "pw")
	setPassword(t, home, alice, "pw-home")
	wantPassword(t, home, alice, "pw-home")
	wantPassword(t, def, alice, "pw")
}

// TestProfileIDIsKept: a profile's ID is made once and read back after.
func TestProfileIDIsKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new-profile")
	a, err := account.ProfileID(dir)
	if err != nil || a == "" {
		t.Fatalf("ProfileID: %q, %v", a, err)
	}
	if b, err := account.ProfileID(dir); err != nil || b != a {
		t.Errorf("second ProfileID: %q, %v; want %q", b, err, a)
	}
	if st, err := os.Stat(filepath.Join(dir, "profile-id")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("profile-id file: %v, %v", st, err)
	}
}
