package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// token is planted in every push URL; it must never be printed.
const token = "s3cr3tT0k3n"

// newKuma is a local Kuma for token (notifytest: Kuma's answers, byte for
// byte).
func newKuma(t *testing.T) *notifytest.KumaReceiver { return notifytest.NewKumaReceiver(t, token) }

// runCheck runs "ntphealth check --format json" in-process and decodes the report.
func runCheck(t *testing.T, args ...string) (int, health.Report, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"check", "--config", emptyConfig(t), "--format", "json"}, args...)
	code := run(context.Background(), args, &stdout, &stderr)
	for _, out := range []string{stdout.String(), stderr.String()} {
		if strings.Contains(out, token) {
			t.Errorf("the push token appears in the output:\n%s", out)
		}
	}
	var r health.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("exit %d, output is not a JSON report: %v\nstdout: %s\nstderr: %s", code, err, stdout.String(), stderr.String())
	}
	if code != int(r.Status) {
		t.Errorf("exit code %d, report status %s", code, r.Status)
	}
	return code, r, stderr.String()
}

// emptyConfig is a config file with nothing in it: all defaults.
func emptyConfig(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func selected(name string) func(*observe.Daemon) bool {
	return func(d *observe.Daemon) bool {
		s, ok := d.Selected()
		return d.Error == "" && ok && s.Label() == name
	}
}

// TestCheckScenarios drives a real chronyd through the states the shell
// script cannot tell apart and asserts the exit code, the verdict, and what
// Kuma was sent.
func TestCheckScenarios(t *testing.T) {
	t.Run("pps healthy", func(t *testing.T) {
		t.Parallel()
		c := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true})
		c.WaitFor(t, 30*time.Second, selected("PPS"))
		k := newKuma(t)
		for _, addr := range []string{c.UDPAddr(), c.UnixAddr()} {
			code, r, _ := runCheck(t, "--chrony", addr, "--push-url", k.PushURL())
			if code != 0 || !strings.HasPrefix(r.Summary, "OK: PPS* stratum 1, clock ") {
				t.Errorf("%s: exit %d, summary %q", addr, code, r.Summary)
			}
			p := k.Last(t)
			if p.Status != "up" || p.Msg != r.Summary {
				t.Errorf("pushed %+v, want up with the summary %q", p, r.Summary)
			}
			if n, err := strconv.Atoi(p.Ping); err != nil || n < 1 {
				t.Errorf("ping %q, want a whole number of µs >= 1 (Kuma drops anything else)", p.Ping)
			}
			if len(r.Push) != 1 || !r.Push[0].OK || r.Push[0].Sent != "up" || !strings.Contains(r.Push[0].Target, "/api/push/****") {
				t.Errorf("push result %+v", r.Push)
			}
		}
	})
	t.Run("pps lost: degraded to the fallback", func(t *testing.T) {
		t.Parallel()
		c := chronytest.Start(t, chronytest.Options{Refclocks: true, Fallback: true})
		c.WaitFor(t, 30*time.Second, selected("PPS"))
		c.StopFeed()
		c.WaitFor(t, 60*time.Second, func(d *observe.Daemon) bool {
			return selected("127.0.0.1")(d) && d.Tracking.RefName == "127.0.0.1"
		})
		k := newKuma(t)
		code, r, _ := runCheck(t, "--chrony", c.UDPAddr(), "--push-url", k.PushURL())
		want := regexp.MustCompile(`^WARNING: (GPS not selected \(reach [0-7]+, last sample \d+ s ago\), )?PPS not selected \(reach [0-7]+, last sample \d+ s ago\).*; synced to 127\.0\.0\.1$`)
		if code != 1 || !want.MatchString(r.Summary) {
			t.Errorf("exit %d, summary %q, want 1 and %s", code, r.Summary, want)
		}
		if p := k.Last(t); p.Status != "up" || p.Msg != r.Summary {
			t.Errorf("pushed %+v, want up (WARNING maps to up by default) with the summary", p)
		}
		// warning: down maps the same verdict to a down heartbeat.
		cfg := filepath.Join(t.TempDir(), "ntphealth.yaml")
		if err := os.WriteFile(cfg, []byte("push:\n  - url: "+k.PushURL()+"\n    warning: down\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, _ = runCheck(t, "--config", cfg, "--chrony", c.UDPAddr())
		if p := k.Last(t); code != 1 || p.Status != "down" {
			t.Errorf("warning: down: exit %d, pushed %+v", code, p)
		}
	})
	t.Run("free-running on the local clock", func(t *testing.T) {
		t.Parallel()
		c := chronytest.Start(t, chronytest.Options{LocalStratum: 10, UnreachableServer: true})
		c.WaitFor(t, 20*time.Second, func(d *observe.Daemon) bool { return d.Error == "" && d.Tracking.RefID == "7F7F0101" })
		k := newKuma(t)
		code, r, _ := runCheck(t, "--chrony", c.UDPAddr(), "--push-url", k.PushURL())
		if code != 2 || r.Summary != "CRITICAL: free-running on local clock (no source reachable)" {
			t.Errorf("exit %d, summary %q", code, r.Summary)
		}
		if p := k.Last(t); p.Status != "down" || p.Msg != r.Summary {
			t.Errorf("pushed %+v", p)
		}
	})
	t.Run("offset beyond the limit", func(t *testing.T) {
		t.Parallel()
		c := chronytest.Start(t, chronytest.Options{Refclocks: true, Offset: 50 * time.Millisecond})
		c.WaitFor(t, 30*time.Second, func(d *observe.Daemon) bool {
			return selected("PPS")(d) && d.Tracking.SystemOffset > 0.04
		})
		k := newKuma(t)
		code, r, _ := runCheck(t, "--chrony", c.UDPAddr(), "--push-url", k.PushURL())
		if c, _ := r.Check("offset"); code != 2 || c.Status != health.Critical {
			t.Errorf("exit %d, offset check %+v", code, c)
		}
		p := k.Last(t)
		n, err := strconv.Atoi(p.Ping)
		if p.Status != "down" || err != nil || n < 40000 || n > 60000 {
			t.Errorf("pushed %+v, want down with ping about 50000 (µs)", p)
		}
	})
	t.Run("chronyd not running", func(t *testing.T) {
		t.Parallel()
		c := chronytest.Start(t, chronytest.Options{})
		c.Stop()
		k := newKuma(t)
		start := time.Now()
		code, r, _ := runCheck(t, "--chrony", c.UDPAddr(), "--push-url", k.PushURL())
		if code != 2 || !strings.HasPrefix(r.Summary, "CRITICAL: chronyd not reachable at "+c.UDPAddr()) {
			t.Errorf("exit %d, summary %q", code, r.Summary)
		}
		if p := k.Last(t); p.Status != "down" || p.Ping != "" {
			t.Errorf("pushed %+v, want down without a ping", p)
		}
		t.Logf("check of a stopped chronyd took %v", time.Since(start))
	})
}

// TestCheckPushFailures: a failed push is reported on stderr and in the
// JSON, never changes the verdict, and never shows the token.
func TestCheckPushFailures(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()
	var fails int
	var mu sync.Mutex
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fails++
		mu.Unlock()
		notifytest.NginxError(http.StatusInternalServerError).Write(w) // Kuma behind nginx
	}))
	defer broken.Close()
	page := httptest.NewServer(notifytest.KumaPage())
	defer page.Close()
	k := newKuma(t)

	for _, tc := range []struct {
		name, url, want string
	}{
		{"unknown token", k.URL + "/api/push/wrong" + token, "unknown push token"},
		{"web page with 200", page.URL + "/api/push/" + token, "web page"},
		{"500 then give up", broken.URL + "/api/push/" + token, "500"},
		{"hanging target", hang.URL + "/api/push/" + token, "no answer within 1s"},
		{"refused", "http://127.0.0.1:1/api/push/" + token, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "ntphealth.yaml")
			body := "chrony:\n  address: 127.0.0.1:1\npush:\n  - url: " + tc.url + "\n    timeout: 1s\n    retries: 1\n"
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			code, r, stderr := runCheck(t, "--config", cfg)
			if code != 2 || r.Status != health.Critical {
				t.Errorf("exit %d status %s: a failed push must not change the verdict", code, r.Status)
			}
			if len(r.Push) != 1 || r.Push[0].OK || !strings.Contains(strings.ToLower(r.Push[0].Error), tc.want) {
				t.Errorf("push result %+v, want a failure mentioning %q", r.Push, tc.want)
			}
			if !strings.Contains(stderr, "push") || !strings.Contains(stderr, "failed") {
				t.Errorf("stderr does not report the failed push: %q", stderr)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("check took %v with a 1 s push deadline and one retry", d)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if fails != 2 {
		t.Errorf("the 500 target got %d attempts, want 2 (first + 1 retry)", fails)
	}
}

// TestCheckUsageErrors: bad flags and bad config exit 3 with a message that
// names the problem.
func TestCheckUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("chrony:\n  address: 127.0.0.1:323\ninterval: soon\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--format", "xml"}, "--format"},
		{[]string{"check", "--bogus"}, "bogus"},
		{[]string{"check", "--config", bad}, "bad.yaml:3"},
		{[]string{"check", "--config", emptyConfig(t), "--push-url", "kuma.example/api/push/" + token}, "scheme"},
		{[]string{"check", "--config", filepath.Join(dir, "absent.yaml")}, "absent.yaml: no such file"},
		{[]string{"frobnicate"}, "unknown command"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != 3 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 3 and %q", tc.args, code, stderr.String(), tc.want)
		}
		if strings.Contains(stderr.String(), token) {
			t.Errorf("%v: token in stderr: %s", tc.args, stderr.String())
		}
	}
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"check", "--help"}, &stdout, &bytes.Buffer{}); code != 0 ||
		!strings.Contains(stdout.String(), "-push-url") || !strings.Contains(stdout.String(), "-chrony") {
		t.Errorf("check --help: exit %d\n%s", code, stdout.String())
	}
}
