package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// maxAnswer is how much of a target's answer is read, bytes.
const maxAnswer = 64 << 10

// permanentError marks a failure that a retry cannot fix (a wrong token, a
// wrong URL): the delivery stops at once.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// permanent wraps err so that it is not retried.
func permanent(err error) error { return permanentError{err} }

// sender is the delivery machinery every kind shares: options, the name to
// show, the secrets to keep out of any text.
type sender struct {
	o       Options
	target  string
	secrets []string
}

// attemptFunc performs one attempt under a context carrying its deadline.
type attemptFunc func(ctx context.Context) error

// deliver runs attempt up to 1+Retries times with a doubling back-off,
// each under its own deadline, and reports the outcome. It recovers from a
// panic in attempt, stops early on a permanent error or a cancelled ctx,
// and keeps every secret out of the result and the log. It logs at DEBUG
// only: the caller reports a failed push, once (the README promises one
// line per failed push and none per delivered one).
func (s *sender) deliver(ctx context.Context, sent string, attempt attemptFunc) health.PushResult {
	res := health.PushResult{Target: s.target, Sent: sent}
	log := s.o.Logger.With("target", s.target, "sent", sent)
	wait := s.o.Backoff
	var last error
	for n := 1; n <= 1+s.o.Retries; n++ {
		if n > 1 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				last = fmt.Errorf("push cancelled before attempt %d (%w); last error: %w", n, ctx.Err(), last)
				return s.finish(res, last, log)
			case <-t.C:
			}
			wait = min(wait*2, maxBackoff)
		}
		if err := ctx.Err(); err != nil {
			if last == nil {
				last = fmt.Errorf("push cancelled: %w", err)
			}
			return s.finish(res, last, log)
		}
		res.Attempts = n
		err := s.try(ctx, attempt)
		if err == nil {
			res.OK = true
			res.Time = time.Now()
			log.Debug("push delivered", "attempts", n)
			return res
		}
		last = err
		log.Debug("push attempt failed", "attempt", n, "of", 1+s.o.Retries, "error", s.clean(err))
		var pe permanentError
		if errors.As(err, &pe) {
			break
		}
	}
	return s.finish(res, last, log)
}

// finish fills in a failed result.
func (s *sender) finish(res health.PushResult, err error, log *slog.Logger) health.PushResult {
	res.OK = false
	res.Time = time.Now()
	res.Error = s.clean(err)
	log.Debug("push failed", "attempts", res.Attempts, "error", res.Error)
	return res
}

// clean turns err into text without secrets.
func (s *sender) clean(err error) string {
	if err == nil {
		return ""
	}
	return Scrub(err.Error(), s.secrets)
}

// try runs one attempt with its deadline and turns a panic into an error.
func (s *sender) try(ctx context.Context, attempt attemptFunc) (err error) {
	actx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = permanent(fmt.Errorf("internal error while pushing: %s", Scrub(fmt.Sprint(p), s.secrets)))
		}
	}()
	return attempt(actx)
}

// answer is what a target said.
type answer struct {
	status int
	body   []byte
	header http.Header
}

// do sends one request and reads the answer (up to 64 KiB). A network error
// is returned without the URL (Go's errors quote it, token and all), with a
// sentence that says what happened.
func (s *sender) do(ctx context.Context, method, rawURL string, body []byte, header http.Header) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return answer{}, permanent(fmt.Errorf("cannot build the request to %s: check the URL", Redact(rawURL)))
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "ntphealth")
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return answer{}, s.netError(ctx, method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return answer{}, s.netError(ctx, method, rawURL, err)
	}
	return answer{status: resp.StatusCode, body: b, header: resp.Header}, nil
}

// netError explains a failed exchange without quoting the URL.
func (s *sender) netError(ctx context.Context, method, rawURL string, err error) error {
	where := method + " " + Redact(rawURL)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: no answer within %s (the per-attempt timeout): check that the server is up and reachable", where, s.o.Timeout)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("%s: cancelled: %w", where, context.Canceled)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s: %s: check the address and that the server is running", where, Scrub(err.Error(), append(s.secrets, rawURL)))
}

// snippet is a short, one-line, secret-free excerpt of an answer's body;
// of a web page (a proxy's error page), its title.
func (s *sender) snippet(b []byte) string {
	if title := htmlTitle(b); title != "" && looksLikeHTML(answer{body: b}) {
		b = []byte("(web page \"" + strings.TrimSpace(title) + "\")")
	}
	t := strings.Join(strings.Fields(string(b)), " ")
	if len(t) > 200 {
		t = truncate(t, 200) + "..."
	}
	return Scrub(t, s.secrets)
}

// statusError explains an HTTP status that is not success; 5xx, 408 and
// 429 are retried, any other is permanent.
func (s *sender) statusError(service string, a answer) error {
	err := fmt.Errorf("%s answered HTTP %d %s", service, a.status, s.snippet(a.body))
	switch {
	case a.status >= 500:
		return fmt.Errorf("%w: server error: check that the service, and any proxy in front of it, is up", err)
	case a.status == http.StatusTooManyRequests:
		return fmt.Errorf("%w: rate limited, push less often", err)
	case a.status == http.StatusRequestTimeout:
		return err
	}
	return permanent(err)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

// utf8Start reports whether b begins a UTF-8 sequence.
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// looksLikeHTML reports whether an answer is a web page: its body is an
// HTML document. The Content-Type alone tells nothing: Healthchecks sends
// its ping API's plain "OK" as Django's default "text/html; charset=utf-8"
// (healthchecks hc/api/views.py:208).
func looksLikeHTML(a answer) bool {
	t := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(string(a.body), "\ufeff")))
	return strings.HasPrefix(t, "<!doctype html") || strings.HasPrefix(t, "<html")
}

// htmlTitle returns the text of a web page's <title>, "" when it has none.
func htmlTitle(b []byte) string {
	s := string(b)
	i := strings.Index(strings.ToLower(s), "<title>")
	if i < 0 {
		return ""
	}
	s = s[i+len("<title>"):]
	j := strings.Index(strings.ToLower(s), "</title>")
	if j < 0 {
		return ""
	}
	return s[:j]
}
