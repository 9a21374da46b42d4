package app

import (
	"errors"
	"testing"

	"github.com/palaver-im/palaver/app/upload"
)

// TestSlotError: the service's refusals map to UploadFailed's errors.
func TestSlotError(t *testing.T) {
	other := &upload.Error{Type: "cancel", Condition: "item-not-found"}
	for i, tc := range map[int]struct {
		in   *upload.Error
		want error
	}{
		0: {&upload.Error{Condition: "not-acceptable", TooLarge: true, MaxSize: 300}, &FileTooLargeError{Size: 500, Max: 300}},
		1: {&upload.Error{Condition: "not-acceptable", TooLarge: true}, &FileTooLargeError{Size: 500, Max: 400}},
		2: {&upload.Error{Type: "wait", Condition: "resource-constraint"}, ErrUploadQuota},
		3: {&upload.Error{Type: "cancel", Condition: "not-allowed"}, ErrUploadRefused},
		4: {&upload.Error{Type: "auth", Condition: "forbidden"}, ErrUploadRefused},
		5: {other, other},
	} {
		got := slotError(tc.in, 500, 400)
		var want, have *FileTooLargeError
		if errors.As(tc.want, &want) {
			if !errors.As(got, &have) || *have != *want {
				t.Errorf("%d: got %v, want %v", i, got, tc.want)
			}
			continue
		}
		if !errors.Is(got, tc.want) {
			t.Errorf("%d: got %v, want %v", i, got, tc.want)
		}
	}
}
