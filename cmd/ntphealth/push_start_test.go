package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
)

// TestCheckHealthchecksStart: start: true on a healthchecks target, set in
// the config file, makes check signal <url>/start before its ping, which
// Healthchecks (the notifytest double) answers "OK" as it does the ping.
func TestCheckHealthchecksStart(t *testing.T) {
	const uuid = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
	var (
		mu  sync.Mutex
		got []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if strings.TrimSuffix(strings.TrimSuffix(r.URL.Path, "/fail"), "/start") != "/"+uuid {
			notifytest.HealthchecksNotFound().Write(w)
			return
		}
		notifytest.HealthchecksOK().Write(w)
	}))
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "ntphealth.yaml")
	body := "chrony:\n  address: 127.0.0.1:1\nkernel:\n  enabled: \"false\"\npush:\n  - kind: healthchecks\n    url: " + srv.URL + "/" + uuid + "\n    start: true\n    timeout: 1s\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, r, stderr := runCheck(t, "--config", cfg)
	if len(r.Push) != 1 || !r.Push[0].OK || r.Push[0].Sent != "fail" {
		t.Fatalf("push results %+v, want one delivered fail; stderr:\n%s", r.Push, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "GET /" + uuid + "/start, POST /" + uuid + "/fail"
	if strings.Join(got, ", ") != want {
		t.Errorf("Healthchecks got %v, want %s", got, want)
	}
}
