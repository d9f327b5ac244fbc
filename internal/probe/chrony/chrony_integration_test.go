package chrony_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
)

var update = flag.Bool("update", false, "rewrite testdata/replies from a real chronyd")

// capturedReplies is where TestPPSSelected keeps chronyd's raw replies (each
// a 2-byte big-endian length and the datagram) for the decoder's tests.
var capturedReplies = filepath.Join("testdata", "replies", "pps-fallback.bin")

// selectTimeout bounds how long chronyd may take to select a source: about
// 4 s measured, more on a loaded machine.
const selectTimeout = 30 * time.Second

func verdict(d *observe.Daemon) health.Report {
	return health.Evaluate(observe.Observation{Time: time.Now(), Daemon: d}, health.DefaultPolicy())
}

func observeAt(t testing.TB, addr string) *observe.Daemon {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return chrony.Probe{Address: addr, Timeout: 2 * time.Second}.Observe(ctx)
}

// wantChecks asserts the status of each named check, and that each exists.
func wantChecks(t testing.TB, r health.Report, want map[string]health.Status) {
	t.Helper()
	for name, st := range want {
		c, ok := r.Check(name)
		if !ok {
			t.Errorf("check %s missing from the report", name)
			continue
		}
		if c.Status != st {
			t.Errorf("check %s = %v (%s), want %v", name, c.Status, c.Message, st)
		}
	}
}

// allOK lists every check the healthy PPS server must pass.
func allOK() map[string]health.Status {
	m := map[string]health.Status{}
	for _, n := range []string{"reachable", "free_running", "synchronized", "offset", "max_error",
		"preferred_source", "stale_source", "sources", "skew", "stratum", "leap"} {
		m[n] = health.OK
	}
	return m
}

func selected(name string) func(*observe.Daemon) bool {
	return func(d *observe.Daemon) bool {
		s, ok := d.Selected()
		return d.Error == "" && ok && s.Label() == name
	}
}

func source(t testing.TB, d *observe.Daemon, name string) observe.Source {
	t.Helper()
	for _, s := range d.Sources {
		if s.Label() == name {
			return s
		}
	}
	t.Fatalf("no source %s in %+v", name, d.Sources)
	return observe.Source{}
}

// TestPPSSelected: GPS and PPS refclocks fed every second, a network
// fallback beside them. chronyd selects PPS; everything is OK.
func TestPPSSelected(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true})
	c.WaitFor(t, selectTimeout, func(d *observe.Daemon) bool {
		return selected("PPS")(d) && verdict(d).Status == health.OK
	})
	for _, tc := range []struct{ name, addr string }{
		{"udp", c.UDPAddr()},
		{"unix", c.UnixAddr()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := observeAt(t, tc.addr)
			if d.Error != "" {
				t.Fatalf("Observe(%s): %s", tc.addr, d.Error)
			}
			r := verdict(d)
			if r.Status != health.OK {
				t.Errorf("status %v, want OK: %s", r.Status, r.Summary)
			}
			if !strings.HasPrefix(r.Summary, "OK: PPS* stratum 1, clock ") {
				t.Errorf("summary %q, want it to start %q", r.Summary, "OK: PPS* stratum 1, clock ")
			}
			wantChecks(t, r, allOK())
			if d.Kind != "chrony" || d.Address != tc.addr || d.DurationSeconds <= 0 {
				t.Errorf("kind %q address %q duration %g", d.Kind, d.Address, d.DurationSeconds)
			}
			tr := d.Tracking
			if tr.RefID != "50505300" || tr.RefName != "PPS" || tr.Stratum != 1 || tr.Leap != observe.LeapNone {
				t.Errorf("tracking refid %s (%s) stratum %d leap %v, want 50505300 (PPS) 1 normal", tr.RefID, tr.RefName, tr.Stratum, tr.Leap)
			}
			if math.Abs(tr.SystemOffset) > 1e-3 || tr.RefTime.IsZero() {
				t.Errorf("tracking offset %g s, ref time %v", tr.SystemOffset, tr.RefTime)
			}
			if len(d.Sources) != 3 {
				t.Fatalf("%d sources, want GPS, PPS, 127.0.0.1: %+v", len(d.Sources), d.Sources)
			}
			for _, w := range []struct {
				name   string
				mode   observe.Mode
				states string
			}{
				{"GPS", observe.ModeRefclock, "-+"},
				{"PPS", observe.ModeRefclock, "*"},
				{"127.0.0.1", observe.ModeServer, "-+"},
			} {
				s := source(t, d, w.name)
				if s.Mode != w.mode || !strings.Contains(w.states, string(s.State)) {
					t.Errorf("%s: mode %s state %s, want %s and one of %q", w.name, s.Mode, s.State, w.mode, w.states)
				}
				if s.Reach == 0 || s.Poll != 0 || s.SampleAge == nil || *s.SampleAge > 4 {
					t.Errorf("%s: reach %o poll %d sample age %v s, want reach > 0, poll 0, a fresh sample", w.name, s.Reach, s.Poll, ageText(s.SampleAge))
				}
				if s.Stats == nil || s.Stats.Samples < 1 || s.Stats.Span < 0 {
					t.Errorf("%s: sourcestats %+v, want at least one sample", w.name, s.Stats)
				}
			}
			if s := source(t, d, "127.0.0.1"); s.Address != "127.0.0.1" || s.Stratum != 2 {
				t.Errorf("fallback: address %q stratum %d, want 127.0.0.1 stratum 2", s.Address, s.Stratum)
			}
		})
	}
	if *update {
		capture(t, c.UDPAddr(), capturedReplies, selected("PPS"))
	}
}

