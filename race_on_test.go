//go:build race

package main

// raceEnabled reports whether the tests run with the race detector: the
// binary under test is then built with it too, which reuses the same
// build cache and catches data races in the real app.
const raceEnabled = true
