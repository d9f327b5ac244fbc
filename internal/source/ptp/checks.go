package ptp

import (
	"fmt"
	"math"

	"github.com/ntphealth/ntphealth/internal/health"
)

// The check names.
const (
	CheckPortState = "ptp_port_state"
	CheckGMPresent = "ptp_gm_present"
	CheckOffset    = "ptp_offset"
	CheckGMClass   = "ptp_gm_class"
	CheckPathDelay = "ptp_path_delay"
)

// Checks judges the reading against its Limits. Pure: no I/O, no clock.
// A ptp4l that could not be read gives one CRITICAL ptp_port_state.
func (r *Reading) Checks() []health.Check {
	if r.Error != "" {
		return []health.Check{{Name: CheckPortState, Status: health.Critical,
			Message: fmt.Sprintf("ptp4l at %s not reachable: %s", r.Socket, r.Error)}}
	}
	return []health.Check{r.checkPortState(), r.checkGMPresent(), r.checkOffset(), r.checkGMClass(), r.checkPathDelay()}
}

// stateVerdicts is the verdict on each port state (IEEE 1588-2008 9.2.5,
// Table 8) for the roles slave, master and any:
//   - the state the role wants is OK: SLAVE for a slave, MASTER for a
//     grandmaster, any of SLAVE, MASTER and PASSIVE (a boundary clock's
//     redundant port, kept from making a loop) for "any";
//   - a passing state on the way there is WARNING: INITIALIZING (start-up),
//     UNCALIBRATED (a master is chosen, the servo is locking), PRE_MASTER
//     (the qualification timeout, 9.2.6.10);
//   - a state in which this host's clock follows no master while it
//     should, or serves no time while it should, is CRITICAL: LISTENING
//     (no Announce within the announce receipt timeout), FAULTY,
//     DISABLED, and the other role's states.
var stateVerdicts = map[string][3]health.Status{
	"SLAVE":        {health.OK, health.Critical, health.OK},
	"UNCALIBRATED": {health.Warning, health.Critical, health.Warning},
	"MASTER":       {health.Critical, health.OK, health.OK},
	"GRAND_MASTER": {health.Critical, health.OK, health.OK},
	"PRE_MASTER":   {health.Critical, health.Warning, health.Warning},
	"PASSIVE":      {health.Critical, health.Critical, health.OK},
	"LISTENING":    {health.Critical, health.Critical, health.Critical},
	"INITIALIZING": {health.Warning, health.Warning, health.Warning},
	"FAULTY":       {health.Critical, health.Critical, health.Critical},
	"DISABLED":     {health.Critical, health.Critical, health.Critical},
}

func roleIndex(role string) int {
	switch role {
	case RoleMaster:
		return 1
	case RoleAny:
		return 2
	}
	return 0
}

func (r *Reading) checkPortState() health.Check {
	status := health.Critical // an unknown state
	if v, ok := stateVerdicts[r.PortState]; ok {
		status = v[roleIndex(r.Limits.Role)]
	}
	msg := fmt.Sprintf("port %s %s: %s", r.Interface, r.PortState, r.stateMeaning())
	if status != health.OK {
		if hint := r.stateHint(); hint != "" {
			msg += "; " + hint
		}
	}
	return health.Check{Name: CheckPortState, Status: status, Message: msg}
}

// stateMeaning says what the port state means (IEEE 1588-2008 9.2.5).
func (r *Reading) stateMeaning() string {
	switch r.PortState {
	case "SLAVE":
		return "follows grandmaster " + r.GMIdentity
	case "UNCALIBRATED":
		return "has chosen a master and its servo is locking"
	case "MASTER", "GRAND_MASTER":
		return "serves time to the network"
	case "PRE_MASTER":
		return "is qualifying to become master"
	case "PASSIVE":
		return "neither follows nor serves: another master is better on its path"
	case "LISTENING":
		return fmt.Sprintf("has heard no master within the announce receipt timeout (%s, IEEE 1588-2008 9.2.6.11)", health.FormatSeconds(r.AnnounceTimeoutSeconds, false))
	case "INITIALIZING":
		return "is starting"
	case "FAULTY":
		return "is faulty: ptp4l saw an error on the interface (link down? timestamping?), see its log"
	case "DISABLED":
		return "is disabled"
	}
	return "a state that IEEE 1588-2008 does not define"
}

