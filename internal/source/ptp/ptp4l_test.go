package ptp

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// observe reads p once.
func observe(t *testing.T, p *Probe) *Reading {
	t.Helper()
	return p.Observe(context.Background()).(*Reading)
}

// verdict is the worst of the reading's checks, and the checks as text.
func verdict(r *Reading) (health.Status, string) {
	st := health.OK
	var b strings.Builder
	for _, c := range r.Checks() {
		st = health.Worse(st, c.Status)
		fmt.Fprintf(&b, "  %s %s: %s\n", c.Name, c.Status, c.Message)
	}
	return st, b.String()
}

func checkStatus(r *Reading, name string) health.Status {
	for _, c := range r.Checks() {
		if c.Name == name {
			return c.Status
		}
	}
	return health.Unknown
}

// waitVerdict reads p until cond holds, at most limit.
func waitVerdict(t *testing.T, p *Probe, limit time.Duration, what string, cond func(*Reading) bool) *Reading {
	t.Helper()
	end := time.Now().Add(limit)
	var r *Reading
	for time.Now().Before(end) {
		if r = observe(t, p); cond(r) {
			return r
		}
		time.Sleep(10 * time.Millisecond) // a reading takes about 1 ms
	}
	_, checks := verdict(r)
	t.Fatalf("%s: not within %s; last reading %+v\n%s", what, limit, r, checks)
	return nil
}

func isOK(r *Reading) bool { st, _ := verdict(r); return st == health.OK }

// startPair runs a grandmaster (its clockClass gmClass) and a slaveOnly
// slave on a veth pair.
func startPair(t *testing.T, gmClass int) (gm, slave *instance) {
	tools := needRig(t)
	gmNS, slaveNS := newLink(t, tools)
	gm = startPTP4L(t, tools, gmNS, "veth0", "gm", fmt.Sprintf("clockClass %d", gmClass))
	slave = startPTP4L(t, tools, slaveNS, "veth1", "slave", "slaveOnly 1")
	return gm, slave
}

// TestPTP4LSlaveLocked: a slave locked to a clockClass 6 grandmaster is
// OK on every check; the grandmaster, read as role master, is OK too.
func TestPTP4LSlaveLocked(t *testing.T) {
	gm, slave := startPair(t, 6)
	p := probeFor(slave.socket, RoleSlave)
	start := time.Now()
	r := waitVerdict(t, p, 15*time.Second, "slave OK", isOK)
	t.Logf("slave OK %s after ptp4l answered: %s", time.Since(start).Round(time.Millisecond), textOf(r))

	// Sample for 2 s: the port stays SLAVE and the offsets are those of
	// software timestamping.
	var offsets, delays []float64
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		r := observe(t, p)
		if r.PortState != "SLAVE" {
			st, checks := verdict(r)
			t.Fatalf("the slave left SLAVE while its grandmaster ran: %s\n%s", st, checks)
		}
		offsets = append(offsets, r.OffsetFromMasterSeconds)
		delays = append(delays, r.MeanPathDelaySeconds)
	}
	t.Logf("slave, %d readings in 2 s: |offset| %s; mean path delay %s", len(offsets), spread(offsets, true), spread(delays, false))

	g := observe(t, probeFor(gm.socket, RoleMaster))
	if st, checks := verdict(g); st != health.OK || g.PortState != "MASTER" || g.GMClockClass != 6 || !g.selfGM() {
		t.Errorf("grandmaster read as role master: %s, %+v\n%s", st, g, checks)
	}
	if r.GMIdentity != g.ClockIdentity || r.StepsRemoved != 1 || r.Interface != "veth1" || r.Timestamping != "software" || r.DelayMechanism != "E2E" {
		t.Errorf("slave reading does not name its grandmaster %s: %+v", g.ClockIdentity, r)
	}
}

