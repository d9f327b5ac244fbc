// Command ntphealth tells whether this machine's time is trustworthy and says
// so where people look: an exit code, a push URL, an HTTP endpoint.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/ntphealth/ntphealth/internal/health"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

const usage = `ntphealth: is this machine's time trustworthy?

Usage:
  ntphealth check [flags]   check once, print a report, push, exit 0/1/2/3
  ntphealth run [flags]     the daemon: check every interval, push, serve /health /metrics /
  ntphealth version         print the version

Run "ntphealth check --help" for the flags.
`

func main() {
	// check keeps the default actions of SIGINT and SIGTERM, which end it at
	// once as they end any one-shot command; os/signal's handling would
	// start threads of its own at every run of a timer's check. run (the
	// daemon) finishes its work and exits 0 on them.
	ctx, stop := context.Background(), context.CancelFunc(func() {})
	if len(os.Args) >= 2 && os.Args[1] == "check" {
		// A check's goroutines wait on the network, not on the CPU: on one
		// P they take turns without a second thread to wake for each of
		// them, nor a second set of heap spans to fault in. Measured with
		// bench/oneshot.sh on 2 CPUs: 1 ms of CPU less (of some 24), the
		// same wall time. The daemon keeps every CPU. The lean build is on
		// one P already, from its first package inits (internal/oneproc).
		runtime.GOMAXPROCS(1)
	}
	if len(os.Args) < 2 || os.Args[1] != "check" {
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and maps its outcome to an exit code: the
// verdict's Nagios code, or 3 (UNKNOWN) for a usage or config error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return int(health.Unknown)
	}
	var (
		status health.Status
		err    error
	)
	switch args[0] {
	case "check":
		status, err = cmdCheck(ctx, args[1:], stdout, stderr)
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "ntphealth", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "ntphealth:", err)
		return int(health.Unknown)
	}
	return int(status)
}
