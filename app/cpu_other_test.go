//go:build !unix

package app_test

import "time"

// cpuTime is not measured here; benchmarks then report no CPU figure.
func cpuTime() time.Duration { return 0 }
