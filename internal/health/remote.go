package health

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// RemotePolicy holds the limits for a remote NTP server checked from here
// (--ntp, /probe). The offset is the local clock against the server's, so it
// includes this host's own error and up to half the round trip of path
// asymmetry: the defaults are looser than for the local daemon.
type RemotePolicy struct {
	// OffsetWarn and OffsetCrit limit |offset|.
	OffsetWarn time.Duration `yaml:"offset_warn"`
	OffsetCrit time.Duration `yaml:"offset_crit"`
	// MaxErrorWarn and MaxErrorCrit limit |offset| + root distance
	// ((round trip + root delay)/2 + root dispersion, RFC 5905 A.5.5.2).
	MaxErrorWarn time.Duration `yaml:"max_error_warn"`
	MaxErrorCrit time.Duration `yaml:"max_error_crit"`
	// StratumWarn: a stratum above it is a WARNING; 0 turns the check off.
	StratumWarn int `yaml:"stratum_warn"`
	// FreeRunning is the verdict when the server serves its own clock.
	FreeRunning Status `yaml:"free_running"`
	// LeapPending is the verdict when the server announces a leap second.
	LeapPending Status `yaml:"leap_pending"`
}

// DefaultRemotePolicy returns the documented defaults.
func DefaultRemotePolicy() RemotePolicy {
	return RemotePolicy{
		OffsetWarn:   10 * time.Millisecond,
		OffsetCrit:   100 * time.Millisecond,
		MaxErrorWarn: 100 * time.Millisecond,
		MaxErrorCrit: time.Second,
		StratumWarn:  6,
		FreeRunning:  Critical,
		LeapPending:  OK,
	}
}

// kissMeaning explains the kiss codes a server sends to a client (RFC 5905
// figure 13).
var kissMeaning = map[string]string{
	"RATE": "rate exceeded: query it less often (fewer samples, a longer interval)",
	"DENY": "access denied: ask its operator to allow this host",
	"RSTR": "access denied by restriction: ask its operator to allow this host",
	"AUTH": "authentication failed",
	"AUTO": "autokey sequence failed",
	"CRYP": "cryptographic authentication failed",
	"NKEY": "no key found",
	"INIT": "association not yet synchronised",
	"STEP": "server is stepping its clock",
}

func kissText(code string) string {
	if m, ok := kissMeaning[code]; ok {
		return fmt.Sprintf("kiss-o'-death %s (%s)", code, m)
	}
	return fmt.Sprintf("kiss-o'-death %s", code)
}

// RemoteChecks judges one remote NTP server with the names used for the
// local daemon where they apply: "reachable", "synchronized", "free_running",
// "offset", "max_error", "stratum", "leap". A server that gave no usable
// reply gets only the checks that can be known. nil yields nothing.
func RemoteChecks(r *observe.Remote, p RemotePolicy) []Check {
	if r == nil {
		return nil
	}
	if r.Error != "" {
		return []Check{{Name: "reachable", Status: Critical,
			Message: fmt.Sprintf("ntp server %s not usable: %s", r.Target, r.Error)}}
	}
	reach := Check{Name: "reachable", Status: OK, Value: ptr(r.RTT), Unit: "s",
		Message: fmt.Sprintf("ntp server %s (%s) answered %d of %d queries, round trip %s",
			r.Target, r.Address, r.SamplesAnswered, r.SamplesSent, FormatSeconds(r.RTT, false))}
	if !r.Answered() {
		reach.Value, reach.Unit = nil, ""
		reach.Message = fmt.Sprintf("ntp server %s (%s) answered with a kiss-o'-death", r.Target, r.Address)
		return []Check{reach, {Name: "synchronized", Status: Critical,
			Message: fmt.Sprintf("ntp server %s refuses to serve time: %s", r.Target, kissText(r.KissCode))}}
	}
	if r.KissCode != "" {
		reach.Status = Warning
		reach.Message += ", then sent " + kissText(r.KissCode)
	}
	return []Check{
		reach,
		remoteSynchronized(r),
		remoteFreeRunning(r, p),
		remoteOffset(r, p),
		remoteMaxError(r, p),
		checkStratum(r.Stratum, p.StratumWarn, r.Stratum < 16),
		checkLeap(r.Leap, p.LeapPending),
	}
}

func remoteSynchronized(r *observe.Remote) Check {
	c := Check{Name: "synchronized", Status: Critical}
	switch {
	case r.Leap == observe.LeapNotInSync:
		c.Message = fmt.Sprintf("ntp server %s not synchronised (leap indicator 3)", r.Target)
	case r.Stratum == 0 || r.Stratum >= 16:
		c.Message = fmt.Sprintf("ntp server %s not synchronised (stratum %d)", r.Target, r.Stratum)
	case r.ValidateError != "":
		c.Message = fmt.Sprintf("ntp server %s answers with time unfit for synchronisation: %s", r.Target, r.ValidateError)
	default:
		c.Status = OK
		c.Message = fmt.Sprintf("ntp server %s synchronised, stratum %d, reference %s", r.Target, r.Stratum, refLabel(r))
	}
	return c
}

// refLabel is how a person names the server's reference: "PPS",
// "C0000201 (192.0.2.1)".
func refLabel(r *observe.Remote) string {
	if r.RefName != "" {
		return fmt.Sprintf("%s (%s)", r.RefID, r.RefName)
	}
	return r.RefID
}

// refidLocalPrefix is 127.127.1.x in hex: the reference ID a server sends
// when it serves its own clock: chrony's "local" sends 127.127.1.1
// (chrony.conf(5)), ntpd's local clock driver 127.127.1.u for unit u
// (measured with ntpsec 1.2.2: 7F7F0100, at the driver's stratum + 1).
const refidLocalPrefix = "7F7F01"

// remoteFreeRunning catches a server that serves its own undisciplined clock
// while claiming to be synchronised.
func remoteFreeRunning(r *observe.Remote, p RemotePolicy) Check {
	c := Check{Name: "free_running", Status: OK, Message: "time comes from a real source"}
	local := (len(r.RefID) == 8 && strings.HasPrefix(r.RefID, refidLocalPrefix)) || r.RefID == refidLocalNTPd
	if local && r.Stratum != 0 {
		c.Status = p.FreeRunning
		c.Message = fmt.Sprintf("ntp server %s serves its own free-running clock (reference %s)", r.Target, refLabel(r))
	}
	return c
}

func remoteOffset(r *observe.Remote, p RemotePolicy) Check {
	c := measure("offset", math.Abs(r.Offset), p.OffsetWarn.Seconds(), p.OffsetCrit.Seconds(), "s")
	c.Message = ClockVersus("local clock", r.Offset, r.Target) + limitNote(c)
	return c
}

func remoteMaxError(r *observe.Remote, p RemotePolicy) Check {
	me := r.MaxError()
	c := measure("max_error", me, p.MaxErrorWarn.Seconds(), p.MaxErrorCrit.Seconds(), "s")
	c.Message = fmt.Sprintf("maximum error %s (|offset| + root distance)", FormatSeconds(me, false)) + limitNote(c)
	return c
}
