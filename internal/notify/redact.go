package notify

import (
	"cmp"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The one redactor of ntphealth. Two views of a URL share it:
//
//   - Redact shows a URL that ntphealth checked (a target's name, a
//     request that failed): it keeps what says which API it is (plain path
//     words, query names) and hides every secret.
//   - RedactInput shows text a user gave as a URL, which may not parse as
//     one ("//api/push/x", "kuma.example/api/push/x"): it keeps only the
//     scheme, the host and the path up to a kind's SecretPath.
//
// Where each kind puts its secret comes from the registry (Kind.SecretPath),
// so a new kind is redacted as soon as it registers.

// Mask replaces a secret wherever it would be shown.
const Mask = "****"

// plainSegments are path segments that carry no secret and are kept, so a
// redacted URL still says which API it is.
var plainSegments = map[string]bool{
	"api": true, "v1": true, "v2": true, "v3": true, "push": true, "heartbeat": true,
	"ping": true, "fail": true, "start": true, "log": true, "endpoints": true,
	"external": true, "hook": true, "hooks": true, "webhook": true, "webhooks": true,
	"services": true, "message": true, "messages": true, "notify": true,
	"events": true, "send": true,
}

// secretPaths returns the registered kinds' SecretPaths; toEnd keeps only
// those after which all of the path is the secret.
func secretPaths(toEnd bool) []string {
	var out []string
	for _, k := range AllKinds() {
		if k.SecretPath != "" && (k.SecretToEnd || !toEnd) && !slices.Contains(out, k.SecretPath) {
			out = append(out, k.SecretPath)
		}
	}
	return out
}

// firstSecretPath finds the leftmost of paths in s (the longest where two
// start at the same place); -1 when none occurs.
func firstSecretPath(s string, paths []string) (int, string) {
	at, found := -1, ""
	for _, p := range paths {
		if i := strings.Index(s, p); i >= 0 && (at < 0 || i < at || (i == at && len(p) > len(found))) {
			at, found = i, p
		}
	}
	return at, found
}

// origin writes scheme, masked user info and host.
func origin(b *strings.Builder, u *url.URL) {
	b.WriteString(u.Scheme)
	b.WriteString("://")
	if u.User != nil {
		b.WriteString(Mask + "@")
	}
	b.WriteString(u.Host)
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
		return Mask
	}
	var b strings.Builder
	origin(&b, u)
	b.WriteString(redactPath(u.Path))
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			b.WriteString("?" + Mask)
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
				b.WriteString(url.QueryEscape(k) + "=" + Mask)
			}
		}
	}
	return b.String()
}

// redactPath masks a path's secret segments (see Redact).
func redactPath(p string) string {
	if i, pre := firstSecretPath(p, secretPaths(true)); i >= 0 {
		return redactPath(p[:i]) + pre + Mask
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
	return Mask
}

// RedactInput returns text given as a push URL fit for an error message or
// a log: scheme and host kept, the path after a kind's SecretPath (or the
// whole path), any user info, query and fragment replaced by ****:
// https://kuma.example/api/push/abc?status=up -> https://kuma.example/api/push/****?****.
// Text that does not parse as a URL with a host keeps only what precedes a
// SecretPath (kuma.example/api/push/****), else it is masked whole.
func RedactInput(text string) string {
	raw := strings.TrimSpace(text)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		if i, p := firstSecretPath(raw, secretPaths(false)); i >= 0 && !strings.ContainsAny(raw[:i], "?#@") {
			return raw[:i+len(p)] + Mask
		}
		return Mask
	}
	var b strings.Builder
	origin(&b, u)
	if u.Path != "" && u.Path != "/" {
		b.WriteString(keptPath(u.Path))
		b.WriteString(Mask)
	}
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + Mask)
	}
	if u.Fragment != "" {
		b.WriteString("#" + Mask)
	}
	return b.String()
}

// keptPath is the part of a URL path that RedactInput shows: up to and
// including a SecretPath, else "/".
func keptPath(path string) string {
	if i, p := firstSecretPath(path, secretPaths(false)); i >= 0 {
		return path[:i+len(p)]
	}
	return "/"
}

// SecretsIn returns the parts of text, given as a push URL, that
// RedactInput hides, for Scrub to keep out of free text: user info, the
// path after the kept prefix and its first segment, the query and its
// values, the fragment.
func SecretsIn(text string) []string {
	var s []string
	// Whatever follows a secret path in the raw text, however the URL
	// parses ("//api/push/x" has host "api").
	for _, p := range secretPaths(false) {
		if _, after, ok := strings.Cut(text, p); ok {
			tok, _, _ := strings.Cut(after, "?")
			tok, _, _ = strings.Cut(tok, "#")
			first, _, _ := strings.Cut(tok, "/")
			s = append(s, tok, first)
		}
	}
	u, err := url.Parse(strings.TrimSpace(text))
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
		path = text // no scheme: the host sits in the path
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

// pathSecrets returns the segments of path that Redact masks and that are
// long enough (8 bytes or more) to be scrubbed from free text without
// mangling ordinary words.
func pathSecrets(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if len(seg) >= 8 && redactSegment(seg) == Mask {
			out = append(out, seg)
		}
	}
	return out
}

// minScrub is the shortest secret Scrub replaces: a shorter one would
// garble ordinary words.
const minScrub = 3

// examples are ntphealth's own words that Scrub leaves readable even when
// a secret happens to be part of them: a pasted "kuma.example" or "TOKEN"
// must not turn the hint into "e.g. https://****".
var examples = []string{ExampleURL}

// Scrub replaces every secret in s by "****", longest first, also as it
// reads path- or query-escaped: the last guard before text leaves
// ntphealth (a server's answer, a network error, a config error may quote
// one). Secrets shorter than 3 bytes are passed over. ExampleURL is kept,
// unless a secret runs across its edge: then all is scrubbed.
func Scrub(s string, secrets []string) string {
	var list []string
	for _, v := range secrets {
		if len(v) < minScrub || v == Mask {
			continue
		}
		for _, f := range []string{v, url.PathEscape(v), url.QueryEscape(v)} {
			if !slices.Contains(list, f) {
				list = append(list, f)
			}
		}
	}
	slices.SortStableFunc(list, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return scrubSorted(s, list)
}

// scrubSorted is Scrub over secrets already sorted, longest first.
func scrubSorted(s string, secrets []string) string {
	for _, ex := range examples {
		pieces := strings.Split(s, ex)
		if len(pieces) == 1 || straddles(s, ex, secrets) {
			continue
		}
		for i := range pieces {
			pieces[i] = scrubSorted(pieces[i], secrets)
		}
		return strings.Join(pieces, ex)
	}
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, Mask)
	}
	return s
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

// Quote shows a value from the config inside a message: quoted, cut to 60
// characters, and redacted (RedactInput) when it looks like a URL, since a
// misplaced push URL would otherwise be echoed back. A unix:// socket
// address holds no secret and is shown as it is.
func Quote(v string) string {
	if (strings.Contains(v, "://") && !strings.HasPrefix(v, "unix://")) || strings.Contains(v, "/api/") {
		v = RedactInput(v)
	}
	const max = 60
	if r := []rune(v); len(r) > max {
		v = string(r[:max]) + "…"
	}
	return strconv.Quote(v)
}
