package render

import (
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

func report() health.Report {
	d := &observe.Daemon{Kind: "chrony", Address: "127.0.0.1:323",
		Tracking: observe.Tracking{RefID: "50505300", RefName: "PPS", Stratum: 1, SystemOffset: 8.12e-7, RootDispersion: 2e-6},
		Sources: []observe.Source{
			{Name: "PPS", Mode: observe.ModeRefclock, State: observe.StateSelected, Reach: 0377, SampleAge: observe.Seconds(1), Offset: -3e-7, OffsetError: 1e-6},
			{Name: "ntp1.example", Address: "192.0.2.1", Mode: observe.ModeServer, State: observe.StateCombined, Stratum: 2, Poll: 6, Reach: 017, SampleAge: observe.Seconds(33), Offset: 0.0012, OffsetError: 0.004},
		},
	}
	r := health.Evaluate(observe.Observation{Time: time.Unix(0, 0), Daemon: d,
		Remote: []observe.Remote{{Target: "ntp2.example", SamplesSent: 4, SamplesAnswered: 4, SamplesUsable: 4, Offset: 0.0021, RTT: 0.012, Stratum: 2}}},
		health.DefaultPolicy())
	r.Push = []health.PushResult{
		{Target: "kuma https://kuma.example/api/push/****", OK: true, Sent: "up", Attempts: 1},
		{Target: "healthchecks https://hc-ping.com/****", Sent: "up", Attempts: 3, Error: "500 Internal Server Error"},
	}
	return r
}

func TestText(t *testing.T) {
	var b strings.Builder
	if err := Text(&b, report()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"OK: PPS* stratum 1, clock 812 ns behind reference, max error 2.8 µs\n",
		"offset            OK      812 ns",
		"1.0 ms / 10.0 ms",
		"#*  PPS",
		"^+  ntp1.example     2        6     017    33s     +1.2 ms ± 4.0 ms",
		"ntp2.example  OK      +2.1 ms  12.0 ms  2",
		"system clock 812 ns behind the reference time",
		"Offset +: the local clock is behind the source; -: ahead of it",
		"push kuma https://kuma.example/api/push/****: sent up (1 attempt(s))",
		"push healthchecks https://hc-ping.com/****: FAILED after 3 attempt(s): 500 Internal Server Error",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

func TestNagios(t *testing.T) {
	got := Nagios(report())
	want := "OK: PPS* stratum 1, clock 812 ns behind reference, max error 2.8 µs | offset=0.000000812s;0.001;0.01 max_error=0.000002812s;0.1;1 stale_source=1s;4;8 holdover=9997.188s sources=2 skew=0;10;100 stratum=1"
	if got != want {
		t.Errorf("Nagios =\n %q\nwant\n %q", got, want)
	}
	r := report()
	r.Summary = "CRITICAL: a|b"
	if s := Nagios(r); strings.Count(s, "|") != 1 {
		t.Errorf("a '|' in the text must not start a second perfdata part: %q", s)
	}
}

// TestTextUnresolved: a pool chronyd could not resolve is one line under
// the source table, not eight phantom sources in it.
func TestTextUnresolved(t *testing.T) {
	r := report()
	r.Daemon.Unresolved = []observe.Unresolved{{Name: "2.debian.pool.ntp.org", Directive: "pool", Placeholders: 8}}
	var b strings.Builder
	if err := Text(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := "\npool 2.debian.pool.ntp.org: name not resolved (is DNS working? chrony retries it)\n"
	if strings.Count(out, "2.debian.pool.ntp.org") != 1 || !strings.Contains(out, want) {
		t.Errorf("text report should name the pool once as %q:\n%s", want, out)
	}
}
