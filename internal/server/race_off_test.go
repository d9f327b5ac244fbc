//go:build !race

package server

// raceSlowdown scales the time bounds of tests under the race detector:
// 1 without it.
const raceSlowdown = 1