// spread writes min, median and max of v in words (of |v| when abs).
func spread(v []float64, abs bool) string {
	w := slices.Clone(v)
	for i := range w {
		if abs {
			w[i] = math.Abs(w[i])
		}
	}
	slices.Sort(w)
	if len(w) == 0 {
		return "none"
	}
	return fmt.Sprintf("min %s, median %s, max %s", health.FormatSeconds(w[0], false), health.FormatSeconds(w[len(w)/2], false), health.FormatSeconds(w[len(w)-1], false))
}

func textOf(r *Reading) string {
	var b strings.Builder
	r.Text(&b)
	return strings.TrimSpace(b.String())
}

// TestPTP4LGrandmasterStopped: when the grandmaster stops, the slave's
// verdict leaves OK within the announce receipt timeout, through
// ptp_port_state (a slaveOnly port goes LISTENING but keeps gmPresent and
// the old parent data set).
func TestPTP4LGrandmasterStopped(t *testing.T) {
	gm, slave := startPair(t, 6)
	p := probeFor(slave.socket, RoleSlave)
	waitVerdict(t, p, 15*time.Second, "slave OK", isOK)

	stopped := time.Now()
	gm.stop()
	stopTook := time.Since(stopped)
	r := waitVerdict(t, p, 5*time.Second, "the slave's verdict leaves OK after the grandmaster stopped", func(r *Reading) bool { return !isOK(r) })
	left := time.Since(stopped)
	st, checks := verdict(r)
	t.Logf("the slave's verdict left OK %s after SIGTERM to the grandmaster (its exit took %s; announce receipt timeout %s + up to one interval): %s\n%s",
		left.Round(time.Millisecond), stopTook.Round(time.Millisecond), rigAnnounceTimeout, st, checks)
	// The timeout runs from the last Announce (up to one interval, 125 ms,
	// before the stop) and linuxptp adds up to one more interval at random:
	// 0.25-0.5 s. The rest is scheduling on a shared 2-core machine.
	if left > 2*time.Second {
		t.Errorf("the verdict left OK %s after the stop, want within about %s", left, 2*rigAnnounceTimeout)
	}
	if got := checkStatus(r, CheckPortState); got != health.Critical {
		t.Errorf("ptp_port_state = %s, want CRITICAL (port %s)", got, r.PortState)
	}
	r = waitVerdict(t, p, 5*time.Second, "slave LISTENING", func(r *Reading) bool { return r.PortState == "LISTENING" })
	if st, checks := verdict(r); st != health.Critical || checkStatus(r, CheckGMPresent) != health.Critical || checkStatus(r, CheckOffset) != health.Unknown {
		t.Errorf("a LISTENING slave: %s\n%s", st, checks)
	}
}

// TestPTP4LGrandmasterHoldover: a grandmaster announcing clockClass 7
// (holdover) makes the slave's verdict WARNING through ptp_gm_class only.
func TestPTP4LGrandmasterHoldover(t *testing.T) {
	_, slave := startPair(t, 7)
	p := probeFor(slave.socket, RoleSlave)
	r := waitVerdict(t, p, 15*time.Second, "slave locked", func(r *Reading) bool {
		return r.PortState == "SLAVE" && checkStatus(r, CheckOffset) == health.OK
	})
	st, checks := verdict(r)
	if st != health.Warning || checkStatus(r, CheckGMClass) != health.Warning || r.GMClockClass != 7 {
		t.Errorf("slave of a class 7 grandmaster: %s, want WARNING from ptp_gm_class\n%s", st, checks)
	}
	for _, c := range r.Checks() {
		if c.Name != CheckGMClass && c.Status != health.OK {
			t.Errorf("%s %s: %s", c.Name, c.Status, c.Message)
		}
	}
}

