//go:build race

package views

// raceSlowdown is how much slower the race detector makes the UI code;
// time bounds meant for release builds are multiplied by it.
const raceSlowdown = 10
