package e2e

import (
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// TestKuma runs the ntphealth binary against real chronyd scenarios and
// reads back from a real Uptime Kuma what it recorded for each push:
// status (1 up, 0 down), msg and ping. The scenarios run in parallel, each
// with its own chronyd and its own Push monitors.
func TestKuma(t *testing.T) {
	k := startKuma(t)
	t.Run("scenarios", func(t *testing.T) {
		t.Run("ok_then_silence", func(t *testing.T) { t.Parallel(); testKumaOK(t, k) })
		t.Run("warning_pps_lost", func(t *testing.T) { t.Parallel(); testKumaWarning(t, k) })
		t.Run("critical_chronyd_stopped", func(t *testing.T) { t.Parallel(); testKumaCritical(t, k) })
		t.Run("wrong_urls", func(t *testing.T) { t.Parallel(); testKumaWrongURLs(t, k) })
	})
}

// selectTimeout bounds how long chronyd takes to select a source (about
// 4 s measured) or, after the feed stops, to fall back (about 9 s).
const selectTimeout = 60 * time.Second

// okOffset is the offset the refclocks report in the OK scenario: well
// inside offset_warn (1 ms), and large enough that the ping in
// microseconds is a clear number.
const okOffset = 200 * time.Microsecond

// verdict judges d as ntphealth does with the default policy.
func verdict(d *observe.Daemon) health.Report {
	return health.Evaluate(observe.Observation{Time: time.Now(), Daemon: d}, health.DefaultPolicy())
}

// selectedIs holds when chronyd answers, has selected the source named
// name and the verdict is st.
func selectedIs(name string, st health.Status) func(*observe.Daemon) bool {
	return func(d *observe.Daemon) bool {
		s, ok := d.Selected()
		return d.Error == "" && ok && s.Label() == name && verdict(d).Status == st
	}
}

// kumaConfig is an ntphealth config with the kernel probe off (the test
// machine's own clock is not under test) and the given push entries.
func kumaConfig(push ...string) string {
	var b strings.Builder
	b.WriteString("kernel:\n  enabled: \"false\"\npush:\n")
	for _, p := range push {
		b.WriteString(p)
	}
	return b.String()
}

// kumaTarget is one push entry; extra lines are indented YAML keys.
func kumaTarget(url string, extra ...string) string {
	s := "  - kind: kuma\n    url: " + url + "\n"
	for _, e := range extra {
		s += "    " + e + "\n"
	}
	return s
}

// wantPing is the ping Kuma should keep for an offset in seconds: the
// offset in unit (1e6 for µs, 1e3 for ms), rounded up to a whole number,
// at least 1 (Kuma stores a value below 1 as nothing).
func wantPing(offset, unit float64) int64 {
	v := math.Ceil(math.Abs(offset) * unit)
	if v < 1 {
		v = 1
	}
	return int64(v)
}

// pushedBeat waits for the heartbeat that carries report's summary.
func pushedBeat(t *testing.T, k *kuma, m pushMonitor, r health.Report) beat {
	t.Helper()
	msg := strings.Join(strings.Fields(r.Summary), " ")
	return k.waitBeat(t, m, 10*time.Second, fmt.Sprintf("heartbeat with msg %q", msg), func(b beat) bool { return b.Msg == msg })
}

// wantBeat compares a recorded heartbeat with the expected status and ping
// (nil: no value stored).
func wantBeat(t *testing.T, what string, b beat, status int, ping *int64) {
	t.Helper()
	t.Logf("kuma recorded for %s: %v", what, b)
	if b.Status != status {
		t.Errorf("%s: kuma status %d, want %d", what, b.Status, status)
	}
	switch {
	case ping == nil && b.Ping != nil:
		t.Errorf("%s: kuma ping %d, want none", what, *b.Ping)
	case ping != nil && b.Ping == nil:
		t.Errorf("%s: kuma ping none, want %d", what, *ping)
	case ping != nil && *b.Ping != *ping:
		t.Errorf("%s: kuma ping %d, want %d", what, *b.Ping, *ping)
	}
}

// wantPushes checks ntphealth's own account of its pushes.
func wantPushes(t *testing.T, r health.Report, sent ...string) {
	t.Helper()
	if len(r.Push) != len(sent) {
		t.Fatalf("push results %+v, want %d", r.Push, len(sent))
	}
	for i, p := range r.Push {
		if !p.OK || p.Sent != sent[i] || p.Attempts != 1 {
			t.Errorf("push[%d] = %+v, want ok, sent %q, 1 attempt", i, p, sent[i])
		}
	}
}

// testKumaOK: a healthy PPS server. Pushed up with the OK summary, the
// offset as ping in µs (and in ms to a second monitor: rounded up to 1).
// Then ntphealth stops pushing and Kuma marks the monitor down by itself.
func testKumaOK(t *testing.T, k *kuma) {
	us, ms := k.addPushMonitor(t, "ok-us"), k.addPushMonitor(t, "ok-ms")
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true, Offset: okOffset})
	c.WaitFor(t, selectTimeout, func(d *observe.Daemon) bool {
		return selectedIs("PPS", health.OK)(d) && math.Abs(math.Abs(d.Tracking.SystemOffset)-okOffset.Seconds()) < 50e-6
	})
	cfg := writeConfig(t, kumaConfig(kumaTarget(k.pushURL(us)), kumaTarget(k.pushURL(ms), "ping_unit: ms")))

	res := runCheck(t, "--chrony", c.UDPAddr(), "--config", cfg)
	r := res.Report
	if res.Exit != 0 || r.Status != health.OK || !strings.HasPrefix(r.Summary, "OK: PPS* stratum 1") {
		t.Fatalf("exit %d, status %v, summary %q; want 0, OK, \"OK: PPS* stratum 1...\"\n%s", res.Exit, r.Status, r.Summary, res.Stderr)
	}
	wantPushes(t, r, "up", "up")
	off := r.Daemon.Tracking.SystemOffset

	pingUS, pingMS := wantPing(off, 1e6), wantPing(off, 1e3)
	up := pushedBeat(t, k, us, r)
	wantBeat(t, "OK, ping in µs", up, kumaUp, &pingUS)
	wantBeat(t, "OK, ping in ms", pushedBeat(t, k, ms, r), kumaUp, &pingMS)
	if pingMS != 1 {
		t.Errorf("ping in ms = %d for offset %g s, want 1", pingMS, off)
	}

	// Silence: Kuma checks a push monitor interval + 1 s after its last
	// heartbeat and records DOWN when none came.
	down := k.waitBeat(t, us, 2*kumaInterval+10*time.Second, "DOWN heartbeat after the pushes stopped", func(b beat) bool {
		return b.Status == kumaDown && time.Time(b.Time).After(time.Time(up.Time))
	})
	wantBeat(t, "no push for an interval", down, kumaDown, nil)
	if down.Msg != "No heartbeat in the time window" {
		t.Errorf("kuma msg %q, want %q", down.Msg, "No heartbeat in the time window")
	}
	gap := time.Time(down.Time).Sub(time.Time(up.Time))
	t.Logf("kuma marked the monitor down %s after the last push (interval %s)", gap, kumaInterval)
	if gap < kumaInterval {
		t.Errorf("down %s after the last push, before the interval %s ran out", gap, kumaInterval)
	}
}

