package health

import (
	"fmt"
	"math"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// HoldoverPolicy holds what the holdover forecast needs beyond the offset
// limit it forecasts against (checks.offset_crit).
type HoldoverPolicy struct {
	// MaxClockErrorPPM is chrony.conf's maxclockerror, ppm (default 1, as
	// chronyd's): the rate chronyd adds to its dispersion for the clock's
	// own instability. It cannot be read over chronyd's command protocol,
	// so a chrony.conf that sets it must be repeated here.
	MaxClockErrorPPM float64 `yaml:"max_clock_error_ppm"`
	// Min is the least holdover budget while chronyd has a refclock
	// selected; below it the check is a WARNING (a poor oscillator, a hot
	// room). 0 turns the warning off. Network-synced hosts are not held to
	// it (their margin is the server's business), nor is ntpd, whose bound
	// grows at RFC 5905's PHI whatever the oscillator.
	Min time.Duration `yaml:"min"`
}

// DefaultHoldoverPolicy returns the documented defaults.
func DefaultHoldoverPolicy() HoldoverPolicy {
	return HoldoverPolicy{MaxClockErrorPPM: 1, Min: time.Hour}
}

// phiPPM is RFC 5905's frequency tolerance PHI, 15 ppm (section 7.2): the
// rate at which ntpd grows its dispersion.
const phiPPM = 15

// errorGrowth is how fast the daemon's maximum error grows without a
// reference, seconds per second, from its own error model: chronyd adds
// skew + |residual frequency| + maxclockerror to its root dispersion every
// second since the last update (chrony reference.c, measured here: 1.001
// ms/s with maxclockerror 1000 and skew 0.001 ppm); ntpd adds PHI, and
// clk_wander (mapped to Skew) bounds how far its frequency may wander.
func errorGrowth(kind string, t observe.Tracking, p HoldoverPolicy) float64 {
	if kind == "ntpd" {
		return (phiPPM + math.Abs(t.Skew)) * 1e-6
	}
	return (math.Abs(t.Skew) + math.Abs(t.ResidualFrequency) + p.MaxClockErrorPPM) * 1e-6
}

// checkHoldover forecasts how long the time stays within the CRITICAL
// offset limit without a reference. While the reference holds, the value
// is the budget if it were lost now; once it is lost (no source selected,
// the selected one stale, or the local clock served), the time left until
// the daemon's maximum error crosses the limit.
func checkHoldover(d *observe.Daemon, sel observe.Source, hasSel bool, stale, freeRunning Check, p Policy) Check {
	c := Check{Name: "holdover", Status: OK, Unit: "s"}
	limit := p.OffsetCrit.Seconds()
	if limit <= 0 {
		c.Message = "no forecast: checks.offset_crit is 0"
		return c
	}
	t := d.Tracking
	maxErr, rate := t.MaxError(), errorGrowth(d.Kind, t, p.Holdover)
	left := (limit - maxErr) / rate
	if left > 0 {
		c.Value = ptr(left)
	}
	lost := !hasSel || stale.Status != OK || freeRunning.Status != OK
	growth := fmt.Sprintf("growing %s/s", FormatSeconds(rate, false))
	switch {
	case lost && left <= 0:
		c.Status = Critical
		c.Message = fmt.Sprintf("reference lost: max error %s, past the %s limit (%s)",
			FormatSeconds(maxErr, false), FormatSeconds(limit, false), growth)
	case lost:
		c.Status = Warning
		c.Message = fmt.Sprintf("reference lost: max error %s reaches %s in %s (%s)",
			FormatSeconds(maxErr, false), FormatSeconds(limit, false), formatSpan(left), growth)
	case left <= 0:
		c.Message = fmt.Sprintf("no holdover margin: max error %s is above the %s limit already", FormatSeconds(maxErr, false), FormatSeconds(limit, false))
	default:
		c.Message = fmt.Sprintf("holdover %s to %s if the reference is lost now (max error %s, %s)",
			formatSpan(left), FormatSeconds(limit, false), FormatSeconds(maxErr, false), growth)
		// ntpd's bound grows at PHI whatever the oscillator, so only
		// chronyd's, which follows the measured skew, is held to Min.
		if min := p.Holdover.Min.Seconds(); min > 0 && sel.Mode == observe.ModeRefclock && d.Kind != "ntpd" {
			c.Warn = ptr(min)
			if left < min {
				c.Status = Warning
				c.Message += fmt.Sprintf(", below the %s minimum", formatSpan(min))
			}
		}
	}
	return c
}

// formatSpan prints a span of time a person plans with: "40 s", "23 min",
// "2.8 h", "3.5 d".
func formatSpan(s float64) string {
	switch {
	case s < 100:
		return fmt.Sprintf("%.0f s", s)
	case s < 100*60:
		return fmt.Sprintf("%.0f min", s/60)
	case s < 48*3600:
		return fmt.Sprintf("%.1f h", s/3600)
	default:
		return fmt.Sprintf("%.1f d", s/86400)
	}
}
