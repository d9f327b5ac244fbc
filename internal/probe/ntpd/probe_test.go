package ntpd

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// Offline tests: the probe against ntpsec 1.2.2's captured replies
// (testdata/<scenario>, recorded by the real-daemon tests with -update).

func TestReplaySynced(t *testing.T) {
	addr := startFake(t, replay(t, "synced"))
	d := Probe{Address: addr, Timeout: time.Second}.Observe(context.Background())
	if d.Error != "" {
		t.Fatal(d.Error)
	}
	if d.Kind != "ntpd" || d.Address != addr {
		t.Errorf("kind %q address %q", d.Kind, d.Address)
	}
	tr := d.Tracking
	if tr.Stratum != 1 || tr.RefID != "GPS" || tr.RefName != "SHM(0)" || tr.Leap != observe.LeapNone {
		t.Errorf("tracking %+v, want stratum 1, refid GPS, ref name SHM(0), leap normal", tr)
	}
	if math.Abs(tr.SystemOffset-400e-6) > 150e-6 || tr.RootDispersion <= 0 || tr.RefTime.IsZero() {
		t.Errorf("system offset %g s, root dispersion %g s, ref time %s; want about +0.0004 s (local clock behind), > 0, set",
			tr.SystemOffset, tr.RootDispersion, tr.RefTime)
	}
	if len(d.Sources) != 1 {
		t.Fatalf("sources %+v, want one", d.Sources)
	}
	s := d.Sources[0]
	want := observe.Source{Name: "SHM(0)", Address: "127.127.28.0", Mode: observe.ModeRefclock,
		State: observe.StateSelected, Stratum: 0, Poll: 1}
	if s.Name != want.Name || s.Address != want.Address || s.Mode != want.Mode || s.State != want.State ||
		s.Stratum != want.Stratum || s.Poll != want.Poll {
		t.Errorf("source %+v, want %+v", s, want)
	}
	if s.Reach == 0 || math.Abs(s.Offset-400e-6) > 150e-6 || s.OffsetError <= 0 || s.SampleAge == nil || *s.SampleAge <= 0 {
		t.Fatalf("source reach %o offset %g error %g age %v", s.Reach, s.Offset, s.OffsetError, s.SampleAge)
	}
}

// TestReplaySyncedJudged ages the captured samples from a fixed "now": the
// probe's view then judges OK, as it did live.
func TestReplaySyncedJudged(t *testing.T) {
	d := observeReplay(t, "synced", 1500*time.Millisecond)
	s := d.Sources[0]
	if math.Abs(*s.SampleAge-1.5) > 0.01 {
		t.Errorf("sample age %g s, want 1.5 s", *s.SampleAge)
	}
	r := health.Evaluate(observe.Observation{Time: time.Now(), Daemon: d}, health.DefaultPolicy())
	if r.Status != health.OK {
		t.Errorf("status %v, want OK: %s", r.Status, r.Summary)
	}
}

func TestReplayUnsynced(t *testing.T) {
	d := observeReplay(t, "unsynced", time.Second)
	if d.Tracking.Leap != observe.LeapNotInSync || d.Tracking.Stratum != 16 || d.Tracking.RefID != "INIT" || d.Tracking.RefName != "" {
		t.Errorf("tracking %+v, want leap 3, stratum 16, INIT, no ref name", d.Tracking)
	}
	if !d.Tracking.RefTime.IsZero() {
		t.Errorf("ref time %s, want zero (reftime=0x00000000.00000000)", d.Tracking.RefTime)
	}
	s := d.Sources[0]
	if s.State != observe.StateUnreachable || s.SampleAge != nil || s.Reach != 0 {
		t.Errorf("source %+v, want unreachable, no sample, reach 0", s)
	}
	r := health.Evaluate(observe.Observation{Time: time.Now(), Daemon: d}, health.DefaultPolicy())
	if c := findCheck(r, "synchronized"); c.Status != health.Critical {
		t.Errorf("synchronized %v (%s), want CRITICAL", c.Status, c.Message)
	}
}

func TestReplayLocal(t *testing.T) {
	d := observeReplay(t, "local", time.Second)
	sel, ok := d.Selected()
	if !ok || sel.Name != "LOCAL(0)" || sel.Address != "127.127.1.0" || d.Tracking.RefID != "127.127.1.0" || d.Tracking.Stratum != 11 {
		t.Errorf("selected %+v (%v), tracking %+v; want LOCAL(0) at 127.127.1.0, stratum 11", sel, ok, d.Tracking)
	}
	r := health.Evaluate(observe.Observation{Time: time.Now(), Daemon: d}, health.DefaultPolicy())
	if c := findCheck(r, "free_running"); c.Status != health.Critical {
		t.Errorf("free_running %v (%s), want CRITICAL", c.Status, c.Message)
	}
}

// observeReplay runs the exchange on a capture with "now" set to the last
// sample's time (rec) plus age.
func observeReplay(t *testing.T, scenario string, age time.Duration) *observe.Daemon {
	t.Helper()
	// The peer's rec, read from the capture, fixes the clock.
	var data []byte
	for _, dg := range loadCapture(t, scenario, 2, capturedAssociations(t, scenario)[0]) {
		data = append(data, dg[12:]...)
	}
	vars, err := ParseVars(data)
	if err != nil {
		t.Fatal(err)
	}
	ts := vars["rec"]
	rec, err := parseTimestamp(ts)
	if err != nil {
		t.Fatalf("rec=%q: %v", ts, err)
	}
	if rec.IsZero() {
		rec = time.Now()
	}
	now := func() time.Time { return rec.Add(age) }

	addr := startFake(t, replay(t, scenario))
	d := &observe.Daemon{Kind: "ntpd", Address: addr}
	conn := dialTest(t, addr)
	if err := observeSession(newSession(conn), now, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func findCheck(r health.Report, name string) health.Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return health.Check{Name: name, Status: health.Unknown, Message: "missing"}
}

func TestExplainSaysWhatToDo(t *testing.T) {
	for _, tc := range []struct{ name, addr, want string }{
		{"silent", startFake(t, func([]byte) [][]byte { return nil }), "is ntpd running?"},
		{"refusing", closedPort(t), "is ntpd running?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Probe{Address: tc.addr, Timeout: 300 * time.Millisecond}.Observe(context.Background())
			if !strings.Contains(d.Error, tc.want) {
				t.Errorf("error %q lacks %q", d.Error, tc.want)
			}
		})
	}
}
