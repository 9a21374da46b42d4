package account

import (
	"net"
	"time"
)

// SetListen makes f listen with listen instead of net.Listen.
func SetListen(f *Flow, listen func(network, address string) (net.Listener, error)) {
	f.listen = listen
}

// SetClock makes s read the time from now; call it before using s.
func SetClock(s *TokenSource, now func() time.Time) {
	s.now = now
}

// SetKeychainTimeout makes s give up on a store call after d instead of
// KeychainTimeout; call it before using s.
func SetKeychainTimeout(s *TokenSource, d time.Duration) {
	if b, ok := s.cfg.Store.(*boundedStore); ok {
		b.timeout = d
	}
}
