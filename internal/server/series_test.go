package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// seriesBudget is the most series one agent's /metrics may carry in each
// case of TestSeriesPerHost, runtime (go_*, process_*) included: the
// README's fleet arithmetic (series x hosts) rests on these numbers, so a
// change that adds series per source or per check shows up here first.
var seriesBudget = map[string]int{
	"chrony, 3 sources":                    130,
	"chrony, 3 sources, unix socket":       145,
	"ntpd, 3 associations":                 75,
	"chrony, 3 sources, gpsd, pps, kernel": 145,
}

// TestSeriesPerHost counts the series and bytes of one /metrics scrape for
// the hosts of the README's scale section, and holds them to seriesBudget.
func TestSeriesPerHost(t *testing.T) {
	now := fixedTime
	chronyd := func(stats, server bool) *observe.Daemon {
		d := &observe.Daemon{Kind: "chrony", Address: "127.0.0.1:323", DurationSeconds: 0.001,
			Tracking: observe.Tracking{RefID: "50505300", RefName: "PPS", Stratum: 1, SystemOffset: 8e-7,
				Frequency: -12.3, Skew: 0.02, RootDelay: 1e-9, RootDispersion: 2e-5, UpdateInterval: 1, RefTime: now.Add(-time.Second)},
			Sources: []observe.Source{
				{Name: "GPS", Mode: observe.ModeRefclock, State: observe.StateNotCombined, Poll: 4, Reach: 0o377, SampleAge: observe.Seconds(3), Offset: 0.06, OffsetError: 2e-4},
				{Name: "PPS", Mode: observe.ModeRefclock, State: observe.StateSelected, Poll: 4, Reach: 0o377, SampleAge: observe.Seconds(1), Offset: 1e-7, OffsetError: 1e-7},
				{Name: "ntp1.example.net", Address: "192.0.2.1", Mode: observe.ModeServer, State: observe.StateCombined, Stratum: 2, Poll: 6, Reach: 0o377, SampleAge: observe.Seconds(30), Offset: -3e-4, OffsetError: 1e-2},
			},
		}
		if stats {
			for i := range d.Sources {
				d.Sources[i].Stats = &observe.SourceStats{Samples: 16, Runs: 8, Span: 15, StdDev: 1e-7, Frequency: 0.001, Skew: 0.01, Offset: 1e-7}
			}
		}
		if server {
			d.ServerStats = &observe.ServerStats{NTPPacketsReceived: 1000}
		}
		return d
	}
	ntpd := &observe.Daemon{Kind: "ntpd", Address: "127.0.0.1:123", DurationSeconds: 0.002,
		Tracking: observe.Tracking{RefID: "PPS", RefName: "PPS", Stratum: 1, SystemOffset: 2e-6, Frequency: -3.2, RootDispersion: 1e-5},
		Sources: []observe.Source{
			{Name: "SHM(0)", Mode: observe.ModeRefclock, State: observe.StateNotCombined, Poll: 4, Reach: 0o377},
			{Name: "PPS(0)", Mode: observe.ModeRefclock, State: observe.StateSelected, Poll: 4, Reach: 0o377},
			{Name: "192.0.2.1", Address: "192.0.2.1", Mode: observe.ModeServer, State: observe.StateCombined, Stratum: 2, Poll: 6, Reach: 0o377},
		}}
	age := 0.5
	cases := []struct {
		name string
		obs  observe.Observation
	}{
		{"chrony, 3 sources", observe.Observation{Daemon: chronyd(true, false)}},
		{"chrony, 3 sources, unix socket", observe.Observation{Daemon: chronyd(true, true)}},
		{"ntpd, 3 associations", observe.Observation{Daemon: ntpd}},
		{"chrony, 3 sources, gpsd, pps, kernel", observe.Observation{Daemon: chronyd(true, false),
			Kernel: &observe.Kernel{State: 0, StateName: "TIME_OK", MaxError: 1e-5},
			PPS:    &observe.PPS{Device: "pps0", AssertTime: now.Add(-200 * time.Millisecond), Sequence: 100, Advanced: true, GapSeconds: 1},
			GPS:    &observe.GPS{Address: "127.0.0.1:2947", Mode: 3, Time: now, TPVAgeSeconds: &age, Fresh: true, DurationSeconds: 0.3}}},
	}
	for _, c := range cases {
		c.obs.Time = now
		rep := health.Evaluate(c.obs, health.DefaultPolicy())
		st := NewState(1)
		st.Update(rep)
		st.RecordPush([]health.PushResult{{OK: true, Time: now}})
		h := New(st, Options{Version: "v1.0.0"})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		body := rec.Body.Bytes()
		all, own := 0, 0
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			all++
			if !strings.HasPrefix(line, "go_") && !strings.HasPrefix(line, "process_") {
				own++
			}
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(body)
		zw.Close()
		t.Logf("series: %s: %d series (%d ntphealth_*/chrony_*, %d go_*/process_*), %d bytes a scrape, %d gzip-compressed",
			c.name, all, own, all-own, len(body), gz.Len())
		if all > seriesBudget[c.name] {
			t.Errorf("%s: %d series, above the budget of %d: update the README's scale section and seriesBudget", c.name, all, seriesBudget[c.name])
		}
	}
}
