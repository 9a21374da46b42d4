//go:build !linux

package netwatch

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// Watch returns an inert Watcher here: netwatch knows no network or sleep
// notifications on this system. Its channel closes when ctx ends, and Err
// wraps errors.ErrUnsupported. The connection manager still notices sleep
// by its clock check, which works on every system.
func Watch(ctx context.Context) *Watcher {
	return inert(ctx, fmt.Errorf("netwatch: no network or sleep notifications on %s: %w", runtime.GOOS, errors.ErrUnsupported))
}
