package crossarch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/syncbuf"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// platform is one foreign release binary and the CPU it is run on: the
// oldest of the Raspberry Pis it is for, so that an instruction those lack
// fails the test (a GOARM=7 binary dies with SIGILL on the arm1176).
type platform struct {
	arch string // make dist's name: the tarball's linux-<arch>
	qemu string // Debian's qemu-user-static emulator
	cpu  string // qemu -cpu
}

var platforms = []platform{
	{"arm64", "qemu-aarch64-static", "cortex-a53"}, // Pi 3, Zero 2 W; the Pi 4 (A72) and 5 (A76) are newer ARMv8
	{"armv7", "qemu-arm-static", "cortex-a7"},      // Pi 2 (and every later Pi on a 32-bit OS)
	{"armv6", "qemu-arm-static", "arm1176"},        // Pi Zero, Zero W, Pi 1: the armhf .deb's binary
}

// version is stamped into the test build; `ntphealth version` must print it.
const version = "v9.8.7-crossarch"

// token is the push token of the local Kuma receiver.
const token = "crossarchT0ken"

// repoRoot is the module root, seen from this package's directory.
const repoRoot = "../.."

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// binary returns the release binary for arch ("amd64", "arm64", "armv6",
// "armv7"), all of them built once per test process by `make
// dist-binaries`, the step of `make dist` that builds the binaries of the
// tarballs and .debs. With the go build cache warm (make dist has run) it
// only links them.
func binary(t *testing.T, arch string) string {
	t.Helper()
	buildOnce.Do(func() {
		makeTool := testenv.Tool(t, "make", "make")
		buildDir, buildErr = os.MkdirTemp("", "ntphealth-crossarch-")
		if buildErr != nil {
			return
		}
		arches := []string{runtime.GOARCH}
		for _, p := range platforms {
			arches = append(arches, p.arch)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, makeTool, "-C", repoRoot, "dist-binaries", "DIST="+buildDir,
			"DIST_ARCHES="+strings.Join(arches, " "), "VERSION="+version)
		cmd.Env = environ("GOOS", "GOARCH", "GOARM")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("make dist-binaries: %w\n%s", err, out)
			return
		}
		t.Logf("make dist-binaries (%s) took %s", strings.Join(arches, " "), time.Since(start).Round(100*time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "build", "linux-"+arch, "ntphealth")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// environ is this process's environment less the named variables and
// whatever would hand ntphealth a push URL, a config or a state directory of
// this machine's.
func environ(drop ...string) []string {
	drop = append(drop, config.EnvPushURL, config.EnvCredentialsDir, "STATE_DIRECTORY")
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(drop, k) {
			env = append(env, kv)
		}
	}
	return env
}

// command is ntphealth ARGS for p under its emulator, or the native binary
// when p is nil.
func command(t *testing.T, ctx context.Context, p *platform, args ...string) *exec.Cmd {
	t.Helper()
	return commandOf(t, ctx, p, "ntphealth", args...)
}

// commandOf is the binary name (ntphealth, or ntphealthd beside it) with
// ARGS. "ntphealth run" execs ntphealthd; qemu-user without binfmt_misc
// cannot follow that exec of a foreign binary, so the daemon's tests start
// ntphealthd under the emulator themselves.
func commandOf(t *testing.T, ctx context.Context, p *platform, name string, args ...string) *exec.Cmd {
	t.Helper()
	var cmd *exec.Cmd
	if p == nil {
		cmd = exec.CommandContext(ctx, filepath.Join(filepath.Dir(binary(t, runtime.GOARCH)), name), args...)
	} else {
		qemu := testenv.Tool(t, "qemu-user-static", p.qemu)
		bin := filepath.Join(filepath.Dir(binary(t, p.arch)), name)
		cmd = exec.CommandContext(ctx, qemu, append([]string{"-cpu", p.cpu, bin}, args...)...)
	}
	cmd.Env = environ()
	cmd.WaitDelay = 5 * time.Second // then SIGKILL, pipes closed
	return cmd
}

// result is one finished run of ntphealth.
type result struct {
	stdout, stderr string
	exit           int
}

// run runs ntphealth ARGS for p (native when nil), bounded to a minute.
func run(t *testing.T, p *platform, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := command(t, ctx, p, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	res := result{stdout: o.String(), stderr: e.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("ntphealth %q did not end within a minute; stderr:\n%s", args, res.stderr)
	case errors.As(err, &ee):
		res.exit = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("ntphealth %q was killed by %v (under qemu, SIGILL: an instruction this CPU lacks); stderr:\n%s", args, ws.Signal(), res.stderr)
		}
	case err != nil:
		t.Fatalf("ntphealth %q: %v", args, err)
	}
	if strings.Contains(res.stdout+res.stderr, token) {
		t.Errorf("ntphealth %q printed the push token:\n%s%s", args, res.stdout, res.stderr)
	}
	return res
}

// check runs `ntphealth check --format json ARGS` and decodes the report.
func check(t *testing.T, p *platform, args ...string) (health.Report, int) {
	t.Helper()
	args = append([]string{"check", "--config", emptyConfig(t), "--format", "json"}, args...)
	res := run(t, p, args...)
	var r health.Report
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("ntphealth %q: exit %d, output is not a JSON report: %v\nstdout: %s\nstderr: %s", args, res.exit, err, res.stdout, res.stderr)
	}
	if res.exit != int(r.Status) {
		t.Errorf("exit %d, but the report says %s", res.exit, r.Status)
	}
	return r, res.exit
}

// emptyConfig is a config file with nothing in it (all defaults), so that
// no config of this machine's is read.
func emptyConfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newKuma is a local Kuma for token (notifytest: Kuma's answers, byte for
// byte).
func newKuma(t *testing.T) *notifytest.KumaReceiver { return notifytest.NewKumaReceiver(t, token) }

// selectedPPS holds when chronyd has selected the PPS refclock.
func selectedPPS(d *observe.Daemon) bool {
	s, ok := d.Selected()
	return d.Error == "" && ok && s.Label() == "PPS"
}

// startChronyd starts the GPS+PPS rig with a network fallback (as on a Pi
// with a GPS hat) and waits until chronyd has selected PPS.
func startChronyd(t *testing.T) *chronytest.Chronyd {
	t.Helper()
	c := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true})
	c.WaitFor(t, 60*time.Second, selectedPPS)
	return c
}

