package health

import (
	"fmt"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// PPSPolicy holds the limits for the PPS check.
type PPSPolicy struct {
	// MaxGap is the longest time without a pulse before CRITICAL; pulses
	// come every second.
	MaxGap time.Duration `yaml:"max_gap"`
}

// DefaultPPSPolicy returns the documented defaults.
func DefaultPPSPolicy() PPSPolicy {
	return PPSPolicy{MaxGap: 2 * time.Second}
}

// ppsPeriod is the pulse period of a PPS signal, seconds (RFC 2783).
const ppsPeriod = 1.0

// PPSChecks judges a PPS device: "pps_pulses" is CRITICAL when the device is
// missing or unreadable, when the last pulse is older than MaxGap, or when
// the probe watched the sequence stay the same for a pulse period or more.
func PPSChecks(o *observe.PPS, p PPSPolicy) []Check {
	if o == nil {
		return nil
	}
	c := Check{Name: "pps_pulses", Status: Critical}
	switch {
	case o.Missing:
		c.Message = fmt.Sprintf("PPS device %s missing: %s does not exist (is its driver loaded?)", o.Device, o.Path)
		return []Check{c}
	case o.Error != "":
		c.Message = fmt.Sprintf("PPS device %s unreadable: %s", o.Device, o.Error)
		return []Check{c}
	case o.Sequence == 0 && o.AssertTime.IsZero():
		c.Message = fmt.Sprintf("no PPS pulse ever seen on %s (sequence 0): check the PPS wire and the receiver's PPS output", o.Device)
		return []Check{c}
	}
	c = measure("pps_pulses", o.GapSeconds, 0, p.MaxGap.Seconds(), "s")
	c.Warn = nil
	switch {
	case c.Status == Critical:
		c.Message = fmt.Sprintf("no PPS pulse for %s on %s (sequence %d): check the PPS wire and the receiver", formatAge(o.GapSeconds), o.Device, o.Sequence)
	case !o.Advanced && o.UnchangedSeconds >= ppsPeriod:
		c.Status = Critical
		c.Message = fmt.Sprintf("PPS sequence on %s stuck at %d for %s (last pulse %s ago)", o.Device, o.Sequence, formatAge(o.UnchangedSeconds), formatAge(o.GapSeconds))
	default:
		c.Message = fmt.Sprintf("PPS pulses arriving on %s: last %s ago, sequence %d", o.Device, FormatSeconds(o.GapSeconds, false), o.Sequence)
	}
	return []Check{c}
}