// stateHint says what a state that is not OK means for this host's role.
func (r *Reading) stateHint() string {
	role := r.Limits.Role
	switch {
	case r.PortState == "UNCALIBRATED" && role != RoleMaster:
		return "it lasts seconds; longer means the servo cannot lock"
	case r.PortState == "INITIALIZING":
		return "it lasts a moment after ptp4l starts"
	case r.PortState == "PRE_MASTER" && role != RoleSlave:
		return "it becomes MASTER after the qualification timeout"
	case role == RoleSlave && (r.PortState == "MASTER" || r.PortState == "GRAND_MASTER" || r.PortState == "PRE_MASTER"):
		return "this host should follow a grandmaster but hears none better than itself: is the grandmaster up and reachable? (slaveOnly 1 keeps a slave from serving)"
	case role == RoleMaster && (r.PortState == "SLAVE" || r.PortState == "UNCALIBRATED"):
		return "this host should be the grandmaster, but the BMCA (IEEE 1588-2008 9.3) chose a better clock: compare priority1 and clockClass"
	case role == RoleMaster:
		return "this host serves no time (right after start a clock waits the announce receipt timeout before it becomes master; a slaveOnly clock never does)"
	default:
		return "this host's clock follows no master and runs free: is the grandmaster up and reachable?"
	}
}

// stale reports whether ptp4l's parent data set is a leftover: in these
// states no master is heard, yet ptp4l keeps the last grandmaster, its
// class and gmPresent (measured on linuxptp 3.1.1).
func (r *Reading) stale() bool {
	switch r.PortState {
	case "LISTENING", "FAULTY", "DISABLED", "INITIALIZING":
		return true
	}
	return false
}

// iAmGM reports whether this host is the grandmaster in a role that may
// be one: then offset and path delay have nothing to measure.
func (r *Reading) iAmGM() bool {
	return !r.GMPresent && r.selfGM() && r.Limits.Role != RoleSlave
}

func (r *Reading) checkGMPresent() health.Check {
	c := health.Check{Name: CheckGMPresent, Status: health.OK}
	switch {
	case r.iAmGM():
		c.Message = fmt.Sprintf("this host is the grandmaster (%s)", r.ClockIdentity)
	case !r.GMPresent:
		c.Status = health.Critical
		c.Message = fmt.Sprintf("no grandmaster: ptp4l knows no clock better than its own (%s), so this host follows none", r.ClockIdentity)
	case r.stale():
		c.Status = health.Critical
		c.Message = fmt.Sprintf("no grandmaster heard: the port is %s; ptp4l still names the last one, %s", r.PortState, r.GMIdentity)
	default:
		c.Message = fmt.Sprintf("grandmaster %s present, stepsRemoved %d", r.GMIdentity, r.StepsRemoved)
	}
	return c
}

func (r *Reading) checkOffset() health.Check {
	switch {
	case r.following():
		c := measure(CheckOffset, math.Abs(r.OffsetFromMasterSeconds), r.Limits.OffsetWarn, r.Limits.OffsetCrit)
		// ClockVersus takes RFC 5905's sign (positive: the clock named is
		// behind); offsetFromMaster is slave minus master (11.2).
		c.Message = health.ClockVersus("local clock", -r.OffsetFromMasterSeconds, "grandmaster "+r.GMIdentity) + limitNote(c)
		if r.PortState == "UNCALIBRATED" {
			c.Message += " (servo still locking)"
		}
		return c
	case r.iAmGM():
		return health.Check{Name: CheckOffset, Status: health.OK, Message: "this host is the grandmaster: it has no offset from a master"}
	}
	return health.Check{Name: CheckOffset, Status: health.Unknown,
		Message: fmt.Sprintf("no current offset: the port is %s and follows no master (ptp4l still reports the last, %s)", r.PortState, health.FormatSeconds(r.OffsetFromMasterSeconds, true))}
}

func (r *Reading) checkGMClass() health.Check {
	class := r.GMClockClass
	c := health.Check{Name: CheckGMClass, Status: health.OK, Value: ptr(float64(class)), Unit: "class"}
	who := "grandmaster " + r.GMIdentity
	if r.selfGM() {
		who = "this host, the grandmaster,"
	} else if r.stale() {
		c.Status = health.Unknown
		c.Message = fmt.Sprintf("no grandmaster heard (port %s); the last, %s, announced clockClass %d", r.PortState, r.GMIdentity, class)
		return c
	}
	kind, meaning := classMeaning(class)
	c.Message = fmt.Sprintf("%s announces clockClass %d (%s)", who, class, meaning)
	switch kind {
	case classLocked:
	case classHoldover, classDegraded, classProfile, classReserved:
		c.Status = health.Warning
	case classDefault:
		// A grandmaster with the default class declares no reference time
		// source: it serves its own oscillator's time. That is this host's
		// failure when it is (or should be) that grandmaster. A slave only
		// follows it: common where a ptp4l master is itself set by NTP
		// (phc2sys keeps class 248), so a WARNING that names it, not a
		// page.
		if r.Limits.Role == RoleMaster || r.selfGM() {
			c.Status = health.Critical
			c.Message += "; set clockClass 6 in ptp4l only while this host is locked to a primary reference (GPS)"
		} else {
			c.Status = health.Warning
			c.Message += "; this host's time is only as good as the grandmaster's own clock"
		}
	case classSlaveOnly:
		c.Status = health.Critical
	}
	return c
}

