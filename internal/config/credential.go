package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Systemd credentials (systemd.exec(5), "Credentials"): the shipped units
// say LoadCredential=push-url:/etc/ntphealth/push-url, so systemd reads that
// file as root (it stays chmod 600) and hands a copy to the transient
// DynamicUser= as $CREDENTIALS_DIRECTORY/push-url, mode 0400.
const (
	// EnvCredentialsDir is the variable systemd sets to the unit's
	// credential directory.
	EnvCredentialsDir = "CREDENTIALS_DIRECTORY"
	// CredentialPushURL names the credential that holds one push URL; it
	// means the same as NTPHEALTH_PUSH_URL.
	CredentialPushURL = "push-url"
	// PushURLFile is where the shipped units load CredentialPushURL from.
	PushURLFile = "/etc/ntphealth/push-url"
)

// ExternalPushURL returns the push URL given outside the config file: the
// credential push-url, else $NTPHEALTH_PUSH_URL; origin names which, for
// SetPushURL. It returns "" when neither is set. A blank credential counts
// as unset: the units fall back to one (SetCredential=) when
// /etc/ntphealth/push-url does not exist. Two different URLs are an error.
func ExternalPushURL() (url, origin string, err error) {
	cred, err := pushURLCredential()
	if err != nil {
		return "", "", err
	}
	env := os.Getenv(EnvPushURL)
	switch {
	case cred != "" && strings.TrimSpace(env) != "" && strings.TrimSpace(env) != cred:
		return "", "", fmt.Errorf("two different push URLs: the credential %s (%s for the shipped units) and $%s (from /etc/default/ntphealth?): keep one",
			CredentialPushURL, PushURLFile, EnvPushURL)
	case cred != "":
		return cred, "credential " + CredentialPushURL, nil
	case env != "":
		return env, "$" + EnvPushURL, nil
	}
	return "", "", nil
}

// pushURLCredential returns the trimmed content of the credential push-url,
// or "" when $CREDENTIALS_DIRECTORY is unset or holds no such credential.
func pushURLCredential() (string, error) {
	const name = CredentialPushURL
	dir := os.Getenv(EnvCredentialsDir)
	if dir == "" {
		return "", nil
	}
	data, err := readSmall(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("credential %s: %w", name, err)
	}
	v := strings.TrimSpace(string(data))
	if strings.ContainsAny(v, "\r\n") {
		return "", fmt.Errorf("credential %s holds more than one line: put only the push URL in the file the unit loads it from (%s for the shipped units)",
			name, PushURLFile)
	}
	return v, nil
}

// credentialPrefixes start a url_file or token_file that lies in the
// unit's credential directory, as systemd.exec(5) spells it in ExecStart=.
var credentialPrefixes = []string{"$" + EnvCredentialsDir + "/", "${" + EnvCredentialsDir + "}/"}

// expandCredentials replaces a leading $CREDENTIALS_DIRECTORY/ in a
// url_file or token_file by its value; other paths are returned as they are.
func expandCredentials(file string) (string, error) {
	for _, p := range credentialPrefixes {
		rest, ok := strings.CutPrefix(file, p)
		if !ok {
			continue
		}
		dir := os.Getenv(EnvCredentialsDir)
		if dir == "" {
			return "", fmt.Errorf("%s is unset: systemd sets it for a unit with LoadCredential= (as root by hand: %s=/etc/ntphealth ntphealth check)",
				strings.TrimSuffix(p, "/"), EnvCredentialsDir)
		}
		return filepath.Join(dir, rest), nil
	}
	return file, nil
}
