package health

import (
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// pps is a healthy PPS refclock, selected; fallback a network server.
func pps(state observe.State, reach uint8, age float64) observe.Source {
	return observe.Source{Name: "PPS", Mode: observe.ModeRefclock, State: state, Poll: 0, Reach: reach, SampleAge: observe.Seconds(age)}
}

func server(addr string, state observe.State) observe.Source {
	return observe.Source{Name: addr, Address: addr, Mode: observe.ModeServer, State: state, Stratum: 2, Poll: 6, Reach: 0377, SampleAge: observe.Seconds(10)}
}

func healthy() *observe.Daemon {
	return &observe.Daemon{Kind: "chrony", Address: "127.0.0.1:323",
		Tracking: observe.Tracking{RefID: "50505300", RefName: "PPS", Stratum: 1, Leap: observe.LeapNone,
			SystemOffset: 8e-7, RootDelay: 1e-6, RootDispersion: 2e-6, Skew: 0.05},
		Sources: []observe.Source{pps(observe.StateSelected, 0377, 1), server("192.0.2.1", observe.StateCombined)},
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(d *observe.Daemon, p *Policy)
		status  Status
		checks  map[string]Status
		summary string
	}{
		{
			name:    "pps selected and healthy",
			mutate:  func(d *observe.Daemon, p *Policy) {},
			status:  OK,
			checks:  map[string]Status{"reachable": OK, "synchronized": OK, "free_running": OK, "offset": OK, "preferred_source": OK, "stale_source": OK},
			summary: "OK: PPS* stratum 1, clock 800 ns behind reference, max error 3.3 µs",
		},
		{
			name: "chronyd not reachable",
			mutate: func(d *observe.Daemon, p *Policy) {
				*d = observe.Daemon{Kind: "chrony", Address: "127.0.0.1:323", Error: "connection refused"}
			},
			status:  Critical,
			checks:  map[string]Status{"reachable": Critical},
			summary: "CRITICAL: chronyd not reachable at 127.0.0.1:323: connection refused",
		},
		{
			name: "not synchronised: leap unsync, stratum 0, nothing selected",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking = observe.Tracking{RefID: "00000000", Stratum: 0, Leap: observe.LeapNotInSync, RootDelay: 1, RootDispersion: 1}
				d.Sources = []observe.Source{pps(observe.StateUnreachable, 0, -1)}
			},
			status: Critical,
			checks: map[string]Status{"synchronized": Critical, "free_running": OK, "max_error": Critical, "preferred_source": Warning, "sources": Warning},
		},
		{
			name: "free-running on local stratum 10",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking = observe.Tracking{RefID: "7F7F0101", RefName: "127.127.1.1", Stratum: 10, Leap: observe.LeapNone}
				d.Sources = []observe.Source{server("127.0.0.1", observe.StateUnreachable)}
				d.Sources[0].Reach = 0
			},
			status:  Critical,
			checks:  map[string]Status{"free_running": Critical, "synchronized": Critical},
			summary: "CRITICAL: free-running on local clock (no source reachable)",
		},
		{
			name: "free-running allowed by policy",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking = observe.Tracking{RefID: "7F7F0101", Stratum: 10, Leap: observe.LeapNone}
				d.Sources = nil
				p.FreeRunning = Warning
			},
			status: Critical, // still not synchronised to any source
			checks: map[string]Status{"free_running": Warning},
		},
		{
			name: "ntpd local clock driver selected",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Kind = "ntpd"
				d.Tracking = observe.Tracking{RefID: "LOCL", Stratum: 11, Leap: observe.LeapNone}
				d.Sources = []observe.Source{{Name: "LOCAL(0)", Address: "127.127.1.0", Mode: observe.ModeRefclock, State: observe.StateSelected, Reach: 0377, SampleAge: observe.Seconds(3), Poll: 6}}
			},
			status: Critical,
			checks: map[string]Status{"free_running": Critical, "synchronized": OK, "preferred_source": OK},
		},
		{
			name: "pps lost, synced to fallback",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources = []observe.Source{pps(observe.StateUnreachable, 0, 40), server("127.0.0.1", observe.StateSelected)}
				d.Tracking.Stratum = 3
			},
			status:  Warning,
			checks:  map[string]Status{"preferred_source": Warning, "synchronized": OK},
			summary: "WARNING: PPS not selected (reach 0, last sample 40 s ago); synced to 127.0.0.1",
		},
		{
			name: "prefer names a source that is not configured",
			mutate: func(d *observe.Daemon, p *Policy) {
				p.Prefer = "GPS"
			},
			status: Warning,
			checks: map[string]Status{"preferred_source": Warning},
		},
		{
			name: "prefer a server by name",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources = []observe.Source{server("192.0.2.1", observe.StateSelected)}
				p.Prefer = "192.0.2.1"
			},
			status: OK,
			checks: map[string]Status{"preferred_source": OK},
		},
		{
			name: "no refclock, no preference: nothing to prefer",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources = []observe.Source{server("192.0.2.1", observe.StateSelected)}
				d.Tracking.Stratum = 3
			},
			status: OK,
			checks: map[string]Status{"preferred_source": OK},
		},
		{
			name: "selected pps stale: warning after 4 polls",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources[0].SampleAge = observe.Seconds(5)
			},
			status:  Warning,
			checks:  map[string]Status{"stale_source": Warning},
			summary: "WARNING: selected source PPS stale: last sample 5 s ago, more than 4 polls of 1 s",
		},
		{
			name: "selected pps stale: critical after 8 polls",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources[0].SampleAge = observe.Seconds(9)
			},
			status: Critical,
			checks: map[string]Status{"stale_source": Critical},
		},
		{
			name: "stale scales with the poll interval",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources[0].Poll = 4 // 16 s
				d.Sources[0].SampleAge = observe.Seconds(60)
			},
			status: OK,
			checks: map[string]Status{"stale_source": OK},
		},
		{
			name: "offset warning",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking.SystemOffset = -0.002
			},
			status:  Warning,
			checks:  map[string]Status{"offset": Warning, "max_error": OK},
			summary: "WARNING: system clock 2.0 ms ahead of the reference time, above the 1.0 ms limit",
		},
		{
			name: "offset critical",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking.SystemOffset = 0.05
			},
			status: Critical,
			checks: map[string]Status{"offset": Critical},
		},
		{
			name: "max error from root dispersion",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking.RootDispersion = 0.2
			},
			status: Warning,
			checks: map[string]Status{"max_error": Warning, "offset": OK},
		},
		{
			name: "too few sources",
			mutate: func(d *observe.Daemon, p *Policy) {
				p.MinSources = 3
			},
			status: Warning,
			checks: map[string]Status{"sources": Warning},
		},
		{
			name: "unreachable sources do not count",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources[1].Reach = 0
				p.MinSources = 2
			},
			status: Warning,
			checks: map[string]Status{"sources": Warning},
		},
		{
			name: "skew critical",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking.Skew = 150
			},
			status: Critical,
			checks: map[string]Status{"skew": Critical},
		},
		{
			name: "stratum too high",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Sources = []observe.Source{server("192.0.2.1", observe.StateSelected)}
				d.Tracking.Stratum = 9
			},
			status: Warning,
			checks: map[string]Status{"stratum": Warning},
		},
		{
			name: "leap second pending is a note by default",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking.Leap = observe.LeapInsert
			},
			status: OK,
			checks: map[string]Status{"leap": OK},
		},
		{
			name: "leap second pending as warning",
			mutate: func(d *observe.Daemon, p *Policy) {
				d.Tracking.Leap = observe.LeapDelete
				p.LeapPending = Warning
			},
			status:  Warning,
			checks:  map[string]Status{"leap": Warning},
			summary: "WARNING: leap second pending: delete second",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := healthy()
			p := DefaultPolicy()
			tt.mutate(d, &p)
			r := Evaluate(observe.Observation{Time: now, Daemon: d}, p)
			if r.Status != tt.status {
				t.Errorf("status = %s, want %s; summary %q", r.Status, tt.status, r.Summary)
			}
			for name, want := range tt.checks {
				c, ok := r.Check(name)
				if !ok {
					t.Errorf("check %s missing", name)
					continue
				}
				if c.Status != want {
					t.Errorf("check %s = %s (%s), want %s", name, c.Status, c.Message, want)
				}
			}
			if tt.summary != "" && r.Summary != tt.summary {
				t.Errorf("summary = %q\n want %q", r.Summary, tt.summary)
			}
			if !strings.HasPrefix(r.Summary, r.Status.String()+": ") {
				t.Errorf("summary %q does not start with the status", r.Summary)
			}
			if !r.Time.Equal(now) {
				t.Errorf("report time %v, want the observation's %v", r.Time, now)
			}
		})
	}
}

