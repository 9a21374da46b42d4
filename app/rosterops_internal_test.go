package app

import (
	"errors"
	"fmt"
	"testing"

	"mellium.im/xmpp/stanza"
)

// TestExplainStanzaErrorWraps: the explained refusal keeps its English
// words for logs and still holds the stanza error, so the UI can word it
// by its condition.
func TestExplainStanzaErrorWraps(t *testing.T) {
	for i, tc := range []struct {
		in   stanza.Error
		want string
	}{
		0: {stanza.Error{Condition: stanza.NotAllowed, Text: map[string]string{"": "only adding"}}, "this server does not allow that change (not-allowed): only adding"},
		1: {stanza.Error{Condition: stanza.ItemNotFound}, "the server does not know this contact"},
		2: {stanza.Error{Condition: stanza.JIDMalformed}, "the server refused the request as invalid (jid-malformed)"},
		3: {stanza.Error{Condition: stanza.RecipientUnavailable}, "the server refused (recipient-unavailable)"},
	} {
		err := explainStanzaError(fmt.Errorf("sending: %w", tc.in))
		if err.Error() != tc.want {
			t.Errorf("%d: %q, want %q", i, err, tc.want)
		}
		var se stanza.Error
		if !errors.As(err, &se) || se.Condition != tc.in.Condition || se.Text[""] != tc.in.Text[""] {
			t.Errorf("%d: the stanza error is lost: %#v", i, se)
		}
	}
	other := errors.New("x")
	if explainStanzaError(other) != other {
		t.Error("an error without a stanza error is changed")
	}
	if explainStanzaError(nil) != nil {
		t.Error("nil is not nil")
	}
}
