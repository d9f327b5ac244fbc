package ntpclient

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// These tests query a real chronyd serving NTP on loopback (chronytest:
// chronyd -x, private config and ports). Without chronyd they skip, or fail
// naming the package when CI is set.

// probeUntil queries addr until cond holds or timeout passes, and returns
// the last observation.
func probeUntil(t *testing.T, c *chronytest.Chronyd, timeout time.Duration, cond func(*observe.Remote) bool) *observe.Remote {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := Probe{Target: c.NTPAddr(), Timeout: time.Second}.Observe(context.Background())
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			js, _ := json.MarshalIndent(r, "", "  ")
			t.Fatalf("condition not met within %s; last observation:\n%s\nchronyd log:\n%s", timeout, js, c.Log())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestChronydSynchronisedStratum1(t *testing.T) {
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Serve: true})
	c.WaitFor(t, 20*time.Second, func(d *observe.Daemon) bool { return d.Error == "" && d.Tracking.Stratum == 1 })
	r := probeUntil(t, c, 5*time.Second, func(r *observe.Remote) bool { return r.Answered() && r.Stratum == 1 })
	if r.SamplesSent != DefaultSamples || r.SamplesUsable != DefaultSamples {
		t.Errorf("sent %d usable %d, want %d each", r.SamplesSent, r.SamplesUsable, DefaultSamples)
	}
	if r.RefID != "PPS" || r.Leap != observe.LeapNone || r.KissCode != "" || r.ValidateError != "" {
		t.Errorf("refid %q leap %v kiss %q validate %q, want PPS, normal, none, none", r.RefID, r.Leap, r.KissCode, r.ValidateError)
	}
	// chronyd -x runs on the same clock: only the refclock's path shows.
	if math.Abs(r.Offset) > 0.05 || r.RTT <= 0 || r.RTT > 0.1 {
		t.Errorf("offset %g s rtt %g s, want both small", r.Offset, r.RTT)
	}
	if r.RootDistance < r.RootDispersion || r.ReferenceTime.IsZero() {
		t.Errorf("root distance %g dispersion %g reference time %v", r.RootDistance, r.RootDispersion, r.ReferenceTime)
	}
	wantVerdicts(t, r, nil)
}

// wantVerdicts judges r with the default remote policy: the named checks
// must have the given status, every other one OK.
func wantVerdicts(t *testing.T, r *observe.Remote, want map[string]health.Status) {
	t.Helper()
	for _, c := range health.RemoteChecks(r, health.DefaultRemotePolicy()) {
		w, ok := want[c.Name]
		if !ok {
			w = health.OK
		}
		if c.Status != w {
			t.Errorf("check %s: %v (%s), want %v", c.Name, c.Status, c.Message, w)
		}
	}
}

func TestChronydFreeRunningLocalStratum(t *testing.T) {
	c := chronytest.Start(t, chronytest.Options{LocalStratum: 2, Serve: true})
	r := probeUntil(t, c, 10*time.Second, func(r *observe.Remote) bool { return r.Answered() && r.Stratum == 2 })
	// chrony.conf(5) "local": reference ID 127.127.1.1, leap normal; it
	// looks synchronised, which is why health names it free-running.
	if r.RefID != "7F7F0101" || r.Leap != observe.LeapNone || r.ValidateError != "" {
		t.Errorf("refid %q leap %v validate %q, want 7F7F0101, normal, valid", r.RefID, r.Leap, r.ValidateError)
	}
	if math.Abs(r.Offset) > 0.01 {
		t.Errorf("offset %g s, want about 0 (same clock)", r.Offset)
	}
	wantVerdicts(t, r, map[string]health.Status{"free_running": health.Critical})
}

func TestChronydUnsynchronisedPausedStopped(t *testing.T) {
	c := chronytest.Start(t, chronytest.Options{Serve: true})

	t.Run("no source: leap 3, stratum 0, not a kiss", func(t *testing.T) {
		r := probeUntil(t, c, 5*time.Second, func(r *observe.Remote) bool { return r.Answered() })
		if r.Leap != observe.LeapNotInSync || r.Stratum != 0 || r.KissCode != "" || r.ValidateError == "" {
			t.Errorf("leap %v stratum %d kiss %q validate %q, want not synchronised, 0, none, a reason",
				r.Leap, r.Stratum, r.KissCode, r.ValidateError)
		}
		for _, c := range health.RemoteChecks(r, health.DefaultRemotePolicy()) {
			if c.Name == "synchronized" && c.Status != health.Critical {
				t.Errorf("synchronized: %v (%s), want CRITICAL", c.Status, c.Message)
			}
		}
	})

	t.Run("paused: no answer, deadline holds", func(t *testing.T) {
		c.Pause()
		defer c.Resume()
		start := time.Now()
		r := Probe{Target: c.NTPAddr(), Timeout: 500 * time.Millisecond}.Observe(context.Background())
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("probe took %s with a 500 ms timeout", took)
		}
		if !strings.Contains(r.Error, "no answer") || r.SamplesSent != DefaultSamples {
			t.Errorf("error %q sent %d, want no answer after %d queries", r.Error, r.SamplesSent, DefaultSamples)
		}
	})

	t.Run("stopped: refused", func(t *testing.T) {
		c.Stop()
		r := Probe{Target: c.NTPAddr(), Timeout: 500 * time.Millisecond}.Observe(context.Background())
		if !strings.Contains(r.Error, "refused") {
			t.Errorf("error %q, want refused", r.Error)
		}
	})
}
