package notify

import (
	"net/url"
	"sort"
	"strings"
)

// mask replaces a secret wherever it would be shown.
const mask = "****"

// pushPrefixes are paths after which everything is a secret: Kuma and Tianji
// (/api/push/<token>), Peekaping (/api/v1/push/<token>), Better Stack
// (/api/v1/heartbeat/<token>).
var pushPrefixes = []string{"/api/push/", "/api/v1/push/", "/api/v1/heartbeat/"}

// plainSegments are path segments that carry no secret and are kept, so a
// redacted URL still says which API it is.
var plainSegments = map[string]bool{
	"api": true, "v1": true, "v2": true, "v3": true, "push": true, "heartbeat": true,
	"ping": true, "fail": true, "start": true, "log": true, "endpoints": true,
	"external": true, "hook": true, "hooks": true, "webhook": true, "webhooks": true,
	"services": true, "message": true, "messages": true, "notify": true,
	"events": true, "send": true,
}

// Redact returns rawURL fit to show in logs, errors and JSON: scheme and host
// kept, a password, every path segment that may be a secret (a Kuma push
// token, a Healthchecks UUID or ping key, a Better Stack token, a webhook
// token) and every query value (not its name) replaced by "****"; the fragment dropped.
// Text that does not parse as a URL is masked whole.
func Redact(rawURL string) string {
	s := strings.TrimSpace(rawURL)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return mask
	}
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteString("://")
	if u.User != nil {
		b.WriteString(mask + "@")
	}
	b.WriteString(u.Host)
	b.WriteString(redactPath(u.Path))
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			b.WriteString("?" + mask)
		} else {
			keys := make([]string, 0, len(q))
			for k := range q {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for i, k := range keys {
				if i == 0 {
					b.WriteByte('?')
				} else {
					b.WriteByte('&')
				}
				b.WriteString(url.QueryEscape(k) + "=" + mask)
			}
		}
	}
	return b.String()
}

// redactPath masks a path's secret segments (see Redact).
func redactPath(p string) string {
	for _, pre := range pushPrefixes {
		if i := strings.Index(p, pre); i >= 0 {
			return redactPath(p[:i]) + pre + mask
		}
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = redactSegment(s)
	}
	return strings.Join(segs, "/")
}

// redactSegment keeps an empty or known-plain segment and masks any other.
func redactSegment(s string) string {
	if s == "" || plainSegments[strings.ToLower(s)] {
		return s
	}
	return mask
}

// scrub replaces every secret in s by "****": the last guard before text
// leaves the package (an error from a server or the network may quote them).
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, mask)
			if esc := url.PathEscape(sec); esc != sec {
				s = strings.ReplaceAll(s, esc, mask)
			}
			if esc := url.QueryEscape(sec); esc != sec {
				s = strings.ReplaceAll(s, esc, mask)
			}
		}
	}
	return s
}

// pathSecrets returns the segments of path that Redact masks and that are
// long enough (8 bytes or more) to be scrubbed from free text without
// mangling ordinary words.
func pathSecrets(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if len(seg) >= 8 && redactSegment(seg) == mask {
			out = append(out, seg)
		}
	}
	return out
}
