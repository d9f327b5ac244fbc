package health

import (
	"fmt"
	"math"
	"strings"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// refidLocal is the reference ID a daemon reports when it serves its own
// clock: 127.127.1.1 (chrony's "local" directive, chrony.conf(5)), and
// "LOCL" for ntpd's local clock driver (refclock type 1).
const (
	refidLocal     = "7F7F0101"
	refidLocalNTPd = "LOCL"
)

// Evaluate judges one observation against a policy. It is pure: no I/O, and
// the only notion of time is obs.Time.
func Evaluate(obs observe.Observation, p Policy) Report {
	r := Report{Time: obs.Time, Daemon: obs.Daemon, Kernel: obs.Kernel, PPS: obs.PPS, GPS: obs.GPS}
	// Room for the daemon's checks, the kernel's and one more, which the
	// daemon adds to the report of each round (its history check): one
	// allocation in the common case.
	r.Checks = make([]Check, 0, daemonCheckCount+4)
	if d := obs.Daemon; d != nil {
		r.Checks = appendDaemonChecks(r.Checks, d, p)
	}
	r.Checks = append(r.Checks, PPSChecks(obs.PPS, p.PPS)...)
	r.Checks = append(r.Checks, GPSChecks(obs.GPS, p.GPS)...)
	r.Checks = append(r.Checks, KernelChecks(obs.Kernel, obs.Daemon, p.Kernel)...)
	for _, rd := range obs.Readings {
		if j, ok := rd.Data.(judged); ok {
			r.Checks = append(r.Checks, j.Checks()...)
		}
	}
	r.Readings = obs.Readings
	for i := range obs.Remote {
		r.Targets = append(r.Targets, evaluateTarget(&obs.Remote[i], p.Remote))
	}
	if len(r.Checks) == 0 && len(r.Targets) == 0 {
		r.Checks = append(r.Checks, Check{Name: "reachable", Status: Unknown,
			Message: "nothing was probed: name a source (--chrony, --ntpd, --gpsd, --pps, --ntp)"})
	}
	r.Status = worst(r.Checks)
	for _, t := range r.Targets {
		r.Status = Worse(r.Status, t.Status)
	}
	r.Summary = summarize(r)
	return r
}

// judged is a pluggable source's reading (source.Reading), which judges
// itself against the limits of its own config section.
type judged interface{ Checks() []Check }

// evaluateTarget judges one remote NTP server.
func evaluateTarget(o *observe.Remote, p RemotePolicy) TargetReport {
	t := TargetReport{Target: o.Target, Checks: RemoteChecks(o, p), Remote: o}
	t.Status = worst(t.Checks)
	t.Summary = t.Status.String() + ": " + t.Target
	for _, c := range t.Checks {
		if c.Status == t.Status && c.Status != OK {
			t.Summary += ": " + c.Message
			break
		}
	}
	return t
}

// worst is the most severe status of checks; OK for none.
func worst(checks []Check) Status {
	s := OK
	for _, c := range checks {
		s = Worse(s, c.Status)
	}
	return s
}

// appendDaemonChecks judges chronyd or ntpd and appends the checks to dst.
// When the daemon did not answer, the only check is "reachable": nothing
// else is known.
func appendDaemonChecks(dst []Check, d *observe.Daemon, p Policy) []Check {
	name := d.Kind + "d"
	if d.Kind == "ntpd" {
		name = "ntpd"
	}
	if d.Error != "" {
		return append(dst, Check{Name: "reachable", Status: Critical,
			Message: fmt.Sprintf("%s not reachable at %s: %s", name, d.Address, d.Error)})
	}
	t := d.Tracking
	sel, hasSel := d.Selected()
	freeRunning, stale := checkFreeRunning(d, sel, hasSel, p), checkStale(sel, hasSel, p)
	return append(dst,
		Check{Name: "reachable", Status: OK, Message: fmt.Sprintf("%s answered at %s", name, d.Address)},
		freeRunning,
		checkSynchronized(t, sel, hasSel),
		checkOffset(t, p),
		checkMaxError(t, p),
		checkPreferred(d, sel, hasSel, p),
		stale,
		checkHoldover(d, sel, hasSel, stale, freeRunning, p),
		checkSources(d, p),
		checkSkew(t, p),
		checkStratum(t.Stratum, p.StratumWarn, hasSel),
		checkLeap(t.Leap, p.LeapPending),
	)
}

// daemonCheckCount is how many checks appendDaemonChecks adds for a daemon
// that answered (Evaluate sizes its slice by it).
const daemonCheckCount = 12

func checkFreeRunning(d *observe.Daemon, sel observe.Source, hasSel bool, p Policy) Check {
	c := Check{Name: "free_running", Status: OK, Message: "time comes from a real source"}
	local := (!hasSel && (d.Tracking.RefID == refidLocal || d.Tracking.RefID == refidLocalNTPd)) ||
		(hasSel && isLocalDriver(sel))
	if !local {
		if !hasSel {
			c.Message = "no source selected, not serving the local clock either"
		}
		return c
	}
	reachable := 0
	for _, s := range d.Sources {
		if s.Reach != 0 && !isLocalDriver(s) {
			reachable++
		}
	}
	why := "no source reachable"
	if reachable > 0 {
		why = fmt.Sprintf("%d source(s) reachable but none selectable", reachable)
	}
	c.Status = p.FreeRunning
	c.Message = fmt.Sprintf("free-running on local clock (%s)", why)
	return c
}

// isLocalDriver reports ntpd's undisciplined local clock driver (LOCAL(0),
// 127.127.1.x; ntp.conf(5) "refclock local").
func isLocalDriver(s observe.Source) bool {
	return strings.HasPrefix(s.Name, "LOCAL(") || strings.HasPrefix(s.Address, "127.127.1.") ||
		(s.Mode == observe.ModeRefclock && strings.EqualFold(s.Name, refidLocalNTPd))
}

func checkSynchronized(t observe.Tracking, sel observe.Source, hasSel bool) Check {
	c := Check{Name: "synchronized", Status: Critical}
	switch {
	case t.Leap == observe.LeapNotInSync:
		c.Message = "not synchronised (leap status: not synchronised)"
	case t.Stratum >= 16 || t.Stratum == 0:
		c.Message = fmt.Sprintf("not synchronised (stratum %d)", t.Stratum)
	case !hasSel:
		c.Message = "not synchronised to any source (no source selected)"
	default:
		c.Status = OK
		c.Message = fmt.Sprintf("synchronised to %s, stratum %d", sel.Label(), t.Stratum)
	}
	return c
}

func checkOffset(t observe.Tracking, p Policy) Check {
	c := measure("offset", math.Abs(t.SystemOffset), p.OffsetWarn.Seconds(), p.OffsetCrit.Seconds(), "s")
	c.Message = ClockVersus("system clock", t.SystemOffset, "the reference time") + limitNote(c)
	return c
}

func checkMaxError(t observe.Tracking, p Policy) Check {
	me := t.MaxError()
	c := measure("max_error", me, p.MaxErrorWarn.Seconds(), p.MaxErrorCrit.Seconds(), "s")
	c.Message = fmt.Sprintf("maximum error %s (|offset| + root delay/2 + root dispersion)", FormatSeconds(me, false)) + limitNote(c)
	return c
}

// limitNote says which limit a failed measurement crossed.
func limitNote(c Check) string {
	var lim float64
	switch c.Status {
	case Critical:
		lim = *c.Crit
	case Warning:
		lim = *c.Warn
	default:
		return ""
	}
	if c.Unit == "s" {
		return fmt.Sprintf(", above the %s limit", FormatSeconds(lim, false))
	}
	return fmt.Sprintf(", above the %g %s limit", lim, c.Unit)
}

// checkPreferred demands that the preferred source (Policy.Prefer, else any
// refclock) is the selected one: a PPS server that fell back to network
// servers is degraded even though it is synchronised.
func checkPreferred(d *observe.Daemon, sel observe.Source, hasSel bool, p Policy) Check {
	c := Check{Name: "preferred_source", Status: OK}
	var want []observe.Source
	for _, s := range d.Sources {
		if p.Prefer != "" && (strings.EqualFold(s.Name, p.Prefer) || strings.EqualFold(s.Address, p.Prefer)) {
			want = append(want, s)
		}
		if p.Prefer == "" && s.Mode == observe.ModeRefclock && !isLocalDriver(s) {
			want = append(want, s)
		}
	}
	if len(want) == 0 {
		if p.Prefer != "" {
			c.Status = Warning
			c.Message = fmt.Sprintf("preferred source %s is not configured in %s", p.Prefer, d.Kind)
			return c
		}
		c.Message = "no refclock configured and no preferred source set"
		return c
	}
	for _, s := range want {
		if s.State == observe.StateSelected {
			c.Message = fmt.Sprintf("%s selected", s.Label())
			return c
		}
	}
	parts := make([]string, len(want))
	for i, s := range want {
		age := "no sample yet"
		if s.SampleAge != nil {
			age = fmt.Sprintf("last sample %s ago", formatAge(*s.SampleAge))
		}
		parts[i] = fmt.Sprintf("%s not selected (reach %o, %s)", s.Label(), s.Reach, age)
	}
	c.Status = Warning
	c.Message = strings.Join(parts, ", ")
	if hasSel {
		c.Message += "; synced to " + sel.Label()
	} else {
		c.Message += "; no source selected"
	}
	return c
}

// checkStale catches a selected source that stopped delivering samples:
// chronyd keeps a dead refclock selected for 128 s or more.
func checkStale(sel observe.Source, hasSel bool, p Policy) Check {
	c := Check{Name: "stale_source", Status: OK}
	if !hasSel {
		c.Message = "no source selected"
		return c
	}
	if sel.SampleAge == nil {
		c.Message = fmt.Sprintf("selected source %s: no sample yet", sel.Label())
		return c
	}
	age := *sel.SampleAge
	poll := sel.PollInterval()
	warn := p.StalePolls * poll
	c = measure("stale_source", age, warn, 2*warn, "s")
	c.Message = fmt.Sprintf("selected source %s: last sample %s ago (poll %s)", sel.Label(), formatAge(age), formatAge(poll))
	polls := p.StalePolls
	if c.Status == Critical {
		polls *= 2
	}
	if c.Status != OK {
		c.Message = fmt.Sprintf("selected source %s stale: last sample %s ago, more than %g polls of %s",
			sel.Label(), formatAge(age), polls, formatAge(poll))
	}
	return c
}

func checkSources(d *observe.Daemon, p Policy) Check {
	n := 0
	for _, s := range d.Sources {
		if s.State.Selectable() && s.Reach != 0 {
			n++
		}
	}
	c := Check{Name: "sources", Status: OK, Value: ptr(float64(n)), Unit: "sources"}
	c.Message = fmt.Sprintf("%d of %d sources selectable", n, len(d.Sources))
	if n < p.MinSources {
		c.Status = Warning
		c.Message += fmt.Sprintf(", fewer than the %d required", p.MinSources)
	}
	// Names not resolved yet are not sources (chronyc sources hides them)
	// but explain why there are fewer than configured.
	for _, u := range d.Unresolved {
		c.Message += "; " + u.String()
	}
	return c
}

func checkSkew(t observe.Tracking, p Policy) Check {
	c := measure("skew", t.Skew, p.SkewWarn, p.SkewCrit, "ppm")
	c.Message = fmt.Sprintf("frequency %+.3f ppm, skew %.3f ppm", t.Frequency, t.Skew) + limitNote(c)
	return c
}

// checkStratum warns when stratum is above warnAbove (0 turns it off);
// judged is false when the stratum means nothing (no source selected, or a
// server's 16 that synchronized already reports).
func checkStratum(stratum, warnAbove int, judged bool) Check {
	c := Check{Name: "stratum", Status: OK, Value: ptr(float64(stratum)), Unit: "stratum",
		Message: fmt.Sprintf("stratum %d", stratum)}
	if judged && warnAbove > 0 && stratum > warnAbove {
		c.Status = Warning
		c.Message += fmt.Sprintf(", above the limit of %d", warnAbove)
	}
	return c
}

// checkLeap reports an announced leap second with the pending verdict.
func checkLeap(leap observe.Leap, pending Status) Check {
	c := Check{Name: "leap", Status: OK, Message: "no leap second pending"}
	switch leap {
	case observe.LeapInsert, observe.LeapDelete:
		c.Status = pending
		c.Message = "leap second pending: " + leap.String()
	case observe.LeapNotInSync:
		c.Message = "leap status unknown: not synchronised"
	}
	return c
}

// formatAge prints seconds as "40 s", a fraction below 10 s as "0.5 s".
func formatAge(s float64) string {
	if s < 0 {
		return "never"
	}
	if s < 10 && s != math.Trunc(s) {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%.0f s", s)
}
