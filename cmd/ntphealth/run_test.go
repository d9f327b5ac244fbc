package main

// Reliability tests of "ntphealth run" as a user runs it: the real binary,
// built once, as a subprocess against a real chronyd (internal/chronytest),
// pushing to httptest receivers that fail in each way a network can.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
	"github.com/ntphealth/ntphealth/internal/server"
	"github.com/ntphealth/ntphealth/internal/syncbuf"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// binDir holds the binary built by ntphealthBinary; TestMain removes it.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// ntphealthBinary builds ./cmd/ntphealth once per test process and returns
// the binary's path.
func ntphealthBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "ntphealth-run-test")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ntphealth")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-tags", "nethttpomithttp2", "-o", binPath, ".").CombinedOutput() // ntphealthd as the Makefile's DAEMON_TAGS build it
		if err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// interval is the check interval every daemon here runs with.
const interval = time.Second

// receiver is a push target: it timestamps every request on arrival and
// answers like Uptime Kuma, or slowly, or with 500, or never.
type receiver struct {
	*httptest.Server
	mode    string // "ok", "slow", "500", "hang"
	release chan struct{}
	mu      sync.Mutex
	got     []received
}

// received is one push as it arrived.
type received struct {
	at          time.Time
	status, msg string
}

// slowAnswer is how long a "slow" receiver takes to answer.
const slowAnswer = 3 * time.Second

func newReceiver(t testing.TB, mode string) *receiver {
	t.Helper()
	rc := &receiver{mode: mode, release: make(chan struct{})}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		rc.mu.Lock()
		rc.got = append(rc.got, received{at: time.Now(), status: q.Get("status"), msg: q.Get("msg")})
		rc.mu.Unlock()
		switch rc.mode {
		case "slow":
			select {
			case <-time.After(slowAnswer):
			case <-rc.release:
			case <-r.Context().Done():
			}
		case "500": // Kuma behind an nginx that answers 500
			notifytest.NginxError(http.StatusInternalServerError).Write(w)
			return
		case "hang":
			select {
			case <-rc.release:
			case <-r.Context().Done():
			}
			return
		}
		notifytest.KumaOK().Write(w) // api-router.js:96
	}))
	t.Cleanup(rc.Close)                     // runs second: waits for handlers,
	t.Cleanup(func() { close(rc.release) }) // which this, run first, lets go
	return rc
}

// url is the receiver's Kuma push URL.
func (rc *receiver) url() string { return rc.URL + "/api/push/" + token }

func (rc *receiver) pushes() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// target is one push target in a test config.
type target struct {
	url     string
	timeout time.Duration // 0: the default (10 s)
	retries int           // 0: the default (2)
}

// runYAML is a config file for "ntphealth run".
func runYAML(chronyAddr, listen string, extra string, targets ...target) string {
	var b strings.Builder
	fmt.Fprintf(&b, "chrony:\n  address: %s\nlisten: %s\ninterval: %s\nlog_format: json\n", chronyAddr, listen, interval)
	if len(targets) > 0 {
		b.WriteString("push:\n")
	}
	for _, tg := range targets {
		fmt.Fprintf(&b, "  - kind: kuma\n    url: %s\n", tg.url)
		if tg.timeout > 0 {
			fmt.Fprintf(&b, "    timeout: %s\n", tg.timeout)
		}
		if tg.retries > 0 {
			fmt.Fprintf(&b, "    retries: %d\n", tg.retries)
		}
	}
	b.WriteString(extra)
	return b.String()
}

// daemonProc is one running "ntphealth run".
type daemonProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	base   string // http://HOST:PORT
	config string
	logs   *syncbuf.Buffer
	done   chan struct{}
	err    error // the exit, once done is closed
	client *http.Client
}

// startRun writes yaml (which must hold listen: LISTEN, replaced here by a
// free loopback address) to a config file and runs
// `ntphealth run --config FILE --interval 1s --log-format json ARGS...`; it
// returns once /health carries a first report.
func startRun(t testing.TB, yaml func(listen string) string, args ...string) *daemonProc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p := launchRun(t, testenv.FreeTCPAddr(t), yaml, args)
		if p.serving(15 * time.Second) {
			p.waitHealth(15*time.Second, "a first report", func(code int, r health.Report) bool {
				return !strings.Contains(r.Summary, "no check has run yet") && !r.Time.IsZero()
			})
			return p
		}
		// Another test took the port between freeTCPAddr and the bind.
		if attempt == 3 {
			t.Fatalf("ntphealth run found its --listen port taken 3 times; log:\n%s", p.logs.String())
		}
	}
}

