//go:build !linux

package oauthtest

import "syscall"

// sysProcAttr returns nil: only Linux has a parent-death signal.
func sysProcAttr() *syscall.SysProcAttr { return nil }
