package server

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ntphealth/ntphealth/internal/health"
)

// TestMetricsCache: the text is rebuilt after each Update and RecordPush,
// the runtime part after a check interval, and gzip serves the same text.
func TestMetricsCache(t *testing.T) {
	st := NewState(10)
	e := metricsHandler(st, Options{}.withDefaults()).(*exposition)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.now = func() time.Time { return now }
	runtimeCalls := 0
	e.runtime = prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		runtimeCalls++
		return nil, nil
	})
	body := func(enc string) string {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("Content-Type %q", ct)
		}
		if rec.Header().Get("Content-Encoding") != "gzip" {
			return rec.Body.String()
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if b := body(""); !strings.Contains(b, "ntphealth_status 3\n") {
		t.Fatalf("before the first check:\n%s", b)
	}
	st.Update(health.Report{Status: health.Warning, Time: fixedTime})
	if b := body("gzip"); !strings.Contains(b, "ntphealth_status 1\n") {
		t.Errorf("after Update, gzip:\n%s", b)
	}
	if b := body(""); !strings.Contains(b, "ntphealth_status 1\n") {
		t.Errorf("after Update, plain:\n%s", b)
	}
	st.RecordPush([]health.PushResult{{OK: false}})
	if b := body("deflate, gzip;q=0.5"); !strings.Contains(b, `ntphealth_push_total{result="failure"} 1`) {
		t.Errorf("after RecordPush:\n%s", b)
	}
	if runtimeCalls != 1 {
		t.Errorf("runtime gathered %d times within its TTL, want 1", runtimeCalls)
	}
	now = now.Add(e.ttl) // the check interval, 30 s by default
	body("")
	if runtimeCalls != 2 {
		t.Errorf("runtime gathered %d times after its TTL, want 2", runtimeCalls)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=1.0, *;q=0.5": true,
		"gzip;q=0": false, "gzip; q=0.0": false, "identity": false, "*": true, "br, x-gzip": true,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}
