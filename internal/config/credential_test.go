package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// credentialsDir lays out a credential directory as systemd does
// (systemd.exec(5), LoadCredential=): one file per credential, mode 0400,
// named by $CREDENTIALS_DIRECTORY. content "" leaves push-url out.
func credentialsDir(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if content != "" {
		writeFile(t, dir, CredentialPushURL, content, 0o400)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	t.Setenv(EnvCredentialsDir, dir)
	return dir
}

func TestExternalPushURL(t *testing.T) {
	cred := "https://kuma.example/api/push/" + token
	env := "https://kuma.example/api/push/env" + token
	for _, tc := range []struct {
		name       string
		credential string // content of push-url; "" for none
		noDir      bool   // $CREDENTIALS_DIRECTORY unset
		env        string
		wantURL    string
		wantOrigin string
		wantErr    string
	}{
		{name: "credential", credential: cred + "\n", wantURL: cred, wantOrigin: "credential push-url"},
		{name: "credential and the same URL in the env", credential: cred, env: cred, wantURL: cred, wantOrigin: "credential push-url"},
		// The units' SetCredential= fallback when /etc/ntphealth/push-url is absent.
		{name: "blank credential: the env", credential: "\n", env: env, wantURL: env, wantOrigin: "$NTPHEALTH_PUSH_URL"},
		{name: "no push-url in the directory: the env", env: env, wantURL: env, wantOrigin: "$NTPHEALTH_PUSH_URL"},
		{name: "no credential directory: the env", noDir: true, env: env, wantURL: env, wantOrigin: "$NTPHEALTH_PUSH_URL"},
		{name: "nothing", noDir: true},
		{name: "two different URLs", credential: cred, env: env, wantErr: "two different push URLs"},
		{name: "two lines", credential: cred + "\n" + env + "\n", wantErr: "more than one line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.noDir {
				t.Setenv(EnvCredentialsDir, "")
			} else {
				credentialsDir(t, tc.credential)
			}
			t.Setenv(EnvPushURL, tc.env)
			url, origin, err := ExternalPushURL()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), token) {
					t.Errorf("err = %v, want one containing %q and no token", err, tc.wantErr)
				}
				return
			}
			if err != nil || url != tc.wantURL || origin != tc.wantOrigin {
				t.Errorf("ExternalPushURL() = %q, %q, %v; want %q, %q", url, origin, err, tc.wantURL, tc.wantOrigin)
			}
		})
	}
}

// TestCredentialURLFile: url_file and token_file may name a file in the
// unit's credential directory, as systemd.exec(5) writes it.
func TestCredentialURLFile(t *testing.T) {
	url := "https://kuma.example/api/push/" + token
	credentialsDir(t, url+"\n")
	for _, file := range []string{"$CREDENTIALS_DIRECTORY/push-url", "${CREDENTIALS_DIRECTORY}/push-url"} {
		c, err := Parse([]byte("push:\n  url_file: "+file+"\n  warning: down\n"), filepath.Join(t.TempDir(), "ntphealth.yaml"))
		if err != nil {
			t.Fatalf("url_file: %s: %v", file, err)
		}
		if c.Push[0].URL != url {
			t.Errorf("url_file: %s: URL not read from the credential", file)
		}
	}

	// The units' blank fallback when /etc/ntphealth/push-url is absent.
	credentialsDir(t, "\n")
	_, err := Parse([]byte("push:\n  url_file: $CREDENTIALS_DIRECTORY/push-url\n"), "ntphealth.yaml")
	if err == nil || !strings.Contains(err.Error(), "is empty: put the push url in the file the unit loads this credential from (LoadCredential=; /etc/ntphealth/push-url") {
		t.Errorf("url_file naming a blank credential: %v", err)
	}

	t.Setenv(EnvCredentialsDir, "")
	_, err = Parse([]byte("push:\n  url_file: $CREDENTIALS_DIRECTORY/push-url\n"), "ntphealth.yaml")
	if err == nil || !strings.Contains(err.Error(), "push[0].url_file: $CREDENTIALS_DIRECTORY is unset") {
		t.Errorf("url_file in an unset credential directory: %v", err)
	}
}