// testKumaWarning: the PPS feed stops, chronyd falls back to the network
// server and preferred_source turns WARNING. By default a WARNING is pushed
// up with the WARNING text; with `warning: down` it is pushed down.
func testKumaWarning(t *testing.T, k *kuma) {
	asUp, asDown := k.addPushMonitor(t, "warning-up"), k.addPushMonitor(t, "warning-down")
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true})
	c.WaitFor(t, selectTimeout, selectedIs("PPS", health.OK))
	c.StopFeed()
	c.WaitFor(t, selectTimeout, selectedIs("127.0.0.1", health.Warning))
	cfg := writeConfig(t, kumaConfig(kumaTarget(k.pushURL(asUp)), kumaTarget(k.pushURL(asDown), "warning: down")))

	res := runCheck(t, "--chrony", c.UDPAddr(), "--config", cfg)
	r := res.Report
	if res.Exit != 1 || r.Status != health.Warning || !strings.HasPrefix(r.Summary, "WARNING: ") {
		t.Fatalf("exit %d, status %v, summary %q; want 1, WARNING, \"WARNING: ...\"\n%s", res.Exit, r.Status, r.Summary, res.Stderr)
	}
	if ch, ok := r.Check("preferred_source"); !ok || ch.Status != health.Warning {
		t.Errorf("check preferred_source = %+v, want WARNING", ch)
	}
	wantPushes(t, r, "up", "down")
	ping := wantPing(r.Daemon.Tracking.SystemOffset, 1e6)
	wantBeat(t, "WARNING (warning: up)", pushedBeat(t, k, asUp, r), kumaUp, &ping)
	wantBeat(t, "WARNING (warning: down)", pushedBeat(t, k, asDown, r), kumaDown, &ping)
}

