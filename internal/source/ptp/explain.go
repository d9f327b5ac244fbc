package ptp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/facebook/time/ptp/protocol"

	"github.com/ntphealth/ntphealth/internal/probe/deadline"
)

// explain turns a failed exchange with ptp4l at path into one sentence
// that says what is wrong and what to do.
func explain(err error, path string, domain uint8, timeout time.Duration, cancelled bool) string {
	step, cause := "the exchange", err
	var se *stepError
	if errors.As(err, &se) {
		step, cause = se.step, se.err
	}
	var sys *os.SyscallError
	var refusal protocol.ManagementErrorID
	switch {
	case cancelled:
		return fmt.Sprintf("%s: cancelled (ntphealth is stopping)", step)
	case errors.As(err, &sys) && sys.Syscall == "bind":
		return fmt.Sprintf("cannot create the client socket in %s (%v): ptp4l answers to a socket file of the client's, so set TMPDIR to a directory ntphealth may write to", os.TempDir(), sys.Err)
	case errors.Is(err, syscall.ENOENT):
		return fmt.Sprintf("no socket at %s: is ptp4l running? Start it, or set --ptp (ptp.socket) to its uds_address", path)
	case errors.Is(err, syscall.ECONNREFUSED):
		if fi, statErr := os.Lstat(path); statErr == nil && fi.Mode().Type() != fs.ModeSocket {
			return fmt.Sprintf("%s is not a socket: set --ptp (ptp.socket) to ptp4l's uds_address", path)
		}
		return fmt.Sprintf("%s refuses connections: a stale socket, left by a ptp4l that was killed (SIGKILL, a crash); is ptp4l running? Restart it (it replaces the file)", path)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		// ptp4l chmods its socket to 0660, owned by root (linuxptp uds.c
		// UDS_FILEMODE); linuxptp 4.0 adds a read-only one, mode 0666.
		return fmt.Sprintf("permission denied on %s: ptp4l makes its socket root's, mode 0660; run ntphealth as root, or add the unit drop-in of the README's PTP section so that ntphealth's user may use it, or with linuxptp 4.0 or later set --ptp (ptp.socket) to ptp4l's read-only socket (uds_ro_address, /var/run/ptp4lro)", path)
	case errors.Is(err, syscall.EPROTOTYPE):
		return fmt.Sprintf("%s is not a datagram socket: set --ptp (ptp.socket) to ptp4l's uds_address", path)
	case deadline.IsTimeout(err):
		return fmt.Sprintf("%s: no answer from %s within %s: is it ptp4l's uds_address, with ptp4l's domainNumber %d (set ptp.domain)? Is ptp4l stuck?", step, path, timeout, domain)
	case errors.As(err, &refusal):
		return fmt.Sprintf("ptp4l refused the %s with %s: it needs linuxptp 2.0 or later", step, refusal)
	case step == "connect":
		return fmt.Sprintf("cannot connect to %s: %v", path, cause)
	default:
		return fmt.Sprintf("%s: the answer from %s is not a ptp4l management reply (%v): is it ptp4l's uds_address?", step, path, cause)
	}
}
