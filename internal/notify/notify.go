// Package notify delivers health reports to push targets: Uptime Kuma,
// Healthchecks.io, Gatus, Better Stack, Peekaping, Tianji and a generic
// webhook. Every delivery has a deadline per attempt, bounded retries with
// back-off, and never shows a target's secret (see Redact).
//
// notify owns everything about a push kind: each kind's file registers a
// Kind (its name, settings, secret, URL rules, constructor), Settings are a
// target as the config file writes it (keys, spellings, defaults and
// Problems), and redact.go is the program's one redactor. The config asks
// here; adding a push service is one new file (see the README).
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Notifier delivers a report to one push target.
type Notifier interface {
	// Target names the target with its secret hidden, e.g.
	// "kuma https://kuma.example/api/push/****".
	Target() string
	// Notify delivers r, retrying with back-off within bounded attempts; each
	// attempt has a deadline. It never panics and always returns a result.
	Notify(ctx context.Context, r health.Report) health.PushResult
}

// Defaults for Options.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 2
	DefaultBackoff = time.Second
	// maxBackoff caps the doubling back-off between attempts.
	maxBackoff = 30 * time.Second
)

// Options are common to every kind of target.
type Options struct {
	// Warning is what a WARNING report is pushed as: "up" (default) or "down".
	Warning string
	// Timeout is the deadline of one attempt; default 10 s.
	Timeout time.Duration
	// Retries is the number of extra attempts after the first; default 2.
	// Negative means none.
	Retries int
	// Backoff is the wait before the first retry, doubled before each next
	// one (1 s, 2 s, 4 s, ... capped at 30 s); default 1 s. Tests shrink it.
	Backoff time.Duration
	// Client sends the requests; default a client without a global timeout
	// (each attempt carries its own deadline) that takes the connections
	// Preconnect opened.
	Client *http.Client
	// Logger receives, at DEBUG, one line per failed attempt and one per
	// outcome; nil discards. Nothing is logged at INFO or above: the caller
	// reports the result. Secrets are never logged.
	Logger *slog.Logger
}

// withDefaults fills in defaults and checks Warning.
func (o Options) withDefaults() (Options, error) {
	w, ok := spelled(o.Warning, warningSpellings)
	if !ok {
		return o, fmt.Errorf("warning mapping %q not understood: use \"up\" or \"down\"", o.Warning)
	}
	o.Warning = w
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Client == nil {
		o.Client = defaultClient()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// failing reports whether s is pushed as a failure ("down", "fail") under o:
// OK is up, CRITICAL and UNKNOWN are down, WARNING follows o.Warning.
func (o Options) failing(s health.Status) bool {
	switch s {
	case health.OK:
		return false
	case health.Warning:
		return o.Warning == WarningDown
	default:
		return true
	}
}

// Config names one push target for New: its kind and what that kind needs.
// Settings.Notifier builds one from the config file's settings.
type Config struct {
	// Kind is one of Kinds().
	Kind string
	// URL is the target's push URL (for "webhook", a text/template).
	URL string
	// Token is a secret sent outside the URL (Gatus: the bearer token).
	Token string
	// Ping chooses what Kuma's ping carries.
	Ping PingOptions
	// Start sends Healthchecks' /start signal before each ping.
	Start bool
	// Webhook configures the "webhook" kind.
	Webhook WebhookOptions
}

// New builds the notifier of c.Kind ("kuma" when empty); an unknown kind is
// refused with the list of known ones.
func New(c Config, o Options) (Notifier, error) {
	kind := strings.ToLower(strings.TrimSpace(c.Kind))
	if kind == "" {
		kind = KindKuma
	}
	k, ok := Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("push target kind %q unknown: use one of %s", c.Kind, strings.Join(Kinds(), ", "))
	}
	return k.New(c, o)
}