// TestVersionAndHelp: each foreign binary starts on its CPU, prints its
// version and the flags of check.
func TestVersionAndHelp(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.arch, func(t *testing.T) {
			res := run(t, &p, "version")
			if res.exit != 0 || res.stdout != "ntphealth "+version+"\n" {
				t.Errorf("version: exit %d, stdout %q, want 0 and %q; stderr:\n%s", res.exit, res.stdout, "ntphealth "+version+"\n", res.stderr)
			}
			res = run(t, &p, "check", "--help")
			if res.exit != 0 || !strings.Contains(res.stdout, "-chrony ADDR") || !strings.Contains(res.stdout, "-push-url URL") {
				t.Errorf("check --help: exit %d, want 0 and the flags on stdout:\n%s%s", res.exit, res.stdout, res.stderr)
			}
		})
	}
}

// TestCheckAgainstChronyd: each foreign binary checks a real chronyd
// synchronised to a GPS+PPS refclock, over UDP and over its unix socket,
// says OK with exit code 0, and pushes "up" with its summary to Kuma; with
// nothing at the address it says CRITICAL, exits 2 and pushes "down".
func TestCheckAgainstChronyd(t *testing.T) {
	c := startChronyd(t)
	dead := testenv.FreeTCPAddr(t) // nothing listens there on UDP either, a moment later
	for _, p := range platforms {
		t.Run(p.arch, func(t *testing.T) {
			k := newKuma(t)
			for _, addr := range []string{c.UDPAddr(), c.UnixAddr()} {
				r, exit := check(t, &p, "--kernel=false", "--chrony", addr, "--push-url", k.PushURL())
				t.Logf("%s: exit %d, %s", addr, exit, r.Summary)
				if exit != 0 || r.Status != health.OK || !strings.HasPrefix(r.Summary, "OK: PPS* stratum 1, clock ") {
					t.Errorf("%s: exit %d, %s %q; want 0, OK: PPS* stratum 1, ...", addr, exit, r.Status, r.Summary)
				}
				got := k.Pushes()
				if len(got) == 0 {
					t.Fatalf("%s: Kuma received no push", addr)
				}
				last := got[len(got)-1]
				if last.Status != "up" || last.Msg != r.Summary {
					t.Errorf("%s: pushed %+v, want up with the summary %q", addr, last, r.Summary)
				}
				if n, err := strconv.Atoi(last.Ping); err != nil || n < 1 {
					t.Errorf("%s: ping %q, want a whole number of µs >= 1", addr, last.Ping)
				}
				if len(r.Push) != 1 || !r.Push[0].OK || r.Push[0].Sent != "up" || r.Push[0].Attempts != 1 {
					t.Errorf("%s: push result %+v, want one, delivered up at the first attempt", addr, r.Push)
				}
			}

			r, exit := check(t, &p, "--kernel=false", "--chrony", dead, "--push-url", k.PushURL())
			got := k.Pushes()
			if exit != 2 || r.Status != health.Critical || len(got) != 3 || got[2].Status != "down" || got[2].Msg != r.Summary {
				t.Errorf("nothing at %s: exit %d, %s %q, pushes %+v; want 2, CRITICAL and a third push, down", dead, exit, r.Status, r.Summary, got)
			}
		})
	}
}