// launchRun starts one "ntphealth run" listening on listen.
func launchRun(t testing.TB, listen string, yaml func(listen string) string, args []string) *daemonProc {
	t.Helper()
	bin := ntphealthBinary(t)
	p := &daemonProc{
		t:      t,
		base:   "http://" + listen,
		config: filepath.Join(t.TempDir(), "ntphealth.yaml"),
		logs:   &syncbuf.Buffer{},
		done:   make(chan struct{}),
		client: &http.Client{Timeout: 2 * time.Second},
	}
	p.writeConfig(yaml(listen))
	args = append([]string{"run", "--config", p.config, "--interval", interval.String(), "--log-format", "json"}, args...)
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start ntphealth run: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("ntphealth run log:\n%s", lastLines(p.logs.String(), 40))
		}
	})
	return p
}

// serving waits until the daemon answers HTTP; false when it exited
// because its listen address was taken.
func (p *daemonProc) serving(timeout time.Duration) bool {
	p.t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
		if _, _, _, err := p.health(); err == nil {
			return true
		}
		select {
		case <-p.done:
			if strings.Contains(p.logs.String(), "address already in use") {
				return false
			}
			p.t.Fatalf("ntphealth run exited at start (%v); log:\n%s", p.err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("ntphealth run did not answer HTTP at %s within %s", p.base, timeout)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeConfig (re)writes the daemon's config file, private as a file
// holding a push token should be.
func (p *daemonProc) writeConfig(yaml string) {
	p.t.Helper()
	if err := os.WriteFile(p.config, []byte(yaml), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

// health asks GET /health once.
func (p *daemonProc) health() (code int, r health.Report, latency time.Duration, err error) {
	start := time.Now()
	resp, err := p.client.Get(p.base + "/health")
	if err != nil {
		return 0, r, time.Since(start), err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	latency = time.Since(start)
	if err != nil {
		return resp.StatusCode, r, latency, err
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return resp.StatusCode, r, latency, fmt.Errorf("/health is not a JSON report: %w: %.200s", err, body)
	}
	return resp.StatusCode, r, latency, nil
}

// waitHealth polls /health every 50 ms until cond holds and returns when
// it did; it fails the test after timeout or when the daemon exits.
func (p *daemonProc) waitHealth(timeout time.Duration, what string, cond func(code int, r health.Report) bool) (time.Time, health.Report) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		code, r, _, err := p.health()
		if err == nil && cond(code, r) {
			return time.Now(), r
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("%d %s", code, r.Summary)
		}
		select {
		case <-p.done:
			p.t.Fatalf("ntphealth run exited (%v) while waiting for %s; log:\n%s", p.err, what, lastLines(p.logs.String(), 30))
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %s on /health within %s; last answer: %s", what, timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// schedule is what watching /health showed: the time of each distinct
// report (one per check round) and how /health answered meanwhile.
type schedule struct {
	rounds     []time.Time
	polls      int
	errs       []string
	maxLatency time.Duration
}

// watch polls /health every 100 ms for d.
func (p *daemonProc) watch(d time.Duration) schedule {
	var s schedule
	seen := map[time.Time]bool{}
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		_, r, lat, err := p.health()
		s.polls++
		s.maxLatency = max(s.maxLatency, lat)
		if err != nil {
			s.errs = append(s.errs, err.Error())
			continue
		}
		if !seen[r.Time] {
			seen[r.Time] = true
			s.rounds = append(s.rounds, r.Time)
		}
	}
	return s
}

// maxGap is the longest time between two consecutive check rounds.
func (s schedule) maxGap() time.Duration {
	var g time.Duration
	for i := 1; i < len(s.rounds); i++ {
		g = max(g, s.rounds[i].Sub(s.rounds[i-1]))
	}
	return g
}

// Limits on the schedule over a watch: the 1 s interval may slip on a busy
// 2-core machine, but a round held up by a push (3 s and more here) may not.
const (
	maxRoundGap     = 2500 * time.Millisecond
	maxHealthAnswer = time.Second
)

// wantOnSchedule asserts that checks kept their 1 s schedule over a watch of
// d and that /health answered every poll within maxHealthAnswer.
func wantOnSchedule(t testing.TB, s schedule, d time.Duration) {
	t.Helper()
	t.Logf("%d rounds in %s, longest gap %s; /health: %d polls, slowest %s, %d errors",
		len(s.rounds), d, s.maxGap().Round(time.Millisecond), s.polls, s.maxLatency.Round(time.Microsecond), len(s.errs))
	if want := int(d/interval) - 2; len(s.rounds) < want {
		t.Errorf("%d check rounds in %s at interval %s, want at least %d", len(s.rounds), d, interval, want)
	}
	if g := s.maxGap(); g > maxRoundGap {
		t.Errorf("longest gap between check rounds %s, want at most %s", g, maxRoundGap)
	}
	if len(s.errs) > 0 {
		t.Errorf("/health failed %d of %d times, first: %s", len(s.errs), s.polls, s.errs[0])
	}
	if s.maxLatency > maxHealthAnswer {
		t.Errorf("/health took %s at worst, want at most %s", s.maxLatency, maxHealthAnswer)
	}
}

// signal sends sig to the daemon.
func (p *daemonProc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("%v to ntphealth run: %v", sig, err)
	}
}

// stop sends SIGTERM and asserts exit 0 within deadline; it returns how
// long the exit took.
func (p *daemonProc) stop(deadline time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(deadline):
		p.t.Fatalf("ntphealth run did not exit within %s of SIGTERM", deadline)
	}
	took := time.Since(start)
	if p.err != nil {
		p.t.Errorf("ntphealth run exited with %v after SIGTERM, want exit 0", p.err)
	}
	return took
}

// running fails the test if the daemon has exited.
func (p *daemonProc) running() {
	p.t.Helper()
	select {
	case <-p.done:
		p.t.Fatalf("ntphealth run exited: %v", p.err)
	default:
	}
}

// logLine is one JSON log record of the daemon.
type logLine map[string]any

// waitLog waits until the daemon logged a record with msg for which cond
// holds.
func (p *daemonProc) waitLog(timeout time.Duration, msg string, cond func(logLine) bool) logLine {
	p.t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(p.logs.String()))
		for sc.Scan() {
			var l logLine
			if json.Unmarshal(sc.Bytes(), &l) == nil && l["msg"] == msg && (cond == nil || cond(l)) {
				return l
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no log record %q within %s; log:\n%s", msg, timeout, lastLines(p.logs.String(), 20))
		}
	}
}

// metric returns the value of one sample of /metrics, e.g.
// `ntphealth_push_total{result="failure"}`.
func (p *daemonProc) metric(sample string) float64 {
	p.t.Helper()
	resp, err := p.client.Get(p.base + "/metrics")
	if err != nil {
		p.t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				p.t.Fatalf("/metrics %s: %v", sample, err)
			}
			return f
		}
	}
	p.t.Fatalf("/metrics has no sample %s", sample)
	return 0
}

// refusedURL is a push URL on a loopback port nothing listens on.
func refusedURL(t testing.TB) string {
	return "http://" + testenv.FreeTCPAddr(t) + "/api/push/" + token
}

// TestRunPushFaults: a push target that refuses, answers in 3 s, answers
// 500 or never answers holds up neither the checks nor /health, and
// SIGTERM ends the daemon with exit 0 even while a push hangs.
func TestRunPushFaults(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{})
	const watchFor = 8 * time.Second
	for _, tc := range []struct {
		mode string
		// want checks what the target saw and the daemon counted.
		want func(t *testing.T, p *daemonProc, rc *receiver)
	}{
		{"refused", func(t *testing.T, p *daemonProc, _ *receiver) {
			if n := p.metric(`ntphealth_push_total{result="failure"}`); n < 1 {
				t.Errorf("push failures counted: %g, want at least 1", n)
			}
			p.waitLog(time.Second, "push failed", nil)
		}},
		{"slow", func(t *testing.T, p *daemonProc, rc *receiver) {
			// One push at a time, each 3 s: the newest report waits and older
			// ones are dropped, so pushes do not pile up behind the target.
			n := len(rc.pushes())
			if n < 2 || n > int(watchFor/slowAnswer)+2 {
				t.Errorf("slow target got %d pushes in about %s, want 2..%d", n, watchFor, int(watchFor/slowAnswer)+2)
			}
			if s := p.metric(`ntphealth_push_total{result="success"}`); s < 1 {
				t.Errorf("push successes counted: %g, want at least 1", s)
			}
		}},
		{"500", func(t *testing.T, p *daemonProc, rc *receiver) {
			if n := len(rc.pushes()); n < 2 {
				t.Errorf("target got %d attempts, want retries (at least 2)", n)
			}
			if n := p.metric(`ntphealth_push_total{result="failure"}`); n < 1 {
				t.Errorf("push failures counted: %g, want at least 1", n)
			}
		}},
		{"hang", func(t *testing.T, p *daemonProc, rc *receiver) {
			if n := len(rc.pushes()); n != 1 {
				t.Errorf("hanging target got %d requests, want 1 (the first attempt is still waiting for its 30 s deadline)", n)
			}
		}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			var url string
			// The hanging target gets a 30 s deadline, beyond the watch and the
			// 5 s drain, so that its first attempt is still waiting at SIGTERM.
			var pushTimeout time.Duration
			if tc.mode == "hang" {
				pushTimeout = 30 * time.Second
			}
			var rc *receiver
			if tc.mode == "refused" {
				url = refusedURL(t)
			} else {
				rc = newReceiver(t, tc.mode)
				url = rc.url()
			}
			p := startRun(t, func(listen string) string {
				return runYAML(c.UDPAddr(), listen, "", target{url: url, timeout: pushTimeout})
			})
			s := p.watch(watchFor)
			wantOnSchedule(t, s, watchFor)
			tc.want(t, p, rc)
			// The drain waits 5 s (daemon ShutdownTimeout) for a push in
			// flight, then cancels it.
			took := p.stop(10 * time.Second)
			t.Logf("SIGTERM to exit: %s", took.Round(time.Millisecond))
			if tc.mode == "hang" {
				p.waitLog(time.Second, "push still running at shutdown; cancelled", nil)
			}
		})
	}
}

