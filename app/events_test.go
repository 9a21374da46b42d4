package app_test

import (
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app"
)

func TestAuthFailedMessage(t *testing.T) {
	for i, tc := range []struct {
		ev      app.AuthFailed
		want    []string
		mustNot string
	}{
		0: {app.AuthFailed{Condition: "not-authorized"}, []string{"user name or password"}, "server said"},
		1: {app.AuthFailed{Condition: "account-disabled", Text: "call support"}, []string{"disabled", "The server said: call support"}, ""},
		2: {app.AuthFailed{Condition: app.ConditionNoPassword, Text: "no password: keychain locked"}, []string{"Enter the password", "keychain locked"}, "server said"},
		3: {app.AuthFailed{Condition: "temporary-auth-failure"}, []string{"try again later"}, ""},
	} {
		got := tc.ev.Message()
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%d: %q lacks %q", i, got, w)
			}
		}
		if tc.mustNot != "" && strings.Contains(got, tc.mustNot) {
			t.Errorf("%d: %q must not say %q", i, got, tc.mustNot)
		}
	}
}
