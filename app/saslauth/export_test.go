package saslauth

import "time"

// Receive exposes receive to the external tests.
var Receive = receive

// ParseFacebookChallenge exposes parseFacebookChallenge to the external tests.
var ParseFacebookChallenge = parseFacebookChallenge

// ParseBearerError exposes parseBearerError to the external tests.
var ParseBearerError = parseBearerError

// MaxBearerJSON exposes maxBearerJSON to the external tests.
const MaxBearerJSON = maxBearerJSON

// SetNow replaces the clock of X-FACEBOOK-PLATFORM until restore is called.
func SetNow(f func() time.Time) (restore func()) {
	old := now
	now = f
	return func() { now = old }
}

// CheckServerFirst exposes checkServerFirst with what the client saw
// offered.
func CheckServerFirst(mech string, msg []byte, mechanisms, cbTypes []string, listed bool) error {
	return checkServerFirst(mech, msg, &offer{mechanisms: mechanisms, cbTypes: cbTypes, cbListed: listed})
}
