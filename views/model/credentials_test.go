package model

import (
	"context"
	"errors"
	"testing"

	"github.com/palaver-im/palaver/account"
)

// secrets is a keychain holding one password, or failing.
type secrets struct {
	pw   map[string]string
	fail error
}

func (s secrets) Password(bare string) (string, error) {
	if s.fail != nil {
		return "", s.fail
	}
	if pw, ok := s.pw[bare]; ok {
		return pw, nil
	}
	return "", account.ErrNoSecret
}
func (s secrets) SetPassword(string, string) error { return nil }
func (s secrets) DeletePassword(string) error      { return nil }

func TestPasswordFunc(t *testing.T) {
	kept := secrets{pw: map[string]string{me: "kept"}}
	broken := secrets{fail: errors.New("no Secret Service")}
	cases := []struct {
		store    SecretStore
		typed    string
		remember bool
		want     string
		keyErr   bool
	}{
		0: {kept, "typed", true, "typed", false}, // typed in this run wins
		1: {kept, "", true, "kept", false},
		2: {kept, "", false, "", false}, // not remembered: the keychain is not asked
		3: {secrets{}, "", true, "", false},
		4: {broken, "", true, "", true}, // the failure goes to the prompt
		5: {nil, "", true, "", false},
	}
	for i, c := range cases {
		p := NewPasswords(c.store)
		if c.typed != "" {
			p.Set(me, c.typed)
		}
		p.SetRemember(me, c.remember)
		got, err := p.PasswordFunc(me)(context.Background())
		if got != c.want || (c.want == "") != errors.Is(err, ErrNoPassword) {
			t.Errorf("%d: %q, %v; want %q", i, got, err, c.want)
		}
		if (p.KeychainError(me) != nil) != c.keyErr {
			t.Errorf("%d: keychain error %v", i, p.KeychainError(me))
		}
		p.Forget(me)
		if _, ok := p.Get(me); ok {
			t.Errorf("%d: Forget kept the typed password", i)
		}
	}
}