// TestKernelClock: adjtimex(2) through each foreign binary (the timex
// struct has 32-bit fields on 32-bit ARM) reads what the native binary reads.
func TestKernelClock(t *testing.T) {
	c := startChronyd(t)
	kernel := func(p *platform) *observe.Kernel {
		t.Helper()
		r, _ := check(t, p, "--kernel=true", "--chrony", c.UDPAddr(), "--no-push")
		if r.Kernel == nil || r.Kernel.Error != "" {
			t.Fatalf("kernel probe: %+v", r.Kernel)
		}
		return r.Kernel
	}
	// What holds still from one call to the next; the error bounds and
	// the offset move with time.
	stable := func(k *observe.Kernel) string {
		return fmt.Sprintf("state %d %s, status %#x %v, unsync %v, TAI %d, constant %d",
			k.State, k.StateName, k.Status, k.Flags, k.Unsync, k.TAI, k.TimeConstant)
	}
	for _, p := range platforms {
		t.Run(p.arch, func(t *testing.T) {
			// A daemon may change the kernel's state in between: read the
			// native one before and after.
			before, got, after := stable(kernel(nil)), kernel(&p), stable(kernel(nil))
			if s := stable(got); s != before && s != after {
				t.Errorf("kernel clock under %s: %s\nnative before: %s\nnative after:  %s", p.arch, s, before, after)
			}
			if got.MaxError < 0 || got.MaxError > 16.1 || got.EstError < 0 || got.EstError > 16.1 {
				t.Errorf("kernel error bounds %v s and %v s: the kernel keeps them within 0..16 s", got.MaxError, got.EstError)
			}
		})
	}
}

// TestRunServes: each foreign binary runs as the daemon at a 1 s interval,
// pushes every round, answers /health with the verdict, /metrics (the
// Prometheus client's 64-bit atomics must be aligned on 32-bit ARM) and the
// status page, and exits 0 on SIGTERM.
func TestRunServes(t *testing.T) {
	c := startChronyd(t)
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(url string) (int, string, error) {
		resp, err := client.Get(url)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	for _, p := range platforms {
		t.Run(p.arch, func(t *testing.T) {
			k := newKuma(t)
			listen := testenv.FreeTCPAddr(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := commandOf(t, ctx, &p, "ntphealthd", "run", "--config", emptyConfig(t), "--kernel=false", "--chrony", c.UDPAddr(),
				"--push-url", k.PushURL(), "--listen", listen, "--interval", "1s")
			var stderr syncbuf.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			stopped := false
			defer func() {
				if !stopped {
					cmd.Process.Kill()
					<-exited
				}
			}()

			base := "http://" + listen
			var rep health.Report
			deadline := time.Now().Add(45 * time.Second)
			for {
				code, body, err := get(base + "/health")
				if err == nil && code == http.StatusOK && json.Unmarshal([]byte(body), &rep) == nil && rep.Status == health.OK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("/health: %d %v %.300s; daemon output:\n%s", code, err, body, stderr.String())
				}
				time.Sleep(300 * time.Millisecond)
			}
			if !strings.HasPrefix(rep.Summary, "OK: PPS* stratum 1, clock ") {
				t.Errorf("/health summary %q", rep.Summary)
			}
			code, metrics, err := get(base + "/metrics")
			for _, want := range []string{`ntphealth_build_info{`, `version="` + version + `"`, "\nntphealth_status 0\n", "\ngo_goroutines "} {
				if err != nil || code != http.StatusOK || !strings.Contains(metrics, want) {
					t.Errorf("/metrics: %d %v, want %q in:\n%.2000s", code, err, want, metrics)
					break
				}
			}
			if code, page, err := get(base + "/"); err != nil || code != http.StatusOK || !strings.Contains(page, "<svg") {
				t.Errorf("status page: %d %v, want 200 with the chart:\n%.500s", code, err, page)
			}
			for time.Now().Before(deadline) && len(k.Pushes()) < 2 {
				time.Sleep(200 * time.Millisecond)
			}
			if got := k.Pushes(); len(got) < 2 || got[len(got)-1].Status != "up" {
				t.Errorf("pushes %+v, want one up a round", got)
			}

			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				stopped = true
				if err != nil {
					t.Errorf("after SIGTERM: %v, want exit 0; output:\n%s", err, stderr.String())
				}
			case <-time.After(20 * time.Second):
				t.Errorf("still running 20 s after SIGTERM; output:\n%s", stderr.String())
			}
		})
	}
}
