package main

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/history"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// historyPoint is one point of GET /history.
type historyPoint struct {
	Time   time.Time `json:"time"`
	Status string    `json:"status"`
	Offset *float64  `json:"offset_seconds"`
}

// history asks GET /history for every round of the last hour.
func (p *daemonProc) history() []historyPoint {
	p.t.Helper()
	resp, err := p.client.Get(p.base + "/history?step=0s&from=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	if err != nil {
		p.t.Fatalf("GET /history: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h struct{ Points []historyPoint }
	if resp.StatusCode != 200 || json.Unmarshal(body, &h) != nil {
		p.t.Fatalf("GET /history: %d %s", resp.StatusCode, body)
	}
	return h.Points
}

// waitRounds waits until /history holds at least n rounds.
func (p *daemonProc) waitRounds(n int, timeout time.Duration) []historyPoint {
	p.t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		pts := p.history()
		if len(pts) >= n {
			return pts
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("fewer than %d rounds in /history within %s: %d", n, timeout, len(pts))
		}
	}
}

// TestRunHistorySurvivesKill runs the real daemon with a state directory
// against a real chronyd, kills it with SIGKILL at a random moment of a
// round (three times), and starts it again each time: the history served
// after the restart holds every round served before the kill but at most
// the last, the status page says it reaches back before the restart, and
// the file passes SQLite's integrity check. The state directory comes in
// turn from --state-dir, the config's state_dir and $STATE_DIRECTORY.
func TestRunHistorySurvivesKill(t *testing.T) {
	c := chronytest.Start(t, chronytest.Options{})
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))
	yaml := func(extra string) func(string) string {
		return func(listen string) string { return runYAML(c.UDPAddr(), listen, extra) }
	}
	launches := []func() *daemonProc{
		func() *daemonProc { return startRun(t, yaml(""), "--state-dir", dir) },
		func() *daemonProc { return startRun(t, yaml("state_dir: "+dir+"\n")) },
		func() *daemonProc {
			t.Setenv("STATE_DIRECTORY", dir)
			return startRun(t, yaml(""))
		},
	}
	var before []historyPoint
	first := time.Time{}
	for i, launch := range launches {
		p := launch()
		if i > 0 {
			// Everything served before the kill but the last round is back.
			after := p.history()
			kept := map[int64]bool{}
			for _, pt := range after {
				kept[pt.Time.UnixNano()] = true
			}
			for k, pt := range before {
				if !kept[pt.Time.UnixNano()] && k != len(before)-1 {
					t.Fatalf("restart %d: round %d of %d served before the kill (%s) is gone; only the last may be", i, k, len(before), pt.Time)
				}
			}
			if !after[0].Time.Equal(first) {
				t.Errorf("restart %d: history starts at %s, want %s", i, after[0].Time, first)
			}
			page := p.get("/")
			if !strings.Contains(page, "history since "+first.Local().Format("2006-01-02 15:04")) || !strings.Contains(page, "kept in "+filepath.Join(dir, history.FileName)) {
				t.Errorf("restart %d: the status page does not show the history from before the restart", i)
			}
			if code, r, _, _ := p.health(); code == 0 || !hasCheck(r, "history", health.OK) {
				t.Errorf("restart %d: /health has no OK history check: %+v", i, r.Checks)
			}
		}
		pts := p.waitRounds(len(before)+4, 20*time.Second)
		if first.IsZero() {
			first = pts[0].Time
		}
		// Kill at a random moment within a round, often while it writes.
		time.Sleep(time.Duration(rng.Int64N(int64(interval))))
		before = p.history()
		p.cmd.Process.Kill()
		<-p.done
	}
	s := history.Open(dir, history.Options{})
	defer s.Close()
	rounds, _ := s.Counts()
	if rounds < len(before)-1 {
		t.Errorf("the file holds %d rounds, want at least %d", rounds, len(before)-1)
	}
	if aside, _ := filepath.Glob(filepath.Join(dir, "*.corrupt-*")); len(aside) > 0 {
		t.Errorf("a kill left a file that had to be moved aside: %v", aside)
	}
}

func hasCheck(r health.Report, name string, st health.Status) bool {
	c, ok := r.Check(name)
	return ok && c.Status == st
}

// get returns the body of GET path.
func (p *daemonProc) get(path string) string {
	p.t.Helper()
	resp, err := p.client.Get(p.base + path)
	if err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// TestRunFullDisk runs the real daemon with its state directory on a 1 MiB
// tmpfs, then fills the tmpfs: the daemon keeps running and checking, the
// report carries a WARNING history check that names the full disk, and the
// history goes on in memory (/history keeps growing).
func TestRunFullDisk(t *testing.T) {
	c := chronytest.Start(t, chronytest.Options{})
	dir := testenv.TinyFS(t, 1<<20)
	p := startRun(t, func(listen string) string { return runYAML(c.UDPAddr(), listen, "") }, "--state-dir", dir)
	p.waitRounds(3, 15*time.Second)
	filler := testenv.Fill(t, dir)
	defer os.Remove(filler)
	_, r := p.waitHealth(20*time.Second, "a WARNING history check", func(code int, r health.Report) bool {
		return hasCheck(r, "history", health.Warning)
	})
	hc, _ := r.Check("history")
	if !strings.Contains(hc.Message, "disk is full") || !strings.Contains(hc.Message, "kept in memory only") {
		t.Errorf("history check: %q", hc.Message)
	}
	if r.Status == health.OK {
		t.Errorf("report status OK with a WARNING history check")
	}
	n := len(p.history())
	time.Sleep(3 * interval)
	p.running()
	if m := len(p.history()); m <= n {
		t.Errorf("/history did not grow on a full disk: %d then %d rounds", n, m)
	}
	p.waitLog(time.Second, "history: cannot write the file; keeping the history in memory only (lost on restart) and trying again", nil)
	p.stop(10 * time.Second)
}
