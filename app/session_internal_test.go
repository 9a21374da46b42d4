package app

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"mellium.im/xmpp/stream"
)

func TestSleepDetector(t *testing.T) {
	now := time.Now()
	d := &sleepDetector{wall: now.Round(0).Add(-10 * time.Second), mono: now.Add(-10 * time.Second)}
	if d.slept(now) {
		t.Error("10 s of both clocks counted as sleep")
	}
	// The wall clock moved a minute, the monotonic one 5 s: the system
	// slept for 55 s.
	later := now.Add(5 * time.Second)
	d.wall = later.Round(0).Add(-time.Minute)
	d.mono = now
	if !d.slept(later) {
		t.Error("a 55 s gap between the clocks was not noticed")
	}
	if d.slept(later) {
		t.Error("the same sleep was reported twice")
	}
}

func TestSeeOtherHostAndConflict(t *testing.T) {
	for i, tc := range []struct {
		err      error
		to       string
		ok, conf bool
	}{
		0: {stream.Error{Err: "see-other-host", Content: " 192.0.2.1:5222 "}, "192.0.2.1:5222", true, false},
		1: {fmt.Errorf("wrapped: %w", stream.Error{Err: "see-other-host", Content: "[2001:db8::1]:5222"}), "[2001:db8::1]:5222", true, false},
		2: {stream.Error{Err: "see-other-host"}, "", false, false},
		3: {stream.Error{Err: "see-other-host", Content: "evil host/../x"}, "", false, false},
		4: {stream.Error{Err: "conflict"}, "", false, true},
		5: {errors.New("see-other-host"), "", false, false},
		6: {stream.Error{Err: "system-shutdown"}, "", false, false},
	} {
		to, ok := seeOtherHost(tc.err)
		if to != tc.to || ok != tc.ok {
			t.Errorf("%d: seeOtherHost = %q, %v; want %q, %v", i, to, ok, tc.to, tc.ok)
		}
		if c := conflict(tc.err); c != tc.conf {
			t.Errorf("%d: conflict = %v", i, c)
		}
	}
}
