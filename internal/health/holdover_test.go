package health

import (
	"math"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// TestHoldover: the budget while the reference holds, the time left once
// it is lost, and CRITICAL once the limit is crossed, from chronyd's and
// ntpd's error models.
func TestHoldover(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *observe.Daemon, p *Policy)
		status Status
		value  float64 // seconds; -1: no value
		msg    string
	}{
		{
			// (10 ms - 3.3 µs) / (0.05 + 1 ppm) = 9520 s
			name: "refclock selected: the budget", mutate: func(d *observe.Daemon, p *Policy) {},
			status: OK, value: (0.01 - 3.3e-6) / 1.05e-6, msg: "holdover 2.6 h to 10.0 ms if the reference is lost now",
		},
		{
			name: "a poor oscillator: below the minimum", mutate: func(d *observe.Daemon, p *Policy) { d.Tracking.Skew = 5 },
			status: Warning, value: (0.01 - 3.3e-6) / 6e-6, msg: "below the 60 min minimum",
		},
		{
			name: "network-synced: no minimum", mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking.Skew = 5
				d.Sources = []observe.Source{server("192.0.2.1", observe.StateSelected)}
			},
			status: OK, value: (0.01 - 3.3e-6) / 6e-6, msg: "holdover 28 min",
		},
		{
			name: "chrony.conf's maxclockerror counts", mutate: func(d *observe.Daemon, p *Policy) { p.Holdover.MaxClockErrorPPM = 10 },
			status: Warning, value: (0.01 - 3.3e-6) / 10.05e-6, msg: "holdover 17 min",
		},
		{
			name: "ntpd: RFC 5905's PHI, no minimum", mutate: func(d *observe.Daemon, p *Policy) { d.Kind = "ntpd" },
			status: OK, value: (0.01 - 3.3e-6) / 15.05e-6, msg: "holdover 11 min",
		},
		{
			name: "reference lost: time left", mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources = []observe.Source{pps(observe.StateUnreachable, 0, 60)}
				d.Tracking.RootDispersion = 4e-3
			},
			status: Warning, value: (0.01 - 4.0013e-3) / 1.05e-6, msg: "reference lost: max error 4.0 ms reaches 10.0 ms in 95 min",
		},
		{
			name: "selected source stale", mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources = []observe.Source{pps(observe.StateSelected, 0360, 9)}
			},
			status: Warning, value: (0.01 - 3.3e-6) / 1.05e-6, msg: "reference lost: max error 3.3 µs reaches 10.0 ms in 2.6 h",
		},
		{
			name: "reference lost and the limit crossed", mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources = []observe.Source{pps(observe.StateUnreachable, 0, 600)}
				d.Tracking.RootDispersion = 0.012
			},
			status: Critical, value: -1, msg: "reference lost: max error 12.0 ms, past the 10.0 ms limit",
		},
		{
			name: "synced but above the limit already", mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources = []observe.Source{server("192.0.2.1", observe.StateSelected)}
				d.Tracking.RootDelay, d.Tracking.RootDispersion = 0.03, 0.01
			},
			status: OK, value: -1, msg: "no holdover margin",
		},
		{
			name: "no offset limit", mutate: func(d *observe.Daemon, p *Policy) { p.OffsetCrit = 0 },
			status: OK, value: -1, msg: "no forecast",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, p := healthy(), DefaultPolicy()
			tt.mutate(d, &p)
			r := Evaluate(observe.Observation{Time: now, Daemon: d}, p)
			c, ok := r.Check("holdover")
			if !ok {
				t.Fatalf("no holdover check: %+v", r.Checks)
			}
			if c.Status != tt.status || !strings.Contains(c.Message, tt.msg) {
				t.Errorf("holdover %s %q, want %s containing %q", c.Status, c.Message, tt.status, tt.msg)
			}
			switch {
			case tt.value < 0 && c.Value != nil:
				t.Errorf("value %g, want none", *c.Value)
			case tt.value >= 0 && (c.Value == nil || math.Abs(*c.Value-tt.value) > 1e-6*tt.value):
				t.Errorf("value %s, want %g s", valueText(c.Value), tt.value)
			}
		})
	}
}

func valueText(v *float64) string {
	if v == nil {
		return "none"
	}
	return FormatSeconds(*v, false)
}

func TestFormatSpan(t *testing.T) {
	for s, want := range map[float64]string{40: "40 s", 1380: "23 min", 10080: "2.8 h", 302400: "3.5 d"} {
		if got := formatSpan(s); got != want {
			t.Errorf("formatSpan(%g) = %q, want %q", s, got, want)
		}
	}
}
