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

// ntphealthBinary builds ./cmd/ntphealth once per test run, as `make deb`
// does (static, version stamped), and returns its path.
func ntphealthBinary(t *testing.T) string {
	t.Helper()
	gobin := goTool(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "ntphealth-deploy-test-")
		if buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out := filepath.Join(buildDir, "ntphealth")
		cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath",
			"-ldflags", "-X main.version="+testVersion, "-o", out, "./cmd/ntphealth")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/ntphealth: %w\n%s", err, b)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "ntphealth")
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
