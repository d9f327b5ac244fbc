package config

import (
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// checkPush validates push[i], reading url_file and token_file first.
func (c *Config) checkPush(l *errorList, i int) {
	p := &c.Push[i]
	key := fmt.Sprintf("push[%d]", i)

	p.Kind = strings.ToLower(strings.TrimSpace(p.Kind))
	kindOK := slices.Contains(Kinds, p.Kind)
	if !kindOK {
		c.bad(l, key+".kind", "unknown push kind %s (use one of: %s)", quote(p.Kind), strings.Join(Kinds, ", "))
	}

	c.readSecretFile(l, key, "url", &p.URL, p.URLFile, &p.urlFrom)
	c.readSecretFile(l, key, "token", &p.Token, p.TokenFile, &p.tokenFrom)

	urlKey := key + ".url"
	if p.urlFrom != "" {
		urlKey += "_file"
	}
	switch {
	case p.URL == "" && p.URLFile == "":
		c.bad(l, key+".url", "missing: set url (or url_file) to the push URL your monitoring service shows")
	case p.URL != "" && kindOK:
		p.URL = strings.TrimSpace(p.URL)
		if problem := pushURLProblem(p.Kind, p.URL); problem != "" {
			c.bad(l, urlKey, "%s", problem)
		}
	}

	p.Warning = strings.ToLower(p.Warning)
	if p.Warning != WarningUp && p.Warning != WarningDown {
		c.bad(l, key+".warning", "invalid value %s (use up or down: what a WARNING pushes)", quote(p.Warning))
	}
	p.Ping = strings.ToLower(p.Ping)
	if p.Ping != PingOffset && p.Ping != PingMaxError && p.Ping != PingNone {
		c.bad(l, key+".ping", "invalid value %s (use offset, max_error or none)", quote(p.Ping))
	}
	switch strings.ToLower(p.PingUnit) {
	case PingMicroseconds, "µs", "μs":
		p.PingUnit = PingMicroseconds
	case PingMilliseconds:
		p.PingUnit = PingMilliseconds
	default:
		c.bad(l, key+".ping_unit", "invalid unit %s (use us or ms; Kuma keeps only whole numbers >= 1, so us suits a clock within a millisecond)", quote(p.PingUnit))
	}
	if p.Timeout <= 0 {
		c.bad(l, key+".timeout", "must be above 0 (use 10s, the default)")
	}
	if p.Retries > MaxRetries {
		c.bad(l, key+".retries", "%d is above the maximum of %d (a dead target is not worth more; use 2, the default)", p.Retries, MaxRetries)
	}

	if kindOK {
		c.checkKindKeys(l, key, p)
	}
}

// checkKindKeys refuses keys the push kind does not use and checks the
// ones it does.
func (c *Config) checkKindKeys(l *errorList, key string, p *Push) {
	if p.Kind != KindWebhook {
		for _, k := range []struct {
			name string
			set  bool
		}{{"method", p.Method != ""}, {"body", p.Body != ""}, {"headers", len(p.Headers) > 0}} {
			if k.set {
				c.bad(l, key+"."+k.name, "used only by kind webhook, not %s: remove it", p.Kind)
			}
		}
	} else {
		p.Method = strings.ToUpper(p.Method)
		switch p.Method {
		case "", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
		default:
			c.bad(l, key+".method", "invalid HTTP method %s (use GET, POST, PUT, PATCH or DELETE; default POST)", quote(p.Method))
		}
		for _, name := range slices.Sorted(maps.Keys(p.Headers)) {
			v := p.Headers[name]
			if !headerName.MatchString(name) {
				c.bad(l, key+".headers."+name, "invalid header name (letters, digits and - only)")
			}
			if strings.ContainsAny(v, "\r\n") {
				c.bad(l, key+".headers."+name, "a header value cannot hold a line break")
			}
		}
	}
	if p.Kind != KindGatus {
		if p.Token != "" || p.TokenFile != "" {
			k := key + ".token"
			if p.TokenFile != "" {
				k += "_file"
			}
			c.bad(l, k, "used only by kind gatus, not %s: remove it (the %s token is part of the URL)", p.Kind, p.Kind)
		}
	} else if p.Token == "" && p.TokenFile == "" {
		c.bad(l, key+".token", "missing: kind gatus needs token (or token_file), the token of the external endpoint in Gatus' config")
	}
}

// headerName is an HTTP field name (RFC 9110 section 5.1, token), kept to
// the characters real header names use.
var headerName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)

