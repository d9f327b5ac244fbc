package server

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/history"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// monthReport is one synthetic round at t of a PPS stratum-1 server: white
// PPS jitter, a daily temperature swing in frequency and offset, and, while
// lost, a fall-back to a network server (offset and max error grow,
// WARNING).
func monthReport(t time.Time, rng *rand.Rand, lost bool) health.Report {
	day := 2 * math.Pi * float64(t.Unix()%86400) / 86400
	r := health.Report{Time: t, Status: health.OK, Summary: "OK: PPS* stratum 1"}
	tr := observe.Tracking{RefID: "50505300", RefName: "PPS", Stratum: 1,
		SystemOffset: 1.5e-7*rng.NormFloat64() + 2e-7*math.Sin(day),
		Frequency:    -12.3 + 0.08*math.Sin(day), Skew: 0.02 + 0.01*rng.Float64(),
		RootDelay: 1e-9, RootDispersion: 1.5e-6 + 1e-6*rng.Float64()}
	pps := observe.Source{Name: "PPS", Mode: observe.ModeRefclock, State: observe.StateSelected, Reach: 0o377, SampleAge: observe.Seconds(1), Offset: tr.SystemOffset, OffsetError: 1e-7}
	ntp := observe.Source{Name: "ntp1.example.net", Address: "192.0.2.1", Mode: observe.ModeServer, State: observe.StateCombined, Stratum: 2, Poll: 6, Reach: 0o377,
		SampleAge: observe.Seconds(20), Offset: 2.1e-4 + 6e-5*rng.NormFloat64(), OffsetError: 2.1e-3}
	gps := observe.Source{Name: "GPS", Mode: observe.ModeRefclock, State: observe.StateNotCombined, Reach: 0o377, SampleAge: observe.Seconds(1), Offset: 0.0612 + 2e-3*rng.NormFloat64(), OffsetError: 2e-4}
	if lost {
		r.Status, r.Summary = health.Warning, "WARNING: PPS not selected, synced to ntp1.example.net"
		tr.RefID, tr.RefName, tr.Stratum = "C0000201", "ntp1.example.net", 3
		tr.SystemOffset = 1.5e-4 + 5e-5*rng.NormFloat64()
		tr.RootDelay, tr.RootDispersion = 4.2e-3, 1.1e-3
		pps.State, pps.SampleAge = observe.StateUnreachable, nil
		ntp.State, ntp.Offset = observe.StateSelected, tr.SystemOffset
	}
	r.Daemon = &observe.Daemon{Kind: "chrony", Address: "127.0.0.1:323", Tracking: tr, Sources: []observe.Source{pps, gps, ntp}}
	r.Checks = []health.Check{
		{Name: "synchronized", Status: health.OK, Message: "synchronised to " + tr.RefName + ", stratum " + string(rune('0'+tr.Stratum))},
		{Name: "offset", Status: health.OK, Message: health.ClockVersus("clock", tr.SystemOffset, "the reference time")},
	}
	if lost {
		r.Checks = append(r.Checks, health.Check{Name: "preferred_source", Status: health.Warning, Message: "PPS not selected, synced to ntp1.example.net"})
	}
	r.Checks = append(r.Checks, health.Check{Name: "holdover", Status: health.OK, Message: "holdover 14 h to 10 ms if PPS is lost now", Value: f64(14 * 3600), Unit: "s"})
	return r
}

// monthStore is a store, with its file in a temporary directory (a
// memory-only store keeps 7 days), holding days of history ending at end:
// one round a minute up to the last 48 h, then every interval (the same
// minute rows a full minute makes, much faster to build). The PPS is lost
// for three hours twelve days before the end and for twenty minutes five
// hours before it.
func monthStore(tb testing.TB, days int, interval time.Duration, end time.Time) *history.Store {
	st := history.Open(tb.TempDir(), history.Options{})
	tb.Cleanup(func() { st.Close() })
	fillMonth(st, days, interval, end)
	return st
}

func fillMonth(st *history.Store, days int, interval time.Duration, end time.Time) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	raw := end.Add(-history.RoundsKept)
	lost1 := end.Add(-12 * 24 * time.Hour)
	lost2 := end.Add(-5 * time.Hour)
	lostAt := func(t time.Time) bool {
		return (!t.Before(lost1) && t.Before(lost1.Add(3*time.Hour))) || (!t.Before(lost2) && t.Before(lost2.Add(20*time.Minute)))
	}
	for t := start; t.Before(raw); t = t.Add(time.Minute) {
		st.Record(monthReport(t, rng, lostAt(t)))
	}
	for t := raw; !t.After(end); t = t.Add(interval) {
		st.Record(monthReport(t, rng, lostAt(t)))
	}
}

// monthState is a State showing a month of history, its latest report the
// last round.
func monthState(tb testing.TB, end time.Time) *State {
	st := NewStateWith(monthStore(tb, 30, 30*time.Second, end))
	rep := monthReport(end, rand.New(rand.NewPCG(5, 6)), false)
	rep.Summary = "OK: PPS* stratum 1, clock 212 ns behind reference, max error 2.6 µs"
	st.Update(rep)
	return st
}
