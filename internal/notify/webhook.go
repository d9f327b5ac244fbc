package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

func init() {
	Register(Kind{
		Name:        "webhook",
		Rank:        90, // the generic one, last
		Options:     []string{"method", "body", "headers"},
		TemplateURL: true,
		Check:       webhookProblems,
		New: func(c Config, o Options) (Notifier, error) {
			w := c.Webhook
			if w.URL == "" {
				w.URL = c.URL
			}
			return NewWebhook(w, o)
		},
	})
}

// webhookProblems checks the method and the header names and values, which
// the config writes as plain text (the templates are New's to check).
func webhookProblems(s Settings) []Problem {
	var ps problems
	switch m := strings.ToUpper(strings.TrimSpace(s.Method)); m {
	case "", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
	default:
		ps.add("method", "invalid HTTP method %s (use GET, POST, PUT, PATCH or DELETE; default POST)", Quote(m))
	}
	for _, name := range slices.Sorted(maps.Keys(s.Headers)) {
		if !headerName().MatchString(name) {
			ps.add("headers."+name, "invalid header name (letters, digits and - only)")
		}
		if strings.ContainsAny(s.Headers[name], "\r\n") {
			ps.add("headers."+name, "a header value cannot hold a line break")
		}
	}
	return ps
}

// headerName is an HTTP field name (RFC 9110 section 5.1, token), kept to
// the characters real header names use; compiled on first use, not at every
// start of a one-shot check.
var headerName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`) })

// WebhookOptions configures a generic webhook: method, URL, body and header
// values are Go text/templates over WebhookData.
type WebhookOptions struct {
	// Method is the HTTP method (template); default POST.
	Method string
	// URL is where to send (template), e.g. "https://ntfy.sh/mytopic".
	URL string
	// Body is the request body (template); empty sends none. Example for a
	// chat hook: {"text": {{json .Summary}}}.
	Body string
	// Headers are extra request headers; values are templates
	// ("Authorization": "Bearer ...", "Title": "ntp {{.Status}}").
	Headers map[string]string
}

// WebhookData is what the templates see: the report's fields plus the
// push verdict.
type WebhookData struct {
	health.Report
	// State is "up" or "down" after the WARNING mapping.
	State string
	// Up is State == "up".
	Up bool
	// Text is the report as plain text (see ReportText).
	Text string
}

// webhookFuncs are the template functions: json (a value as JSON, strings
// quoted and escaped), oneline, lower, upper, trunc (cut to n bytes).
var webhookFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"oneline": oneLine,
	"lower":   strings.ToLower,
	"upper":   strings.ToUpper,
	"trunc":   func(n int, s string) string { return truncate(s, max(n, 0)) },
}

// Webhook sends a request built from templates; any 2xx answer is success.
type Webhook struct {
	method, url, body *template.Template
	headers           map[string]*template.Template
	s                 sender
}

// NewWebhook parses the templates and renders them once over a sample
// report, so a template error (syntax, unknown field) is reported now and
// not at the first push.
func NewWebhook(w WebhookOptions, o Options) (*Webhook, error) {
	if strings.TrimSpace(w.URL) == "" {
		return nil, fmt.Errorf("webhook: no URL: set the webhook URL")
	}
	if w.Method == "" {
		w.Method = http.MethodPost
	}
	parse := func(name, text string) (*template.Template, error) {
		t, err := template.New(name).Funcs(webhookFuncs).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("webhook: %s template: %w", name, err)
		}
		return t, nil
	}
	wh := &Webhook{headers: map[string]*template.Template{}}
	var err error
	if wh.method, err = parse("method", w.Method); err != nil {
		return nil, err
	}
	if wh.url, err = parse("url", w.URL); err != nil {
		return nil, err
	}
	if wh.body, err = parse("body", w.Body); err != nil {
		return nil, err
	}
	for k, v := range w.Headers {
		if wh.headers[k], err = parse("header "+k, v); err != nil {
			return nil, err
		}
	}
	if o, err = o.withDefaults(); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	wh.s = sender{o: o}
	sample := health.Report{Status: health.Warning, Summary: "WARNING: sample", Time: time.Unix(0, 0).UTC(),
		Checks: []health.Check{{Name: "offset", Status: health.Warning, Message: "sample"}}}
	req, err := wh.render(sample)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	wh.s.secrets = req.secrets
	wh.s.target = "webhook " + Redact(req.url)
	return wh, nil
}

// Target names the target with secrets hidden.
func (w *Webhook) Target() string { return w.s.target }

// webhookRequest is one rendered request.
type webhookRequest struct {
	method, url string
	body        []byte
	header      http.Header
	secrets     []string
	state       string
}

// render executes the templates over r.
func (w *Webhook) render(r health.Report) (webhookRequest, error) {
	d := WebhookData{Report: r, State: "up", Text: ReportText(r)}
	if w.s.o.failing(r.Status) {
		d.State = "down"
	}
	d.Up = d.State == "up"
	exec := func(t *template.Template) (string, error) {
		var b bytes.Buffer
		if err := execute(t, &b, d); err != nil {
			return "", fmt.Errorf("%s template: %w", t.Name(), err)
		}
		return b.String(), nil
	}
	var req webhookRequest
	var err error
	req.state = d.State
	if req.method, err = exec(w.method); err != nil {
		return req, err
	}
	req.method = strings.ToUpper(strings.TrimSpace(req.method))
	if req.url, err = exec(w.url); err != nil {
		return req, err
	}
	req.url = strings.TrimSpace(req.url)
	u, perr := url.Parse(req.url)
	if perr != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return req, fmt.Errorf("url template gives no http(s) URL with a host: write it as https://host/path")
	}
	body, err := exec(w.body)
	if err != nil {
		return req, err
	}
	if body != "" {
		req.body = []byte(body)
	}
	req.header = http.Header{}
	for k, t := range w.headers {
		v, err := exec(t)
		if err != nil {
			return req, err
		}
		req.header.Set(k, v)
		if sensitiveHeader(k) {
			req.secrets = append(req.secrets, v)
			if f := strings.Fields(v); len(f) == 2 {
				req.secrets = append(req.secrets, f[1]) // "Bearer <token>"
			}
		}
	}
	req.secrets = append(req.secrets, pathSecrets(u.Path)...)
	for _, vs := range u.Query() {
		req.secrets = append(req.secrets, vs...)
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			req.secrets = append(req.secrets, p)
		}
	}
	return req, nil
}

// Notify renders and sends the request; 2xx is success, 5xx, 408 and 429
// are retried, other answers are not.
func (w *Webhook) Notify(ctx context.Context, r health.Report) health.PushResult {
	req, err := w.render(r)
	s := w.s
	s.secrets = append(append([]string{}, w.s.secrets...), req.secrets...)
	if err != nil {
		return s.deliver(ctx, req.state, func(context.Context) error { return permanent(err) })
	}
	return s.deliver(ctx, req.state, func(ctx context.Context) error {
		a, err := s.do(ctx, req.method, req.url, req.body, req.header)
		if err != nil {
			return err
		}
		if a.status >= 200 && a.status < 300 {
			return nil
		}
		return s.statusError("webhook", a)
	})
}

// sensitiveHeader reports whether a header's value is a credential.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"auth", "token", "key", "secret", "password", "cookie", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
