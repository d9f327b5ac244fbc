package notify

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// PushURL is a push URL of the form <base><prefix><token>, as Uptime Kuma,
// Tianji (prefix /api/push/) and Peekaping (/api/v1/push/) hand them out.
type PushURL struct {
	// Base is scheme, optional user info, host and any path before the
	// prefix ("https://kuma.example", "https://example.org/kuma").
	Base string
	// Prefix is "/api/push/" or "/api/v1/push/".
	Prefix string
	// Token is the secret that names the monitor.
	Token string
}

// String returns the push URL without a query.
func (p PushURL) String() string { return p.Base + p.Prefix + url.PathEscape(p.Token) }

// Redacted returns the push URL with the token hidden.
func (p PushURL) Redacted() string { return Redact(p.Base) + p.Prefix + Mask }

// ParseKumaURL reads an Uptime Kuma push URL as a user pastes it:
// surrounding spaces are trimmed, Kuma's "?status=up&msg=OK&ping=" tail (any
// query or fragment) is dropped, a trailing slash after the token is removed
// (Kuma answers /api/push/TOKEN/ with its web page and records nothing). A
// URL without a scheme, or without /api/push/<token>, is refused with a
// message that shows what a push URL looks like. No error quotes the token.
func ParseKumaURL(raw string) (PushURL, error) { return kumaService.parse(raw) }

// tokenService is a service whose push URLs are <base><prefix><token>.
type tokenService struct {
	// kind names the target in logs and prefixes its errors ("kuma").
	kind string
	// name and example go into the advice of a URL error.
	name, example string
	prefix        string
}

var (
	kumaService      = tokenService{"kuma", "Uptime Kuma", "https://kuma.example/api/push/<token>", "/api/push/"}
	tianjiService    = tokenService{"tianji", "Tianji", "https://tianji.example/api/push/<token>", "/api/push/"}
	peekapingService = tokenService{"peekaping", "Peekaping", "https://peekaping.example/api/v1/push/<token>", "/api/v1/push/"}
)

// newSender checks rawURL and o, and returns the push URL and the sender
// that delivers to it, the token kept out of its name and its errors.
func (ts tokenService) newSender(rawURL string, o Options) (PushURL, sender, error) {
	u, err := ts.parse(rawURL)
	if err == nil {
		o, err = o.withDefaults()
	}
	if err != nil {
		return PushURL{}, sender{}, fmt.Errorf("%s: %w", ts.kind, err)
	}
	return u, sender{o: o, target: ts.kind + " " + u.Redacted(), secrets: []string{u.Token}}, nil
}

// parse implements ParseKumaURL for any token service.
func (ts tokenService) parse(raw string) (PushURL, error) {
	s := strings.TrimSpace(raw)
	advice := fmt.Sprintf("a %s push URL looks like %s: copy it from the monitor's page", ts.name, ts.example)
	if s == "" {
		return PushURL{}, fmt.Errorf("push URL is empty: %s", advice)
	}
	if !strings.Contains(s, "://") {
		return PushURL{}, fmt.Errorf("push URL has no scheme: start it with https:// or http:// (%s)", advice)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return PushURL{}, fmt.Errorf("push URL contains control characters: %s", advice)
	}
	u, err := url.Parse(s)
	if err != nil {
		return PushURL{}, fmt.Errorf("push URL is malformed (a stray space, %% or character?): %s", advice)
	}
	if sch := strings.ToLower(u.Scheme); sch != "http" && sch != "https" {
		return PushURL{}, fmt.Errorf("push URL scheme %q not supported: use https:// or http:// (%s)", truncate(u.Scheme, 16), advice)
	}
	if u.Host == "" {
		return PushURL{}, fmt.Errorf("push URL has no host: %s", advice)
	}
	if u.Opaque != "" {
		return PushURL{}, fmt.Errorf("push URL is malformed: %s", advice)
	}
	p := u.Path
	i := strings.Index(p, ts.prefix)
	if i < 0 {
		if strings.HasSuffix(strings.TrimRight(p, "/"), strings.TrimRight(ts.prefix, "/")) {
			return PushURL{}, fmt.Errorf("push URL has no token after %s: %s", ts.prefix, advice)
		}
		return PushURL{}, fmt.Errorf("not a %s push URL (no %s<token> in its path): %s", ts.name, ts.prefix, advice)
	}
	token := strings.TrimRight(p[i+len(ts.prefix):], "/")
	if token == "" {
		return PushURL{}, fmt.Errorf("push URL has no token after %s: %s", ts.prefix, advice)
	}
	if strings.Contains(token, "/") {
		return PushURL{}, fmt.Errorf("push URL has more path after the token: %s", advice)
	}
	if strings.ContainsFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar }) {
		return PushURL{}, fmt.Errorf("push URL token contains spaces or invalid characters: %s", advice)
	}
	base := url.URL{Scheme: strings.ToLower(u.Scheme), User: u.User, Host: u.Host, Path: p[:i]}
	return PushURL{Base: base.String(), Prefix: ts.prefix, Token: token}, nil
}
