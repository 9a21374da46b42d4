//go:build unix

package testproc

import "syscall"

// terminateSignal asks a server to shut down cleanly.
var terminateSignal = syscall.SIGTERM
