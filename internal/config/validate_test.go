package config

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/notify"
)

// TestValidateReadsNoFile: Load reads url_file, token_file and the
// credential once; Validate reads none of them (they may be gone), and two
// runs give the same result and leave the config as it was.
func TestValidateReadsNoFile(t *testing.T) {
	c, path := loadWithSecretFiles(t)
	before := fmt.Sprintf("%#v", c)
	if err := validateTwice(t, &c); err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprintf("%#v", c); after != before {
		t.Errorf("Validate changed the config:\n%s\nwant\n%s", after, before)
	}

	// A problem in a value read from a file is blamed on its *_file key,
	// with the same words every time, and without reading the file again.
	c.Push[0].URL += "/"
	c.Push[1].Warning = "sideways"
	err := validateTwice(t, &c)
	if err == nil {
		t.Fatal("Validate accepted a bad config")
	}
	for _, want := range []string{path + ":2: push[0].url_file: URL \"https://kuma.example/api/push/****\" ends in a slash", "push[1].warning: invalid value \"sideways\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error shows the token: %s", err)
	}
}

// loadWithSecretFiles loads a config whose push targets read a url_file, a
// token_file and the credential push-url, checks that Load read and
// normalised them, and then removes every file and the credential
// directory.
func loadWithSecretFiles(t *testing.T) (Config, string) {
	t.Helper()
	dir := t.TempDir()
	creds := credentialsDir(t, "https://kuma.example/api/push/cred"+token+"\n")
	writeFile(t, dir, "kuma-url", "https://kuma.example/api/push/"+token+"\n", 0o600)
	writeFile(t, dir, "gatus-token", token+"\n", 0o600)
	doc := `push:
  - url_file: kuma-url
    warning: DOWN
  - kind: Gatus
    url: https://gatus.example/api/v1/endpoints/core_ntp/external
    token_file: gatus-token
  - url_file: $CREDENTIALS_DIRECTORY/push-url
    ping_unit: µs
log_format: JSON
`
	path := writeFile(t, dir, "ntphealth.yaml", doc, 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Push[0].URL == "" || c.Push[1].Token != token || c.Push[2].URL == "" {
		t.Fatalf("Load did not read the secret files: %+v", c.Push)
	}
	if c.Push[0].Warning != notify.WarningDown || c.Push[1].Kind != "gatus" || c.Push[2].PingUnit != notify.PingMicroseconds || c.LogFormat != "json" {
		t.Errorf("Load did not normalise: %+v %q", c.Push, c.LogFormat)
	}
	os.Chmod(creds, 0o700)
	for _, p := range []string{dir, creds} {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(EnvCredentialsDir, "")
	return c, path
}

// validateTwice runs Validate twice and fails unless both runs say the
// same and leave the config the same.
func validateTwice(t *testing.T, c *Config) error {
	t.Helper()
	first := c.Validate()
	once := fmt.Sprintf("%#v", *c)
	second := c.Validate()
	if fmt.Sprint(first) != fmt.Sprint(second) {
		t.Errorf("Validate run 2 = %v, run 1 = %v", second, first)
	}
	if twice := fmt.Sprintf("%#v", *c); twice != once {
		t.Errorf("Validate run 2 changed the config:\n%s\nafter run 1:\n%s", twice, once)
	}
	return second
}

// TestPushStart: Healthchecks' /start signal is set from the config
// (start: true) and refused on a kind that has no such signal.
func TestPushStart(t *testing.T) {
	c, err := Parse([]byte("push:\n  kind: healthchecks\n  url: https://hc-ping.com/0b0f6d3e-2c3d-4c7e-9a0e-3d2a1b0c9f8e\n  start: true\n"), "ntphealth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Push[0].Start {
		t.Error("start: true not read")
	}
	for doc, want := range map[string]string{
		"push:\n  url: https://kuma.example/api/push/abc\n  start: true\n":        "ntphealth.yaml:3: push[0].start: used only by kind healthchecks, not kuma: remove it",
		"push:\n  kind: healthchecks\n  url: https://hc-ping.com/x\n  start: 1\n": "ntphealth.yaml:4: push[0].start: invalid value \"1\" (use true or false)",
	} {
		if _, err := Parse([]byte(doc), "ntphealth.yaml"); err == nil || err.Error() != want {
			t.Errorf("Parse:\n%s= %v\nwant %s", doc, err, want)
		}
	}
}

// TestPushRetriesZero: retries: 0 is kept as no retry; only a key left out
// takes notify's default.
func TestPushRetriesZero(t *testing.T) {
	c, err := Parse([]byte("push:\n  url: https://kuma.example/api/push/abc\n  retries: 0\n"), "ntphealth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Push[0].Retries != 0 {
		t.Errorf("retries = %d, want 0", c.Push[0].Retries)
	}
}

// TestPushURLChecksEveryKind: what a push service refuses in its URL is
// refused when the config is read, with the file, the line and the key,
// not when the first push is built.
func TestPushURLChecksEveryKind(t *testing.T) {
	for doc, want := range map[string]string{
		"push:\n  kind: healthchecks\n  url: https://hc-ping.com/\n":                      "ntphealth.yaml:2: push[0]: healthchecks: URL has no check identifier in its path",
		"push:\n  kind: peekaping\n  url: https://p.example/api/push/" + token + "\n":     "ntphealth.yaml:2: push[0]: peekaping: not a Peekaping push URL",
		"push:\n  kind: webhook\n  url: https://h.example/x\n  body: \"{{.Nope}}\"\n":     "ntphealth.yaml:2: push[0]: webhook: body template: ",
		"push:\n  kind: gatus\n  url: https://g.example/api/v1/status\n  token: s3cret\n": "ntphealth.yaml:2: push[0]: gatus: not an external endpoint URL",
	} {
		_, err := Parse([]byte(doc), "ntphealth.yaml")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse:\n%s= %v\nwant it to start with %s", doc, err, want)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

// TestReadThenValidate: Read leaves the validation to Validate, which then
// finds what Load finds, at the same file:line; what Read cannot decode
// (a wrong type, an unknown key) it still refuses itself.
func TestReadThenValidate(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/bad.yaml"
	if err := os.WriteFile(bad, []byte("checks:\n  offset_warn: 5ms\n  offset_crit: 1ms\nchrony:\n  address: \"unix:///nowhere/x\\nx\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, loadErr := Load(bad)
	if loadErr == nil {
		t.Fatal("Load accepted warn above crit")
	}
	c, err := Read(bad)
	if err != nil {
		t.Fatalf("Read validated: %v", err)
	}
	err = c.Validate()
	if err == nil || err.Error() != loadErr.Error() {
		t.Errorf("Read + Validate = %v\nwant Load's %v", err, loadErr)
	}

	undecodable := dir + "/type.yaml"
	if err := os.WriteFile(undecodable, []byte("timeout: [1]\nnonsense: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Read(undecodable)
	if err == nil || !strings.Contains(err.Error(), undecodable+":1") || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("Read of a wrong type and an unknown key = %v, want both, with file:line", err)
	}
}