// capture records into path one probe's worth of chronyd's replies for the
// decoder's tests (go test -run TestPPSSelected -update), once the probe
// through the relay sees what ok wants.
func capture(t *testing.T, target, path string, ok func(*observe.Daemon) bool) {
	addr, rec := startRelay(t, target)
	if d := observeAt(t, addr); d.Error != "" || !ok(d) {
		t.Fatalf("capture through relay: %+v", d)
	}
	var b []byte
	for _, r := range rec.take() {
		b = binary.BigEndian.AppendUint16(b, uint16(len(r)))
		b = append(b, r...)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(b))
}

// TestPPSLost: the feeder stops (GPS and PPS dead). While chronyd still
// keeps the dead PPS selected, stale_source warns; once chronyd falls back
// to the network server, preferred_source warns and names it.
func TestPPSLost(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true})
	c.WaitFor(t, selectTimeout, func(d *observe.Daemon) bool {
		return selected("PPS")(d) && verdict(d).Status == health.OK
	})
	c.StopFeed()

	// The stale window: sample older than 4 polls (4 s) while chronyd keeps
	// PPS selected, which it does for about 8 s with maxsamples 8 on the
	// fallback.
	d := c.WaitFor(t, 20*time.Second, func(d *observe.Daemon) bool {
		r := verdict(d)
		st, _ := r.Check("stale_source")
		return selected("PPS")(d) && st.Status != health.OK
	})
	r := verdict(d)
	wantChecks(t, r, map[string]health.Status{
		"reachable": health.OK, "synchronized": health.OK, "preferred_source": health.OK,
		"stale_source": health.Warning, "offset": health.OK, "free_running": health.OK,
	})
	if r.Status != health.Warning {
		t.Errorf("status %v, want WARNING: %s", r.Status, r.Summary)
	}
	if st, _ := r.Check("stale_source"); !strings.HasPrefix(st.Message, "selected source PPS stale: last sample ") {
		t.Errorf("stale_source message %q", st.Message)
	}
	if !strings.HasPrefix(r.Summary, "WARNING: selected source PPS stale") {
		t.Errorf("summary %q", r.Summary)
	}

	// Tracking follows the selection at chronyd's next clock update: one
	// observation may show the new source selected and the old reference.
	d = c.WaitFor(t, selectTimeout, func(d *observe.Daemon) bool {
		return selected("127.0.0.1")(d) && d.Tracking.RefName == "127.0.0.1"
	})
	r = verdict(d)
	wantChecks(t, r, map[string]health.Status{
		"reachable": health.OK, "synchronized": health.OK, "preferred_source": health.Warning,
		"stale_source": health.OK, "offset": health.OK, "free_running": health.OK, "sources": health.OK,
	})
	if r.Status != health.Warning {
		t.Errorf("status %v, want WARNING: %s", r.Status, r.Summary)
	}
	pref, _ := r.Check("preferred_source")
	re := regexp.MustCompile(`PPS not selected \(reach [0-7]+, last sample \d+ s ago\).*; synced to 127\.0\.0\.1$`)
	if !re.MatchString(pref.Message) {
		t.Errorf("preferred_source message %q, want it to match %s", pref.Message, re)
	}
	if !strings.HasPrefix(r.Summary, "WARNING: ") || !strings.Contains(r.Summary, "synced to 127.0.0.1") {
		t.Errorf("summary %q", r.Summary)
	}
	if d.Tracking.Stratum != 3 || d.Tracking.RefName != "127.0.0.1" {
		t.Errorf("tracking stratum %d ref %q, want 3 127.0.0.1", d.Tracking.Stratum, d.Tracking.RefName)
	}
}

