// Package faults holds the fault and security tests of the real ntphealth
// binary: chronyd absent, stopped, answering garbage or slowly; push targets
// that refuse, fail, hang or answer with the wrong thing; config files that
// are missing, unreadable, invalid or changed under a running daemon; and a
// push token planted everywhere a user may put it and then looked for in
// everything ntphealth writes. Everything runs on loopback.
//
// The package has no code of its own; its tests are in the _test.go files.
package faults
