package server

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// fixedTime is the time of the fixed report (the golden files depend on it).
var fixedTime = time.Date(2026, 8, 30, 12, 0, 0, 0, time.UTC)

func f64(v float64) *float64 { return &v }

// fixedReport is a stratum-1 chronyd on a PPS refclock with a GPS refclock
// and two network servers; written out by hand so that the golden files do
// not move when health.Evaluate changes its wording.
func fixedReport() health.Report {
	return health.Report{
		Status:  health.Warning,
		Summary: "WARNING: skew 12 ppm, above the 10 ppm limit",
		Time:    fixedTime,
		Checks: []health.Check{
			{Name: "reachable", Status: health.OK, Message: "chronyd answered at 127.0.0.1:323"},
			{Name: "synchronized", Status: health.OK, Message: "synchronised to PPS, stratum 1"},
			{Name: "offset", Status: health.OK, Message: "offset +812 ns", Value: f64(8.12e-7), Unit: "s", Warn: f64(1e-3), Crit: f64(1e-2)},
			{Name: "skew", Status: health.Warning, Message: "skew 12 ppm, above the 10 ppm limit", Value: f64(12), Unit: "ppm", Warn: f64(10), Crit: f64(100)},
			{Name: "stale_source", Status: health.OK, Message: "PPS sampled 1 s ago", Value: f64(1), Unit: "s", Warn: f64(64), Crit: f64(128)},
		},
		Daemon: &observe.Daemon{
			Kind: "chrony", Address: "127.0.0.1:323", DurationSeconds: 0.0012,
			Tracking: observe.Tracking{
				RefID: "50505300", RefName: "PPS", Stratum: 1, Leap: observe.LeapNone,
				SystemOffset: 8.12e-7, LastOffset: -2.5e-7, RMSOffset: 4.1e-7,
				Frequency: -12.345, ResidualFrequency: 0.002, Skew: 12,
				RootDelay: 1e-6, RootDispersion: 2.3e-5, UpdateInterval: 16,
				RefTime: fixedTime.Add(-7 * time.Second),
			},
			Sources: []observe.Source{
				{Name: "PPS", Mode: observe.ModeRefclock, State: observe.StateSelected, Stratum: 0, Poll: 4, Reach: 0o377, SampleAge: observe.Seconds(1), Offset: 1.02e-7, OffsetError: 1e-7},
				{Name: "GPS", Mode: observe.ModeRefclock, State: observe.StateNotCombined, Stratum: 0, Poll: 4, Reach: 0o377, SampleAge: observe.Seconds(2), Offset: 0.0612, OffsetError: 2e-4},
				{Name: "ntp1.example.net", Address: "192.0.2.1", Mode: observe.ModeServer, State: observe.StateCombined, Stratum: 2, Poll: 6, Reach: 0o177, SampleAge: observe.Seconds(35), Offset: -3.1e-4, OffsetError: 1.2e-2},
				{Name: "192.0.2.2", Address: "192.0.2.2", Mode: observe.ModeServer, State: observe.StateUnreachable, Stratum: 0, Poll: 10, Reach: 0},
			},
		},
		Push: []health.PushResult{{Target: "kuma https://kuma.example/api/push/****", OK: true, Sent: "up", Attempts: 1, Time: fixedTime}},
	}
}

// historyReports is n reports 30 s apart ending at end, made by
// health.Evaluate: a PPS server with sub-microsecond offsets that loses its
// pulse for a while in the middle (falls back to a network server: offset
// and max error grow, WARNING), and whose daemon does not answer once.
func historyReports(n int, end time.Time) []health.Report {
	rng := rand.New(rand.NewPCG(1, 2))
	p := health.DefaultPolicy()
	p.Prefer = "PPS"
	out := make([]health.Report, 0, n)
	for i := range n {
		now := end.Add(-time.Duration(n-1-i) * 30 * time.Second)
		d := &observe.Daemon{Kind: "chrony", Address: "127.0.0.1:323", DurationSeconds: 0.001}
		switch {
		case i == n/5:
			d.Error = "tracking request: read udp 127.0.0.1:323: i/o timeout"
		case i > n/2 && i < n/2+n/8:
			off := 1.5e-4 + 8e-5*math.Sin(float64(i)/2) + rng.NormFloat64()*2e-5
			d.Tracking = observe.Tracking{RefID: "C0000201", RefName: "ntp1.example.net", Stratum: 3,
				SystemOffset: off, Frequency: -12.3, Skew: 0.4, RootDelay: 4.2e-3, RootDispersion: 1.1e-3}
			d.Sources = []observe.Source{
				{Name: "PPS", Mode: observe.ModeRefclock, State: observe.StateUnreachable, Poll: 0, Reach: 0o360, SampleAge: observe.Seconds(float64(30 * (i - n/2)))},
				{Name: "ntp1.example.net", Address: "192.0.2.1", Mode: observe.ModeServer, State: observe.StateSelected, Stratum: 2, Poll: 6, Reach: 0o377, SampleAge: observe.Seconds(20), Offset: off, OffsetError: 2.1e-3},
			}
		default:
			off := 3e-7*math.Sin(float64(i)/7) + rng.NormFloat64()*1.5e-7
			d.Tracking = observe.Tracking{RefID: "50505300", RefName: "PPS", Stratum: 1,
				SystemOffset: off, Frequency: -12.3, Skew: 0.02, RootDelay: 1e-9, RootDispersion: 1.5e-6 + rng.Float64()*1e-6}
			d.Sources = []observe.Source{
				{Name: "PPS", Mode: observe.ModeRefclock, State: observe.StateSelected, Poll: 0, Reach: 0o377, SampleAge: observe.Seconds(1), Offset: off, OffsetError: 1e-7},
				{Name: "ntp1.example.net", Address: "192.0.2.1", Mode: observe.ModeServer, State: observe.StateCombined, Stratum: 2, Poll: 6, Reach: 0o377, SampleAge: observe.Seconds(20), Offset: 2.1e-4, OffsetError: 2.1e-3},
			}
		}
		out = append(out, health.Evaluate(observe.Observation{Time: now, Daemon: d}, p))
	}
	return out
}

// timeStep is i check intervals of 30 s.
func timeStep(i int) time.Duration { return time.Duration(i) * 30 * time.Second }

// fmtSscan reads an "x,y" point.
func fmtSscan(p string, x, y *float64) (int, error) { return fmt.Sscanf(p, "%g,%g", x, y) }
