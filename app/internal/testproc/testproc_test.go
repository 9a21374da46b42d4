package testproc_test

import (
	"os/exec"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app/internal/testproc"
)

func TestStartStop(t *testing.T) {
	p, err := testproc.Start(exec.Command("sleep", "30"))
	if err != nil {
		t.Fatal(err)
	}
	p.Stop(5 * time.Second)
	select {
	case <-p.Done:
	default:
		t.Fatal("Stop returned before the process was gone")
	}
	p.Stop(time.Second) // a second Stop does nothing
}

func TestStopKillsAfterGrace(t *testing.T) {
	// A shell that ignores SIGTERM must be killed after the grace period.
	p, err := testproc.Start(exec.Command("sh", "-c", "trap '' TERM; sleep 30 & wait"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the trap be set
	p.Stop(200 * time.Millisecond)
	if p.Err == nil {
		t.Error("a killed process reported no error")
	}
}

func TestStartFails(t *testing.T) {
	if _, err := testproc.Start(exec.Command("/nonexistent/binary")); err == nil {
		t.Fatal("starting a missing binary succeeded")
	}
}
