package config

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
)

// tokenPaths are the path prefixes after which heartbeat services put the
// token: Uptime Kuma and Tianji (/api/push/), Peekaping (/api/v1/push/),
// Better Stack (/api/v1/heartbeat/), Gatus (/api/v1/endpoints/) and
// self-hosted Healthchecks (/ping/).
var tokenPaths = []string{"/api/push/", "/api/v1/push/", "/api/v1/heartbeat/", "/api/v1/endpoints/", "/ping/"}

// redacted replaces a secret in anything a person or a log sees.
const redacted = "****"

// RedactURL returns a push URL fit for a log or an error: scheme and host
// kept, the token after a known path prefix (or the whole path), any user
// info, query and fragment replaced by ****:
// https://kuma.example/api/push/abc?status=up -> https://kuma.example/api/push/****?****.
func RedactURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		// Not a URL (a missing scheme, say): keep only what precedes a known
		// token path.
		for _, p := range tokenPaths {
			if i := strings.Index(raw, p); i >= 0 && !strings.ContainsAny(raw[:i], "?#@") {
				return raw[:i+len(p)] + redacted
			}
		}
		return redacted
	}
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteString("://")
	if u.User != nil {
		b.WriteString(redacted + "@")
	}
	b.WriteString(u.Host)
	if u.Path != "" && u.Path != "/" {
		b.WriteString(keptPath(u.Path))
		b.WriteString(redacted)
	}
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + redacted)
	}
	if u.Fragment != "" {
		b.WriteString("#" + redacted)
	}
	return b.String()
}

// keptPath is the part of a URL path that RedactURL shows: up to and
// including a known token prefix, else "/".
func keptPath(path string) string {
	for _, p := range tokenPaths {
		if i := strings.Index(path, p); i >= 0 {
			return path[:i+len(p)]
		}
	}
	return "/"
}

// secrets lists the strings that must never appear in an error or a
// warning: every push URL and token, and the parts of each URL that
// RedactURL hides.
func (c *Config) secrets() []string {
	var s []string
	for _, p := range c.Push {
		s = append(s, p.URL, strings.TrimSpace(p.URL), p.Token, strings.TrimSpace(p.Token))
		s = append(s, urlSecrets(p.URL)...)
	}
	return s
}

// urlSecrets returns the hidden parts of a URL: user info, the path after
// the kept prefix and its first segment, the query and its values.
func urlSecrets(raw string) []string {
	var s []string
	// Whatever follows a token path in the raw text, however the URL
	// parses ("//api/push/x" has host "api").
	for _, p := range tokenPaths {
		if _, after, ok := strings.Cut(raw, p); ok {
			tok, _, _ := strings.Cut(after, "?")
			tok, _, _ = strings.Cut(tok, "#")
			first, _, _ := strings.Cut(tok, "/")
			s = append(s, tok, first)
		}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return s
	}
	if u.User != nil {
		s = append(s, u.User.String(), u.User.Username())
		if pw, ok := u.User.Password(); ok {
			s = append(s, pw)
		}
	}
	path := u.Path
	if u.Host == "" {
		path = raw // no scheme: the host sits in the path
	}
	// The token is the first segment after the kept prefix.
	tail := strings.TrimPrefix(path, keptPath(path))
	first, _, _ := strings.Cut(tail, "/")
	s = append(s, tail, strings.TrimSuffix(tail, "/"), first, u.RawQuery, u.Fragment)
	for _, vs := range u.Query() {
		s = append(s, vs...)
	}
	return s
}

// minSecret is the shortest string scrub replaces; shorter pieces ("up",
// "OK") are not secrets and would garble the message.
const minSecret = 4

// ExampleURL is the push URL that messages show as an example.
const ExampleURL = "https://kuma.example/api/push/TOKEN"

// examples are ntphealth's own words that scrub leaves readable even when
// a secret happens to be part of them: a pasted "kuma.example" or "TOKEN"
// must not turn the hint into "e.g. https://****".
var examples = []string{ExampleURL}

// scrub replaces every secret in msg by ****, longest first. The examples
// are kept, unless a secret runs across one's edge: then all is scrubbed.
func scrub(msg string, secrets []string) string {
	s := slices.Clone(secrets)
	slices.SortFunc(s, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	s = slices.DeleteFunc(s, func(v string) bool { return len(v) < minSecret || v == redacted })
	for _, ex := range examples {
		pieces := strings.Split(msg, ex)
		if len(pieces) == 1 || straddles(msg, ex, s) {
			continue
		}
		for i := range pieces {
			pieces[i] = scrub(pieces[i], s)
		}
		return strings.Join(pieces, ex)
	}
	for _, v := range s {
		msg = strings.ReplaceAll(msg, v, redacted)
	}
	return msg
}

// straddles tells whether a secret occurs in msg across the edge of an
// occurrence of ex, so that keeping ex would keep part of the secret.
func straddles(msg, ex string, secrets []string) bool {
	spans := occurrences(msg, ex)
	for _, v := range secrets {
		for _, s := range occurrences(msg, v) {
			for _, e := range spans {
				if s[0] < e[1] && s[1] > e[0] && (s[0] < e[0] || s[1] > e[1]) {
					return true
				}
			}
		}
	}
	return false
}

// occurrences returns [start, end) of every occurrence of sub in s,
// overlapping ones included.
func occurrences(s, sub string) [][2]int {
	var out [][2]int
	for i := 0; ; {
		j := strings.Index(s[i:], sub)
		if j < 0 {
			return out
		}
		out = append(out, [2]int{i + j, i + j + len(sub)})
		i += j + 1
	}
}
