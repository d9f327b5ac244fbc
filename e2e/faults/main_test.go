package faults

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// bin is the ntphealth binary TestMain builds once for every test here.
var bin string

// buildAttempts and buildPause: the command may be mid-edit in a working
// tree shared with others, so a failed build is tried again a few times.
const (
	buildAttempts = 4
	buildPause    = 10 * time.Second
)

// parallelCells is how many cells run at once unless -parallel is given:
// a cell mostly waits on a deadline, so the CPU count (go test's default)
// would only make the suite slower.
const parallelCells = "16"

func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", parallelCells)
	}
	dir, err := os.MkdirTemp("", "ntphealth-faults")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	// The unreadable-config cells run the binary as nobody: it must be able
	// to reach and execute it.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ntphealth")
	if err := build(bin); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build runs `go build -o out .../cmd/ntphealth`, each attempt bounded to
// two minutes.
func build(out string) error {
	var msg []byte
	var err error
	for i := range buildAttempts {
		if i > 0 {
			fmt.Fprintf(os.Stderr, "faults: go build failed, trying again in %s:\n%s\n", buildPause, msg)
			time.Sleep(buildPause)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "nethttpomithttp2", "-o", out, "github.com/ntphealth/ntphealth/cmd/ntphealth") // the Makefile's DAEMON_TAGS
		msg, err = cmd.CombinedOutput()
		cancel()
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("go build ./cmd/ntphealth: %w\n%s", err, msg)
}
