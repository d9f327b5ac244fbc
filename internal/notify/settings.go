package notify

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Settings are one push target as the config file writes it (the yaml
// tags are its keys under push:). Fields tagged secret:"true" hold a
// secret: the config keeps their values out of every error and warning.
// The config reads url_file and token_file into URL and Token itself;
// notify never reads a file.
type Settings struct {
	// Kind names the push service, a registered Kind (default kuma).
	Kind string `yaml:"kind"`
	// URL is the push URL; it holds the token, so it is never logged. A
	// pasted Kuma tail (?status=up&msg=OK&ping=) is accepted. For kind
	// webhook it is a Go template over the report.
	URL string `yaml:"url" secret:"true"`
	// Warning is what a WARNING pushes: "up" (default) or "down".
	Warning string `yaml:"warning"`
	// Ping is the number sent as Kuma's ping: "offset" (default), "max_error"
	// or "none".
	Ping string `yaml:"ping"`
	// PingUnit is "us" (default) or "ms". Kuma keeps only whole numbers >= 1
	// as ping, so a clock that lives in microseconds needs "us".
	PingUnit string `yaml:"ping_unit"`
	// Start sends Healthchecks' <url>/start before each ping, so that
	// Healthchecks shows how long a check took (default false).
	Start bool `yaml:"start"`
	// Timeout is the deadline of one attempt (default 10 s).
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how many extra attempts follow a failed one, with back-off
	// (default 2, at most MaxRetries; 0: none).
	Retries int `yaml:"retries"`
	// Method is the HTTP method of kind webhook (default POST).
	Method string `yaml:"method"`
	// Body is the request body of kind webhook, a Go template over the report.
	Body string `yaml:"body"`
	// Headers are extra request headers of kind webhook.
	Headers map[string]string `yaml:"headers"`
	// Token is the bearer token of kind gatus; never logged.
	Token string `yaml:"token" secret:"true"`
}

// Values of Settings.Warning, Ping and PingUnit, as Normalize spells them.
const (
	WarningUp   = "up"
	WarningDown = "down"

	PingOffset   = "offset"
	PingMaxError = "max_error"
	PingNone     = "none"

	PingMicroseconds = "us"
	PingMilliseconds = "ms"
)

// MaxRetries bounds Settings.Retries so a dead target is not hammered.
const MaxRetries = 10

// The spellings each value is accepted in (any case, spaces around it),
// "" meaning the default; Normalize, Problems, Options and PingOptions all
// read them here.
var (
	warningSpellings = map[string]string{"": WarningUp, WarningUp: WarningUp, WarningDown: WarningDown}
	pingSpellings    = map[string]string{
		"": PingOffset, PingOffset: PingOffset,
		PingMaxError: PingMaxError, "maxerror": PingMaxError, "max-error": PingMaxError,
		PingNone: PingNone, "off": PingNone,
	}
	unitSpellings = map[string]string{
		"": PingMicroseconds, PingMicroseconds: PingMicroseconds, "µs": PingMicroseconds, "μs": PingMicroseconds, "usec": PingMicroseconds,
		PingMilliseconds: PingMilliseconds, "msec": PingMilliseconds,
	}
)

// spelled returns the value that v spells under spellings.
func spelled(v string, spellings map[string]string) (string, bool) {
	c, ok := spellings[strings.ToLower(strings.TrimSpace(v))]
	return c, ok
}

// DefaultSettings returns the defaults of one push target: kind kuma,
// WARNING pushes up, ping carries |offset| in microseconds, 10 s per
// attempt, 2 retries.
func DefaultSettings() Settings {
	return Settings{
		Kind:     KindKuma,
		Warning:  WarningUp,
		Ping:     PingOffset,
		PingUnit: PingMicroseconds,
		Timeout:  DefaultTimeout,
		Retries:  DefaultRetries,
	}
}

// Normalize writes each value in its one spelling: kind lower case, URL and
// token trimmed, method upper case, and the accepted spellings of warning,
// ping and ping_unit ("DOWN", "maxerror", "µs") as their values. A value
// that spells nothing is left for Problems to show. Pure and idempotent.
func (s *Settings) Normalize() {
	s.Kind = strings.ToLower(strings.TrimSpace(s.Kind))
	s.URL = strings.TrimSpace(s.URL)
	s.Token = strings.TrimSpace(s.Token)
	s.Method = strings.ToUpper(strings.TrimSpace(s.Method))
	for _, f := range []struct {
		v         *string
		spellings map[string]string
	}{{&s.Warning, warningSpellings}, {&s.Ping, pingSpellings}, {&s.PingUnit, unitSpellings}} {
		if c, ok := spelled(*f.v, f.spellings); ok {
			*f.v = c
		}
	}
}

// problems collects Problems.
type problems []Problem

func (ps *problems) add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// Problems says what is wrong with s, each problem under its key: the
// rules every kind shares, the settings its kind does not read, the kind's
// own rules, and at last whatever New refuses (under the key ""). It reads
// nothing and changes nothing. An empty URL is "missing"; the config leaves
// that out when url_file, which it could not read, stands for it.
func (s Settings) Problems() []Problem {
	var ps problems
	k, known := Lookup(strings.ToLower(strings.TrimSpace(s.Kind)))
	if !known {
		ps.add("kind", "unknown push kind %s (use one of: %s)", Quote(s.Kind), kindNames())
	}
	switch u := strings.TrimSpace(s.URL); {
	case u == "":
		ps.add("url", "missing: set url (or url_file) to the push URL your monitoring service shows")
	case known:
		if p := k.urlProblem(u); p != "" {
			ps.add("url", "%s", p)
		}
	}
	if _, ok := spelled(s.Warning, warningSpellings); !ok {
		ps.add("warning", "invalid value %s (use up or down: what a WARNING pushes)", Quote(s.Warning))
	}
	if _, ok := spelled(s.Ping, pingSpellings); !ok {
		ps.add("ping", "invalid value %s (use offset, max_error or none)", Quote(s.Ping))
	}
	if _, ok := spelled(s.PingUnit, unitSpellings); !ok {
		ps.add("ping_unit", "invalid unit %s (use us or ms; Kuma keeps only whole numbers >= 1, so us suits a clock within a millisecond)", Quote(s.PingUnit))
	}
	if s.Timeout <= 0 {
		ps.add("timeout", "must be above 0 (use %s, the default)", DefaultTimeout)
	}
	if s.Retries > MaxRetries {
		ps.add("retries", "%d is above the maximum of %d (a dead target is not worth more; use %d, the default)", s.Retries, MaxRetries, DefaultRetries)
	}
	if !known {
		return ps
	}
	ps = append(ps, k.optionProblems(s)...)
	if k.Check != nil {
		ps = append(ps, k.Check(s)...)
	}
	// Building the notifier checks what only it can (a webhook's templates
	// parse and render); a build without the template executor hands such
	// a target to ntphealthd, which checks it there.
	if len(ps) == 0 && (TemplatesLinked || !k.TemplateURL) {
		if _, err := s.Notifier(nil); err != nil {
			ps.add("", "%v", err)
		}
	}
	return ps
}

// optionProblems refuses the settings that other kinds read and k does not.
func (k Kind) optionProblems(s Settings) []Problem {
	var ps problems
	owners := map[string][]Kind{}
	var order []string
	for _, o := range AllKinds() {
		for _, key := range o.Options {
			if owners[key] == nil {
				order = append(order, key)
			}
			owners[key] = append(owners[key], o)
		}
	}
	for _, key := range order {
		if k.reads(key) || !s.isSet(key) {
			continue
		}
		var names []string
		note := ""
		for _, o := range owners[key] {
			names = append(names, o.Name)
			if o.SecretOption == key && k.SecretOption == "url" {
				note = fmt.Sprintf(" (the %s %s is part of the URL)", k.Name, key)
			}
		}
		ps.add(key, "used only by kind %s, not %s: remove it%s", strings.Join(names, " and "), k.Name, note)
	}
	return ps
}

// isSet reports whether the setting key holds anything: a non-empty
// string, list or map, true, a number other than 0.
func (s Settings) isSet(key string) bool {
	f, ok := settingField(key)
	if !ok {
		return false
	}
	v := reflect.ValueOf(s).FieldByIndex(f.Index)
	switch v.Kind() {
	case reflect.String, reflect.Map, reflect.Slice:
		return v.Len() > 0
	}
	return !v.IsZero()
}

// ExampleURL is the push URL that messages show as an example; Scrub
// keeps it readable.
const ExampleURL = "https://kuma.example/api/push/TOKEN"

// templateAction matches a Go template action, {{ ... }}; compiled on first
// use, not at every start of a one-shot check.
var templateAction = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{\{.*?\}\}`) })

// urlProblem says what is wrong with a push URL of kind k, or "". It never
// repeats the token: the URL is shown redacted.
func (k Kind) urlProblem(raw string) string {
	shown := Quote(RedactInput(raw))
	check := raw
	if k.TemplateURL {
		check = templateAction().ReplaceAllString(raw, "x")
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
		return fmt.Sprintf("URL %s: scheme %s is not http or https", shown, Quote(u.Scheme))
	}
	if k.CheckURL != nil {
		return k.CheckURL(u, shown)
	}
	return ""
}

// Notifier builds the notifier that s describes; logger receives its DEBUG
// lines (nil discards them). Call Problems first: its error has no key.
func (s Settings) Notifier(logger *slog.Logger) (Notifier, error) {
	retries := s.Retries
	if retries == 0 {
		retries = -1 // Options takes 0 for its default
	}
	return New(Config{
		Kind:    s.Kind,
		URL:     s.URL,
		Token:   s.Token,
		Ping:    PingOptions{Field: s.Ping, Unit: s.PingUnit},
		Start:   s.Start,
		Webhook: WebhookOptions{Method: s.Method, URL: s.URL, Body: s.Body, Headers: s.Headers},
	}, Options{Warning: s.Warning, Timeout: s.Timeout, Retries: retries, Logger: logger})
}
