package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/ntphealth/ntphealth/internal/health"
)

// PingOptions chooses what Kuma's ping parameter carries.
type PingOptions struct {
	// Field is "offset" (|system offset|, default), "max_error" (|offset| +
	// root delay/2 + root dispersion) or "none" (ping omitted).
	Field string
	// Unit is "us" (microseconds, default) or "ms". Kuma keeps only whole
	// numbers >= 1 (0.012 is stored as nothing), and a PPS server lives in
	// microseconds, so µs is the default: the chart then shows real values.
	Unit string
}

// withDefaults checks and fills PingOptions.
func (p PingOptions) withDefaults() (PingOptions, error) {
	field, ok := spelled(p.Field, pingSpellings)
	if !ok {
		return p, fmt.Errorf("ping field %q not understood: use offset, max_error or none", p.Field)
	}
	unit, ok := spelled(p.Unit, unitSpellings)
	if !ok {
		return p, fmt.Errorf("ping unit %q not understood: use us or ms", p.Unit)
	}
	return PingOptions{Field: field, Unit: unit}, nil
}

// KindKuma is Uptime Kuma's kind, the default.
const KindKuma = "kuma"

func init() {
	Register(Kind{
		Name:        KindKuma,
		Rank:        10,
		SecretPath:  "/api/push/",
		SecretToEnd: true,
		CheckURL:    kumaPathProblem,
		New:         func(c Config, o Options) (Notifier, error) { return NewKuma(c.URL, o, c.Ping) },
	})
}

