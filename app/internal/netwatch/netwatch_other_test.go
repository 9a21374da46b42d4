//go:build !linux

package netwatch

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWatchUnsupported(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := Watch(ctx)
	if !errors.Is(w.Err(), errors.ErrUnsupported) {
		t.Errorf("Err() = %v, want errors.ErrUnsupported", w.Err())
	}
	quiet(t, w, 50*time.Millisecond)
	cancel()
	closes(t, w)
}
