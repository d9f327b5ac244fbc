package config

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/ntphealth/ntphealth/internal/notify"
)

// The warnings for a secret that others can read. chmod 600 is not the
// remedy: the shipped units run as a transient DynamicUser= that must still
// read the config. A secret goes where systemd reads it as root instead:
// a credential (LoadCredential=, systemd.exec(5)) or /etc/default/ntphealth
// (EnvironmentFile=).

// inlineSecretKey names the first key that holds a secret in the file
// itself (not read from a *_file), or "". Which key holds a kind's secret
// is notify's to say (Kind.SecretOption): for kind gatus the bearer token;
// its URL names an endpoint and is not a secret.
func (c *Config) inlineSecretKey() string {
	for i, p := range c.Push {
		k, _ := notify.Lookup(p.Kind)
		if k.SecretOption == "token" {
			if p.Token != "" && p.tokenFrom == "" {
				return fmt.Sprintf("push[%d].token", i)
			}
			continue
		}
		if p.URL != "" && p.urlFrom == "" {
			return fmt.Sprintf("push[%d].url", i)
		}
	}
	return ""
}

// exposedSecret words the warning for a config file that holds a secret
// (under key) and that others may read; "" when there is nothing to say.
// (A group-readable file, root:ntphealth 0640, is a deliberate choice.)
func exposedSecret(path string, mode fs.FileMode, key string) string {
	if key == "" || mode.Perm()&0o004 == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds a push secret in %s and is readable by all (mode %04o): %s; leave %s readable, the units' transient user must read it (chmod 600 stops them)",
		path, key, mode.Perm(), secretAdvice(key), path)
}

// exposedSecretFile words the warning for a url_file or token_file (named
// by fileKey) that others may read.
func exposedSecretFile(path string, mode fs.FileMode, fileKey string) string {
	return fmt.Sprintf("%s (%s) holds a push secret and is readable by all (mode %04o): %s (or chmod 600 it if ntphealth runs as its owner, not under the shipped units)",
		path, fileKey, mode.Perm(), secretAdvice(fileKey))
}

// secretAdvice says where the secret under key belongs: in a root-only
// file that systemd hands to the service as a credential.
func secretAdvice(key string) string {
	if strings.HasSuffix(key, ".token") || strings.HasSuffix(key, ".token_file") {
		return "put the token in /etc/ntphealth/gatus-token (chmod 600, owner root), load it with `systemctl edit ntphealth.service` adding LoadCredential=gatus-token:/etc/ntphealth/gatus-token, and write token_file: $CREDENTIALS_DIRECTORY/gatus-token instead"
	}
	return fmt.Sprintf("put the URL in %s (chmod 600, owner root), which the shipped units hand to ntphealth as the credential %s, and write url_file: $CREDENTIALS_DIRECTORY/%s instead; or, for a Kuma target with the default settings, drop it and set %s in /etc/default/ntphealth (chmod 600)",
		PushURLFile, CredentialPushURL, CredentialPushURL, EnvPushURL)
}
