//go:build lean

package main

import (
	"context"
	"io"

	// One P from the first package inits on (internal/oneproc).
	_ "github.com/ntphealth/ntphealth/internal/oneproc"
)

// The lean build of ntphealth (go build -tags lean ./cmd/ntphealth, what
// the packages install as /usr/bin/ntphealth) is the one-shot check alone:
// it links neither the daemon nor its dependencies (the HTTP server, the
// Prometheus client, the status page, the history store), whose package
// initialisation would otherwise run, and whose code would be mapped, at
// every start of a timer's check. "ntphealth run" hands over to ntphealthd,
// the complete program (handover.go).

// cmdRun is "ntphealth run": ntphealthd runs it, in this process.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return handOver(append([]string{"run"}, args...))
}