// TestNoSourceReachable: refclocks that get no samples and a server where
// nothing answers: chronyd is not synchronised.
func TestNoSourceReachable(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, NoFeed: true, UnreachableServer: true})
	d := c.WaitFor(t, 10*time.Second, func(d *observe.Daemon) bool {
		return d.Error == "" && d.Tracking.Leap == observe.LeapNotInSync && len(d.Sources) == 3
	})
	r := verdict(d)
	wantChecks(t, r, map[string]health.Status{
		"reachable": health.OK, "synchronized": health.Critical, "free_running": health.OK,
		"preferred_source": health.Warning, "stale_source": health.OK, "sources": health.Warning,
	})
	if r.Status != health.Critical {
		t.Errorf("status %v, want CRITICAL: %s", r.Status, r.Summary)
	}
	if !strings.HasPrefix(r.Summary, "CRITICAL: not synchronised (leap status: not synchronised)") {
		t.Errorf("summary %q", r.Summary)
	}
	for _, s := range d.Sources {
		if s.State != observe.StateUnreachable || s.Reach != 0 || s.SampleAge != nil {
			t.Errorf("%s: state %s reach %o sample age %s, want ? 0 none", s.Label(), s.State, s.Reach, ageText(s.SampleAge))
		}
	}
	if d.Tracking.RefID != "00000000" || d.Tracking.Stratum != 0 {
		t.Errorf("tracking refid %s stratum %d, want 00000000 0", d.Tracking.RefID, d.Tracking.Stratum)
	}
	// In JSON, "no sample yet" is null and a zero offset is 0: neither a -1
	// sentinel nor a negated zero ("-0") reaches a reader.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if negZero := regexp.MustCompile(`:-0[,}\]]`); negZero.Match(b) {
		t.Errorf("JSON holds -0: %s", negZero.FindAll(b, -1))
	}
	if bytes.Contains(b, []byte(`"sample_age_seconds":-1`)) || !bytes.Contains(b, []byte(`"sample_age_seconds":null`)) {
		t.Errorf("JSON sample age of a source without samples is not null: %s", b)
	}
}

// TestLocalStratumOnly: "local stratum 10" and nothing else. chronyd claims
// to be synchronised (leap normal, stratum 10) to its own clock.
func TestLocalStratumOnly(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{LocalStratum: 10})
	d := c.WaitFor(t, 10*time.Second, func(d *observe.Daemon) bool {
		return d.Error == "" && d.Tracking.RefID == "7F7F0101"
	})
	if d.Tracking.Stratum != 10 || d.Tracking.Leap != observe.LeapNone {
		t.Errorf("tracking stratum %d leap %v, want 10 normal", d.Tracking.Stratum, d.Tracking.Leap)
	}
	r := verdict(d)
	wantChecks(t, r, map[string]health.Status{
		"reachable": health.OK, "free_running": health.Critical, "leap": health.OK,
	})
	if r.Status != health.Critical {
		t.Errorf("status %v, want CRITICAL: %s", r.Status, r.Summary)
	}
	if want := "CRITICAL: free-running on local clock (no source reachable)"; !strings.HasPrefix(r.Summary, want) {
		t.Errorf("summary %q, want it to start %q", r.Summary, want)
	}
}

