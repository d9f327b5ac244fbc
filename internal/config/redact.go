package config

import (
	"slices"
	"strings"

	"github.com/ntphealth/ntphealth/internal/notify"
)

// secrets lists the strings that must never appear in an error or a
// warning: every push URL and token, and the parts of each URL that
// notify.RedactInput hides.
func (c *Config) secrets() []string {
	var s []string
	for _, p := range c.Push {
		s = append(s, p.URL, strings.TrimSpace(p.URL), p.Token, strings.TrimSpace(p.Token))
		s = append(s, notify.SecretsIn(p.URL)...)
	}
	return s
}

// minSecret is the shortest string scrub replaces; shorter pieces of a URL
// ("up", "OK") are not secrets and would garble the message.
const minSecret = 4

// scrub replaces every secret of at least minSecret bytes in msg by ****
// (notify.Scrub, the program's one redactor, which keeps its example URL
// readable).
func scrub(msg string, secrets []string) string {
	return notify.Scrub(msg, slices.DeleteFunc(slices.Clone(secrets), func(v string) bool { return len(v) < minSecret }))
}
