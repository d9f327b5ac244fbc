package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Tianji pushes to a Tianji push monitor:
// POST <base>/api/push/<token>?status=up|down&msg=<summary>&value=<number>.
//
// Tianji takes status "down" as down and anything else as up, msg as the
// message, and value as the number it charts (for up; down is stored as
// -1). It answers 200 {"ok":true,...} and, for an unknown or inactive token,
// 404 {"ok":false,"error":"Error: Monitor not found or not active"}. Learnt
// from msgbyte/tianji src/server/router/push.ts (pushRouter.all('/:pushToken'))
// and its push-monitor documentation (POST, ?status=, &msg=, &value=).
// value carries the offset in µs, as Kuma's ping does.
type Tianji struct {
	url PushURL
	s   sender
}

func init() {
	Register(Kind{
		Name:        "tianji",
		Rank:        60,
		SecretPath:  tianjiService.prefix,
		SecretToEnd: true,
		New:         func(c Config, o Options) (Notifier, error) { return NewTianji(c.URL, o) },
	})
}

// NewTianji checks rawURL (a pasted query is dropped).
func NewTianji(rawURL string, o Options) (*Tianji, error) {
	u, s, err := tianjiService.newSender(rawURL, o)
	if err != nil {
		return nil, err
	}
	return &Tianji{url: u, s: s}, nil
}

// Target names the target with its token hidden.
func (t *Tianji) Target() string { return t.s.target }

// Notify pushes r; a 404 is not retried, 5xx are.
func (t *Tianji) Notify(ctx context.Context, r health.Report) health.PushResult {
	status := "up"
	if t.s.o.failing(r.Status) {
		status = "down"
	}
	q := url.Values{"status": {status}, "msg": {truncate(oneLine(r.Summary), maxMsgBytes)}}
	if v, ok := KumaPing(r, PingOptions{}); ok && status == "up" {
		q.Set("value", v)
	}
	u := t.url.String() + "?" + q.Encode()
	return t.s.deliver(ctx, status, func(ctx context.Context) error {
		a, err := t.s.do(ctx, http.MethodPost, u, nil, nil)
		if err != nil {
			return err
		}
		var ta struct {
			OK *bool `json:"ok"`
		}
		isJSON := json.Unmarshal(a.body, &ta) == nil && ta.OK != nil
		switch {
		case a.status == http.StatusOK && isJSON && *ta.OK:
			return nil
		case a.status == http.StatusNotFound && isJSON:
			return permanent(fmt.Errorf("unknown push token (Tianji says: %s): copy the push URL again from the monitor's page and check the monitor is active", t.s.snippet([]byte(jsonMessage(a.body)))))
		case a.status >= 200 && a.status < 300:
			if looksLikeHTML(a) {
				return permanent(fmt.Errorf("the URL answered with a web page, not Tianji's push API: check the URL"))
			}
			return permanent(fmt.Errorf("the URL answered HTTP %d without Tianji's {\"ok\":true}: check the URL (answer: %s)", a.status, t.s.snippet(a.body)))
		}
		return t.s.statusError("tianji", a)
	})
}
