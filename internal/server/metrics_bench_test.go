package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkMetrics is one /metrics scrape of a stratum-1 chronyd with four
// sources, sourcestats and serverstats (the golden test's report), as
// Prometheus asks for it (gzip) or as curl does (plain):
//
//   - plain, gzip: a report already served once (the runtime part cached):
//     what all but the first scrape of a check round cost;
//   - gzip_new_round: the first scrape after a check round, whose text is
//     built then (a scrape interval at or below the check interval makes
//     every scrape one of these);
//   - gzip_all_new: the runtime part (go_*, process_*) rebuilt too, as it
//     is once per check interval: what every scrape cost before the cache,
//     less the per-scrape /proc reads of the old process collector.
//
// The new_round cases mark the cached text out of date instead of running
// a check round (State.Update is not part of a scrape).
//
//	go test -run '^$' -bench BenchmarkMetrics -benchmem -count 5 ./internal/server/
func BenchmarkMetrics(b *testing.B) {
	for _, c := range []struct {
		name       string
		encoding   string
		newRound   bool
		newRuntime bool
	}{
		{"plain", "", false, false},
		{"gzip", "gzip", false, false},
		{"gzip_new_round", "gzip", true, false},
		{"gzip_all_new", "gzip", true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			st := NewState(10)
			rep := fixedReport()
			withChronyStats(rep.Daemon)
			st.Update(rep)
			st.RecordPush(rep.Push)
			// The handler New serves on /metrics.
			e := metricsHandler(st, Options{Version: "v1.2.3"}.withDefaults()).(*exposition)
			h := readOnly(e)
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			// What Prometheus 2.42 sends.
			req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
			if c.encoding != "" {
				req.Header.Set("Accept-Encoding", c.encoding)
			}
			b.ReportAllocs()
			for b.Loop() {
				if c.newRound {
					e.mu.Lock()
					e.built = false
					if c.newRuntime {
						e.runtimeAt = time.Time{}
					}
					e.mu.Unlock()
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("code %d", rec.Code)
				}
			}
		})
	}
}
