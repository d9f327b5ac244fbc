package faults

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

// configCase is one bad config and what ntphealth must say about it.
type configCase struct {
	name string
	// setup writes the config into dir and returns its path.
	setup func(t *testing.T, dir string) string
	cred  *syscall.Credential
	msg   string // substring of stderr
}

// badConfigs are the config faults every command must refuse with exit 3
// (UNKNOWN) and a message that names the file, the line or the key.
func badConfigs() []configCase {
	file := func(body string) func(*testing.T, string) string {
		return func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "ntphealth.yaml")
			writeFile(t, p, body, 0o600)
			return p
		}
	}
	return []configCase{
		{name: "missing", setup: func(t *testing.T, dir string) string {
			return filepath.Join(dir, "absent.yaml")
		}, msg: "absent.yaml: no such file or directory"},
		{name: "unreadable", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "ntphealth.yaml")
			writeFile(t, p, "timeout: 1s\n", 0o000)
			if err := os.Chown(p, int(nobody.Uid), int(nobody.Gid)); err != nil {
				t.Fatal(err)
			}
			return p
		}, cred: nobody, msg: "ntphealth.yaml: permission denied (make it readable by the user ntphealth runs as)"},
		{name: "directory", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "conf.d")
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		}, msg: "conf.d: not a regular file"},
		{name: "fifo", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fifo")
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, msg: "fifo: not a regular file"},
		{name: "yaml-syntax", setup: file("chrony:\n  address: [x\n"), msg: "invalid YAML: did not find expected ',' or ']'"},
		{name: "unknown-key", setup: file("chrony:\n  adress: 127.0.0.1:323\n"), msg: `ntphealth.yaml:2: chrony: unknown key "adress" (known keys: address); did you mean "address"?`},
		{name: "bad-duration", setup: file("timeout: 5 seconds\n"), msg: `ntphealth.yaml:1: timeout: invalid duration "5 seconds" (use Go duration syntax`},
		{name: "url-no-scheme", setup: file("push:\n  - url: kuma.example/api/push/tok-X\n"), msg: "has no scheme or host"},
		{name: "url-trailing-slash", setup: file("push:\n  - url: https://kuma.example/api/push/tok-X/\n"), msg: "ends in a slash: remove it"},
		{name: "url-space", setup: file("push:\n  - url: \"https://kuma.example/api/push/tok X\"\n"), msg: "holds a space or line break"},
		{name: "url-not-kuma", setup: file("push:\n  - url: https://kuma.example/dashboard/12\n"), msg: "is not an Uptime Kuma push URL"},
	}
}

// TestConfigFaults runs every bad config through `check` and `run`: each
// ends at once with exit 3 and the message, and never shows the token.
func TestConfigFaults(t *testing.T) {
	var tb table
	t.Run("cells", func(t *testing.T) {
		for _, c := range badConfigs() {
			for _, cmd := range []string{"check", "run"} {
				t.Run(c.name+"/"+cmd, func(t *testing.T) {
					t.Parallel()
					dir := openDir(t)
					path := c.setup(t, dir)
					args := []string{cmd, "--config", path}
					if cmd == "run" {
						args = append(args, "--listen", testenv.FreeTCPAddr(t))
					}
					r := runBin(t, runOpts{cred: c.cred, bound: slack}, args...)
					if r.exit != 3 {
						t.Errorf("exit %d, want 3", r.exit)
					}
					if !strings.Contains(r.stderr, c.msg) {
						t.Errorf("stderr does not say %q:\n%s", c.msg, r.stderr)
					}
					if strings.Contains(r.stderr, "tok-X") {
						t.Errorf("stderr shows the token:\n%s", r.stderr)
					}
					tb.add(cell{dims: []string{c.name, cmd}, exit: r.exit, elapsed: r.elapsed, passed: !t.Failed()})
				})
			}
		}
	})
	tb.log(t, "config faults at start", "config", "command")
}

// TestRunReload runs one daemon per chronyd state, each pushing to a
// different faulty target, as an unprivileged user (so file modes count),
// and walks its config file through the faults, each followed by SIGHUP:
// invalid, missing, unreadable (each refused, the old config and verdict
// kept), then a valid change (applied: new chronyd, new push target). After
// every step the daemon still serves /health with the verdict it should.
func TestRunReload(t *testing.T) {
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	daemons := chronydStates(t)
	pushes := pushStates(hold)
	okAddr, absentAddr := daemons[0].addr, daemons[1].addr

	var tb table
	t.Run("cells", func(t *testing.T) {
		for i, c := range daemons {
			p := pushes[i%len(pushes)]
			// The valid change swaps a healthy chronyd for an absent one and
			// the other way round, so the verdict must flip.
			next := chronydState{name: "ok", addr: okAddr, exit: 0}
			if c.exit == 0 {
				next = chronydState{name: "absent", addr: absentAddr, exit: 2}
			}
			t.Run(c.name+"+push-"+p.name, func(t *testing.T) {
				t.Parallel()
				reloadCells(t, &tb, c, p, next)
			})
		}
	})
	tb.log(t, "ntphealth run: chronyd + push target, config changed under SIGHUP", "chronyd+push", "config step")
}

