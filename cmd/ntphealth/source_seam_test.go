package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/source"
)

// seamSource is a pluggable source that exists only in this test binary:
// it proves that a source registered with source.Register reaches the
// config file, its flag, the probe round, the verdict and every output
// without any other edit.
func init() {
	source.Register(source.Source{
		Name:      "seamtest",
		FlagUsage: "test-only source at `WHERE`",
		NewConfig: func() source.Config { return &seamConfig{Limit: 5} },
	})
}

type seamConfig struct {
	Where string `yaml:"where"`
	Limit int    `yaml:"limit"`
}

func (c *seamConfig) Address() *string { return &c.Where }

func (c *seamConfig) Validate() []source.Problem {
	if c.Limit > 100 {
		return []source.Problem{{Key: "limit", Message: fmt.Sprintf("%d is above 100", c.Limit)}}
	}
	return nil
}

func (c *seamConfig) Probe(auto bool, timeout time.Duration) source.Probe {
	if !source.Named(c.Where) {
		return nil
	}
	return seamProbe{where: c.Where, limit: c.Limit}
}

type seamProbe struct {
	where string
	limit int
}

func (p seamProbe) Observe(ctx context.Context) source.Reading {
	return &seamReading{Where: p.where, Value: 7, limit: p.limit}
}

type seamReading struct {
	Where string `json:"where"`
	Value int    `json:"value"`
	limit int
}

var seamMetric = &source.Metric{Name: "ntphealth_seamtest_value", Help: "Test-only."}

func (r *seamReading) ProbeError() string { return "" }
func (r *seamReading) Checks() []health.Check {
	v, lim := float64(r.Value), float64(r.limit)
	c := health.Check{Name: "seamtest_value", Status: health.OK, Message: "value within the limit", Value: &v, Crit: &lim, Warn: &lim}
	if r.Value > r.limit {
		c.Status, c.Message = health.Critical, fmt.Sprintf("value %d above %d", r.Value, r.limit)
	}
	return []health.Check{c}
}
func (r *seamReading) Collect(emit source.Emit) { emit(seamMetric, float64(r.Value)) }
func (r *seamReading) Text(w io.Writer) {
	fmt.Fprintf(w, "seamtest at %s: value %d\n", r.Where, r.Value)
}

// TestSourceSeam: a registered source is configured by its section and its
// flag, validated with file:line, read only when named, judged, and shown
// in text, JSON and Nagios output.
func TestSourceSeam(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ntphealth.yaml")
	base := []string{"check", "--chrony", "off", "--ntpd", "off", "--kernel", "false", "--config", cfg}
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(append([]string{}, base...), args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	write("seamtest:\n  where: file-place\n  limit: 3\n")
	code, out, errOut := check("--format", "json")
	var r map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("exit %d: %v\n%s%s", code, err, out, errOut)
	}
	var seam bytes.Buffer
	json.Compact(&seam, r["seamtest"])
	if code != 2 || seam.String() != `{"where":"file-place","value":7}` || !strings.Contains(string(r["checks"]), "value 7 above 3") {
		t.Errorf("from the file: exit %d, JSON %s", code, out)
	}

	code, out, _ = check("--seamtest", "flag-place")
	if code != 2 || !strings.Contains(out, "seamtest at flag-place: value 7") || !strings.Contains(out, "seamtest_value") {
		t.Errorf("--seamtest overrides the file: exit %d\n%s", code, out)
	}
	if code, out, _ = check("--format", "nagios"); !strings.Contains(out, "seamtest_value=7;3;3") {
		t.Errorf("nagios: exit %d %q", code, out)
	}
	if code, out, _ = check("--seamtest", "OFF", "--format", "json"); strings.Contains(out, `"seamtest"`) {
		t.Errorf("--seamtest OFF still read it: exit %d\n%s", code, out)
	}

	write("seamtest:\n  limit: 500\n")
	if code, _, errOut = check(); code != 3 || !strings.Contains(errOut, "ntphealth.yaml:2: seamtest.limit: 500 is above 100") {
		t.Errorf("a source's own validation names file:line and key: exit %d %q", code, errOut)
	}
	write("seamtest:\n  limt: 5\n")
	if code, _, errOut = check(); code != 3 || !strings.Contains(errOut, "seamtest.limt") && !strings.Contains(errOut, `did you mean "limit"`) {
		t.Errorf("an unknown key in a source's section: exit %d %q", code, errOut)
	}
	write("seamtest:\n  limit: -1\n")
	if code, _, errOut = check(); code != 3 || !strings.Contains(errOut, "seamtest.limit: negative value") {
		t.Errorf("a negative number in a source's section: exit %d %q", code, errOut)
	}
}