// templateAction matches a Go template action, {{ ... }}.
var templateAction = regexp.MustCompile(`\{\{.*?\}\}`)

// pushURLProblem says what is wrong with a push URL, or "". It never
// repeats the token: the URL is shown redacted.
func pushURLProblem(kind, raw string) string {
	shown := quote(RedactURL(raw))
	check := raw
	if kind == KindWebhook {
		check = templateAction.ReplaceAllString(raw, "x")
	}
	if strings.ContainsAny(check, " \t\r\n") {
		return fmt.Sprintf("URL %s holds a space or line break: paste it again without one (ntphealth escapes the message itself)", shown)
	}
	u, err := url.Parse(check)
	if err != nil {
		return fmt.Sprintf("invalid URL %s: copy the push URL from your monitoring service", shown)
	}
	if u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf("URL %s has no scheme or host: write it in full, e.g. %s", shown, ExampleURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("URL %s: scheme %s is not http or https", shown, quote(u.Scheme))
	}
	if kind == KindKuma {
		return kumaPathProblem(u.Path, shown)
	}
	return ""
}

// kumaPathProblem checks that a Kuma URL ends in /api/push/<token>. Kuma
// answers a trailing slash with its web page and status 200, and records
// nothing, so that is refused here rather than failing at every push.
func kumaPathProblem(path, shown string) string {
	const marker = "/api/push/"
	i := strings.LastIndex(path, marker)
	if i < 0 {
		return fmt.Sprintf("URL %s is not an Uptime Kuma push URL (no /api/push/<token>): copy the Push URL from the monitor's page in Kuma, or set kind", shown)
	}
	token := path[i+len(marker):]
	switch {
	case token == "":
		return fmt.Sprintf("URL %s has no token after /api/push/: copy the whole Push URL from Kuma", shown)
	case strings.HasSuffix(token, "/"):
		return fmt.Sprintf("URL %s ends in a slash: remove it (Kuma answers it with its web page and records nothing)", shown)
	case strings.Contains(token, "/"):
		return fmt.Sprintf("URL %s has more path after the token: end the URL with /api/push/<token>", shown)
	}
	return ""
}

// readSecretFile reads a url_file or token_file into *dst. from remembers
// which file *dst came from, so Validate can run again; a value set both
// inline and by file is refused.
func (c *Config) readSecretFile(l *errorList, key, field string, dst *string, file string, from *string) {
	if file == "" {
		return
	}
	fileKey := key + "." + field + "_file"
	if *dst != "" && *from != file {
		c.bad(l, fileKey, "both %s and %s_file are set: keep one (%s_file keeps the token out of this file)", field, field, field)
		return
	}
	path, err := expandCredentials(file)
	if err != nil {
		c.bad(l, fileKey, "%v", err)
		return
	}
	if !filepath.IsAbs(path) && c.File != "" {
		path = filepath.Join(filepath.Dir(c.File), path)
	}
	data, err := readSmall(path)
	if err != nil {
		c.bad(l, fileKey, "%v", err)
		return
	}
	v := strings.TrimSpace(string(data))
	switch {
	case v == "":
		if strings.Contains(file, EnvCredentialsDir) {
			c.bad(l, fileKey, "%s is empty: put the push %s in the file the unit loads this credential from (LoadCredential=; %s for %s in the shipped units)", path, field, PushURLFile, CredentialPushURL)
			return
		}
		c.bad(l, fileKey, "%s is empty: put the push %s in it", path, field)
		return
	case strings.ContainsAny(v, "\r\n"):
		c.bad(l, fileKey, "%s holds more than one line: put only the %s in it", path, field)
		return
	}
	*dst, *from = v, file
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o004 != 0 {
		c.warn(exposedSecretFile(path, fi.Mode(), fileKey))
	}
}
