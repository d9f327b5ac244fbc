package ntpprobe

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient/ntptest"
)

func newServer(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	if o.Policy == (health.RemotePolicy{}) {
		o.Policy = health.DefaultRemotePolicy()
	}
	s := httptest.NewServer(Handler(o))
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, s *httptest.Server, query string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/probe"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// wantLines checks that each exposition line appears in body.
func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		have[l] = true
	}
	for _, l := range lines {
		if !have[l] {
			t.Errorf("missing line %q in:\n%s", l, body)
		}
	}
}

// metricValue is the value of the one sample of name (with or without
// labels) in a text exposition, parsed as a number.
func metricValue(body, name string) (float64, bool) {
	for _, l := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(l, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		return v, err == nil
	}
	return 0, false
}

func ptr(v float64) *float64 { return &v }

func TestProbeMetrics(t *testing.T) {
	tests := []struct {
		name   string
		reply  ntptest.Reply
		lines  []string
		absent []string
		// present: metrics that must have a value, whatever it is.
		present []string
		// offset: the ntp_offset_seconds the responder's ClockOffset
		// makes, compared as a number within what the measurement can be
		// off by (never by its text: 0.199995011 is 0.2 here).
		offset *float64
		// info: ntp_server_info names the responder's address.
		info bool
	}{
		{
			name:  "good stratum 1",
			reply: ntptest.Reply{RefID: "PPS"},
			lines: []string{
				"ntp_probe_success 1", "ntp_stratum 1", "ntp_leap 0", "ntp_probe_samples_sent 2",
				`ntphealth_check_status{check="reachable"} 0`, `ntphealth_check_status{check="offset"} 0`,
				`ntphealth_check_status{check="synchronized"} 0`, "ntphealth_status 0",
			},
			present: []string{"ntp_rtt_seconds", "ntp_root_distance_seconds", "ntp_probe_duration_seconds"},
			offset:  ptr(0),
			info:    true,
			absent:  []string{"ntp_kiss_code"},
		},
		{
			name:  "server 200 ms ahead",
			reply: ntptest.Reply{ClockOffset: 200 * time.Millisecond},
			lines: []string{"ntp_probe_success 1", `ntphealth_check_status{check="offset"} 2`, "ntphealth_status 2"},
			// Positive: the server is ahead (RFC 5905's theta).
			offset: ptr(0.2),
		},
		{
			name:  "unsynchronised",
			reply: ntptest.Reply{Stratum: 16, Leap: 3},
			lines: []string{"ntp_probe_success 1", "ntp_stratum 16", "ntp_leap 3", `ntphealth_check_status{check="synchronized"} 2`},
		},
		{
			name:   "kiss-o'-death",
			reply:  ntptest.Reply{Kiss: "RSTR"},
			lines:  []string{"ntp_probe_success 0", `ntp_kiss_code{code="RSTR"} 1`, `ntphealth_check_status{check="synchronized"} 2`},
			absent: []string{"ntp_offset_seconds", "ntp_stratum"},
		},
		{
			name:   "silent server",
			reply:  ntptest.Reply{Fault: ntptest.FaultSilent},
			lines:  []string{"ntp_probe_success 0", `ntphealth_check_status{check="reachable"} 2`, "ntphealth_status 2"},
			absent: []string{"ntp_offset_seconds", `check="offset"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ntp := ntptest.Start(t, tt.reply)
			s := newServer(t, Options{Probe: ntpclient.Probe{Samples: 2, Timeout: 400 * time.Millisecond}})
			code, body := get(t, s, "?target="+url.QueryEscape(ntp.Addr()), nil)
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			wantLines(t, body, tt.lines...)
			for _, a := range tt.absent {
				if strings.Contains(body, a) {
					t.Errorf("body has %q:\n%s", a, body)
				}
			}
			for _, name := range tt.present {
				if _, ok := metricValue(body, name); !ok {
					t.Errorf("no sample of %s in:\n%s", name, body)
				}
			}
			if tt.offset != nil {
				offset, ok := metricValue(body, "ntp_offset_seconds")
				rtt, ok2 := metricValue(body, "ntp_rtt_seconds")
				// Responder and probe read one clock, so the measured
				// offset differs from ClockOffset only by the asymmetry
				// of the two one-way delays, at most half the round trip
				// of the same reply (RFC 5905), plus timestamp rounding.
				// A wrong sign or unit is off by 0.4 or by 199.8.
				tol := rtt/2 + 100e-6
				switch {
				case !ok || !ok2:
					t.Errorf("no ntp_offset_seconds or ntp_rtt_seconds in:\n%s", body)
				case math.Abs(offset-*tt.offset) > tol:
					t.Errorf("ntp_offset_seconds %g, want %g ± %g (rtt %g)", offset, *tt.offset, tol, rtt)
				}
			}
			if tt.info && !strings.Contains(body, "\n"+`ntp_server_info{address="`+ntp.Addr()+`"`) {
				t.Errorf("no ntp_server_info for %s in:\n%s", ntp.Addr(), body)
			}
		})
	}
}

func TestProbeBadRequests(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		query string
		code  int
		want  string
	}{
		{"", http.StatusBadRequest, "target parameter is missing"},
		{"?target=", http.StatusBadRequest, "target parameter is missing"},
		{"?target=a.example&target=b.example", http.StatusBadRequest, "one target"},
		{"?target=" + url.QueryEscape("http://192.0.2.1"), http.StatusBadRequest, "a URL"},
		{"?target=" + url.QueryEscape("192.0.2.1/x"), http.StatusBadRequest, "host[:port]"},
		{"?target=" + url.QueryEscape("192.0.2.1:99999"), http.StatusBadRequest, "port"},
	}
	for _, tt := range tests {
		code, body := get(t, s, tt.query, nil)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%q: %d %q, want %d containing %q", tt.query, code, body, tt.code, tt.want)
		}
	}
	resp, err := http.Post(s.URL+"/probe?target=192.0.2.1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
}

func TestProbeScrapeTimeoutBoundsRequest(t *testing.T) {
	ntp := ntptest.Start(t, ntptest.Reply{Fault: ntptest.FaultSilent})
	s := newServer(t, Options{Probe: ntpclient.Probe{Timeout: 10 * time.Second}})
	start := time.Now()
	code, body := get(t, s, "?target="+ntp.Addr(), http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"1"}})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("request took %s with a 1 s scrape timeout", took)
	}
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	wantLines(t, body, "ntp_probe_success 0")
}

func TestTimeout(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 5 * time.Second},
		{"10", 5 * time.Second},
		{"2.5", 2 * time.Second},
		{"0.5", 100 * time.Millisecond},
		{"junk", 5 * time.Second},
		{"-1", 5 * time.Second},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/probe", nil)
		if tt.header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tt.header)
		}
		if got := timeout(r, 5*time.Second); got != tt.want {
			t.Errorf("header %q: %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestProbeConcurrencyLimit(t *testing.T) {
	ntp := ntptest.Start(t, ntptest.Reply{Fault: ntptest.FaultSilent})
	s := newServer(t, Options{MaxConcurrent: 1, Probe: ntpclient.Probe{Samples: 1, Timeout: time.Second}})
	var wg sync.WaitGroup
	wg.Go(func() {
		// Not get: t.Fatal must not run off the test goroutine.
		if resp, err := http.Get(s.URL + "/probe?target=" + ntp.Addr()); err == nil {
			resp.Body.Close()
		}
	})
	// Wait until the first probe's query reached the responder.
	for deadline := time.Now().Add(2 * time.Second); ntp.Queries() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	code, body := get(t, s, "?target="+ntp.Addr(), nil)
	wg.Wait()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "too many probes") {
		t.Errorf("second probe: %d %q, want 503", code, body)
	}
	// The slot is free again.
	if code, _ := get(t, s, "?target="+ntp.Addr(), nil); code != http.StatusOK {
		t.Errorf("third probe: %d, want 200", code)
	}
}