// reloadStep bounds how long one step may take to show: the next check
// (interval 1 s), the probe, and a push with its retries, plus slack.
const reloadStep = time.Second + checkBound

// reloadCells runs one daemon of TestRunReload.
func reloadCells(t *testing.T, tb *table, c chronydState, p pushState, next chronydState) {
	dir := openDir(t)
	path := filepath.Join(dir, "ntphealth.yaml")
	var pushURL string
	if p.handler != nil {
		pushURL = newReceiver(t, p.handler).URL("tok-reload")
	} else {
		pushURL = refusedURL(t, "tok-reload")
	}
	write := func(body string, mode os.FileMode) {
		writeFile(t, path, body, mode)
		if err := os.Chown(path, int(nobody.Uid), int(nobody.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	write(configYAML(c.addr, pushURL), 0o600)
	addr := testenv.FreeTCPAddr(t)
	d := startRun(t, runOpts{cred: nobody}, addr, "--config", path, "--listen", addr, "--interval", "1s")
	dims := func(step string) []string { return []string{c.name + "+" + p.name, step} }

	// verdict waits for /health to show want and records the step.
	verdict := func(step string, want chronydState, start time.Time) {
		t.Helper()
		code, body := d.waitHealth(reloadStep, func(code int, body string) bool {
			var h struct{ Status string }
			return json.Unmarshal([]byte(body), &h) == nil && h.Status != "" && statusCode(h.Status) == want.exit
		})
		wantCode := 200
		if want.exit >= 2 {
			wantCode = 503
		}
		if code != wantCode {
			t.Errorf("%s: /health answered %d, want %d: %.200s", step, code, wantCode, body)
		}
		if strings.Contains(body, "tok-reload") {
			t.Errorf("%s: /health shows the token", step)
		}
		tb.add(cell{dims: dims(step), exit: want.exit, elapsed: time.Since(start), passed: !t.Failed()})
	}

	start := time.Now()
	verdict("start", c, start)

	refused := 0
	for _, step := range []struct {
		name  string
		apply func()
		msg   string
	}{
		{"invalid", func() { write("chrony:\n  adress: x\n", 0o600) }, `unknown key \"adress\"`},
		{"missing", func() { os.Remove(path) }, "no such file or directory"},
		{"unreadable", func() { write(configYAML(next.addr, pushURL), 0o000) }, "permission denied"},
	} {
		start := time.Now()
		step.apply()
		d.hup()
		refused++
		d.waitLog("config reload refused", refused, reloadStep)
		if last := lastLine(d.stderr.String(), "config reload refused"); !strings.Contains(last, step.msg) {
			t.Errorf("%s: reload refused without saying %q: %s", step.name, step.msg, last)
		}
		// The old config keeps running: the same verdict, still served, for
		// at least one more check.
		time.Sleep(1500 * time.Millisecond)
		verdict(step.name, c, start)
	}

	start = time.Now()
	fresh := newReceiver(t, kumaOK)
	write(configYAML(next.addr, fresh.URL("tok-reload")), 0o600)
	d.hup()
	d.waitLog("config reloaded", 1, reloadStep)
	verdict("valid-change", next, start)
	deadline := time.Now().Add(reloadStep)
	for len(fresh.Hits()) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if len(fresh.Hits()) == 0 {
		t.Errorf("valid-change: the new push target got nothing within %s", reloadStep)
	}

	if code := d.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
	if strings.Contains(d.stderr.String(), "tok-reload") || strings.Contains(d.stdout.String(), "tok-reload") {
		t.Errorf("the daemon's output shows the token")
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", d.stderr.String())
	}
}

// statusCode maps a report status to its Nagios exit code.
func statusCode(s string) int {
	switch s {
	case "OK":
		return 0
	case "WARNING":
		return 1
	case "CRITICAL":
		return 2
	}
	return 3
}

// lastLine returns the last line of s that holds substr.
func lastLine(s, substr string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], substr) {
			return lines[i]
		}
	}
	return ""
}

// openDir returns a new directory that the unprivileged user can enter
// (t.TempDir's parent is mode 0700), removed when the test ends.
func openDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ntphealth-faults")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