// testKumaCritical: chronyd stopped. Pushed down with the CRITICAL text and
// no ping (there is no offset to report).
func testKumaCritical(t *testing.T, k *kuma) {
	m := k.addPushMonitor(t, "critical")
	c := chronytest.Start(t, chronytest.Options{})
	addr := c.UDPAddr()
	c.Stop()
	cfg := writeConfig(t, kumaConfig())

	res := runCheck(t, "--chrony", addr, "--config", cfg, "--push-url", k.pushURL(m))
	r := res.Report
	want := "CRITICAL: chronyd not reachable at " + addr
	if res.Exit != 2 || r.Status != health.Critical || !strings.HasPrefix(r.Summary, want) {
		t.Fatalf("exit %d, status %v, summary %q; want 2, CRITICAL, %q...\n%s", res.Exit, r.Status, r.Summary, want, res.Stderr)
	}
	wantPushes(t, r, "down")
	wantBeat(t, "CRITICAL", pushedBeat(t, k, m, r), kumaDown, nil)
}

// testKumaWrongURLs: Kuma answers a push URL with a trailing slash, or one
// under a path it does not serve, with its web page (HTTP 200) and records
// nothing; a POST it refuses (404). ntphealth refuses the first in its config (exit 3) and reports
// the second as a failed push, without retrying; neither reveals the token.
func testKumaWrongURLs(t *testing.T, k *kuma) {
	m := k.addPushMonitor(t, "wrong-urls")

	// What Kuma itself does with the trailing slash.
	const probeMsg = "trailing-slash-probe"
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(k.pushURL(m) + "/?status=up&msg=" + probeMsg)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	t.Logf("kuma answers GET /api/push/<token>/: HTTP %d, %s, %d bytes", resp.StatusCode, ct, len(body))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("kuma answered the trailing slash with HTTP %d %s, want its web page (200 text/html)", resp.StatusCode, ct)
	}

	// Kuma's push route takes GET (and HEAD) only, which is why ntphealth
	// pushes with GET.
	const postMsg = "post-probe"
	resp, err = client.Post(k.pushURL(m)+"?status=up&msg="+postMsg, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Logf("kuma answers POST /api/push/<token>: HTTP %d", resp.StatusCode)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("kuma answered POST with HTTP %d, want 404", resp.StatusCode)
	}

	cfg := writeConfig(t, kumaConfig())
	chronyAddr := closedUDPAddr(t)

	slash := runCheck(t, "--chrony", chronyAddr, "--config", cfg, "--push-url", k.pushURL(m)+"/")
	if slash.Exit != 3 || !strings.Contains(slash.Stderr, "ends in a slash") {
		t.Errorf("trailing slash: exit %d, stderr %q; want exit 3 and \"ends in a slash\"", slash.Exit, slash.Stderr)
	}

	page := runCheck(t, "--chrony", chronyAddr, "--config", cfg, "--push-url", k.url+"/kuma/api/push/"+m.Token)
	if page.Exit != 2 || len(page.Report.Push) != 1 {
		t.Fatalf("web page: exit %d, pushes %+v; want 2 (the verdict, whatever the push) and one push", page.Exit, page.Report.Push)
	}
	p := page.Report.Push[0]
	t.Logf("ntphealth on a 200 web page: %+v", p)
	if p.OK || p.Attempts != 1 || !strings.Contains(p.Error, "web page") {
		t.Errorf("push %+v, want failed after 1 attempt with an error naming the web page", p)
	}

	for _, out := range []string{slash.Stderr, page.Stderr, page.Report.Push[0].Error, page.Report.Push[0].Target} {
		if strings.Contains(out, m.Token) {
			t.Errorf("the push token appears in ntphealth's output: %q", out)
		}
	}
	for _, b := range k.beats(t, m) {
		if b.Status == kumaUp || b.Msg == probeMsg || b.Msg == postMsg || b.Msg == page.Report.Summary {
			t.Errorf("kuma recorded %v from a wrong URL", b)
		}
	}
}

// closedUDPAddr returns a loopback UDP address where nothing listens (as
// for a chronyd that is not running).
func closedUDPAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String()
	c.Close()
	return addr
}
