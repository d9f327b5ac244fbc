package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
)

// TestCheckFailedPushOneLine: one failed push is one line on stderr for
// "ntphealth check", whatever the attempts: the target, the attempts and
// what to do. (It was three for a wrong token: the per-attempt warning,
// notify's own error and check's line.)
func TestCheckFailedPushOneLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer notifytest.Answer
		want   string
	}{
		{"unknown token, 1 attempt", notifytest.KumaNotFound(), "failed after 1 attempt(s): unknown push token"},
		{"proxy 500, 2 attempts", notifytest.NginxError(http.StatusInternalServerError), "failed after 2 attempt(s): kuma answered HTTP 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.answer)
			defer srv.Close()
			cfg := filepath.Join(t.TempDir(), "ntphealth.yaml")
			body := "chrony:\n  address: 127.0.0.1:1\nkernel:\n  enabled: \"false\"\npush:\n  - url: " + srv.URL + "/api/push/" + token + "\n    timeout: 1s\n    retries: 1\n"
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, stderr := runCheck(t, "--config", cfg)
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "ntphealth: push kuma "+srv.URL+"/api/push/**** ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr has %d line(s), want one naming the target and %q:\n%s", len(lines), tc.want, stderr)
			}
		})
	}
}
