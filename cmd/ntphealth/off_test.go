package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/health"
)

// TestSourceOff: "off" turns each source off, the same way for every
// source and from the command line or the config file (issue 8: gps
// address "off" used to be dialled). The source is not read at all, and no
// message treats "off" as an address or device.
func TestSourceOff(t *testing.T) {
	sysfs := t.TempDir() // a pps0 that auto mode would otherwise read
	os.MkdirAll(filepath.Join(sysfs, "class/pps/pps0"), 0o755)
	os.WriteFile(filepath.Join(sysfs, "class/pps/pps0/assert"), []byte("1.0#1\n"), 0o644)
	for _, src := range []struct {
		flag, yaml string
		read       func(r health.Report) bool // whether the source was read
	}{
		{"chrony", "chrony:\n  address: off\n", func(r health.Report) bool { return r.Daemon != nil && r.Daemon.Kind == "chrony" }},
		{"ntpd", "ntpd:\n  address: off\n", func(r health.Report) bool {
			return r.Daemon != nil && (r.Daemon.Kind == "ntpd" || strings.Contains(r.Daemon.Error, "ntpd"))
		}},
		{"gpsd", "gps:\n  address: \"OFF\"\n", func(r health.Report) bool { return r.GPS != nil }},
		{"pps", "pps:\n  device: off\n", func(r health.Report) bool { return r.PPS != nil }},
	} {
		for _, how := range []string{"flag", "config"} {
			t.Run(src.flag+" by "+how, func(t *testing.T) {
				cfg := filepath.Join(t.TempDir(), "ntphealth.yaml")
				body, args := "", []string{"--" + src.flag, "off"}
				if how == "config" {
					body, args = src.yaml, nil
				}
				if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"check", "--config", cfg, "--format", "json", "--sysfs-root", sysfs, "--timeout", "300ms"}, args...)
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), args, &stdout, &stderr)
				var r health.Report
				if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
					t.Fatalf("exit %d: %v\nstdout: %s\nstderr: %s", code, err, stdout.String(), stderr.String())
				}
				if src.read(r) {
					t.Errorf("%s was read although it is off: %s", src.flag, stdout.String())
				}
				out := strings.ToLower(stdout.String() + stderr.String())
				for _, bad := range []string{"at off", "/off/", "device off", `"off"`} {
					if strings.Contains(out, bad) {
						t.Errorf("output treats off as an address (%q):\n%s", bad, out)
					}
				}
			})
		}
	}
}
