package gpsd

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// check judges an observation with the default GPS policy, but a short
// max_age so the stale scenario takes seconds, not minutes.
var testPolicy = health.GPSPolicy{MinMode: 3, MinSatellites: 4, MaxAge: 2 * time.Second}

func status(g *observe.GPS, name string) (health.Check, bool) {
	for _, c := range health.GPSChecks(g, testPolicy) {
		if c.Name == name {
			return c, true
		}
	}
	return health.Check{}, false
}

func allOK(g *observe.GPS) bool {
	for _, c := range health.GPSChecks(g, testPolicy) {
		if c.Status != health.OK {
			return false
		}
	}
	return true
}

func describe(g *observe.GPS) string {
	var parts []string
	for _, c := range health.GPSChecks(g, testPolicy) {
		parts = append(parts, c.Name+"="+c.Status.String()+" ("+c.Message+")")
	}
	return strings.Join(parts, "; ")
}

// withFix starts a receiver with a 3D fix on 8 satellites and gpsd reading
// it, and waits until the probe sees every GPS check OK.
func withFix(t *testing.T) (*nmeaFeeder, *gpsdProcess, Probe) {
	t.Helper()
	f := startFeeder(t, receiver{Fix: true, Used: 8})
	g := startGPSD(t, f.addr())
	p := Probe{Address: g.addr}
	start := time.Now()
	o, ok := until(t, 8*time.Second, p.Observe, allOK)
	if !ok {
		t.Fatalf("no healthy fix within 8 s: %+v: %s", o, describe(o))
	}
	t.Logf("healthy after %v: %s", time.Since(start).Round(time.Millisecond), describe(o))
	return f, g, p
}

func TestGPSD(t *testing.T) {
	t.Run("fix", func(t *testing.T) {
		t.Parallel()
		_, _, p := withFix(t)
		o := p.Observe(context.Background())
		if o.Error != "" || o.Mode != 3 || count(o.SatellitesUsed) != 8 || count(o.SatellitesSeen) != len(visible) || !o.Fresh {
			t.Fatalf("observation %+v", o)
		}
		if o.TPVAgeSeconds == nil || *o.TPVAgeSeconds < 0 || *o.TPVAgeSeconds > 2 || o.Release == "" {
			t.Errorf("observation %+v", o)
		}
		if !slices.ContainsFunc(o.Devices, func(d string) bool { return strings.HasPrefix(d, "tcp://127.0.0.1:") }) {
			t.Errorf("devices %v", o.Devices)
		}
		t.Logf("gpsd %s: mode %d, %d/%d satellites, TPV age %.3f s, watched %.3f s, probe took %.3f s",
			o.Release, o.Mode, count(o.SatellitesUsed), count(o.SatellitesSeen), *o.TPVAgeSeconds, o.WatchSeconds, o.DurationSeconds)
	})

	t.Run("fix lost", func(t *testing.T) {
		t.Parallel()
		f, _, p := withFix(t)
		f.set(receiver{Fix: false})
		o, ok := until(t, 6*time.Second, p.Observe, func(g *observe.GPS) bool {
			c, _ := status(g, "gps_fix")
			return c.Status == health.Critical
		})
		c, _ := status(o, "gps_fix")
		if !ok || c.Message != "no 3D fix (no fix)" {
			t.Fatalf("after losing the fix: %+v: %s", o, describe(o))
		}
		if st, _ := status(o, "gps_stale"); st.Status != health.OK {
			t.Errorf("a receiver without a fix still talks: %s", describe(o))
		}
	})

	t.Run("satellites dropping", func(t *testing.T) {
		t.Parallel()
		f, _, p := withFix(t)
		f.set(receiver{Fix: true, Used: 3})
		o, ok := until(t, 6*time.Second, p.Observe, func(g *observe.GPS) bool {
			c, _ := status(g, "gps_satellites")
			return c.Status == health.Warning
		})
		if !ok || count(o.SatellitesUsed) != 3 {
			t.Fatalf("after satellites dropped: %+v: %s", o, describe(o))
		}
		if c, _ := status(o, "gps_fix"); c.Status != health.OK {
			t.Errorf("fix should hold: %s", describe(o))
		}
	})

	t.Run("receiver silent", func(t *testing.T) {
		t.Parallel()
		f, _, p := withFix(t)
		f.set(receiver{Silent: true})
		o, ok := until(t, 8*time.Second, p.Observe, func(g *observe.GPS) bool {
			c, _ := status(g, "gps_stale")
			return c.Status == health.Critical
		})
		if !ok {
			t.Fatalf("silent receiver not seen as stale: %+v: %s", o, describe(o))
		}
		// gpsd still repeats the last 3D TPV: only its age tells.
		if o.Fresh || o.Mode != 3 || o.TPVAgeSeconds == nil || *o.TPVAgeSeconds <= testPolicy.MaxAge.Seconds() {
			t.Errorf("observation %+v", o)
		}
		t.Log(describe(o))
	})

	t.Run("gpsd gone", func(t *testing.T) {
		t.Parallel()
		_, g, p := withFix(t)
		g.stop()
		p.Timeout = time.Second
		start := time.Now()
		o := p.Observe(context.Background())
		if took := time.Since(start); took > p.Timeout+2*time.Second {
			t.Errorf("probe took %v, beyond its %v timeout", took, p.Timeout)
		}
		c, _ := status(o, "gps_fix")
		if o.Error == "" || c.Status != health.Critical || !strings.Contains(c.Message, "gpsd not reachable") ||
			!strings.Contains(o.Error, "is gpsd running") {
			t.Fatalf("after gpsd stopped: %+v: %s", o, describe(o))
		}
		t.Log(c.Message)
	})
}

// count is a satellite count, -1 when gpsd sent no SKY.
func count(n *int) int {
	if n == nil {
		return -1
	}
	return *n
}
