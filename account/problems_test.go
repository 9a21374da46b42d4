package account_test

import (
	"errors"
	"testing"

	"github.com/palaver-im/palaver/account"
)

// TestSettingsProblems: the validation errors carry a Problem for the
// views to word, and keep their English text for logs.
func TestSettingsProblems(t *testing.T) {
	for name, tc := range map[string]struct {
		err   error
		want  account.Problem
		value string
		field string
	}{
		"empty":       {errFrom(account.ParseJID(" ")), account.ProblemNoAddress, "", ""},
		"bad":         {errFrom(account.ParseJID("a@b@c")), account.ProblemBadAddress, "a@b@c", ""},
		"no user":     {errFrom(account.ParseJID("example.org")), account.ProblemNoUserName, "example.org", ""},
		"empty label": {errFrom(account.ParseJID("a@b..c")), account.ProblemEmptyDomainPart, "a@b..c", ""},
		"port":        {account.Account{JID: "a@b.c", Host: "h", Port: 70000}.Validate(), account.ProblemPortRange, "70000", ""},
		"no host":     {account.Account{JID: "a@b.c", Port: 5222}.Validate(), account.ProblemPortWithoutHost, "", ""},
		"method":      {account.Account{JID: "a@b.c", Auth: "magic"}.Validate(), account.ProblemUnknownAuth, "magic", ""},
		"no provider": {account.OAuthSettings{}.Validate(), account.ProblemNoProvider, "", ""},
		"provider":    {account.OAuthSettings{Provider: "nobody"}.Validate(), account.ProblemUnknownProvider, "nobody", ""},
		"issuer http": {account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "x", Issuer: "http://example.org"}.Validate(),
			account.ProblemURLNotHTTPS, "http://example.org", account.FieldIssuer},
		"token url": {account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "x", AuthURL: "https://a.example/auth", TokenURL: "https://u:p@a.example/token"}.Validate(),
			account.ProblemURLUserInfo, "https://u:p@a.example/token", account.FieldTokenURL},
		"half": {account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "x", AuthURL: "https://a.example/auth"}.Validate(),
			account.ProblemHalfEndpoints, "", ""},
		"scope": {account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "x", Scopes: []string{"a\"b"}}.Validate(),
			account.ProblemBadScope, "a\"b", ""},
	} {
		var se *account.SettingsError
		if !errors.As(tc.err, &se) {
			t.Errorf("%s: %v is not a SettingsError", name, tc.err)
			continue
		}
		if se.Problem != tc.want || se.Value != tc.value || se.Field != tc.field || se.Error() == "" {
			t.Errorf("%s: %+v (%q), want problem %d, value %q, field %q", name, *se, se.Error(), tc.want, tc.value, tc.field)
		}
	}
}

func errFrom[T any](_ T, err error) error { return err }
