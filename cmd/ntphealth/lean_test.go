package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
)

// leanTags are the build tags of the lean ntphealth, the one the packages
// install as /usr/bin/ntphealth (the Makefile's LEAN_TAGS): lean.go, and
// net/http without its HTTP/2 half, which one push per process never uses.
const leanTags = "lean,nethttpomithttp2"

// leanBinary builds the lean ntphealth, unstripped, into dir.
func leanBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ntphealth")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-tags", leanTags, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %s: %v\n%s", leanTags, err, out)
	}
	return bin
}

// TestLeanLinksNoDaemon: the lean build links none of what only the daemon
// needs, and not text/template's executor, whose calls of methods by name
// make the linker keep every exported method of every type (about 1.3 MB,
// mapped at each start). A new import that brings one back fails here, not
// in a benchmark months later.
func TestLeanLinksNoDaemon(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", leanTags, "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, heavy := range []string{"github.com/prometheus/", "google.golang.org/protobuf", "html/template", "modernc.org/",
			"/internal/server", "/internal/daemon", "/internal/history"} {
			if strings.Contains(pkg, heavy) {
				t.Errorf("the lean build links %s (%s is the daemon's)", pkg, heavy)
			}
		}
	}
	syms, err := exec.Command("go", "tool", "nm", leanBinary(t, t.TempDir())).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool nm: %v\n%s", err, syms)
	}
	if bytes.Contains(syms, []byte("text/template.(*state).evalField")) {
		t.Error("the lean build links text/template's executor (text/template.(*state).evalField)")
	}
}

// TestLeanHandsOver runs the lean ntphealth beside ntphealthd, the complete
// program, as a tarball or the .deb lays them out: check runs in the lean
// process; run, and check with a webhook target (whose templates the lean
// build cannot render), become ntphealthd in the same process; without
// ntphealthd, run says what to install.
func TestLeanHandsOver(t *testing.T) {
	c := chronytest.Start(t, chronytest.Options{LocalStratum: 2})
	dir := t.TempDir()
	lean := leanBinary(t, dir)
	cfg := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("run without ntphealthd", func(t *testing.T) {
		var stderr bytes.Buffer
		cmd := exec.Command(lean, "run", "--config", cfg)
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(stderr.String(), "ntphealthd") {
			t.Errorf("exit %v, stderr %q; want 3 naming ntphealthd", err, stderr.String())
		}
	})

	// ntphealthd beside it: the complete program, built once for the run tests.
	if err := os.Link(ntphealthBinary(t), filepath.Join(dir, daemonName)); err != nil {
		t.Fatal(err)
	}

	t.Run("check is its own", func(t *testing.T) {
		rc := newReceiver(t, "ok")
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(lean, "check", "--config", cfg, "--chrony", c.UDPAddr(), "--kernel", "false", "--format", "nagios", "--push-url", rc.url())
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.HasPrefix(stdout.String(), "CRITICAL: free-running") {
			t.Errorf("exit %v, want 2 (free-running); stdout %q stderr %q", err, stdout.String(), stderr.String())
		}
		if p := rc.pushes(); len(p) != 1 || p[0].status != "down" {
			t.Errorf("pushes %+v, want one down", p)
		}
	})

	t.Run("check with a webhook", func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, r.URL.Path+" "+string(b))
			mu.Unlock()
		}))
		defer hook.Close()
		hookCfg := filepath.Join(dir, "webhook.yaml")
		yaml := "push:\n  - kind: webhook\n    url: \"" + hook.URL + "/hook/{{.Status}}\"\n    body: '{\"summary\": {{json .Summary}}}'\n"
		if err := os.WriteFile(hookCfg, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(lean, "check", "--config", hookCfg, "--chrony", c.UDPAddr(), "--kernel", "false", "--format", "nagios")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || strings.Count(stdout.String(), "CRITICAL: free-running") != 1 {
			t.Errorf("exit %v, want 2 and one verdict; stdout %q stderr %q", err, stdout.String(), stderr.String())
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || !strings.HasPrefix(got[0], `/hook/CRITICAL {"summary": "CRITICAL: free-running`) {
			t.Errorf("webhook received %q, want one rendered request", got)
		}
	})

	t.Run("run becomes ntphealthd", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		var stderr bytes.Buffer
		cmd := exec.Command(lean, "run", "--config", cfg, "--chrony", c.UDPAddr(), "--kernel", "false", "--listen", addr, "--interval", "1s")
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		defer func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("after SIGTERM: %v, want exit 0\n%s", err, stderr.String())
				}
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Errorf("still running 20 s after SIGTERM\n%s", stderr.String())
			}
		}()
		var code int
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if resp, err := http.Get("http://" + addr + "/health"); err == nil {
				resp.Body.Close()
				code = resp.StatusCode
				break
			}
		}
		if code == 0 {
			t.Fatalf("no /health at %s within 30 s\n%s", addr, stderr.String())
		}
		exe, err := os.Readlink("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/exe")
		if err != nil || filepath.Base(exe) != daemonName {
			t.Errorf("process %d runs %q (%v), want %s in the same process", cmd.Process.Pid, exe, err, daemonName)
		}
	})
}

// TestLeanOneProcFirst: the lean build is on one P (internal/oneproc)
// before any package's init allocates, so no heap span of a second P is
// faulted in, nor flushed by the change to one P, at each start. An import
// added to internal/oneproc, which would delay its init, fails here.
func TestLeanOneProcFirst(t *testing.T) {
	cmd := exec.Command(leanBinary(t, t.TempDir()), "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ntphealth version: %v\n%s", err, stderr.String())
	}
	const pkg = "github.com/ntphealth/ntphealth/internal/oneproc"
	for line := range strings.Lines(stderr.String()) {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "init" {
			continue
		}
		if f[1] == pkg {
			return
		}
		if !strings.HasSuffix(strings.TrimSpace(line), " 0 allocs") {
			t.Fatalf("%s allocates in its init before %s's: %s", f[1], pkg, line)
		}
	}
	t.Fatalf("no init of %s in GODEBUG=inittrace=1's output:\n%s", pkg, stderr.String())
}
