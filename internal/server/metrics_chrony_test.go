package server

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/beevik/ntp"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
)

// metricValue finds one sample in a scrape; ok is false when it is absent.
func metricValue(t testing.TB, body, series string) (v float64, ok bool) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v, true
}

// TestChronyStatsMetrics: a real chronyd with GPS and PPS refclocks serves
// NTP on loopback and answers two client queries. Read over its unix
// socket, /metrics carries chrony_exporter's sourcestats per refclock and
// serverstats counting the queries; read over UDP, no serverstats (chronyd
// refuses them there).
func TestChronyStatsMetrics(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Serve: true})
	const queries = 2
	for range queries {
		if _, err := ntp.QueryWithOptions(c.NTPAddr(), ntp.QueryOptions{Timeout: 2 * time.Second}); err != nil {
			t.Fatalf("NTP query to %s: %v", c.NTPAddr(), err)
		}
	}
	// PPS has statistics once chronyd has a few samples of it.
	chronytest.WaitForAt(t, c.UnixAddr(), 30*time.Second, func(d *observe.Daemon) bool {
		for _, s := range d.Sources {
			if s.Name == "PPS" && s.Stats != nil && s.Stats.Samples >= 3 {
				return d.ServerStats != nil
			}
		}
		return false
	}, c.Log)

	scrapeAt := func(addr string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d := chrony.Probe{Address: addr}.Observe(ctx)
		if d.Error != "" {
			t.Fatalf("Observe(%s): %s", addr, d.Error)
		}
		st := NewState(1)
		st.Update(health.Evaluate(observe.Observation{Time: time.Now(), Daemon: d}, health.DefaultPolicy()))
		return scrape(t, New(st, Options{}))
	}

	body := scrapeAt(c.UnixAddr())
	if v, ok := metricValue(t, body, "chrony_serverstats_ntp_packets_received_total"); !ok || v != queries {
		t.Errorf("chrony_serverstats_ntp_packets_received_total %g (present %v), want %d", v, ok, queries)
	}
	if v, ok := metricValue(t, body, "chrony_serverstats_command_packets_received_total"); !ok || v < 3 {
		t.Errorf("chrony_serverstats_command_packets_received_total %g (present %v), want at least 3", v, ok)
	}
	pps := `{source_address="80.80.83.0",source_name="PPS"}`
	if v, ok := metricValue(t, body, "chrony_sourcestats_samples"+pps); !ok || v < 3 {
		t.Errorf("chrony_sourcestats_samples%s %g (present %v), want at least 3", pps, v, ok)
	}
	// The feeder's samples carry no offset: chronyd's estimate is within
	// a millisecond of 0 (measured: 0 s, standard deviation 1 ns).
	if v, ok := metricValue(t, body, "chrony_sourcestats_offset"+pps); !ok || math.Abs(v) > 1e-3 {
		t.Errorf("chrony_sourcestats_offset%s %g (present %v), want within 1 ms of 0", pps, v, ok)
	}
	if v, ok := metricValue(t, body, "chrony_sourcestats_stddev"+pps); !ok || v < 0 || v > 1e-3 {
		t.Errorf("chrony_sourcestats_stddev%s %g (present %v), want 0 to 1 ms", pps, v, ok)
	}
	t.Logf("PPS sourcestats over the unix socket:\n%s", regexp.MustCompile(`(?m)^chrony_sourcestats_\w+\{[^}]*PPS"\} .*$`).FindAllString(body, -1))

	body = scrapeAt(c.UDPAddr())
	if regexp.MustCompile(`(?m)^chrony_serverstats_`).MatchString(body) {
		t.Errorf("serverstats over UDP, where chronyd refuses them:\n%s", body)
	}
	if _, ok := metricValue(t, body, "chrony_sourcestats_samples"+pps); !ok {
		t.Errorf("no sourcestats over UDP")
	}
}
