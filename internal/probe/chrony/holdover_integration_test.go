package chrony_test

import (
	"math"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// TestHoldoverForecast validates the holdover forecast against a real
// chronyd, not against our own idea of it: the PPS feed is cut with no
// fallback, the forecast is recorded every second, and every forecast made
// in the first minute after the cut must put the crossing of the limit
// within 10 % of the moment chronyd's own maximum error crosses it.
// maxclockerror 250 ppm makes the crossing come ~40 s after the cut
// instead of hours (chronyd's default of 1 ppm).
func TestHoldoverForecast(t *testing.T) {
	t.Parallel()
	const maxClockError = 250 // ppm, in chrony.conf and in the policy
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Extra: []string{"maxclockerror 250"}})
	c.WaitFor(t, selectTimeout, selected("PPS"))
	p := health.DefaultPolicy()
	p.Holdover.MaxClockErrorPPM = maxClockError
	limit := p.OffsetCrit.Seconds()

	c.StopFeed()
	cut := time.Now()
	type forecast struct{ at, crossing time.Duration } // both since the cut
	var forecasts []forecast
	var observed, lastAt time.Duration
	var lastErr float64
	deadline := cut.Add(90 * time.Second)
	for observed == 0 && time.Now().Before(deadline) {
		d := observeAt(t, c.UDPAddr())
		now := time.Since(cut)
		if d.Error != "" {
			t.Fatalf("chronyd: %s", d.Error)
		}
		if e := d.Tracking.MaxError(); e > limit {
			// Between two readings the error grows linearly: interpolate.
			observed = lastAt + time.Duration(float64(now-lastAt)*(limit-lastErr)/(e-lastErr))
			break
		}
		lastAt, lastErr = now, d.Tracking.MaxError()
		r := health.Evaluate(observe.Observation{Time: time.Now(), Daemon: d}, p)
		if h, ok := r.Check("holdover"); ok && h.Value != nil {
			forecasts = append(forecasts, forecast{now, now + time.Duration(*h.Value*float64(time.Second))})
		}
		time.Sleep(time.Second - time.Since(cut)%time.Second)
	}
	if observed == 0 {
		t.Fatalf("chronyd's maximum error did not cross %s within 90 s of the cut", p.OffsetCrit)
	}
	t.Logf("holdover forecast vs chronyd (limit %s, maxclockerror %d ppm): crossing observed %.1f s after the cut",
		p.OffsetCrit, maxClockError, observed.Seconds())
	t.Logf("%10s %18s %8s", "made at", "forecast crossing", "error")
	checked := 0
	for _, f := range forecasts {
		miss := (f.crossing - observed).Seconds() / observed.Seconds()
		t.Logf("%9.1fs %17.1fs %+7.1f%%", f.at.Seconds(), f.crossing.Seconds(), 100*miss)
		if f.at <= time.Minute {
			checked++
			if math.Abs(miss) > 0.10 {
				t.Errorf("forecast made %.1f s after the cut put the crossing at %.1f s; chronyd crossed at %.1f s (%+.0f %%, more than 10 %%)",
					f.at.Seconds(), f.crossing.Seconds(), observed.Seconds(), 100*miss)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d forecasts in the first minute, want 10 or more", checked)
	}
}
