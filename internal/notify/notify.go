// Package notify delivers health reports to push targets: Uptime Kuma,
// Healthchecks.io, Gatus, Better Stack, Peekaping, Tianji and a generic
// webhook. Every delivery has a deadline per attempt, bounded retries with
// back-off, and never shows a target's secret (see Redact).
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
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
	// (each attempt carries its own deadline).
	Client *http.Client
	// Logger receives, at DEBUG, one line per failed attempt and one per
	// outcome; nil discards. Nothing is logged at INFO or above: the caller
	// reports the result. Secrets are never logged.
	Logger *slog.Logger
}

// withDefaults fills in defaults and checks Warning.
func (o Options) withDefaults() (Options, error) {
	switch strings.ToLower(strings.TrimSpace(o.Warning)) {
	case "", "up":
		o.Warning = "up"
	case "down":
		o.Warning = "down"
	default:
		return o, fmt.Errorf("warning mapping %q not understood: use \"up\" or \"down\"", o.Warning)
	}
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
		o.Client = &http.Client{}
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
		return o.Warning == "down"
	default:
		return true
	}
}

// Config names one push target for New: its kind and what that kind needs.
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

// constructors maps each kind to its constructor.
var constructors = map[string]func(Config, Options) (Notifier, error){
	"kuma": func(c Config, o Options) (Notifier, error) { return NewKuma(c.URL, o, c.Ping) },
	"healthchecks": func(c Config, o Options) (Notifier, error) {
		return NewHealthchecks(c.URL, o, c.Start)
	},
	"betterstack": func(c Config, o Options) (Notifier, error) { return NewBetterStack(c.URL, o) },
	"gatus":       func(c Config, o Options) (Notifier, error) { return NewGatus(c.URL, c.Token, o) },
	"peekaping":   func(c Config, o Options) (Notifier, error) { return NewPeekaping(c.URL, o) },
	"tianji":      func(c Config, o Options) (Notifier, error) { return NewTianji(c.URL, o) },
	"webhook": func(c Config, o Options) (Notifier, error) {
		w := c.Webhook
		if w.URL == "" {
			w.URL = c.URL
		}
		return NewWebhook(w, o)
	},
}

// Kinds lists the known target kinds, sorted.
func Kinds() []string {
	ks := make([]string, 0, len(constructors))
	for k := range constructors {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// New builds the notifier of c.Kind ("kuma" when empty); an unknown kind is
// refused with the list of known ones.
func New(c Config, o Options) (Notifier, error) {
	kind := strings.ToLower(strings.TrimSpace(c.Kind))
	if kind == "" {
		kind = "kuma"
	}
	mk, ok := constructors[kind]
	if !ok {
		return nil, fmt.Errorf("push target kind %q unknown: use one of %s", c.Kind, strings.Join(Kinds(), ", "))
	}
	return mk(c, o)
}
