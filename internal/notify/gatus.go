package notify

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Gatus pushes to a Gatus external endpoint:
// POST <base>/api/v1/endpoints/<key>/external?success=true|false&error=<msg>&duration=<go duration>
// with "Authorization: Bearer <token>". Gatus answers 200 with an empty
// body; 400 for a bad success or duration parameter; 401 for a missing or
// wrong token; 404 "not found" for an unknown key; 500 when it cannot store
// the result (TwiN/gatus api/external_endpoint.go).
type Gatus struct {
	url   *url.URL
	token string
	s     sender
}

func init() {
	Register(Kind{
		Name:         "gatus",
		Rank:         30,
		Options:      []string{"token"},
		SecretOption: "token",
		SecretPath:   "/api/v1/endpoints/",
		Check:        gatusProblems,
		New:          func(c Config, o Options) (Notifier, error) { return NewGatus(c.URL, c.Token, o) },
	})
}

// gatusProblems asks for the token, which Gatus needs on every push.
func gatusProblems(s Settings) []Problem {
	if strings.TrimSpace(s.Token) != "" {
		return nil
	}
	return []Problem{{Key: "token", Message: "missing: kind gatus needs token (or token_file), the token of the external endpoint in Gatus' config"}}
}

// NewGatus checks rawURL, which must contain /api/v1/endpoints/<key>/external
// (a pasted query is dropped), and token, the external endpoint's token.
func NewGatus(rawURL, token string, o Options) (*Gatus, error) {
	advice := "a Gatus external endpoint URL looks like https://gatus.example/api/v1/endpoints/<group>_<name>/external"
	s := strings.TrimSpace(rawURL)
	if !strings.Contains(s, "://") {
		return nil, fmt.Errorf("gatus: URL has no scheme: start it with https:// (%s)", advice)
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return nil, fmt.Errorf("gatus: URL is malformed: %s", advice)
	}
	if sch := strings.ToLower(u.Scheme); sch != "http" && sch != "https" {
		return nil, fmt.Errorf("gatus: URL scheme not supported: use https:// or http:// (%s)", advice)
	}
	p := strings.TrimRight(u.Path, "/")
	i := strings.Index(p, "/api/v1/endpoints/")
	if i < 0 || !strings.HasSuffix(p, "/external") || len(p) <= i+len("/api/v1/endpoints/")+len("/external") {
		return nil, fmt.Errorf("gatus: not an external endpoint URL: %s", advice)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, fmt.Errorf("gatus: no token: set the external endpoint's token (Gatus refuses a push without \"Authorization: Bearer <token>\")")
	}
	if o, err = o.withDefaults(); err != nil {
		return nil, fmt.Errorf("gatus: %w", err)
	}
	clean := url.URL{Scheme: strings.ToLower(u.Scheme), User: u.User, Host: u.Host, Path: p}
	g := &Gatus{url: &clean, token: token}
	g.s = sender{o: o, target: "gatus " + Redact(clean.String()), secrets: []string{token}}
	return g, nil
}

// Target names the target; the token is never shown.
func (g *Gatus) Target() string { return g.s.target }

// Notify posts r's verdict; error carries the summary on failure and
// duration the probe's duration, when a daemon was observed.
func (g *Gatus) Notify(ctx context.Context, r health.Report) health.PushResult {
	success, sent := "true", "success"
	q := url.Values{}
	if g.s.o.failing(r.Status) {
		success, sent = "false", "failure"
		q.Set("error", truncate(oneLine(r.Summary), maxMsgBytes))
	}
	q.Set("success", success)
	if d := r.Daemon; d != nil && d.DurationSeconds > 0 {
		q.Set("duration", time.Duration(d.DurationSeconds*float64(time.Second)).String())
	}
	u := *g.url
	u.RawQuery = q.Encode()
	target := u.String()
	hdr := http.Header{"Authorization": {"Bearer " + g.token}}
	return g.s.deliver(ctx, sent, func(ctx context.Context) error {
		a, err := g.s.do(ctx, http.MethodPost, target, nil, hdr)
		if err != nil {
			return err
		}
		switch {
		case a.status == http.StatusOK && looksLikeHTML(a):
			return permanent(fmt.Errorf("the URL answered with a web page, not Gatus' API: check the URL"))
		case a.status >= 200 && a.status < 300:
			return nil
		case a.status == http.StatusUnauthorized:
			return permanent(fmt.Errorf("gatus refused the token (Gatus says: %s): set the token of this external endpoint", g.s.snippet(a.body)))
		case a.status == http.StatusNotFound:
			return permanent(fmt.Errorf("unknown external endpoint key (Gatus says: %s): check the key <group>_<name> in the URL", g.s.snippet(a.body)))
		}
		return g.s.statusError("gatus", a)
	})
}
