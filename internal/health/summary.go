package health

import (
	"fmt"
	"strings"
)

// summarize writes the one line that is pushed: for OK the essentials
// ("OK: PPS* stratum 1, clock 0.8 µs behind reference, max error 3.1 µs"), otherwise the
// message of the first check with the worst status. Checks are ordered so
// that the most specific cause comes first (free_running before
// synchronized); every other failing check is in the full report.
func summarize(r Report) string {
	if r.Status == OK {
		return "OK: " + essentials(r)
	}
	for _, c := range r.Checks {
		if c.Status == r.Status {
			return r.Status.String() + ": " + c.Message
		}
	}
	for _, t := range r.Targets {
		if t.Status == r.Status {
			return t.Summary
		}
	}
	return r.Status.String()
}

// essentials names the selected source, stratum, offset and max error.
func essentials(r Report) string {
	d := r.Daemon
	if d == nil || d.Error != "" {
		var parts []string
		for _, c := range r.Checks {
			parts = append(parts, c.Message)
		}
		if len(r.Targets) > 0 {
			parts = append(parts, fmt.Sprintf("%d NTP server(s) fine", len(r.Targets)))
		}
		return strings.Join(parts, "; ")
	}
	var parts []string
	if sel, ok := d.Selected(); ok {
		parts = append(parts, fmt.Sprintf("%s* stratum %d", sel.Label(), d.Tracking.Stratum))
	} else {
		parts = append(parts, fmt.Sprintf("stratum %d", d.Tracking.Stratum))
	}
	parts = append(parts,
		ClockVersus("clock", d.Tracking.SystemOffset, "reference"),
		"max error "+FormatSeconds(d.Tracking.MaxError(), false))
	return strings.Join(parts, ", ")
}