// TestPTP4LThisHostGrandmasterDefaultClass: this host as grandmaster with
// the default clockClass 248 is CRITICAL for role master (and its slave
// WARNING: it follows a grandmaster without a declared reference).
func TestPTP4LThisHostGrandmasterDefaultClass(t *testing.T) {
	gm, slave := startPair(t, 248)
	g := waitVerdict(t, probeFor(gm.socket, RoleMaster), 10*time.Second, "grandmaster MASTER", func(r *Reading) bool { return r.PortState == "MASTER" })
	st, checks := verdict(g)
	if st != health.Critical || checkStatus(g, CheckGMClass) != health.Critical || checkStatus(g, CheckPortState) != health.OK || checkStatus(g, CheckGMPresent) != health.OK {
		t.Errorf("grandmaster with class 248, role master: %s, want CRITICAL from ptp_gm_class only\n%s", st, checks)
	}
	t.Logf("grandmaster, role master: %s\n%s", st, checks)

	s := waitVerdict(t, probeFor(slave.socket, RoleSlave), 15*time.Second, "slave locked", func(r *Reading) bool {
		return r.PortState == "SLAVE" && checkStatus(r, CheckOffset) == health.OK
	})
	if st, checks := verdict(s); st != health.Warning || checkStatus(s, CheckGMClass) != health.Warning {
		t.Errorf("slave of a class 248 grandmaster: %s, want WARNING\n%s", st, checks)
	}
}

// startLone runs one ptp4l on lo in a namespace of its own: a slaveOnly
// clock that hears no master and stays LISTENING, and writes no clock
// (free_running; the shim and setpriv hold anyway).
func startLone(t *testing.T, extra ...string) *instance {
	tools := needRig(t)
	ns := newNetns(t, tools)
	return startPTP4L(t, tools, ns, "lo", "lone", append([]string{"slaveOnly 1", "free_running 1"}, extra...)...)
}

// TestPTP4LNotRunning: after ptp4l stopped (and removed its socket), the
// probe says so, CRITICAL, within its deadline.
func TestPTP4LNotRunning(t *testing.T) {
	in := startLone(t)
	if r := observe(t, probeFor(in.socket, RoleSlave)); r.Error != "" {
		t.Fatalf("a running ptp4l: %s", r.Error)
	}
	in.stop()
	p := probeFor(in.socket, RoleSlave)
	start := time.Now()
	r := observe(t, p)
	took := time.Since(start)
	checks := r.Checks()
	if len(checks) != 1 || checks[0].Name != CheckPortState || checks[0].Status != health.Critical ||
		!strings.Contains(checks[0].Message, "is ptp4l running?") || took > p.Timeout {
		t.Errorf("ptp4l stopped: %+v after %s", checks, took)
	}
	t.Logf("%s (after %s)", checks[0].Message, took)
}

// TestPTP4LStaleSocket: a ptp4l killed with SIGKILL leaves its socket; the
// probe names it stale, CRITICAL, at once.
func TestPTP4LStaleSocket(t *testing.T) {
	in := startLone(t)
	in.kill()
	p := probeFor(in.socket, RoleSlave)
	start := time.Now()
	r := observe(t, p)
	took := time.Since(start)
	checks := r.Checks()
	if len(checks) != 1 || checks[0].Status != health.Critical || !strings.Contains(checks[0].Message, "stale socket") || took > p.Timeout {
		t.Errorf("ptp4l killed: %+v after %s", checks, took)
	}
	t.Logf("%s (after %s)", checks[0].Message, took)
}

// TestPTP4LDomain: ptp4l ignores management messages of another domain
// (port.c port_ignore), so a wrong ptp.domain is a silent socket, and the
// message names the domain; the right one is answered.
func TestPTP4LDomain(t *testing.T) {
	in := startLone(t, "domainNumber 24")
	p := probeFor(in.socket, RoleSlave)
	p.Timeout = 300 * time.Millisecond
	start := time.Now()
	r := observe(t, p)
	took := time.Since(start)
	if !strings.Contains(r.Error, "no answer") || !strings.Contains(r.Error, "domainNumber 0") || took > p.Timeout+200*time.Millisecond {
		t.Errorf("domain 0 against ptp4l's 24: %q after %s", r.Error, took)
	}
	p.Domain = 24
	if r := observe(t, p); r.Error != "" || r.Domain != 24 || r.PortState != "LISTENING" {
		t.Errorf("domain 24: %+v", r)
	}
}
