//go:build !unix

package testproc

import "os"

// terminateSignal stops a server; there is no SIGTERM here.
var terminateSignal = os.Kill
