package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Peekaping pushes to a Peekaping push monitor:
// GET <base>/api/v1/push/<token>?status=1|0&msg=<summary>.
//
// Peekaping reads status as a number (1 up, 0 down) and takes anything that
// is not a number as 1, so "status=down" would be recorded as up; it ignores
// ping. Learnt from 0xfurai/peekaping
// apps/server/internal/modules/healthcheck/push_handler.go (strconv.Atoi of
// "status", default 1; answers 200 {"ok":"true"}, 404 "Monitor not found for
// pushToken", 400 "Monitor is not active", 500 on a queue failure) and
// apps/web/src/app/monitors/components/push/index.tsx (the URL shape).
type Peekaping struct {
	url PushURL
	s   sender
}

func init() {
	Register(Kind{
		Name:        "peekaping",
		Rank:        50,
		SecretPath:  peekapingService.prefix,
		SecretToEnd: true,
		New:         func(c Config, o Options) (Notifier, error) { return NewPeekaping(c.URL, o) },
	})
}

// NewPeekaping checks rawURL (as Peekaping shows it, a pasted query is dropped).
func NewPeekaping(rawURL string, o Options) (*Peekaping, error) {
	u, s, err := peekapingService.newSender(rawURL, o)
	if err != nil {
		return nil, err
	}
	return &Peekaping{url: u, s: s}, nil
}

// Target names the target with its token hidden.
func (p *Peekaping) Target() string { return p.s.target }

// Notify pushes r; 404 and 400 are not retried, 5xx are.
func (p *Peekaping) Notify(ctx context.Context, r health.Report) health.PushResult {
	status, sent := "1", "up"
	if p.s.o.failing(r.Status) {
		status, sent = "0", "down"
	}
	q := url.Values{"status": {status}, "msg": {truncate(oneLine(r.Summary), maxMsgBytes)}}
	u := p.url.String() + "?" + q.Encode()
	return p.s.deliver(ctx, sent, func(ctx context.Context) error {
		a, err := p.s.do(ctx, http.MethodGet, u, nil, nil)
		if err != nil {
			return err
		}
		switch {
		case a.status == http.StatusOK && !looksLikeHTML(a):
			return nil
		case a.status == http.StatusOK:
			return permanent(fmt.Errorf("the URL answered with a web page, not Peekaping's push API: check the URL (it must contain /api/v1/push/<token>)"))
		case a.status == http.StatusNotFound:
			return permanent(fmt.Errorf("unknown push token (Peekaping says: %s): copy the push URL again from the monitor's page", p.s.snippet([]byte(jsonMessage(a.body)))))
		case a.status == http.StatusBadRequest:
			return permanent(fmt.Errorf("peekaping refused the push (Peekaping says: %s): activate the monitor", p.s.snippet([]byte(jsonMessage(a.body)))))
		}
		return p.s.statusError("peekaping", a)
	})
}

// jsonMessage picks a human message out of a JSON error answer
// ("message", "msg" or "error"), else returns the body.
func jsonMessage(b []byte) string {
	var m map[string]any
	if json.Unmarshal(b, &m) == nil {
		for _, k := range []string{"message", "msg", "error"} {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return string(b)
}
