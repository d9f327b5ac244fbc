package faults

import (
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// chronydState is one row of the chronyd dimension: where the probe is
// pointed, and the verdict and message it must give.
type chronydState struct {
	name string
	addr string
	exit int    // the Nagios exit code
	msg  string // a substring of the report's text
}

// chronydStates starts what the chronyd dimension needs: a real chronyd
// synced to its refclocks (reached directly and through relays that answer
// late), a paused one, a garbage answerer and an address where nothing
// listens.
func chronydStates(t *testing.T) []chronydState {
	t.Helper()
	good := chronytest.Start(t, chronytest.Options{Refclocks: true})
	good.WaitFor(t, 30*time.Second, func(d *observe.Daemon) bool {
		for _, s := range d.Sources {
			if s.State == observe.StateSelected && s.Name == "PPS" {
				return true
			}
		}
		return false
	})
	paused := chronytest.Start(t, chronytest.Options{})
	paused.Pause()
	t.Cleanup(paused.Resume)

	absent := testenv.FreeTCPAddr(t) // nothing listens on this UDP port either
	late := slowRelay(t, good.UDPAddr(), probeTimeout+time.Second)
	noAnswer := func(addr string) string {
		return "chronyd not reachable at " + addr + ": tracking request: no answer in time"
	}
	garbage := garbageUDP(t)
	return []chronydState{
		{name: "ok", addr: good.UDPAddr(), exit: 0, msg: "OK"},
		{name: "absent", addr: absent, exit: 2, msg: "chronyd not reachable at " + absent + ": connection refused"},
		{name: "stopped", addr: paused.UDPAddr(), exit: 2, msg: noAnswer(paused.UDPAddr())},
		{name: "garbage", addr: garbage, exit: 2, msg: "chronyd not reachable at " + garbage + ": tracking request: not a chronyd reply"},
		{name: "slow-beyond", addr: late, exit: 2, msg: noAnswer(late)},
		{name: "slow-below", addr: slowRelay(t, good.UDPAddr(), 50*time.Millisecond), exit: 0, msg: "OK"},
	}
}

// cell is one outcome of the matrix, for the summary table.
type cell struct {
	dims    []string
	exit    int
	elapsed time.Duration
	passed  bool
}

// table collects cells from parallel subtests.
type table struct {
	mu    sync.Mutex
	cells []cell
}

func (tb *table) add(c cell) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.cells = append(tb.cells, c)
}

// log prints the table and the count of cells and passes.
func (tb *table) log(t *testing.T, title string, header ...string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	sort.Slice(tb.cells, func(i, j int) bool {
		return strings.Join(tb.cells[i].dims, "\x00") < strings.Join(tb.cells[j].dims, "\x00")
	})
	var b strings.Builder
	passed := 0
	fmt.Fprintf(&b, "%s\n", title)
	for _, h := range header {
		fmt.Fprintf(&b, "%-22s", h)
	}
	fmt.Fprintf(&b, "%-6s %-9s %s\n", "exit", "elapsed", "outcome")
	for _, c := range tb.cells {
		for _, d := range c.dims {
			fmt.Fprintf(&b, "%-22s", d)
		}
		outcome := "FAIL"
		if c.passed {
			outcome = "pass"
			passed++
		}
		fmt.Fprintf(&b, "%-6d %-9s %s\n", c.exit, c.elapsed.Round(10*time.Millisecond), outcome)
	}
	fmt.Fprintf(&b, "%d cells, %d passed, %d failed", len(tb.cells), passed, len(tb.cells)-passed)
	t.Log(b.String())
}

// TestCheckMatrix crosses every chronyd state with every push target state
// through `ntphealth check`: the exit code is the chronyd verdict whatever
// the push does, the report says what is wrong with chronyd, stderr says
// what is wrong with the push, the receiver saw the right status and
// number of attempts, and the run ends within checkBound.
func TestCheckMatrix(t *testing.T) {
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	daemons := chronydStates(t)
	pushes := pushStates(hold)

	var tb table
	t.Run("cells", func(t *testing.T) {
		for _, c := range daemons {
			for _, p := range pushes {
				t.Run(c.name+"/"+p.name, func(t *testing.T) {
					t.Parallel()
					r := checkCell(t, c, p)
					tb.add(cell{dims: []string{c.name, p.name}, exit: r.exit, elapsed: r.elapsed, passed: !t.Failed()})
				})
			}
		}
	})
	tb.log(t, "ntphealth check: chronyd x push target", "chronyd", "push")
}

// checkCell runs one cell of TestCheckMatrix.
func checkCell(t *testing.T, c chronydState, p pushState) result {
	var recv *receiver
	var pushURL string
	if p.handler != nil {
		recv = newReceiver(t, p.handler)
		pushURL = recv.URL("tok-matrix")
	} else {
		pushURL = refusedURL(t, "tok-matrix")
	}
	path := filepath.Join(t.TempDir(), "ntphealth.yaml")
	writeFile(t, path, configYAML(c.addr, pushURL), 0o600)

	r := runBin(t, runOpts{}, "check", "--config", path)
	if r.exit != c.exit {
		t.Errorf("exit %d, want %d", r.exit, c.exit)
	}
	if !strings.Contains(r.stdout, c.msg) {
		t.Errorf("report does not say %q", c.msg)
	}
	failed := "ntphealth: push kuma http://127.0.0.1:"
	if p.delivered {
		if strings.Contains(r.stderr, failed) {
			t.Errorf("push reported failed, want delivered")
		}
	} else {
		if !strings.Contains(r.stderr, failed) || !strings.Contains(r.stderr, p.stderr) {
			t.Errorf("stderr does not say the push failed with %q", p.stderr)
		}
		if strings.Contains(r.stderr, "tok-matrix") {
			t.Errorf("stderr shows the push token")
		}
	}
	if recv != nil {
		hits := recv.Hits()
		if len(hits) != p.attempts {
			t.Errorf("receiver saw %d request(s), want %d: %q", len(hits), p.attempts, hits)
		}
		want := "up"
		if c.exit >= 2 {
			want = "down"
		}
		for _, h := range hits {
			u, err := url.Parse(h)
			if err != nil || u.Query().Get("status") != want {
				t.Errorf("pushed %q, want status=%s", h, want)
			}
		}
	}
	if t.Failed() {
		t.Logf("exit %d in %s\nstdout:\n%s\nstderr:\n%s", r.exit, r.elapsed, r.stdout, r.stderr)
	}
	return r
}
