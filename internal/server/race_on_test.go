//go:build race

package server

// raceSlowdown scales the time bounds of tests under the race detector,
// which runs this package's code (SQLite's included) some 8 times slower.
const raceSlowdown = 8
