package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/notify"
)

const token = "Sup3rS3cretT0ken"

func TestPushListOrMapping(t *testing.T) {
	one := "push:\n  url: https://kuma.example/api/push/" + token + "\n  warning: down\n"
	list := "push:\n  - url: https://kuma.example/api/push/" + token + "\n    warning: down\n"
	for _, doc := range []string{one, list} {
		c, err := Parse([]byte(doc), "ntphealth.yaml")
		if err != nil {
			t.Fatalf("Parse:\n%s\n%v", doc, err)
		}
		want := DefaultPush()
		want.URL = "https://kuma.example/api/push/" + token
		want.Warning = notify.WarningDown
		if len(c.Push) != 1 {
			t.Fatalf("got %d targets from:\n%s", len(c.Push), doc)
		}
		if d := diff(c.Push[0], want); len(d) > 0 {
			t.Errorf("push from:\n%s\ndiffers from DefaultPush(): %v", doc, d)
		}
	}
}

func TestPushSeveralTargets(t *testing.T) {
	doc := `
push:
  - url: https://kuma.example/api/push/abc
  - kind: healthchecks
    url: https://hc-ping.com/0b0f6d3e
    timeout: 3s
  - kind: gatus
    url: https://gatus.example/api/v1/endpoints/core_ntp/external
    token: s3cret
`
	c, err := Parse([]byte(doc), "ntphealth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{c.Push[0].Kind, c.Push[1].Kind, c.Push[2].Kind}
	if strings.Join(kinds, ",") != "kuma,healthchecks,gatus" {
		t.Errorf("kinds = %v", kinds)
	}
	// Each entry starts from DefaultPush, not from the one before it.
	if c.Push[1].Timeout != 3*time.Second || c.Push[2].Timeout != 10*time.Second || c.Push[2].Retries != 2 {
		t.Errorf("per-target defaults wrong: %+v", c.Push)
	}
}

// writeFile writes content with mode and returns its path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask may have cut bits
		t.Fatal(err)
	}
	return p
}

