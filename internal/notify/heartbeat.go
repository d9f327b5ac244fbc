package notify

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Heartbeat pushes to a heartbeat URL of the Healthchecks.io kind: success
// to <url>, failure to <url>/fail, optionally <url>/start first. Both
// Healthchecks.io (and compatible servers) and Better Stack heartbeats speak
// it.
type Heartbeat struct {
	kind    string // "healthchecks" or "betterstack"
	service string // for messages
	url     *url.URL
	start   bool
	body    bool // POST the report text as body
	s       sender
}

func init() {
	Register(Kind{
		Name:       "healthchecks",
		Rank:       20,
		Options:    []string{"start"},
		SecretPath: "/ping/", // self-hosted; hc-ping.com has the UUID first
		New:        func(c Config, o Options) (Notifier, error) { return NewHealthchecks(c.URL, o, c.Start) },
	})
	Register(Kind{
		Name:        "betterstack",
		Rank:        40,
		SecretPath:  "/api/v1/heartbeat/",
		SecretToEnd: true,
		New:         func(c Config, o Options) (Notifier, error) { return NewBetterStack(c.URL, o) },
	})
}

// NewHealthchecks pushes to a Healthchecks.io check
// (https://hc-ping.com/<uuid>, https://hc-ping.com/<ping-key>/<slug>, or a
// self-hosted /ping/<uuid>): POST <url> or <url>/fail with the report text
// as body (Healthchecks keeps it), and when start is set a /start signal
// first. Healthchecks answers 200 "OK"; 404 "not found" for an unknown
// UUID or slug; 409 for an ambiguous slug; 429 when rate limited
// (healthchecks/healthchecks templates/docs/http_api.md and hc/api/views.py).
func NewHealthchecks(rawURL string, o Options, start bool) (*Heartbeat, error) {
	return newHeartbeat("healthchecks", "Healthchecks", "https://hc-ping.com/<uuid>", rawURL, o, start, true)
}

// NewBetterStack pushes to a Better Stack heartbeat
// (https://uptime.betterstack.com/api/v1/heartbeat/<token>): GET <url>, or
// <url>/fail to report a failure at once.
func NewBetterStack(rawURL string, o Options) (*Heartbeat, error) {
	return newHeartbeat("betterstack", "Better Stack", "https://uptime.betterstack.com/api/v1/heartbeat/<token>", rawURL, o, false, false)
}

// newHeartbeat checks the URL: spaces trimmed, a scheme required, query
// kept (Healthchecks' ?rid= / ?create=1), a pasted /fail or /start suffix
// and trailing slashes dropped.
func newHeartbeat(kind, service, example, rawURL string, o Options, start, body bool) (*Heartbeat, error) {
	s := strings.TrimSpace(rawURL)
	advice := fmt.Sprintf("a %s URL looks like %s", service, example)
	if !strings.Contains(s, "://") {
		return nil, fmt.Errorf("%s: URL has no scheme: start it with https:// (%s)", kind, advice)
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return nil, fmt.Errorf("%s: URL holds a space or line break: paste it again without one (%s)", kind, advice)
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return nil, fmt.Errorf("%s: URL is malformed (a stray space or character?): %s", kind, advice)
	}
	if sch := strings.ToLower(u.Scheme); sch != "http" && sch != "https" {
		return nil, fmt.Errorf("%s: URL scheme not supported: use https:// or http:// (%s)", kind, advice)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s: URL has no host: %s", kind, advice)
	}
	u.Fragment, u.RawFragment = "", ""
	p := strings.TrimRight(u.Path, "/")
	for _, suf := range []string{"/fail", "/start"} {
		p = strings.TrimRight(strings.TrimSuffix(p, suf), "/")
	}
	if p == "" {
		return nil, fmt.Errorf("%s: URL has no check identifier in its path: %s", kind, advice)
	}
	u.Path, u.RawPath = p, ""
	if o, err = o.withDefaults(); err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	secrets := pathSecrets(p)
	for _, vs := range u.Query() {
		secrets = append(secrets, vs...)
	}
	h := &Heartbeat{kind: kind, service: service, url: u, start: start, body: body}
	h.s = sender{o: o, target: kind + " " + Redact(u.String()), secrets: secrets}
	return h, nil
}

// Target names the target with its identifier hidden.
func (h *Heartbeat) Target() string { return h.s.target }

// with returns the URL with suffix ("/fail", "/start") added to its path.
func (h *Heartbeat) with(suffix string) string {
	u := *h.url
	u.Path += suffix
	return u.String()
}

// Notify signals success or failure for r (after /start when enabled).
// 404, 409 and other 4xx are not retried; 429 and 5xx are.
func (h *Heartbeat) Notify(ctx context.Context, r health.Report) health.PushResult {
	sent, target := "success", h.with("")
	if h.s.o.failing(r.Status) {
		sent, target = "fail", h.with("/fail")
	}
	method := http.MethodGet
	var body []byte
	hdr := http.Header{}
	if h.body {
		method = http.MethodPost
		body = []byte(ReportText(r))
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
	}
	return h.s.deliver(ctx, sent, func(ctx context.Context) error {
		if h.start {
			if err := h.ping(ctx, http.MethodGet, h.with("/start"), nil, nil); err != nil {
				return fmt.Errorf("start signal: %w", err)
			}
		}
		return h.ping(ctx, method, target, body, hdr)
	})
}

// ping sends one signal and judges the answer.
func (h *Heartbeat) ping(ctx context.Context, method, u string, body []byte, hdr http.Header) error {
	a, err := h.s.do(ctx, method, u, body, hdr)
	if err != nil {
		return err
	}
	switch {
	case a.status >= 200 && a.status < 300 && h.accepted(a):
		return nil
	case a.status >= 200 && a.status < 300 && looksLikeHTML(a):
		return permanent(fmt.Errorf("the URL answered with a web page, not the %s ping API: check the URL", h.service))
	case a.status >= 200 && a.status < 300:
		return permanent(fmt.Errorf("the URL answered HTTP %d without Healthchecks' \"OK\": check that it is the check's ping URL (answer: %s)", a.status, h.s.snippet(a.body)))
	case a.status == http.StatusNotFound:
		return permanent(fmt.Errorf("unknown check%s: copy the ping URL again from the check's page", h.says(a)))
	case a.status == http.StatusConflict:
		return permanent(fmt.Errorf("ambiguous slug%s: give the check a unique slug or use its UUID URL", h.says(a)))
	}
	return h.s.statusError(h.kind, a)
}

// accepted reports whether a 2xx answer is the service's own success.
// Healthchecks answers "OK" to a ping, /fail and /start alike, whatever its
// Content-Type (Django's default text/html), and "Created" (201) when
// ?create=1 made the check (hc/api/views.py:208, :243). What Better Stack
// answers is not published, so its 2xx is success unless it is a web page.
func (h *Heartbeat) accepted(a answer) bool {
	if h.kind == "betterstack" {
		return !looksLikeHTML(a)
	}
	t := strings.TrimSpace(string(a.body))
	return t == "OK" || t == "Created"
}

// says quotes the service's answer, " (Healthchecks says: not found)", or
// is empty when the answer has no body.
func (h *Heartbeat) says(a answer) string {
	if t := h.s.snippet(a.body); t != "" {
		return fmt.Sprintf(" (%s says: %s)", h.service, t)
	}
	return ""
}