// kumaPathProblem checks that a Kuma URL ends in /api/push/<token>. Kuma
// answers a trailing slash with its web page and status 200, and records
// nothing, so that is refused here rather than failing at every push
// (ParseKumaURL, more lenient, drops the slash).
func kumaPathProblem(u *url.URL, shown string) string {
	const marker = "/api/push/"
	i := strings.LastIndex(u.Path, marker)
	if i < 0 {
		return fmt.Sprintf("URL %s is not an Uptime Kuma push URL (no /api/push/<token>): copy the Push URL from the monitor's page in Kuma, or set kind", shown)
	}
	token := u.Path[i+len(marker):]
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

// maxMsgBytes caps Kuma's msg so the URL stays well under common 8 KiB
// request-line limits (nginx large_client_header_buffers).
const maxMsgBytes = 1024

// Kuma pushes to an Uptime Kuma push monitor:
// GET <base>/api/push/<token>?status=up|down&msg=<summary>&ping=<number>.
// Kuma accepts only GET (and HEAD) there.
type Kuma struct {
	url  PushURL
	ping PingOptions
	s    sender
}

// NewKuma checks rawURL (see ParseKumaURL) and the options.
func NewKuma(rawURL string, o Options, ping PingOptions) (*Kuma, error) {
	u, s, err := kumaService.newSender(rawURL, o)
	if err != nil {
		return nil, err
	}
	if ping, err = ping.withDefaults(); err != nil {
		return nil, fmt.Errorf("kuma: %w", err)
	}
	return &Kuma{url: u, ping: ping, s: s}, nil
}

// Target names the target with its token hidden.
func (k *Kuma) Target() string { return k.s.target }

// Request returns the URL that r is pushed to and the status sent.
func (k *Kuma) Request(r health.Report) (string, string) {
	status := "up"
	if k.s.o.failing(r.Status) {
		status = "down"
	}
	// The query url.Values.Encode makes (msg, ping, status: sorted), without
	// its map and its sort at every push.
	msg := url.QueryEscape(truncate(oneLine(r.Summary), maxMsgBytes))
	ping, hasPing := KumaPing(r, k.ping)
	u := k.url.String()
	var b strings.Builder
	b.Grow(len(u) + len("?msg=&ping=&status=") + len(msg) + len(ping) + len(status))
	b.WriteString(u)
	b.WriteString("?msg=")
	b.WriteString(msg)
	if hasPing {
		b.WriteString("&ping=")
		b.WriteString(url.QueryEscape(ping))
	}
	b.WriteString("&status=")
	b.WriteString(status)
	return b.String(), status
}

// Notify pushes r to Kuma and checks its answer: {"ok":true} is success;
// 404 {"ok":false,"msg":...} is an unknown token (not retried); a 200 web
// page is a wrong URL (not retried); 5xx and network errors are retried.
func (k *Kuma) Notify(ctx context.Context, r health.Report) health.PushResult {
	u, status := k.Request(r)
	return k.s.deliver(ctx, status, func(ctx context.Context) error {
		a, err := k.s.do(ctx, http.MethodGet, u, nil, nil)
		if err != nil {
			return err
		}
		return k.check(a)
	})
}

// kumaAnswer is Kuma's JSON answer on /api/push.
type kumaAnswer struct {
	OK  *bool  `json:"ok"`
	Msg string `json:"msg"`
}

// check judges Kuma's answer.
func (k *Kuma) check(a answer) error {
	var ka kumaAnswer
	isJSON := json.Unmarshal(a.body, &ka) == nil && ka.OK != nil
	switch {
	case a.status == http.StatusOK && isJSON && *ka.OK:
		return nil
	case isJSON && !*ka.OK && (a.status == http.StatusNotFound || strings.Contains(ka.Msg, "not found")):
		return permanent(fmt.Errorf("unknown push token (Kuma says: %s): copy the push URL again from the monitor's page and check the monitor is not paused", k.s.snippet([]byte(ka.Msg))))
	case isJSON && !*ka.OK && a.status < 500:
		return permanent(fmt.Errorf("kuma refused the push (HTTP %d, Kuma says: %s)", a.status, k.s.snippet([]byte(ka.Msg))))
	case a.status >= 200 && a.status < 300:
		if looksLikeHTML(a) {
			return permanent(fmt.Errorf("the URL answered with a web page, not Kuma's push API: check the URL (it must end in /api/push/<token>, without a trailing slash)"))
		}
		return permanent(fmt.Errorf("the URL answered HTTP %d without Kuma's {\"ok\":true}: check the URL points at Uptime Kuma (answer: %s)", a.status, k.s.snippet(a.body)))
	}
	return k.s.statusError("kuma", a)
}

// KumaPing returns the ping value for r under p, as Kuma keeps it: a whole
// number, rounded up, and at least 1, even for an offset of exactly 0 (as
// chronyd reports once a slew is complete): Kuma stores 0 as no ping at all
// (server/routers/api-router.js:42, parseInt(ping) || null), which would
// leave a gap in its chart. false when p.Field is "none" or no daemon was
// observed. Capped at 2^31-1.
func KumaPing(r health.Report, p PingOptions) (string, bool) {
	p, err := p.withDefaults()
	if err != nil || p.Field == PingNone {
		return "", false
	}
	d := r.Daemon
	if d == nil || d.Error != "" {
		return "", false
	}
	var sec float64
	if p.Field == PingMaxError {
		sec = d.Tracking.MaxError()
	} else {
		sec = math.Abs(d.Tracking.SystemOffset)
	}
	if math.IsNaN(sec) || math.IsInf(sec, 0) || sec < 0 {
		return "", false
	}
	scale := 1e6
	if p.Unit == PingMilliseconds {
		scale = 1e3
	}
	v := max(math.Ceil(sec*scale), 1)
	v = min(v, math.MaxInt32)
	return strconv.FormatInt(int64(v), 10), true
}

// oneLine joins the lines of s with spaces, each run of white space one
// space; a summary is one line already, and is returned as it is.
func oneLine(s string) string {
	space := true // a leading space is not one line
	for _, r := range s {
		if unicode.IsSpace(r) && (r != ' ' || space) {
			return strings.Join(strings.Fields(s), " ")
		}
		space = unicode.IsSpace(r)
	}
	if space && s != "" {
		return strings.Join(strings.Fields(s), " ")
	}
	return s
}
