package ntpd

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/ntpdtest"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// These tests run Debian's ntpsec 1.2.2 (scripts/fetch-ntpsec.sh) in
// namespaces of its own; see internal/ntpdtest.

// observeIn probes the test ntpd from inside its network namespace.
func observeIn(t *testing.T, d *ntpdtest.Daemon) *observe.Daemon {
	t.Helper()
	var got *observe.Daemon
	d.InNetns(func() {
		got = Probe{Address: ntpdtest.Address, Timeout: time.Second}.Observe(context.Background())
	})
	return got
}

func evaluate(d *observe.Daemon) health.Report {
	return health.Evaluate(observe.Observation{Time: time.Now(), Daemon: d}, health.DefaultPolicy())
}

func check(r health.Report, name string) health.Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return health.Check{Name: name, Status: health.Unknown, Message: "missing"}
}

// waitFor probes every 250 ms until ok accepts the observation or limit
// passes, and returns the last observation and the time it took.
func waitFor(t *testing.T, d *ntpdtest.Daemon, limit time.Duration, ok func(*observe.Daemon, health.Report) bool) (*observe.Daemon, health.Report, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		got := observeIn(t, d)
		r := evaluate(got)
		if ok(got, r) {
			return got, r, time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("condition not reached in %s; last report: %s\nobservation: %+v", limit, r.Summary, got)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestSHMSyncedThenLost: ntpd synchronises to a SHM refclock the test
// feeds; when the feed stops, the verdict turns stale or unsynchronised.
func TestSHMSyncedThenLost(t *testing.T) {
	t.Parallel()
	d := ntpdtest.Start(t, ntpdtest.Config{SHM: true})

	// Nothing fed yet: ntpd says leap=11, stratum=16, refid=INIT.
	got := observeIn(t, d)
	if got.Error != "" {
		t.Fatalf("probe error: %s", got.Error)
	}
	capture(t, d, "unsynced")
	if got.Tracking.Leap != observe.LeapNotInSync || got.Tracking.Stratum != 16 || got.Tracking.RefID != "INIT" {
		t.Errorf("before any sample: leap %v stratum %d refid %q, want not synchronised, 16, INIT",
			got.Tracking.Leap, got.Tracking.Stratum, got.Tracking.RefID)
	}
	if r := evaluate(got); check(r, "synchronized").Status != health.Critical {
		t.Errorf("before any sample: synchronized = %v (%s), want CRITICAL", check(r, "synchronized").Status, check(r, "synchronized").Message)
	}
	if len(got.Sources) != 1 || got.Sources[0].Name != "SHM(0)" || got.Sources[0].Mode != observe.ModeRefclock ||
		got.Sources[0].SampleAge != nil {
		t.Errorf("before any sample: sources %+v, want one refclock SHM(0) with no sample", got.Sources)
	}

	// The reference is 0.4 ms ahead of the local clock (within the 1 ms
	// offset limit: ntpd cannot correct the clock without CAP_SYS_TIME):
	// the local clock is behind, a negative offset in observe's sign.
	const ahead = 400 * time.Microsecond
	feeder := d.Feed(500*time.Millisecond, ahead)
	got, r, took := waitFor(t, d, 30*time.Second, func(o *observe.Daemon, r health.Report) bool {
		return o.Error == "" && r.Status == health.OK
	})
	t.Logf("synced (OK) after %s: %s", took.Round(time.Millisecond), r.Summary)
	capture(t, d, "synced")
	sel, ok := got.Selected()
	if !ok || sel.Name != "SHM(0)" || sel.Mode != observe.ModeRefclock {
		t.Fatalf("selected %+v (found %v), want refclock SHM(0)", sel, ok)
	}
	if got.Tracking.Stratum != 1 || got.Tracking.RefID != "GPS" || got.Tracking.RefName != "SHM(0)" || got.Tracking.Leap != observe.LeapNone {
		t.Errorf("tracking %+v, want stratum 1, refid GPS, ref name SHM(0), leap normal", got.Tracking)
	}
	if math.Abs(sel.Offset-ahead.Seconds()) > 150e-6 || math.Abs(got.Tracking.SystemOffset-ahead.Seconds()) > 150e-6 {
		t.Errorf("SHM(0) offset %g s, system offset %g s, want both about +%g s (local clock behind the reference)",
			sel.Offset, got.Tracking.SystemOffset, ahead.Seconds())
	}
	if sel.Reach == 0 || sel.SampleAge == nil || *sel.SampleAge > 5 || sel.Poll != 1 {
		t.Errorf("SHM(0) reach %o, sample age %v s, poll %d; want reach > 0, a fresh sample, poll 1 (2 s)", sel.Reach, sel.SampleAge != nil, sel.Poll)
	}
	if age := time.Since(got.Tracking.RefTime); age < 0 || age > 10*time.Second {
		t.Errorf("tracking ref time %s is %s old, want within 10 s", got.Tracking.RefTime, age)
	}

	// The GPS goes silent. ntpd keeps *SHM(0) with stratum 1 for a while
	// after reach drops to 0; the stale check sees it first.
	feeder.Stop()
	_, r, took = waitFor(t, d, 60*time.Second, func(o *observe.Daemon, r health.Report) bool {
		return o.Error == "" && r.Status != health.OK &&
			(check(r, "stale_source").Status != health.OK || check(r, "synchronized").Status != health.OK)
	})
	t.Logf("feed lost: not OK after %s: stale_source %v (%s); synchronized %v (%s)", took.Round(time.Millisecond),
		check(r, "stale_source").Status, check(r, "stale_source").Message,
		check(r, "synchronized").Status, check(r, "synchronized").Message)
}

// TestLocalDriverIsFreeRunning: ntpd on its local clock driver claims
// leap=00, stratum 11; the verdict is free_running CRITICAL.
func TestLocalDriverIsFreeRunning(t *testing.T) {
	t.Parallel()
	d := ntpdtest.Start(t, ntpdtest.Config{Local: true})
	got, r, took := waitFor(t, d, 30*time.Second, func(o *observe.Daemon, r health.Report) bool {
		_, ok := o.Selected()
		return o.Error == "" && ok
	})
	t.Logf("LOCAL(0) selected after %s", took.Round(time.Millisecond))
	capture(t, d, "local")
	sel, _ := got.Selected()
	if sel.Name != "LOCAL(0)" || sel.Mode != observe.ModeRefclock {
		t.Errorf("selected %+v, want refclock LOCAL(0)", sel)
	}
	if got.Tracking.Leap != observe.LeapNone || got.Tracking.Stratum != 11 {
		t.Errorf("tracking leap %v stratum %d, want normal and 11 (what ntpd claims)", got.Tracking.Leap, got.Tracking.Stratum)
	}
	if c := check(r, "free_running"); c.Status != health.Critical {
		t.Errorf("free_running = %v (%s), want CRITICAL", c.Status, c.Message)
	}
	if r.Status != health.Critical {
		t.Errorf("status %v, want CRITICAL: %s", r.Status, r.Summary)
	}
}

// TestNotRunning: nothing listens on port 123 (ntpd stopped, its namespace
// kept): reachable is CRITICAL, and the probe returns within its timeout.
func TestNotRunning(t *testing.T) {
	t.Parallel()
	d := ntpdtest.Start(t, ntpdtest.Config{Local: true})
	if got := observeIn(t, d); got.Error != "" {
		t.Fatalf("while running: %s", got.Error)
	}
	d.Stop()
	start := time.Now()
	got := observeIn(t, d)
	took := time.Since(start)
	if got.Error == "" {
		t.Fatalf("stopped ntpd answered: %+v", got)
	}
	if took > 1500*time.Millisecond {
		t.Errorf("probe took %s, its timeout is 1 s", took)
	}
	r := evaluate(got)
	if c := check(r, "reachable"); c.Status != health.Critical {
		t.Errorf("reachable = %v (%s), want CRITICAL", c.Status, c.Message)
	}
	t.Logf("not running, after %s: %s", took.Round(time.Millisecond), got.Error)
}
