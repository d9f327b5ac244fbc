package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/syncbuf"
)

// Timings shared by the cells. Every bound is generous: it proves that
// nothing hangs, not that anything is fast.
const (
	// probeTimeout is the chrony probe's deadline (--timeout / timeout:).
	probeTimeout = 2 * time.Second
	// pushTimeout and pushRetries are each target's per-attempt deadline
	// and extra attempts; the back-off before the retry is notify's 1 s.
	pushTimeout = time.Second
	pushRetries = 1
	pushBackoff = time.Second
	// slowPush is how long the slow push target takes, within pushTimeout.
	slowPush = 300 * time.Millisecond
	// slack covers process start-up and a loaded machine.
	slack = 10 * time.Second
)

// checkBound is the most one `ntphealth check` may take: the probe, then
// every push attempt with its back-off, plus slack.
const checkBound = probeTimeout + (1+pushRetries)*pushTimeout + pushRetries*pushBackoff + slack

// defaultCheckBound is checkBound for a push target with the defaults of
// config.DefaultPush: 10 s per attempt, 2 retries, 1 s then 2 s back-off.
const defaultCheckBound = probeTimeout + 3*10*time.Second + 3*time.Second + slack

// result is one finished run of the binary.
type result struct {
	exit    int
	stdout  string
	stderr  string
	elapsed time.Duration
}

// runOpts says how to run the binary.
type runOpts struct {
	env   []string            // added to a minimal environment
	cred  *syscall.Credential // run as this user (root ignores file modes)
	bound time.Duration       // killed after bound + slack; checkBound when 0
}

// runCheck runs the binary with args to completion and fails the test when
// it outlives its bound.
func runBin(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	if o.bound == 0 {
		o.bound = checkBound
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.bound+slack)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}, o.env...)
	if o.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.exit = ee.ExitCode()
	default:
		t.Fatalf("ntphealth %s: %v after %s (bound %s)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, r.elapsed.Round(time.Millisecond), o.bound, r.stdout, r.stderr)
	}
	if r.elapsed > o.bound {
		t.Errorf("ntphealth %s took %s, more than its bound %s", strings.Join(args, " "), r.elapsed.Round(time.Millisecond), o.bound)
	}
	return r
}

// nobody is the unprivileged user the file-mode cells run as.
var nobody = &syscall.Credential{Uid: 65534, Gid: 65534}

// daemon is one running `ntphealth run`.
type daemon struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string // HTTP listen address
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
	done   chan struct{}
	exit   int
}

// startRun starts `ntphealth run` with args; it is stopped with SIGTERM
// when the test ends. addr is where its HTTP server listens ("" when the
// args leave the default).
func startRun(t *testing.T, o runOpts, addr string, args ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, addr: addr, stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	d.cmd = exec.Command(bin, append([]string{"run"}, args...)...)
	d.cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}, o.env...)
	if o.cred != nil {
		d.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred}
	}
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start ntphealth run: %v", err)
	}
	go func() {
		err := d.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			d.exit = ee.ExitCode()
		}
		close(d.done)
	}()
	t.Cleanup(func() { d.stop() })
	return d
}

// stop sends SIGTERM and waits (bounded) for the exit; it returns the exit
// code.
func (d *daemon) stop() int {
	select {
	case <-d.done:
		return d.exit
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		d.t.Errorf("ntphealth run did not stop within 20 s of SIGTERM; killing it\nstderr:\n%s", d.stderr.String())
		d.cmd.Process.Kill()
		<-d.done
	}
	return d.exit
}

// hup sends SIGHUP.
func (d *daemon) hup() {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		d.t.Fatalf("SIGHUP: %v", err)
	}
}

// running reports whether the process is still alive.
func (d *daemon) running() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// waitLog waits until stderr holds substr n times in total; it fails the
// test after timeout.
func (d *daemon) waitLog(substr string, n int, timeout time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for strings.Count(d.stderr.String(), substr) < n {
		if time.Now().After(deadline) || !d.running() {
			d.t.Fatalf("ntphealth run: %q not logged %d time(s) within %s (running: %v)\nstderr:\n%s", substr, n, timeout, d.running(), d.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpClient bounds every request the tests make.
var httpClient = &http.Client{Timeout: 5 * time.Second}

// get fetches path from the daemon; it returns the status code and body.
func (d *daemon) get(path string) (int, string, error) {
	return request(http.MethodGet, "http://"+d.addr+path)
}

// request sends one bodyless request.
func request(method, url string) (int, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, string(b), err
}

// waitHealth polls /health until cond holds on its status and body, and
// returns them; it fails the test after timeout.
func (d *daemon) waitHealth(timeout time.Duration, cond func(code int, body string) bool) (int, string) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	var code int
	var body string
	var err error
	for {
		code, body, err = d.get("/health")
		if err == nil && cond(code, body) {
			return code, body
		}
		if time.Now().After(deadline) || !d.running() {
			d.t.Fatalf("/health: no expected answer within %s (running: %v): %d %v %.300s\nstderr:\n%s", timeout, d.running(), code, err, body, d.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeFile writes a file with mode, failing the test on error.
func writeFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// configYAML is a config for chronyd at chronyAddr pushing to pushURL
// ("" for none), with the test's timeouts.
func configYAML(chronyAddr, pushURL string) string {
	s := fmt.Sprintf("chrony:\n  address: %q\nkernel:\n  enabled: \"false\"\ntimeout: %s\n", chronyAddr, probeTimeout)
	if pushURL != "" {
		s += fmt.Sprintf("push:\n  - url: %q\n    timeout: %s\n    retries: %d\n", pushURL, pushTimeout, pushRetries)
	}
	return s
}