func TestPushURLFile(t *testing.T) {
	dir := t.TempDir()
	url := "https://kuma.example/api/push/" + token
	writeFile(t, dir, "kuma-url", "\n  "+url+"  \n\n", 0o600)
	writeFile(t, dir, "empty", " \n", 0o600)
	writeFile(t, dir, "two", url+"\n"+url+"\n", 0o600)
	writeFile(t, dir, "bad", "https://kuma.example/api/push/"+token+"/\n", 0o600)
	cfg := filepath.Join(dir, "ntphealth.yaml")

	// Relative to the config file's directory.
	c, err := Parse([]byte("push:\n  url_file: kuma-url\n"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Push[0].URL != url {
		t.Errorf("url from url_file = %q, want it trimmed: %q", notify.RedactInput(c.Push[0].URL), notify.RedactInput(url))
	}
	// Validate again: the URL read from the file is not "set twice".
	if err := c.Validate(); err != nil {
		t.Errorf("second Validate: %v", err)
	}
	// Absolute path.
	if _, err := Parse([]byte("push:\n  url_file: "+filepath.Join(dir, "kuma-url")+"\n"), "elsewhere/ntphealth.yaml"); err != nil {
		t.Errorf("absolute url_file: %v", err)
	}

	for _, tc := range []struct{ doc, want string }{
		{"push:\n  url_file: missing\n", "no such file"},
		{"push:\n  url_file: empty\n", "is empty"},
		{"push:\n  url_file: two\n", "more than one line"},
		{"push:\n  url_file: bad\n", "ends in a slash"},
		{"push:\n  url_file: .\n", "not a regular file"},
		{"push:\n  url_file: kuma-url\n  url: " + url + "\n", "both url and url_file are set"},
	} {
		_, err := Parse([]byte(tc.doc), cfg)
		if err == nil {
			t.Errorf("accepted:\n%s", tc.doc)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, cfg+":2: push[0].url_file: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("error for\n%s= %q, want %s:2: push[0].url_file: ...%s", tc.doc, msg, cfg, tc.want)
		}
		if strings.Contains(msg, token) {
			t.Errorf("error shows the token: %s", msg)
		}
	}
}

func TestPushTokenFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "gatus-token", token+"\n", 0o600)
	doc := "push:\n  kind: gatus\n  url: https://gatus.example/api/v1/endpoints/core_ntp/external\n  token_file: gatus-token\n"
	c, err := Parse([]byte(doc), filepath.Join(dir, "ntphealth.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Push[0].Token != token {
		t.Errorf("token from token_file not read")
	}
}

func TestPermissionWarning(t *testing.T) {
	url := "https://kuma.example/api/push/" + token
	for _, tc := range []struct {
		name     string
		doc      string
		mode     os.FileMode
		fileMode os.FileMode // mode of url_file
		want     string      // a substring of the one warning, or "" for none
	}{
		{"inline url, world-readable", "push:\n  url: " + url + "\n", 0o644, 0, "holds a push secret in push[0].url and is readable by all (mode 0644): put the URL in /etc/ntphealth/push-url"},
		{"inline url, group-readable: a deliberate choice", "push:\n  url: " + url + "\n", 0o640, 0, ""},
		{"inline url, private", "push:\n  url: " + url + "\n", 0o600, 0, ""},
		// Gatus' secret is the bearer token; its URL names an endpoint.
		{"inline gatus token", "push:\n  kind: gatus\n  url: https://g.example/api/v1/endpoints/k/external\n  token: " + token + "\n", 0o604, 0, "holds a push secret in push[0].token and is readable by all (mode 0604): put the token in"},
		{"no secret, world-readable", "interval: 1m\n", 0o644, 0, ""},
		{"url_file, config readable, file private", "push:\n  url_file: url\n", 0o644, 0o600, ""},
		{"url_file readable", "push:\n  url_file: url\n", 0o600, 0o644, "(push[0].url_file) holds a push secret and is readable by all (mode 0644): put the URL in /etc/ntphealth/push-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.fileMode != 0 {
				writeFile(t, dir, "url", url+"\n", tc.fileMode)
			}
			path := writeFile(t, dir, "ntphealth.yaml", tc.doc, tc.mode)
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(c.Warnings) != 0 {
					t.Errorf("unexpected warnings: %v", c.Warnings)
				}
				return
			}
			if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], tc.want) {
				t.Errorf("warnings = %q, want one containing %q", c.Warnings, tc.want)
			}
			for _, w := range c.Warnings {
				if strings.Contains(w, token) {
					t.Errorf("warning shows the token: %s", w)
				}
				// chmod 600 on the config locks the units' transient user
				// out; a secret goes to a credential or the env file.
				if strings.Contains(w, "run chmod 600") {
					t.Errorf("warning advises chmod 600, which stops the DynamicUser units: %s", w)
				}
			}
		})
	}
}

func TestSetPushURL(t *testing.T) {
	url := "https://kuma.example/api/push/" + token

	c := Default()
	c.SetPushURL(url, EnvPushURL)
	if len(c.Push) != 1 || c.Push[0].URL != url || c.Push[0].Kind != notify.KindKuma {
		t.Fatalf("SetPushURL on no target: %+v", c.Push)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	dir := t.TempDir()
	writeFile(t, dir, "url", "https://kuma.example/api/push/other\n", 0o600)
	c, err := Parse([]byte("push:\n  url_file: url\n  warning: down\n"), filepath.Join(dir, "ntphealth.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c.SetPushURL(url, "--push-url")
	if len(c.Push) != 1 || c.Push[0].URL != url || c.Push[0].URLFile != "" || c.Push[0].Warning != notify.WarningDown {
		t.Fatalf("SetPushURL on one target: %+v", c.Push)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	c.Push = append(c.Push, DefaultPush())
	c.Push[1].URL = "https://kuma.example/api/push/second"
	c.SetPushURL("kuma.example/api/push/"+token, "--push-url")
	if len(c.Push) != 3 {
		t.Fatalf("SetPushURL on two targets: %d targets, want 3", len(c.Push))
	}
	err = c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "--push-url: push[2].url: ") || strings.Contains(err.Error(), token) {
		t.Errorf("bad --push-url: %v", err)
	}
}
