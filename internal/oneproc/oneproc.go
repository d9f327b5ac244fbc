// Package oneproc puts the process on one P (runtime.GOMAXPROCS(1)) from
// its init, before the other packages' inits run. The lean ntphealth
// imports it (cmd/ntphealth/lean.go): all it does in its own process is
// the one-shot check, whose goroutines wait on the network, not on the
// CPU. main's runtime.GOMAXPROCS(1) for check comes after every package's
// init: by then the main goroutine has often run on the second P, which a
// change to one P must flush (some 70 fresh pages of the heap's span lists,
// touched at every start), and the inits have faulted in a second P's heap
// spans. This package imports runtime alone, so it is initialised among
// the very first (TestLeanOneProcFirst).
package oneproc

import "runtime"

func init() { runtime.GOMAXPROCS(1) }
