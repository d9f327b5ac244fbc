package ntpclient

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/ntpdtest"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// These tests query a real ntpd (Debian's ntpsec, internal/ntpdtest) in a
// network namespace of its own, where it serves NTP on 127.0.0.1:123.

// probeNtpdUntil queries ntpd from inside its namespace until cond holds.
func probeNtpdUntil(t *testing.T, d *ntpdtest.Daemon, limit time.Duration, cond func(*observe.Remote) bool) *observe.Remote {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var r *observe.Remote
		d.InNetns(func() {
			r = Probe{Target: ntpdtest.Address, Timeout: time.Second}.Observe(context.Background())
		})
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			js, _ := json.MarshalIndent(r, "", "  ")
			t.Fatalf("condition not met within %s; last observation:\n%s\nntpd log:\n%s", limit, js, d.Log())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestNtpdSynchronisedSHM(t *testing.T) {
	d := ntpdtest.Start(t, ntpdtest.Config{SHM: true})
	feeder := d.Feed(500*time.Millisecond, 0)
	defer feeder.Stop()
	// Just after ntpd selects the refclock its root dispersion is seconds
	// (it starts at MAXDISP and shrinks as the clock filter fills,
	// RFC 5905 section 10): wait until it is below the max_error limit.
	start := time.Now()
	r := probeNtpdUntil(t, d, 45*time.Second, func(r *observe.Remote) bool {
		return r.Answered() && r.Stratum == 1 && r.RootDistance < 0.1
	})
	t.Logf("stratum 1 with root distance %s after %s", time.Duration(r.RootDistance*1e9), time.Since(start).Round(time.Millisecond))
	if r.RefID != "GPS" || r.Leap != observe.LeapNone || r.ValidateError != "" || r.KissCode != "" {
		t.Errorf("refid %q leap %v validate %q kiss %q, want GPS, normal, valid, none", r.RefID, r.Leap, r.ValidateError, r.KissCode)
	}
	if math.Abs(r.Offset) > 0.05 {
		t.Errorf("offset %g s, want about 0 (same clock)", r.Offset)
	}
	wantVerdicts(t, r, nil)
}

func TestNtpdFreeRunningLocalDriver(t *testing.T) {
	d := ntpdtest.Start(t, ntpdtest.Config{Local: true})
	// "refclock local stratum 10" is served at stratum 11 with the
	// driver's address 127.127.1.0 as reference ID, leap normal: it looks
	// synchronised, which is why health names it free-running.
	r := probeNtpdUntil(t, d, 30*time.Second, func(r *observe.Remote) bool { return r.Answered() && r.Stratum == 11 })
	if r.RefID != "7F7F0100" || r.RefName != "127.127.1.0" || r.Leap != observe.LeapNone {
		t.Errorf("refid %q (%s) leap %v, want 7F7F0100 (127.127.1.0) and normal", r.RefID, r.RefName, r.Leap)
	}
	// The local driver's dispersion grows by 15 ppm of its age (RFC 5905
	// PHI) and is about 8 s here: max_error is over the limit as well.
	wantVerdicts(t, r, map[string]health.Status{"free_running": health.Critical, "stratum": health.Warning,
		"max_error": health.Critical})
	d.Stop()
	d.InNetns(func() {
		r = Probe{Target: ntpdtest.Address, Timeout: 500 * time.Millisecond}.Observe(context.Background())
	})
	if !strings.Contains(r.Error, "refused") {
		t.Errorf("after stop: error %q, want refused", r.Error)
	}
}