func TestEvaluateNothingProbed(t *testing.T) {
	r := Evaluate(observe.Observation{Time: now}, DefaultPolicy())
	if r.Status != Unknown {
		t.Fatalf("status %s, want UNKNOWN", r.Status)
	}
}

func TestWorse(t *testing.T) {
	for _, tt := range []struct{ a, b, want Status }{
		{OK, Warning, Warning}, {Warning, Unknown, Unknown}, {Unknown, Critical, Critical}, {Critical, OK, Critical},
	} {
		if got := Worse(tt.a, tt.b); got != tt.want {
			t.Errorf("Worse(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestFormatSeconds(t *testing.T) {
	for _, tt := range []struct {
		in     float64
		signed bool
		want   string
	}{
		{8e-7, true, "+800 ns"}, {3.1e-6, false, "3.1 µs"}, {-0.002, true, "-2.0 ms"}, {1.5, false, "1.5 s"}, {0, true, "0 ns"}, {-1e-11, true, "0 ns"}, {0.000123, false, "123 µs"},
	} {
		if got := FormatSeconds(tt.in, tt.signed); got != tt.want {
			t.Errorf("FormatSeconds(%g) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{"ok": OK, "WARNING": Warning, "crit": Critical, " unknown ": Unknown} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseStatus("bad"); err == nil {
		t.Error("ParseStatus(bad) accepted")
	}
}

// TestEvaluateAllSources: the checks of every probe land in one report, the
// remote servers grouped per target, and the worst of all is the verdict.
func TestEvaluateAllSources(t *testing.T) {
	obs := observe.Observation{
		Time:   now,
		Daemon: healthy(),
		Kernel: &observe.Kernel{MaxError: 0.001, EstError: 0.0001},
		PPS:    &observe.PPS{Device: "pps0", Path: "/sys/class/pps/pps0/assert", AssertTime: now, Sequence: 10, GapSeconds: 5, Advanced: false},
		GPS:    &observe.GPS{Address: "127.0.0.1:2947", Mode: 3, Time: now, TPVAgeSeconds: ptr(0.5), Fresh: true, SatellitesUsed: intp(9), SatellitesSeen: intp(12)},
		Remote: []observe.Remote{
			{Target: "ntp1.example", Address: "192.0.2.1:123", SamplesSent: 4, SamplesAnswered: 4, SamplesUsable: 4, Offset: 0.0002, RTT: 0.01, Stratum: 2, RefID: "192.0.2.9", RootDistance: 0.01},
			{Target: "ntp2.example", Error: "no answer within 2s", SamplesSent: 4},
		},
	}
	r := Evaluate(obs, DefaultPolicy())
	for name, want := range map[string]Status{"reachable": OK, "pps_pulses": Critical, "gps_fix": OK, "gps_satellites": OK, "kernel_sync": OK, "kernel_max_error": OK} {
		c, ok := r.Check(name)
		if !ok || c.Status != want {
			t.Errorf("check %s = %+v, want %s", name, c, want)
		}
	}
	if len(r.Targets) != 2 || r.Targets[0].Status != OK || r.Targets[1].Status != Critical {
		t.Fatalf("targets %+v", r.Targets)
	}
	if !strings.HasPrefix(r.Targets[1].Summary, "CRITICAL: ntp2.example: ") {
		t.Errorf("target summary %q", r.Targets[1].Summary)
	}
	if r.Status != Critical || !strings.HasPrefix(r.Summary, "CRITICAL: no PPS pulse") {
		t.Errorf("status %s summary %q, want CRITICAL from pps_pulses", r.Status, r.Summary)
	}

	// A failing remote target alone decides the verdict and the summary.
	obs.PPS = nil
	r = Evaluate(obs, DefaultPolicy())
	if r.Status != Critical || !strings.HasPrefix(r.Summary, "CRITICAL: ntp2.example: ") {
		t.Errorf("status %s summary %q, want the failing target", r.Status, r.Summary)
	}
}