// The kinds of clockClass that are judged alike.
const (
	classLocked = iota
	classHoldover
	classDegraded
	classDefault
	classSlaveOnly
	classProfile
	classReserved
)

// classMeaning sorts a clockClass by IEEE 1588-2008 7.6.2.4, Table 5.
func classMeaning(class int) (kind int, meaning string) {
	switch {
	case class == 6:
		return classLocked, "synchronized to a primary reference time source, PTP timescale"
	case class == 13:
		return classLocked, "synchronized to an application-specific source, ARB timescale"
	case class == 7, class == 14:
		return classHoldover, "lost its reference, in holdover and within holdover specification"
	case class == 52, class == 58, class == 187, class == 193:
		return classDegraded, "degraded: lost its reference and out of holdover specification"
	case class == 248:
		return classDefault, "the default: no reference time source declared"
	case class == 255:
		return classSlaveOnly, "a slave-only clock, which never serves time, IEEE 1588-2008 9.2.2: this clock follows no grandmaster"
	case class >= 68 && class <= 122, class >= 133 && class <= 170, class >= 216 && class <= 232:
		return classProfile, "a class of an alternate PTP profile such as ITU-T G.8275.1; ntphealth judges only IEEE 1588-2008's own classes"
	}
	return classReserved, "a reserved class: is the grandmaster misconfigured?"
}

func (r *Reading) checkPathDelay() health.Check {
	switch {
	case r.iAmGM():
		return health.Check{Name: CheckPathDelay, Status: health.OK, Message: "this host is the grandmaster: no path delay to measure"}
	case !r.following():
		return health.Check{Name: CheckPathDelay, Status: health.Unknown,
			Message: fmt.Sprintf("no path delay measured: the port is %s", r.PortState)}
	}
	now := r.MeanPathDelaySeconds
	c := health.Check{Name: CheckPathDelay, Status: health.OK}
	limit := r.Limits.PathDelayJump
	prev := r.PreviousMeanPathDelaySeconds
	switch {
	case limit <= 0:
		c.Message = fmt.Sprintf("mean path delay %s (%s); the jump check is off (path_delay_jump 0)", health.FormatSeconds(now, false), r.DelayMechanism)
	case prev == nil:
		c.Message = fmt.Sprintf("mean path delay %s (%s); no earlier reading from this grandmaster to compare", health.FormatSeconds(now, false), r.DelayMechanism)
	default:
		jump := now - *prev
		c = measure(CheckPathDelay, math.Abs(jump), limit, 0)
		if c.Status == health.OK {
			c.Message = fmt.Sprintf("mean path delay %s (%s), %s since the last reading", health.FormatSeconds(now, false), r.DelayMechanism, health.FormatSeconds(jump, true))
		} else {
			c.Message = fmt.Sprintf("mean path delay jumped from %s to %s (%s) since the last reading%s: the network path changed (a hop, a link speed, a switch without PTP support); PTP assumes a symmetric path (IEEE 1588-2008 11.2), so the offset may be off by up to half the jump",
				health.FormatSeconds(*prev, false), health.FormatSeconds(now, false), health.FormatSeconds(jump, true), limitNote(c))
		}
	}
	return c
}

// measure judges value (seconds) against warn and crit; 0 turns a limit
// off and leaves it out of the check.
func measure(name string, value, warn, crit float64) health.Check {
	c := health.Check{Name: name, Status: health.OK, Value: ptr(value), Unit: "s"}
	if warn > 0 {
		c.Warn = ptr(warn)
	}
	if crit > 0 {
		c.Crit = ptr(crit)
	}
	switch {
	case crit > 0 && value > crit:
		c.Status = health.Critical
	case warn > 0 && value > warn:
		c.Status = health.Warning
	}
	return c
}

// limitNote says which limit a failed measurement crossed.
func limitNote(c health.Check) string {
	switch c.Status {
	case health.Critical:
		return fmt.Sprintf(", above the %s limit", health.FormatSeconds(*c.Crit, false))
	case health.Warning:
		return fmt.Sprintf(", above the %s limit", health.FormatSeconds(*c.Warn, false))
	}
	return ""
}

func ptr(f float64) *float64 { return &f }