// TestRunChronydDownAndBack: chronyd killed under a running daemon turns
// /health CRITICAL within about one interval plus the probe deadline, and
// back to OK once chronyd is restarted, with the same ntphealth process.
func TestRunChronydDownAndBack(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true})
	c.WaitFor(t, 30*time.Second, selected("PPS"))
	p := startRun(t, func(listen string) string { return runYAML(c.UDPAddr(), listen, "") })
	p.waitHealth(30*time.Second, "OK", func(code int, r health.Report) bool {
		return code == http.StatusOK && r.Status == health.OK
	})

	c.Stop()
	stopped := time.Now()
	at, r := p.waitHealth(10*time.Second, "503 CRITICAL", func(code int, r health.Report) bool {
		return code == http.StatusServiceUnavailable && r.Status == health.Critical
	})
	// chronyd's port is closed: the probe hears ECONNREFUSED at once, so
	// the next round (at most one interval away) sees it; the probe's 2 s
	// deadline is the bound for a chronyd that does not answer at all.
	took := at.Sub(stopped)
	t.Logf("chronyd killed -> /health 503 in %s: %s", took.Round(time.Millisecond), r.Summary)
	if limit := interval + chrony.DefaultTimeout + time.Second; took > limit {
		t.Errorf("CRITICAL after %s, want within %s (interval + probe deadline + 1 s)", took, limit)
	}
	if !strings.HasPrefix(r.Summary, "CRITICAL: chronyd not reachable") {
		t.Errorf("summary %q, want CRITICAL: chronyd not reachable ...", r.Summary)
	}
	if chk, ok := r.Check("reachable"); !ok || chk.Status != health.Critical {
		t.Errorf("check reachable = %+v, want CRITICAL", chk)
	}

	c.Restart()
	restarted := time.Now()
	at, r = p.waitHealth(60*time.Second, "OK again", func(code int, r health.Report) bool {
		return code == http.StatusOK && r.Status == health.OK
	})
	t.Logf("chronyd restarted -> /health 200 OK in %s: %s", at.Sub(restarted).Round(time.Millisecond), r.Summary)
	p.running()
	p.waitLog(time.Second, "status changed", func(l logLine) bool { return l["status"] == "CRITICAL" })
	p.stop(10 * time.Second)
}

