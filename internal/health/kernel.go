package health

import (
	"fmt"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// KernelPolicy holds the limits for the kernel clock checks.
type KernelPolicy struct {
	// MaxErrorWarn and MaxErrorCrit limit the kernel's maxerror (adjtimex(2)).
	MaxErrorWarn time.Duration `yaml:"max_error_warn"`
	MaxErrorCrit time.Duration `yaml:"max_error_crit"`
	// Unsync is the verdict when the kernel says unsynchronised
	// (STA_UNSYNC) and no NTP daemon answered: nothing vouches for the time.
	Unsync Status `yaml:"unsync"`
	// UnsyncWithDaemon is the verdict when STA_UNSYNC is set while an NTP
	// daemon answers: chronyd without rtcsync (or with -x) never clears it,
	// so on such hosts it says nothing about the time; the daemon's checks
	// judge it.
	UnsyncWithDaemon Status `yaml:"unsync_with_daemon"`
}

// DefaultKernelPolicy returns the documented defaults.
func DefaultKernelPolicy() KernelPolicy {
	return KernelPolicy{
		MaxErrorWarn:     100 * time.Millisecond,
		MaxErrorCrit:     time.Second,
		Unsync:           Critical,
		UnsyncWithDaemon: OK,
	}
}

// KernelChecks judges the kernel clock: "kernel_sync" (STA_UNSYNC) and
// "kernel_max_error". daemon is the NTP daemon observed in the same round,
// or nil. An unreadable kernel state is UNKNOWN.
func KernelChecks(k *observe.Kernel, daemon *observe.Daemon, p KernelPolicy) []Check {
	if k == nil {
		return nil
	}
	if k.Error != "" {
		return []Check{{Name: "kernel_sync", Status: Unknown, Message: "kernel clock state unreadable: " + k.Error}}
	}
	sync := Check{Name: "kernel_sync", Status: OK,
		Message: fmt.Sprintf("kernel clock synchronised (%s)", k.StateName)}
	if k.Unsync {
		if daemon != nil && daemon.Error == "" {
			name := daemon.Kind + "d"
			if daemon.Kind == "ntpd" {
				name = "ntpd"
			}
			sync.Status = p.UnsyncWithDaemon
			sync.Message = fmt.Sprintf("kernel clock flagged unsynchronised (STA_UNSYNC, %s) although %s answers: "+
				"the daemon does not update the kernel's status (chronyd clears it only with rtcsync, never with -x); "+
				"see the %s checks for the real state", k.StateName, name, name)
		} else {
			sync.Status = p.Unsync
			sync.Message = fmt.Sprintf("kernel clock not synchronised (STA_UNSYNC, %s) and no NTP daemon answered", k.StateName)
		}
	}
	if k.PPSSignal && (k.PPSJitter || k.PPSWander || k.PPSError) {
		sync.Message += fmt.Sprintf("; kernel PPS signal troubled (jitter %v, wander %v, error %v)", k.PPSJitter, k.PPSWander, k.PPSError)
	}

	maxErr := measure("kernel_max_error", k.MaxError, p.MaxErrorWarn.Seconds(), p.MaxErrorCrit.Seconds(), "s")
	maxErr.Message = fmt.Sprintf("kernel maximum error %s, estimated error %s", FormatSeconds(k.MaxError, false), FormatSeconds(k.EstError, false))
	if k.Unsync {
		// The kernel holds maxerror at 16 s while unsynchronised
		// (NTP_PHASE_LIMIT, kernel/time/ntp.c): kernel_sync says it already.
		maxErr.Status = OK
		maxErr.Message += ": not judged while the kernel says unsynchronised"
	} else {
		maxErr.Message += limitNote(maxErr)
	}
	return []Check{sync, maxErr}
}
