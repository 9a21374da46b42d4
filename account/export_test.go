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