// TestRunReload: SIGHUP with an invalid config is refused with the key and
// line logged and the old config keeps running; a valid one takes effect
// (a new push URL); SIGTERM then ends the daemon with exit 0.
func TestRunReload(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{})
	a, b := newReceiver(t, "ok"), newReceiver(t, "ok")
	var listen string
	p := startRun(t, func(l string) string {
		listen = l
		return runYAML(c.UDPAddr(), l, "", target{url: a.url()})
	})
	waitPushes(t, a, 1, 5*time.Second)

	// An invalid value on a known line.
	bad := runYAML(c.UDPAddr(), listen, "timeout: soon\n", target{url: a.url()})
	badLine := strings.Count(bad, "\n")
	p.writeConfig(bad)
	p.signal(syscall.SIGHUP)
	l := p.waitLog(5*time.Second, "config reload refused; the old config keeps running", nil)
	msg, _ := l["error"].(string)
	if wantPos := fmt.Sprintf("%s:%d", p.config, badLine); !strings.Contains(msg, wantPos) || !strings.Contains(msg, "timeout") {
		t.Errorf("reload error %q, want it to name %s and the key timeout", msg, wantPos)
	}
	if l["level"] != "ERROR" {
		t.Errorf("reload refusal logged at %v, want ERROR", l["level"])
	}
	before := len(a.pushes())
	s := p.watch(4 * time.Second)
	wantOnSchedule(t, s, 4*time.Second)
	if after := len(a.pushes()); after <= before {
		t.Errorf("old push target got no push after the refused reload (%d before, %d after)", before, after)
	}

	// A valid config with another push URL.
	p.writeConfig(runYAML(c.UDPAddr(), listen, "", target{url: b.url()}))
	p.signal(syscall.SIGHUP)
	p.waitLog(5*time.Second, "config reloaded", nil)
	waitPushes(t, b, 2, 5*time.Second)
	n := len(a.pushes())
	time.Sleep(2 * interval)
	if m := len(a.pushes()); m > n+1 { // one push may have been in flight
		t.Errorf("old push target still gets pushes after the reload: %d -> %d", n, m)
	}
	p.stop(10 * time.Second)
}

