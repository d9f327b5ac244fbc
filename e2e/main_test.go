package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// ntphealthBin is the binary TestMain builds from ./cmd/ntphealth.
var ntphealthBin string

// buildAttempts and buildPause: the command may be mid-edit in a working
// tree shared with others, so a failed build is tried again a few times.
const (
	buildAttempts = 4
	buildPause    = 10 * time.Second
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ntphealth-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	ntphealthBin = filepath.Join(dir, "ntphealth")
	if err := build(ntphealthBin); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build runs `go build -tags nethttpomithttp2 -o bin ./cmd/ntphealth` (the
// Makefile's DAEMON_TAGS: ntphealthd as it ships, HTTP/1.1 only) from the
// module root (the parent of this package), each attempt bounded to two
// minutes.
func build(bin string) error {
	var out []byte
	var err error
	for i := range buildAttempts {
		if i > 0 {
			fmt.Fprintf(os.Stderr, "e2e: go build failed, trying again in %s:\n%s\n", buildPause, out)
			time.Sleep(buildPause)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "nethttpomithttp2", "-o", bin, "./cmd/ntphealth")
		cmd.Dir = ".."
		out, err = cmd.CombinedOutput()
		cancel()
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("go build ./cmd/ntphealth: %w\n%s", err, out)
}

// checkResult is one `ntphealth check --format json` run.
type checkResult struct {
	Report health.Report
	Exit   int
	Stderr string
}

// checkTimeout bounds one ntphealth check: probe deadline plus pushes with
// their retries.
const checkTimeout = 60 * time.Second

// runCheck runs `ntphealth check --format json ARGS...` and decodes its
// report; a usage or config error (no JSON) leaves Report zero.
func runCheck(t *testing.T, args ...string) checkResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ntphealthBin, append([]string{"check", "--format", "json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := checkResult{Stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("ntphealth check %q did not end within %s; stderr:\n%s", args, checkTimeout, res.Stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Exit = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ntphealth check: %v", err)
	}
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &res.Report); err != nil {
			t.Fatalf("ntphealth check %q: output is not a JSON report: %v\n%s", args, err, stdout.Bytes())
		}
	}
	said := res.Report.Summary
	if said == "" {
		said = "stderr: " + strings.TrimSpace(res.Stderr)
	}
	t.Logf("ntphealth check %q: exit %d, %s", args, res.Exit, said)
	return res
}

// writeConfig writes a config file readable only by its owner (ntphealth
// warns about a push token that others can read) and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ntphealth.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
