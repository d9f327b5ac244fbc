package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify"
)

// bare drops what records where a Config came from, leaving its values.
func bare(c Config) Config {
	c.File, c.Warnings, c.origins = "", nil, nil
	for i := range c.Push {
		c.Push[i].urlFrom, c.Push[i].tokenFrom = "", ""
	}
	return c
}

// diff lists the key paths where a and b differ, as "key: a != b"; an
// empty list or map equals a nil one.
func diff(a, b any) []string {
	var out []string
	var walk func(x, y reflect.Value, path string)
	walk = func(x, y reflect.Value, path string) {
		if x.Kind() == reflect.Struct && x.Type() != durationType {
			names, index := yamlKeys(x.Type())
			for _, n := range names {
				walk(x.FieldByIndex(index[n]), y.FieldByIndex(index[n]), join(path, n))
			}
			return
		}
		if (x.Kind() == reflect.Map || x.Kind() == reflect.Slice) && x.Len() == 0 && y.Len() == 0 {
			return // nil and empty mean the same here
		}
		if !reflect.DeepEqual(x.Interface(), y.Interface()) {
			out = append(out, fmt.Sprintf("%s: %v != %v", path, x.Interface(), y.Interface()))
		}
	}
	walk(reflect.ValueOf(a), reflect.ValueOf(b), "")
	return out
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() does not validate: %v", err)
	}
	if c.Checks != health.DefaultPolicy() {
		t.Errorf("Default().Checks = %+v, want health.DefaultPolicy()", c.Checks)
	}
	want := map[string]bool{
		"chrony":    c.Chrony.Address == "127.0.0.1:323",
		"kernel":    c.Kernel.Enabled == KernelAuto && c.Kernel.MaxErrorWarn == 100*time.Millisecond && c.Kernel.MaxErrorCrit == time.Second,
		"pps":       c.PPS.SysfsRoot == "/sys" && c.PPS.MaxGap == 2*time.Second && c.PPS.Device == "",
		"gps":       c.GPS.MinMode == 3 && c.GPS.MinSatellites == 4 && c.GPS.MaxAge == 5*time.Second,
		"timeout":   c.Timeout == 2*time.Second,
		"listen":    c.Listen == "127.0.0.1:9567",
		"interval":  c.Interval == 30*time.Second,
		"log":       c.LogFormat == "text",
		"unhealthy": reflect.DeepEqual(c.Unhealthy, []health.Status{health.Critical, health.Unknown}),
		"push":      len(c.Push) == 0 && c.NTPD.Address == "" && len(c.NTP) == 0,
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("Default(): %s is not the documented default: %+v", k, c)
		}
	}
	p := DefaultPush()
	if p.Kind != notify.KindKuma || p.Warning != notify.WarningUp || p.Ping != notify.PingOffset || p.PingUnit != notify.PingMicroseconds || p.Timeout != 10*time.Second || p.Retries != 2 {
		t.Errorf("DefaultPush() = %+v", p)
	}
}

func TestParseEmptyIsDefault(t *testing.T) {
	for _, doc := range []string{"", "\n", "# only a comment\n", "---\n", "chrony:\n", "checks: ~\n"} {
		c, err := Parse([]byte(doc), "ntphealth.yaml")
		if err != nil {
			t.Fatalf("Parse(%q): %v", doc, err)
		}
		if d := diff(bare(c), bare(Default())); len(d) > 0 {
			t.Errorf("Parse(%q) differs from Default(): %v", doc, d)
		}
	}
}

func TestParseOverlaysDefaults(t *testing.T) {
	doc := `
chrony:
  address: unix:///run/chrony/chronyd.sock
checks:
  offset_warn: 500us
  prefer: PPS
  free_running: warning
ntp: pool.ntp.org
unhealthy: [WARNING, CRITICAL, UNKNOWN]
log_format: JSON
kernel:
  enabled: false
`
	c, err := Parse([]byte(doc), "ntphealth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Chrony.Address = "unix:///run/chrony/chronyd.sock"
	want.Checks.OffsetWarn = 500 * time.Microsecond
	want.Checks.Prefer = "PPS"
	want.Checks.FreeRunning = health.Warning
	want.NTP = []string{"pool.ntp.org"}
	want.Unhealthy = []health.Status{health.Warning, health.Critical, health.Unknown}
	want.LogFormat = "json"
	want.Kernel.Enabled = KernelFalse
	if d := diff(bare(c), want); len(d) > 0 {
		t.Errorf("Parse: %v", d)
	}
	if got := c.origins["checks.offset_warn"]; got != "ntphealth.yaml:5" {
		t.Errorf("origin of checks.offset_warn = %q, want ntphealth.yaml:5", got)
	}
}

func TestLoadAbsentFileIsDefault(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err != nil {
		t.Fatalf("Load(absent): %v", err)
	}
	if d := diff(bare(c), Default()); len(d) > 0 {
		t.Errorf("Load(absent) differs from Default(): %v", d)
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.yaml")
	if err := os.WriteFile(file, []byte("timeout: 1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", maxFileSize+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{dir, "not a regular file"},
		{filepath.Join(file, "x"), "not a directory"},
		{big, "larger than"},
	} {
		_, err := Load(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("Load(%s) = %v, want an error naming the path and %q", tc.path, err, tc.want)
		}
	}
}

func TestLoadReadsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ntphealth.yaml")
	if err := os.WriteFile(file, []byte("interval: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if c.Interval != time.Minute || c.File != file {
		t.Errorf("Load: interval %s, file %q", c.Interval, c.File)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("a file without a token drew warnings: %v", c.Warnings)
	}
}

func TestSetOrigin(t *testing.T) {
	c, err := Parse([]byte("interval: 1m\n"), "ntphealth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Interval = 10 * time.Millisecond
	c.SetOrigin("interval", "--interval")
	err = c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "--interval: interval: ") {
		t.Errorf("Validate after a flag = %v, want it to name --interval", err)
	}
}

func TestValidateIsRepeatable(t *testing.T) {
	c := Default()
	c.Kernel.Enabled = "YES"
	for i := range 2 {
		if err := c.Validate(); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if c.Kernel.Enabled != KernelTrue {
		t.Errorf("kernel.enabled normalised to %q, want true", c.Kernel.Enabled)
	}
}

// TestProbeLimitsReachPolicy: the kernel:, pps: and gps: limits are what
// health.Evaluate sees in Checks, also after a flag changed one.
func TestProbeLimitsReachPolicy(t *testing.T) {
	doc := "kernel:\n  max_error_warn: 50ms\n  unsync: WARNING\npps:\n  max_gap: 5s\ngps:\n  min_mode: 2\n  min_satellites: 6\n  max_age: 3s\n"
	c, err := Parse([]byte(doc), "ntphealth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := health.DefaultPolicy()
	want.Kernel.MaxErrorWarn = 50 * time.Millisecond
	want.Kernel.Unsync = health.Warning
	want.PPS.MaxGap = 5 * time.Second
	want.GPS = health.GPSPolicy{MinMode: 2, MinSatellites: 6, MaxAge: 3 * time.Second}
	if c.Checks != want {
		t.Errorf("Checks = %+v\nwant %+v", c.Checks, want)
	}
	c.PPS.MaxGap = 7 * time.Second
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Checks.PPS.MaxGap != 7*time.Second {
		t.Errorf("Validate did not carry pps.max_gap into Checks: %s", c.Checks.PPS.MaxGap)
	}
}
