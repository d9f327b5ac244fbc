package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient/ntptest"
)

// TestCheckFleet: "check --ntp a --ntp b" checks every server from outside,
// one report per target, and exits with the worst of them; no local daemon
// is probed.
func TestCheckFleet(t *testing.T) {
	good := ntptest.Start(t, ntptest.Reply{Stratum: 2, RefID: "192.0.2.1"})
	slow := ntptest.Start(t, ntptest.Reply{Stratum: 2, RefID: "192.0.2.1", ClockOffset: 300 * time.Millisecond})
	unsynced := ntptest.Start(t, ntptest.Reply{Stratum: 16, Leap: 3})

	code, r, _ := runCheck(t, "--ntp", good.Addr(), "--ntp", slow.Addr(), "--ntp", unsynced.Addr(), "--ntp", "127.0.0.1:1")
	if code != 2 || r.Status != health.Critical {
		t.Errorf("exit %d status %s, want CRITICAL (the worst target)", code, r.Status)
	}
	if r.Daemon != nil || len(r.Checks) != 0 {
		t.Errorf("fleet check probed the local machine too: daemon %+v, checks %+v", r.Daemon, r.Checks)
	}
	want := []struct {
		target string
		status health.Status
		check  string
	}{
		{good.Addr(), health.OK, ""},
		{slow.Addr(), health.Critical, "offset"},
		{unsynced.Addr(), health.Critical, "synchronized"},
		{"127.0.0.1:1", health.Critical, "reachable"},
	}
	if len(r.Targets) != len(want) {
		t.Fatalf("%d target reports, want %d: %+v", len(r.Targets), len(want), r.Targets)
	}
	for i, w := range want {
		got := r.Targets[i]
		if got.Target != w.target || got.Status != w.status {
			t.Errorf("target %d: %s %s, want %s %s (%s)", i, got.Target, got.Status, w.target, w.status, got.Summary)
		}
		if w.check == "" {
			continue
		}
		found := false
		for _, c := range got.Checks {
			found = found || (c.Name == w.check && c.Status == w.status)
		}
		if !found {
			t.Errorf("target %s: no %s check at %s: %+v", got.Target, w.check, w.status, got.Checks)
		}
	}
}

// TestAutoNothingRunning: with no source named and nothing listening, the
// report says where it looked for chronyd and for ntpd.
func TestAutoNothingRunning(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"check", "--config", emptyConfig(t), "--format", "json"}, &stdout, &stderr)
	var r health.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, stderr.String())
	}
	if r.Daemon != nil && r.Daemon.Error == "" {
		t.Skipf("a time daemon runs on this machine (%s at %s): nothing to assert", r.Daemon.Kind, r.Daemon.Address)
	}
	c, _ := r.Check("reachable")
	for _, want := range []string{"chronyd not reachable at 127.0.0.1:323", "ntpd not reachable at 127.0.0.1:123"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("reachable message %q does not say %q", c.Message, want)
		}
	}
	if _, ok := r.Check("kernel_sync"); !ok {
		t.Errorf("auto mode did not read the kernel clock: %+v", r.Checks)
	}
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}
