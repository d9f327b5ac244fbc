package health

import (
	"fmt"
	"math"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// Check is one named judgement.
type Check struct {
	// Name is stable ("offset", "stale_source"); see the README for the list.
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Message is one sentence a person can act on.
	Message string `json:"message"`
	// Value is what was observed, in Unit; Warn and Crit its limits. Absent
	// when the check is not a measurement.
	Value *float64 `json:"value,omitempty"`
	Unit  string   `json:"unit,omitempty"`
	Warn  *float64 `json:"warn,omitempty"`
	Crit  *float64 `json:"crit,omitempty"`
}

// Report is the verdict of one round: the worst check, every check, and what
// was observed.
type Report struct {
	Status Status `json:"status"`
	// Summary is the one line that is pushed ("OK: PPS* stratum 1, clock 0.8 µs behind reference, ...").
	Summary string    `json:"summary"`
	Time    time.Time `json:"time"`
	Checks  []Check   `json:"checks"`
	// Daemon is the observed daemon state (tracking and sources).
	Daemon *observe.Daemon `json:"daemon,omitempty"`
	// Targets are the remote NTP servers checked from here (--ntp), each
	// with its own checks; their worst status counts in Status.
	Targets []TargetReport `json:"targets,omitempty"`
	// Observation holds what the other probes saw (kernel, pps, gps, remote).
	Kernel *observe.Kernel `json:"kernel,omitempty"`
	PPS    *observe.PPS    `json:"pps,omitempty"`
	GPS    *observe.GPS    `json:"gps,omitempty"`
	// Push lists how the report was delivered to each push target. A failed
	// push never changes Status.
	Push []PushResult `json:"push,omitempty"`
	// Readings are what the pluggable sources saw; in JSON each is a key of
	// the report under its name ("ptp": {...}), see MarshalJSON.
	Readings []observe.Reading `json:"-"`
}

// TargetReport is the verdict on one remote NTP server.
type TargetReport struct {
	Target  string          `json:"target"`
	Status  Status          `json:"status"`
	Summary string          `json:"summary"`
	Checks  []Check         `json:"checks"`
	Remote  *observe.Remote `json:"remote"`
}

// PushResult is the outcome of delivering one report to one push target.
type PushResult struct {
	// Target names the target with its secret hidden ("kuma https://kuma.example/api/push/****").
	Target string `json:"target"`
	OK     bool   `json:"ok"`
	// Sent is what the target was told ("up", "down", "fail", ...).
	Sent     string `json:"sent,omitempty"`
	Attempts int    `json:"attempts"`
	// Error says why the push failed and what to do; empty when OK.
	Error string    `json:"error,omitempty"`
	Time  time.Time `json:"time"`
}

// Check returns the named check, if the report has it.
func (r *Report) Check(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

func ptr(f float64) *float64 { return &f }

// measure fills a check from a value and its warn/crit limits (value > limit
// fails); the message is built by the caller.
func measure(name string, value, warn, crit float64, unit string) Check {
	c := Check{Name: name, Status: OK, Value: ptr(value), Unit: unit, Warn: ptr(warn), Crit: ptr(crit)}
	switch {
	case crit > 0 && value > crit:
		c.Status = Critical
	case warn > 0 && value > warn:
		c.Status = Warning
	}
	return c
}

// ClockVersus says in words which clock is ahead: "local clock 500.0 ms
// behind 192.0.2.1", "system clock 1.6 µs ahead of the reference time". The
// offset has RFC 5905's sign (theta: positive when the clock named is behind
// the other), as every offset in observe.
func ClockVersus(clock string, offset float64, other string) string {
	size := FormatSeconds(math.Abs(offset), false)
	switch {
	case size == "0 ns":
		return fmt.Sprintf("%s in step with %s (0 ns)", clock, other)
	case offset > 0:
		return fmt.Sprintf("%s %s behind %s", clock, size, other)
	default:
		return fmt.Sprintf("%s %s ahead of %s", clock, size, other)
	}
}

// FormatSeconds prints a duration in seconds with the unit a person expects:
// ns, µs, ms or s, three significant digits; signed when signed is true.
func FormatSeconds(s float64, signed bool) string {
	a := math.Abs(s)
	var v float64
	var unit string
	switch {
	case a < 0.5e-9: // below the nanosecond: no sign, no "-0.0"
		return "0 ns"
	case a < 1e-6:
		v, unit = s*1e9, "ns"
	case a < 1e-3:
		v, unit = s*1e6, "µs"
	case a < 1:
		v, unit = s*1e3, "ms"
	default:
		v, unit = s, "s"
	}
	prec := 1
	if math.Abs(v) >= 100 {
		prec = 0
	}
	if signed {
		return fmt.Sprintf("%+.*f %s", prec, v, unit)
	}
	return fmt.Sprintf("%.*f %s", prec, v, unit)
}
