package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// daemonName is the file name of the complete program, which the lean
// build (lean.go) hands "ntphealth run" to, and "ntphealth check" when a
// push target's templates need text/template's executor, which the lean
// build leaves out (notify.TemplatesLinked).
const daemonName = "ntphealthd"

// handOver replaces this process with ntphealthd, given args: the same
// process, the same PID (systemd's MainPID), environment and open files,
// so the caller sees no difference. It returns only on failure.
func handOver(args []string) error {
	path, err := daemonPath()
	if err != nil {
		return err
	}
	err = syscall.Exec(path, append([]string{os.Args[0]}, args...), os.Environ())
	return fmt.Errorf("start %s: %w", path, err)
}

// daemonPath finds ntphealthd beside this program (a tarball, bin/) or in
// ../libexec/ntphealth/ from it (the .deb: /usr/bin/ntphealth and
// /usr/libexec/ntphealth/ntphealthd).
func daemonPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", daemonName, err)
	}
	dir := filepath.Dir(exe)
	places := []string{filepath.Join(dir, daemonName), filepath.Join(dir, "..", "libexec", "ntphealth", daemonName)}
	for _, p := range places {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s, the program that runs the daemon, is neither at %s nor at %s: install the package, or build it with go build -o %s ./cmd/ntphealth",
		daemonName, places[0], places[1], places[0])
}
