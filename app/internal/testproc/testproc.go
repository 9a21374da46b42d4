// Package testproc runs the servers that tests start (Prosody, the OAuth
// server) as child processes that never outlive the test binary.
package testproc

import (
	"os/exec"
	"runtime"
	"time"
)

// Process is a started child process.
type Process struct {
	Cmd *exec.Cmd
	// Done is closed when the process has exited.
	Done chan struct{}
	// Err is the result of Wait, set before Done is closed.
	Err error
}

// Start starts cmd and reaps it in the background. On Linux the kernel
// kills the child when the test binary dies (cmd.SysProcAttr is set for
// that), so that a crashed or timed-out test leaves no server behind.
func Start(cmd *exec.Cmd) (*Process, error) {
	cmd.SysProcAttr = sysProcAttr()
	p := &Process{Cmd: cmd, Done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal is sent when the thread that started the
		// child exits, so keep this goroutine on its thread until the
		// child is gone.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.Err = cmd.Wait()
		close(p.Done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// Stop asks the process to terminate (SIGTERM where there is one), kills
// it after grace, and waits for it. Stopping a stopped process does
// nothing.
func (p *Process) Stop(grace time.Duration) {
	select {
	case <-p.Done:
		return
	default:
	}
	if err := p.Cmd.Process.Signal(terminateSignal); err != nil {
		_ = p.Cmd.Process.Kill()
	}
	select {
	case <-p.Done:
		return
	case <-time.After(grace):
	}
	_ = p.Cmd.Process.Kill()
	<-p.Done
}