// TestLargeOffset: the refclocks say the system clock is 50 ms slow. Under
// -x chronyd never corrects it, so tracking keeps the offset.
func TestLargeOffset(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Offset: 50 * time.Millisecond})
	d := c.WaitFor(t, selectTimeout, func(d *observe.Daemon) bool {
		return selected("PPS")(d) && d.Tracking.SystemOffset > 0.04
	})
	if got := d.Tracking.SystemOffset; math.Abs(got-0.050) > 0.002 {
		t.Errorf("system offset %g s, want +0.050 (slow)", got)
	}
	r := verdict(d)
	wantChecks(t, r, map[string]health.Status{
		"offset": health.Critical, "synchronized": health.OK, "preferred_source": health.OK,
	})
	if r.Status != health.Critical {
		t.Errorf("status %v, want CRITICAL: %s", r.Status, r.Summary)
	}
	// The summary says in words that the clock is slow (behind).
	if want := "CRITICAL: system clock "; !strings.HasPrefix(r.Summary, want) || !strings.Contains(r.Summary, " ms behind the reference time, above the 10.0 ms limit") {
		t.Errorf("summary %q, want %q<n> ms behind the reference time, above the 10.0 ms limit", r.Summary, want)
	}
}

// TestRefclockOffsetOption: the refclocks' "offset" option shifts every
// sample: 20 ms makes chronyd hold the system clock 20 ms slow.
func TestRefclockOffsetOption(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, RefclockOffset: 20 * time.Millisecond})
	d := c.WaitFor(t, selectTimeout, func(d *observe.Daemon) bool {
		return selected("PPS")(d) && math.Abs(d.Tracking.SystemOffset) > 0.015
	})
	if got := d.Tracking.SystemOffset; math.Abs(got-0.020) > 0.002 {
		t.Errorf("system offset %g s, want +0.020", got)
	}
	wantChecks(t, verdict(d), map[string]health.Status{"offset": health.Critical})
}

// TestNotRunning: a stopped chronyd and a paused one (SIGSTOP) are both
// CRITICAL "reachable", and Observe returns within its deadline.
func TestNotRunning(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{LocalStratum: 10})
	const timeout = time.Second
	for _, tc := range []struct {
		name   string
		fault  func()
		repair func()
		want   string // in Error
	}{
		{"paused", c.Pause, c.Resume, "no answer in time"},
		{"stopped", c.Stop, c.Restart, "refused"},
	} {
		tc.fault()
		for _, addr := range []string{c.UDPAddr(), c.UnixAddr()} {
			start := time.Now()
			d := chrony.Probe{Address: addr, Timeout: timeout}.Observe(context.Background())
			took := time.Since(start)
			// A generous bound: the probe's own deadline plus scheduling.
			if took > timeout+3*time.Second {
				t.Errorf("%s %s: Observe took %v with a %v timeout", tc.name, addr, took, timeout)
			}
			if d.Error == "" {
				t.Errorf("%s %s: no error: %+v", tc.name, addr, d)
				continue
			}
			r := verdict(d)
			wantChecks(t, r, map[string]health.Status{"reachable": health.Critical})
			if r.Status != health.Critical || !strings.HasPrefix(r.Summary, "CRITICAL: chronyd not reachable at "+addr) {
				t.Errorf("%s %s: %v %q", tc.name, addr, r.Status, r.Summary)
			}
			if strings.HasPrefix(addr, "127.") && !strings.Contains(d.Error, tc.want) {
				t.Errorf("%s %s: error %q, want it to say %q", tc.name, addr, d.Error, tc.want)
			}
			t.Logf("%s %s: %s (%v)", tc.name, addr, d.Error, took.Round(time.Millisecond))
		}
		tc.repair()
		c.WaitFor(t, 10*time.Second, func(d *observe.Daemon) bool { return d.Error == "" })
	}
}

// ageText prints an optional sample age.
func ageText(age *float64) string {
	if age == nil {
		return "none"
	}
	return strconv.FormatFloat(*age, 'g', -1, 64)
}
