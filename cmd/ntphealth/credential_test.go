package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
)

// TestCheckPushesToCredentialURL: the shipped units hand
// /etc/ntphealth/push-url to ntphealth as the systemd credential push-url
// (LoadCredential=, systemd.exec(5)). Laid out as systemd lays it out (a
// directory named by $CREDENTIALS_DIRECTORY, holding push-url with mode
// 0400), it is pushed to exactly as $NTPHEALTH_PUSH_URL would be; a blank
// one (the units' SetCredential= fallback when the file is absent) leaves
// /etc/default/ntphealth's NTPHEALTH_PUSH_URL in charge.
func TestCheckPushesToCredentialURL(t *testing.T) {
	for _, tc := range []struct {
		name       string
		credential func(k *notifytest.KumaReceiver) string // content of push-url
		env        func(k *notifytest.KumaReceiver) string // NTPHEALTH_PUSH_URL
		config     string                                  // the push: part of the config
	}{
		{name: "credential", credential: func(k *notifytest.KumaReceiver) string { return k.PushURL() + "\n" }},
		{name: "blank credential, URL from the env file",
			credential: func(*notifytest.KumaReceiver) string { return "\n" },
			env:        func(k *notifytest.KumaReceiver) string { return k.PushURL() }},
		{name: "config names the credential", credential: func(k *notifytest.KumaReceiver) string { return k.PushURL() + "\n" },
			config: "push:\n  - url_file: $CREDENTIALS_DIRECTORY/push-url\n    warning: down\n    timeout: 2s\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKuma(t)
			creds := filepath.Join(t.TempDir(), "credentials")
			if err := os.Mkdir(creds, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(creds, "push-url"), []byte(tc.credential(k)), 0o400); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(creds, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(creds, 0o700) })
			t.Setenv("CREDENTIALS_DIRECTORY", creds)
			env := ""
			if tc.env != nil {
				env = tc.env(k)
			}
			t.Setenv("NTPHEALTH_PUSH_URL", env)

			cfg := filepath.Join(t.TempDir(), "ntphealth.yaml")
			body := "chrony:\n  address: 127.0.0.1:1\ntimeout: 1s\n" + tc.config
			if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			code, r, stderr := runCheck(t, "--config", cfg)
			if code != 2 || r.Status != health.Critical {
				t.Errorf("exit %d status %s, want 2 CRITICAL (no chronyd)", code, r.Status)
			}
			if len(r.Push) != 1 || !r.Push[0].OK {
				t.Fatalf("push results %+v, want one delivered push; stderr:\n%s", r.Push, stderr)
			}
			if got := k.Last(t); got.Status != "down" {
				t.Errorf("Kuma got status=%q, want down", got.Status)
			}
		})
	}
}
