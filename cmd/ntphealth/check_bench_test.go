package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
)

// BenchmarkCheck measures one full "ntphealth check --format json" in
// process: the chrony probe over UDP to a real chronyd with PPS selected,
// the evaluation and the JSON rendering, through the same run() as the
// binary. No push target is configured. bench/vs-script.sh compares the
// built binary with the seed shell script, process start-up included.
func BenchmarkCheck(b *testing.B) {
	c := chronytest.Start(b, chronytest.Options{Refclocks: true})
	c.WaitFor(b, 30*time.Second, selected("PPS"))
	cfg := filepath.Join(b.TempDir(), "empty.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"check", "--format", "json", "--config", cfg, "--chrony", c.UDPAddr()}
	ctx := context.Background()
	// One run outside the timing: it must succeed with OK, or the figure
	// would time a failure path (a timeout, an error report).
	if code := run(ctx, args, io.Discard, io.Discard); code != 0 {
		b.Fatalf("ntphealth check exited %d before the benchmark, want 0 (OK)\nchronyd log:\n%s", code, c.Log())
	}
	b.ReportAllocs()
	for b.Loop() {
		run(ctx, args, io.Discard, io.Discard)
	}
}
