package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunRefusesBadWebConfig: a web config that is missing or wrong stops
// `ntphealth run` at start with the file named, before it listens (TLS and
// basic auth that silently fell back to plain HTTP would expose /metrics).
// The real scrape over TLS with basic auth is e2e's TestPrometheus.
func TestRunRefusesBadWebConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ntphealth.yaml")
	if err := os.WriteFile(cfg, []byte("kernel:\n  enabled: \"false\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(bad, []byte("tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: /nonexistent/key.pem\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, file, want string }{
		{"missing", filepath.Join(dir, "absent.yml"), "absent.yml"},
		{"certificate not found", bad, "web.yml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := cmdRun(context.Background(), []string{"--config", cfg, "--chrony", "127.0.0.1:1", "--listen", "127.0.0.1:0", "--web.config.file", c.file}, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "web config") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ntphealth run --web.config.file %s: %v, want an error naming the web config %s", c.file, err, c.want)
			}
		})
	}
}