// waitPushes waits until rc got at least n pushes.
func waitPushes(t testing.TB, rc *receiver, n int, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); len(rc.pushes()) < n; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s got %d pushes within %s, want %d", rc.URL, len(rc.pushes()), timeout, n)
		}
	}
}

// chronydCommands is chronyd's "Command packets received" counter, read
// with chronyc over the unix socket (serverstats is refused over UDP).
// Each call adds one command of its own.
func chronydCommands(t testing.TB, c *chronytest.Chronyd) int {
	t.Helper()
	bin := testenv.Tool(t, "chrony", "chronyc")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sock := strings.TrimPrefix(c.UnixAddr(), "unix://")
	out, err := exec.CommandContext(ctx, bin, "-h", sock, "serverstats").CombinedOutput()
	if err != nil {
		t.Fatalf("chronyc -h %s serverstats: %v\n%s", sock, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Command packets received"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":")))
			if err != nil {
				t.Fatalf("chronyc serverstats: %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("chronyc serverstats has no command count:\n%s", out)
	return 0
}

// Load on /health: requests over keep-alive connections.
const (
	loadRequests    = 50_000
	loadConnections = 20
)

// TestRunHealthLoad sends 50,000 requests over 20 connections to /health
// and asserts that none fails and that not one reaches chronyd: the daemon
// runs with a 1 h interval, so after its first round every chronyd command
// counted is one of ours.
func TestRunHealthLoad(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{})
	p := startRun(t, func(l string) string { return runYAML(c.UDPAddr(), l, "") }, "--interval", "1h")
	c0 := chronydCommands(t, c)
	c1 := chronydCommands(t, c)
	own := c1 - c0 // what one chronyc serverstats costs

	var dials atomic.Int64
	tr := &http.Transport{
		MaxIdleConnsPerHost: loadConnections,
		MaxConnsPerHost:     loadConnections,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var (
		wg    sync.WaitGroup
		errs  atomic.Int64
		codes sync.Map // status code -> *atomic.Int64
		first atomic.Value
	)
	start := time.Now()
	for w := range loadConnections {
		wg.Go(func() {
			for i := w; i < loadRequests; i += loadConnections {
				resp, err := client.Get(p.base + "/health")
				if err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
				resp.Body.Close()
				n, _ := codes.LoadOrStore(resp.StatusCode, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	c2 := chronydCommands(t, c)

	byCode := map[int]int64{}
	codes.Range(func(k, v any) bool { byCode[k.(int)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("%d requests over %d connections in %s: %.0f req/s; status codes %v; %d dials; chronyd commands %d -> %d (chronyc itself: %d each)",
		loadRequests, loadConnections, took.Round(time.Millisecond), loadRequests/took.Seconds(), byCode, dials.Load(), c1, c2, own)
	if n := errs.Load(); n > 0 {
		t.Errorf("%d of %d requests failed, first: %v", n, loadRequests, first.Load())
	}
	if len(byCode) != 1 {
		t.Errorf("status codes %v, want one code for one cached report", byCode)
	}
	if d := dials.Load(); d > 2*loadConnections {
		t.Errorf("%d connections opened for %d keep-alive clients", d, loadConnections)
	}
	if got := c2 - c1; got != own {
		t.Errorf("chronyd received %d commands during the load, want %d (chronyc's own): /health must not reach chronyd", got, own)
	}
	p.stop(10 * time.Second)
}

// openFDs counts this process's open file descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("count open files: %v", err)
	}
	return len(ents)
}

// leakRounds is how many check rounds TestRoundsDoNotLeak runs.
const leakRounds = 1000

// TestRoundsDoNotLeak runs 1,000 rounds of what the daemon does each
// interval (probe a real chronyd, over UDP and the unix socket in turn;
// evaluate; update the state; push to a receiver) and compares goroutines
// and open files before and after. It does not run in parallel: both
// counts are the whole process's.
func TestRoundsDoNotLeak(t *testing.T) {
	c := chronytest.Start(t, chronytest.Options{Refclocks: true})
	rc := newReceiver(t, "ok")
	cfg := config.Default()
	cfg.SetPushURL(rc.url(), "test")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	targets, err := notifiers(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	sets := []probe.Set{
		{Chrony: &chrony.Probe{Address: c.UDPAddr(), Timeout: 2 * time.Second}},
		{Chrony: &chrony.Probe{Address: c.UnixAddr(), Timeout: 2 * time.Second}},
	}
	state := server.NewState(100)
	policy := health.DefaultPolicy()
	round := func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		obs := sets[i%2].Observe(ctx)
		if obs.Daemon == nil || obs.Daemon.Error != "" {
			t.Fatalf("round %d: chronyd did not answer: %+v", i, obs.Daemon)
		}
		r := health.Evaluate(obs, policy)
		state.Update(r)
		state.RecordPush(pushAll(ctx, targets, r))
	}
	settle := func() (int, int) {
		time.Sleep(100 * time.Millisecond)
		return runtime.NumGoroutine(), openFDs(t)
	}
	for i := range 20 { // warm up: the push client's idle connection
		round(i)
	}
	g0, f0 := settle()
	start := time.Now()
	for i := range leakRounds {
		round(i)
	}
	took := time.Since(start)
	// Slack: a keep-alive connection the push client may have replaced
	// (two goroutines and one descriptor each side).
	const slack = 4
	var g1, f1 int
	for deadline := time.Now().Add(3 * time.Second); ; {
		g1, f1 = settle()
		if (g1 <= g0+slack && f1 <= f0+slack) || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("%d rounds in %s (%s each): goroutines %d -> %d, open files %d -> %d, pushes received %d",
		leakRounds, took.Round(time.Millisecond), (took / leakRounds).Round(time.Microsecond), g0, g1, f0, f1, len(rc.pushes()))
	if g1 > g0+slack {
		t.Errorf("goroutines %d -> %d after %d rounds: a leak", g0, g1, leakRounds)
	}
	if f1 > f0+slack {
		t.Errorf("open files %d -> %d after %d rounds: a leak", f0, f1, leakRounds)
	}
	if p := state.Push(); p.Success != leakRounds+20 || p.Failure != 0 {
		t.Errorf("pushes: %d ok, %d failed, want %d ok", p.Success, p.Failure, leakRounds+20)
	}
	// The unix-socket probe binds a client socket file per round next to
	// chronyd's; none may stay behind.
	sockDir := filepath.Dir(strings.TrimPrefix(c.UnixAddr(), "unix://"))
	if left, _ := filepath.Glob(filepath.Join(sockDir, "ntphealth.*.sock")); len(left) > 0 {
		t.Errorf("%d client sockets left in %s, e.g. %s", len(left), sockDir, left[0])
	}
}

// benchEnv enables the long-running measurements below.
const benchEnv = "NTPHEALTH_BENCH"

// digits matches the numbers in a summary, so that two pushes saying the
// same thing with other figures compare equal.
var digits = regexp.MustCompile(`[0-9.]+`)

// TestPPSLossToWarningPush measures, with the real binary at --interval 1s,
// the time from the PPS feeder stopping to the first push that carries
// WARNING, for refclocks polled every 1 s (poll 0) and every 16 s (poll 4),
// and logs every change of what is pushed until 5 s after chronyd selects
// the fallback. It takes
// minutes, so it runs only with NTPHEALTH_BENCH=1:
//
//	NTPHEALTH_BENCH=1 go test ./cmd/ntphealth -run TestPPSLossToWarningPush -v
func TestPPSLossToWarningPush(t *testing.T) {
	if os.Getenv(benchEnv) == "" {
		t.Skipf("a measurement of minutes: set %s=1", benchEnv)
	}
	t.Parallel()
	for _, poll := range []int{0, 4} {
		t.Run(fmt.Sprintf("poll %d", poll), func(t *testing.T) {
			t.Parallel()
			pollEvery := time.Duration(1<<poll) * time.Second
			c := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true, Poll: poll})
			c.WaitFor(t, 30*time.Second+8*pollEvery, selected("PPS"))
			rc := newReceiver(t, "ok")
			p := startRun(t, func(l string) string { return runYAML(c.UDPAddr(), l, "", target{url: rc.url()}) })
			p.waitHealth(30*time.Second+4*pollEvery, "OK", func(code int, r health.Report) bool { return r.Status == health.OK })
			// Stop the feed just after a sample went out (the feeder sends at
			// 100 ms past each second), the worst case for a detector.
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1200 * time.Millisecond)))
			c.StopFeed()
			stopped := time.Now()
			n0 := len(rc.pushes())

			// Follow the pushes until the fallback is selected and WARNING
			// has been pushed, at most 16 polls plus 30 s.
			limit := 30*time.Second + 16*pollEvery
			var firstWarn *received
			var warnChecks []string
			lastKind := ""
			var fellBack time.Time
			for deadline := stopped.Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				got := rc.pushes()[n0:]
				for i := range got {
					status, _, _ := strings.Cut(got[i].msg, ":")
					if kind := digits.ReplaceAllString(got[i].msg, "#"); kind != lastKind {
						t.Logf("+%5.1f s push %s", got[i].at.Sub(stopped).Seconds(), got[i].msg)
						lastKind = kind
					}
					if firstWarn == nil && status == "WARNING" {
						firstWarn = &got[i]
						_, r, _, err := p.health()
						if err == nil {
							for _, chk := range r.Checks {
								if chk.Status != health.OK {
									warnChecks = append(warnChecks, chk.Name+"="+chk.Status.String())
								}
							}
						}
					}
				}
				n0 += len(got)
				if fellBack.IsZero() {
					d := c.WaitFor(t, 5*time.Second, func(*observe.Daemon) bool { return true })
					if selected("127.0.0.1")(d) {
						fellBack = time.Now()
						t.Logf("+%5.1f s chronyd selected the fallback", fellBack.Sub(stopped).Seconds())
					}
				}
				if firstWarn != nil && !fellBack.IsZero() && time.Since(fellBack) > 5*time.Second {
					break // the pushes that follow the switch are logged
				}
			}
			if firstWarn == nil {
				t.Fatalf("poll %d: no WARNING pushed within %s of the feed stopping", poll, limit)
			}
			t.Logf("RESULT poll %d (%s): PPS feed stopped -> first WARNING push in %.1f s; non-OK checks then: %s; message: %s",
				poll, pollEvery, firstWarn.at.Sub(stopped).Seconds(), strings.Join(warnChecks, " "), firstWarn.msg)
		})
	}
}
