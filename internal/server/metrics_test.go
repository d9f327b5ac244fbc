package server

import (
	"bufio"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// scrape GETs /metrics and drops the go_* and process_* families (they
// describe the test process) and pins the Go version label.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := get(t, h, http.MethodGet, "/metrics")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: code %d: %s", rec.Code, rec.Body)
	}
	goVer := regexp.MustCompile(`goversion="[^"]*"`)
	var b strings.Builder
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		name := line
		if f := strings.Fields(line); len(f) > 2 && f[0] == "#" {
			name = f[2]
		}
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		b.WriteString(goVer.ReplaceAllString(line, `goversion="GOVERSION"`) + "\n")
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go test ./internal/server -update to create it", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./internal/server -update rewrites it):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

func TestMetricsGolden(t *testing.T) {
	st := NewState(10)
	rep := fixedReport()
	withChronyStats(rep.Daemon)
	st.Update(rep)
	st.RecordPush(rep.Push)
	st.RecordPush([]health.PushResult{{Target: "kuma https://kuma.example/api/push/****", OK: false, Error: "timeout"}})
	golden(t, "metrics.golden", scrape(t, New(st, Options{Version: "v1.2.3"})))
}

// withChronyStats adds what chronyd read over its unix socket gives
// besides the fixed report: sourcestats for the sources that have samples,
// and serverstats (as chrony 4.4 sends it, with the timestamp counters).
// Kept out of fixedReport so that health.golden does not move.
func withChronyStats(d *observe.Daemon) {
	stats := []*observe.SourceStats{
		{Samples: 16, Runs: 9, Span: 15, Frequency: 0.001, Skew: 0.012, Offset: 1.1e-7, StdDev: 9e-8},
		{Samples: 16, Runs: 7, Span: 15, Frequency: -0.02, Skew: 0.4, Offset: 0.0611, StdDev: 1.9e-4},
		{Samples: 8, Runs: 5, Span: 450, Frequency: 0.3, Skew: 2.5, Offset: -3.0e-4, StdDev: 1.1e-3},
	}
	for i, st := range stats {
		d.Sources[i].Stats = st
	}
	d.ServerStats = &observe.ServerStats{
		NTPPacketsReceived: 1200, NTPPacketsDropped: 3, CommandPacketsReceived: 480,
		ClientLogRecordsDropped: 1, NTSKEConnectionsAccepted: 12, NTSKEConnectionsDropped: 2,
		AuthenticatedNTPPackets: 40, InterleavedNTPPackets: 25, NTPTimestampsHeld: 18, NTPTimestampSpanSeconds: 3600,
		Timestamps: &observe.ServerTimestamps{DaemonRX: 1100, DaemonTX: 1150, KernelRX: 90, KernelTX: 50, HardwareRX: 10},
	}
}

