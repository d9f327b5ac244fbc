package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the module root, seen from this package's directory (where go
// test runs the test binary).
const repoRoot = ".."

// goTool is the go command that runs this test.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("go command not found on PATH nor in GOROOT: %v", err)
	}
	return p
}

// command runs name with args in dir, bounded by timeout, and returns its
// stdout, its stderr and its error (an *exec.ExitError for a non-zero exit).
// Its context is not the test's, which is already cancelled when t.Cleanup
// functions run.
func command(t *testing.T, timeout time.Duration, dir, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s %s: gave up after %s: %w", name, strings.Join(args, " "), timeout, ctx.Err())
	}
	return o.String(), e.String(), err
}

// testVersion is stamped into the test build of ntphealth; the .deb built
// from it must carry debianTestVersion.
const (
	testVersion       = "v9.8.7-test"
	debianTestVersion = "9.8.7~test"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// leanTags are the build tags of the lean ntphealth (the Makefile's
// LEAN_TAGS).
const leanTags = "lean,nethttpomithttp2"

// daemonTags are the build tags of ntphealthd (the Makefile's DAEMON_TAGS).
const daemonTags = "nethttpomithttp2"

// ntphealthBinary builds ./cmd/ntphealth once per test run, as `make deb`
// builds ntphealthd (static, version stamped, DAEMON_TAGS), and returns its path: the
// complete program.
func ntphealthBinary(t *testing.T) string {
	t.Helper()
	build(t)
	return filepath.Join(buildDir, "ntphealth")
}

// leanBinary returns the lean build of ./cmd/ntphealth, which `make deb`
// installs as /usr/bin/ntphealth beside ntphealthBinary's.
func leanBinary(t *testing.T) string {
	t.Helper()
	build(t)
	return filepath.Join(buildDir, "lean", "ntphealth")
}

// build builds both once per test run.
func build(t *testing.T) {
	t.Helper()
	gobin := goTool(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "ntphealth-deploy-test-")
		if buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		for out, tags := range map[string]string{filepath.Join(buildDir, "ntphealth"): daemonTags, filepath.Join(buildDir, "lean", "ntphealth"): leanTags} {
			cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-tags", tags,
				"-ldflags", "-X main.version="+testVersion, "-o", out, "./cmd/ntphealth")
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build -tags %q ./cmd/ntphealth: %w\n%s", tags, err, b)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	if distDir != "" {
		os.RemoveAll(distDir)
	}
	os.Exit(code)
}