func TestMetricsIncludeRuntime(t *testing.T) {
	rec := get(t, New(NewState(1), Options{}), http.MethodGet, "/metrics")
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !strings.Contains(rec.Body.String(), "\n"+name+" ") {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestMetricsCases checks what is emitted per daemon state.
func TestMetricsCases(t *testing.T) {
	tests := []struct {
		name    string
		rep     *health.Report
		want    []string
		notWant []string
	}{
		{
			name:    "before the first check",
			want:    []string{"ntphealth_status 3\n", "ntphealth_last_check_timestamp_seconds 0\n", `ntphealth_push_total{result="success"} 0`},
			notWant: []string{"chrony_", "ntphealth_check_status", "ntphealth_probe_up"},
		},
		{
			name: "chronyd down",
			rep: &health.Report{Status: health.Critical, Time: fixedTime,
				Checks: []health.Check{{Name: "reachable", Status: health.Critical}},
				Daemon: &observe.Daemon{Kind: "chrony", Error: "timeout", DurationSeconds: 2}},
			want:    []string{"chrony_up 0\n", "ntphealth_status 2\n", `ntphealth_probe_up{probe="chrony"} 0`, `ntphealth_check_status{check="reachable"} 2`, `ntphealth_probe_duration_seconds{probe="chrony"} 2`},
			notWant: []string{"chrony_tracking_", "chrony_sources_"},
		},
		{
			name: "ntpd: no chrony metrics, the daemon-neutral ones",
			rep: &health.Report{Status: health.OK, Time: fixedTime,
				Daemon: &observe.Daemon{Kind: "ntpd", Tracking: observe.Tracking{Stratum: 2, SystemOffset: 0.0005, RootDelay: 0.002}}},
			want: []string{`ntphealth_probe_up{probe="ntpd"} 1`, `ntphealth_offset_seconds{daemon="ntpd"} 0.0005`,
				`ntphealth_max_error_seconds{daemon="ntpd"} 0.0015`, `ntphealth_stratum{daemon="ntpd"} 2`},
			notWant: []string{"chrony_"},
		},
		{
			name: "free-running chronyd is not a remote reference",
			rep: &health.Report{Status: health.Critical, Time: fixedTime,
				Daemon: &observe.Daemon{Kind: "chrony", Tracking: observe.Tracking{RefID: "7F7F0101", Stratum: 10}}},
			want: []string{"chrony_tracking_remote_reference 0\n", "chrony_tracking_stratum 10\n"},
		},
		{
			name: "every probe and remote target",
			rep: &health.Report{Status: health.Critical, Time: fixedTime,
				Kernel:  &observe.Kernel{},
				PPS:     &observe.PPS{Error: "open /sys/class/pps/pps0/assert: no such file"},
				GPS:     &observe.GPS{DurationSeconds: 0.25},
				Targets: []health.TargetReport{{Target: "ntp.example.org", Status: health.Critical}, {Target: "192.0.2.7:123", Status: health.OK}}},
			want: []string{`ntphealth_probe_up{probe="kernel"} 1`, `ntphealth_probe_up{probe="pps"} 0`,
				`ntphealth_probe_up{probe="gpsd"} 1`, `ntphealth_probe_duration_seconds{probe="gpsd"} 0.25`,
				`ntphealth_target_status{target="ntp.example.org"} 2`, `ntphealth_target_status{target="192.0.2.7:123"} 0`},
			notWant: []string{"chrony_", `ntphealth_probe_duration_seconds{probe="kernel"}`},
		},
		{
			name: "chrony 4.3 serverstats: no 4.4 timestamp counters; no sourcestats without samples",
			rep: &health.Report{Status: health.OK, Time: fixedTime,
				Daemon: &observe.Daemon{Kind: "chrony", Sources: []observe.Source{{Name: "a", Address: "192.0.2.9"}},
					ServerStats: &observe.ServerStats{NTPPacketsReceived: 3, CommandPacketsReceived: 8}}},
			want:    []string{"chrony_serverstats_ntp_packets_received_total 3\n", "chrony_serverstats_command_packets_received_total 8\n", "chrony_serverstats_ntp_timestamps_held 0\n"},
			notWant: []string{"chrony_serverstats_ntp_daemon_rx_timestamps_total", "chrony_sourcestats_"},
		},
		{
			name: "duplicate source labels do not break the scrape",
			rep: &health.Report{Status: health.OK, Time: fixedTime,
				Daemon: &observe.Daemon{Kind: "chrony", Sources: []observe.Source{
					{Name: "a", Address: "192.0.2.9", Reach: 0o17}, {Name: "a", Address: "192.0.2.9"}}}},
			want: []string{`chrony_sources_reachability_ratio{source_address="192.0.2.9",source_name="a"} 0.5`, `chrony_sources_reachability_raw{source_address="192.0.2.9",source_name="a"} 15`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewState(1)
			if tt.rep != nil {
				st.Update(*tt.rep)
			}
			body := scrape(t, New(st, Options{}))
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("missing %q in\n%s", w, body)
				}
			}
			for _, nw := range tt.notWant {
				if strings.Contains(body, nw) {
					t.Errorf("unexpected %q in\n%s", nw, body)
				}
			}
		})
	}
}

func TestRefidAddress(t *testing.T) {
	tests := map[string]string{"PPS": "80.80.83.0", "GPS": "71.80.83.0", "7F7F0101": "127.127.1.1", "NMEA": "78.77.69.65", "": "0.0.0.0"}
	for in, want := range tests {
		if got := refidAddress(in); got != want {
			t.Errorf("refidAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
