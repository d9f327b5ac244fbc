package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
)

const (
	hcUUID      = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
	bsToken     = "bsTok3nQwErTy9"
	gatusToken  = "gatusS3cretTok"
	peekaToken  = "pk7a8s9d0f1g2h3j"
	tianjiToken = "tj9H8g7F6d5S4a3"
	hookToken   = "hookS3cret42xyz"
)

// seen records what a receiver was sent.
type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func (s *seen) add(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	s.body = append(s.body, string(b))
}

func (s *seen) last() (*http.Request, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return nil, ""
	}
	return s.reqs[len(s.reqs)-1], s.body[len(s.body)-1]
}

// healthchecksReceiver answers as Healthchecks does (notifytest): "OK" for
// a known UUID (plain, /fail, /start), 404 "not found" for an unknown one.
func healthchecksReceiver(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		p := strings.TrimSuffix(strings.TrimSuffix(r.URL.Path, "/fail"), "/start")
		if p != "/"+hcUUID {
			notifytest.HealthchecksNotFound().Write(w)
			return
		}
		notifytest.HealthchecksOK().Write(w)
	})
}

// betterstackReceiver stands for Better Stack, whose answers are not
// published (the service is closed and its documentation shows none): it
// sends a status only, 200 for its token and 404 otherwise, which is all
// that ntphealth judges a Better Stack answer by. Not verified byte for
// byte.
func betterstackReceiver(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		if strings.TrimSuffix(r.URL.Path, "/fail") != "/api/v1/heartbeat/"+bsToken {
			notifytest.Answer{Status: http.StatusNotFound}.Write(w)
			return
		}
		notifytest.Answer{Status: http.StatusOK}.Write(w)
	})
}

// gatusReceiver makes Gatus' checks in Gatus' order and answers as it
// does (notifytest.Gatus, api/external_endpoint.go:22-:90); its one
// external endpoint has the key core_ntp and the token gatusToken.
func gatusReceiver(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		succ, has := r.URL.Query()["success"]
		if !has || (succ[0] != "true" && succ[0] != "false") {
			notifytest.Gatus(http.StatusBadRequest, "missing or invalid success query parameter").Write(w)
			return
		}
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer ") {
			notifytest.Gatus(http.StatusUnauthorized, "invalid Authorization header").Write(w)
			return
		}
		tok := strings.TrimSpace(strings.TrimPrefix(auth, "Bearer "))
		if tok == "" {
			notifytest.Gatus(http.StatusUnauthorized, "bearer token must not be empty").Write(w)
			return
		}
		if r.URL.Path != "/api/v1/endpoints/core_ntp/external" {
			notifytest.Gatus(http.StatusNotFound, "not found").Write(w)
			return
		}
		if tok != gatusToken {
			notifytest.Gatus(http.StatusUnauthorized, "invalid token").Write(w)
			return
		}
		if d := r.URL.Query().Get("duration"); d != "" {
			if _, err := time.ParseDuration(d); err != nil {
				notifytest.Gatus(http.StatusBadRequest, "invalid duration: "+err.Error()).Write(w)
				return
			}
		}
		notifytest.GatusOK().Write(w)
	})
}

// peekapingReceiver answers as Peekaping's push route does (notifytest,
// push_handler.go): {"ok":"true"} for its token, 404 otherwise.
func peekapingReceiver(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		if r.URL.Path != "/api/v1/push/"+peekaToken {
			notifytest.PeekapingNotFound().Write(w)
			return
		}
		notifytest.PeekapingOK().Write(w)
	})
}

// tianjiReceiver answers as Tianji's push route does, for any method
// (notifytest, push.ts): {"ok":true,...} for its token, 404 otherwise.
func tianjiReceiver(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		if r.URL.Path != "/api/push/"+tianjiToken {
			notifytest.TianjiNotFound().Write(w)
			return
		}
		notifytest.TianjiOK().Write(w)
	})
}

// webhookReceiver accepts POSTs to /hook/<token> with the right header. It
// stands for no particular service: a generic webhook's target is whatever
// the user points it at.
func webhookReceiver(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		if r.URL.Path != "/hook/"+hookToken || r.Header.Get("Authorization") != "Bearer "+hookToken {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// kindCase describes one kind for the shared tests.
type kindCase struct {
	name     string
	secret   string
	receiver func(*seen) http.Handler
	// make builds the notifier against base; bad builds one the receiver
	// refuses (wrong token or key).
	make, bad func(base string, o Options) (Notifier, error)
	badErr    string
	// check verifies what the receiver got for a CRITICAL report.
	check func(t *testing.T, r *http.Request, body string)
}

func kindCases() []kindCase {
	return []kindCase{
		{
			name: "healthchecks", secret: hcUUID, receiver: healthchecksReceiver,
			make:   func(b string, o Options) (Notifier, error) { return NewHealthchecks(b+"/"+hcUUID+"/fail ", o, true) },
			bad:    func(b string, o Options) (Notifier, error) { return NewHealthchecks(b+"/0000-unknown-1111", o, false) },
			badErr: "unknown check (Healthchecks says: not found)",
			check: func(t *testing.T, r *http.Request, body string) {
				if r.Method != http.MethodPost || r.URL.Path != "/"+hcUUID+"/fail" || !strings.Contains(body, "CRITICAL offset: offset fine") {
					t.Errorf("got %s %s body %q", r.Method, r.URL.Path, body)
				}
			},
		},
		{
			name: "betterstack", secret: bsToken, receiver: betterstackReceiver,
			make: func(b string, o Options) (Notifier, error) {
				return NewBetterStack(b+"/api/v1/heartbeat/"+bsToken, o)
			},
			bad:    func(b string, o Options) (Notifier, error) { return NewBetterStack(b+"/api/v1/heartbeat/nope123", o) },
			badErr: "unknown check: copy the ping URL again",
			check: func(t *testing.T, r *http.Request, body string) {
				if r.Method != http.MethodGet || r.URL.Path != "/api/v1/heartbeat/"+bsToken+"/fail" {
					t.Errorf("got %s %s", r.Method, r.URL.Path)
				}
			},
		},
		{
			name: "gatus", secret: gatusToken, receiver: gatusReceiver,
			make: func(b string, o Options) (Notifier, error) {
				return NewGatus(b+"/api/v1/endpoints/core_ntp/external?success=true&error=", gatusToken, o)
			},
			bad: func(b string, o Options) (Notifier, error) {
				return NewGatus(b+"/api/v1/endpoints/core_ntp/external", "wrongTok3n", o)
			},
			badErr: "gatus refused the token (Gatus says: invalid token)",
			check: func(t *testing.T, r *http.Request, body string) {
				q := r.URL.Query()
				if r.Method != http.MethodPost || q.Get("success") != "false" || !strings.HasPrefix(q.Get("error"), "CRITICAL: ") || q.Get("duration") != "2.5ms" {
					t.Errorf("got %s %v: Gatus takes only POST", r.Method, q)
				}
			},
		},
		{
			name: "peekaping", secret: peekaToken, receiver: peekapingReceiver,
			make: func(b string, o Options) (Notifier, error) {
				return NewPeekaping(b+"/api/v1/push/"+peekaToken+"?status=up&msg=OK&ping=", o)
			},
			bad:    func(b string, o Options) (Notifier, error) { return NewPeekaping(b+"/api/v1/push/nope1234", o) },
			badErr: "unknown push token (Peekaping says: Monitor not found for pushToken)",
			check: func(t *testing.T, r *http.Request, body string) {
				if q := r.URL.Query(); r.Method != http.MethodGet || q.Get("status") != "0" || !strings.HasPrefix(q.Get("msg"), "CRITICAL: ") {
					t.Errorf("got %s %v: Peekaping takes only GET, and needs status=0 for down", r.Method, q)
				}
			},
		},
		{
			name: "tianji", secret: tianjiToken, receiver: tianjiReceiver,
			make:   func(b string, o Options) (Notifier, error) { return NewTianji(b+"/api/push/"+tianjiToken, o) },
			bad:    func(b string, o Options) (Notifier, error) { return NewTianji(b+"/api/push/nope1234", o) },
			badErr: "unknown push token (Tianji says: Error: Monitor not found or not active)",
			check: func(t *testing.T, r *http.Request, body string) {
				if q := r.URL.Query(); r.Method != http.MethodPost || q.Get("status") != "down" || q.Has("value") {
					t.Errorf("got %s %v", r.Method, q)
				}
			},
		},
		{
			name: "webhook", secret: hookToken, receiver: webhookReceiver,
			make: func(b string, o Options) (Notifier, error) {
				return NewWebhook(WebhookOptions{URL: b + "/hook/" + hookToken, Body: `{"text": {{json .Summary}}, "up": {{.Up}}, "status": "{{.Status}}"}`,
					Headers: map[string]string{"Authorization": "Bearer " + hookToken, "Content-Type": "application/json", "Title": "ntp {{.State}}"}}, o)
			},
			bad: func(b string, o Options) (Notifier, error) {
				return NewWebhook(WebhookOptions{URL: b + "/hook/" + hookToken, Headers: map[string]string{"Authorization": "Bearer wrong123"}}, o)
			},
			badErr: "webhook answered HTTP 403 forbidden",
			check: func(t *testing.T, r *http.Request, body string) {
				want := `{"text": "CRITICAL: PPS* stratum 1, offset +0.8 µs \u0026 more #1", "up": false, "status": "CRITICAL"}`
				if r.Method != http.MethodPost || body != want || r.Header.Get("Title") != "ntp down" {
					t.Errorf("got %s body %q title %q", r.Method, body, r.Header.Get("Title"))
				}
			},
		},
	}
}

func TestKinds(t *testing.T) {
	for _, kc := range kindCases() {
		t.Run(kc.name, func(t *testing.T) {
			var s seen
			srv := httptest.NewServer(kc.receiver(&s))
			defer srv.Close()
			buf := &logBuf{}

			n, err := kc.make(srv.URL, testOptions(buf))
			if err != nil {
				t.Fatal(err)
			}
			res := n.Notify(context.Background(), report(health.OK, 1e-6))
			if !res.OK || res.Attempts != 1 {
				t.Fatalf("OK report: %+v", res)
			}
			res = n.Notify(context.Background(), report(health.Critical, 1e-6))
			if !res.OK {
				t.Fatalf("CRITICAL report: %+v", res)
			}
			r, body := s.last()
			kc.check(t, r, body)
			assertHidden(t, kc.secret, res, n.Target(), buf)

			b, err := kc.bad(srv.URL, testOptions(buf))
			if err != nil {
				t.Fatal(err)
			}
			res = b.Notify(context.Background(), report(health.OK, 1e-6))
			if res.OK || res.Attempts != 1 || !strings.Contains(res.Error, kc.badErr) {
				t.Errorf("refused push: %+v, want 1 attempt and error containing %q", res, kc.badErr)
			}
			assertHidden(t, kc.secret, res, b.Target(), buf)
		})
	}
}

func TestKindsFaults(t *testing.T) {
	broken := httptest.NewServer(notifytest.NginxError(http.StatusServiceUnavailable))
	defer broken.Close()
	hang := hangingServer(t)
	for _, kc := range kindCases() {
		t.Run(kc.name+"/503 retried", func(t *testing.T) {
			buf := &logBuf{}
			n, err := kc.make(broken.URL, testOptions(buf))
			if err != nil {
				t.Fatal(err)
			}
			res := n.Notify(context.Background(), report(health.Critical, 1e-6))
			if res.OK || res.Attempts != 3 || !strings.Contains(res.Error, "HTTP 503") {
				t.Errorf("%+v", res)
			}
			assertHidden(t, kc.secret, res, n.Target(), buf)
		})
		t.Run(kc.name+"/hanging", func(t *testing.T) {
			buf := &logBuf{}
			o := testOptions(buf)
			o.Timeout, o.Retries = 80*time.Millisecond, 1
			n, err := kc.make(hang.URL, o)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			res := n.Notify(context.Background(), report(health.OK, 1e-6))
			if res.OK || res.Attempts != 2 || !strings.Contains(res.Error, "no answer within 80ms") {
				t.Errorf("%+v", res)
			}
			if time.Since(start) > 5*time.Second {
				t.Error("deadline did not hold")
			}
			assertHidden(t, kc.secret, res, n.Target(), buf)
		})
		t.Run(kc.name+"/cancelled", func(t *testing.T) {
			buf := &logBuf{}
			n, err := kc.make(hang.URL, testOptions(buf))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			res := n.Notify(ctx, report(health.OK, 1e-6))
			if res.OK || !strings.Contains(res.Error, "cancel") {
				t.Errorf("%+v", res)
			}
		})
	}
}

func TestNewFactory(t *testing.T) {
	if _, err := New(Config{Kind: "pagerduty", URL: "https://x.example/"}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "betterstack, gatus, healthchecks, kuma, peekaping, tianji, webhook") {
		t.Errorf("unknown kind: %v", err)
	}
	n, err := New(Config{URL: "https://kuma.example/api/push/" + kumaToken}, Options{})
	if err != nil || n.Target() != "kuma https://kuma.example/api/push/****" {
		t.Errorf("default kind: %v %v", n, err)
	}
	for _, c := range []Config{
		{Kind: "healthchecks", URL: "hc-ping.com/" + hcUUID},
		{Kind: "gatus", URL: "https://g.example/api/v1/endpoints/a_b/external"},
		{Kind: "gatus", URL: "https://g.example/api/v1/status", Token: "x"},
		{Kind: "peekaping", URL: "https://p.example/api/push/" + peekaToken},
		{Kind: "webhook", Webhook: WebhookOptions{URL: "https://h.example/{{.Nope}}"}},
		{Kind: "webhook", Webhook: WebhookOptions{URL: "https://h.example/", Body: "{{json .Summary"}},
		{Kind: "webhook", URL: "not a url"},
	} {
		if _, err := New(c, Options{}); err == nil {
			t.Errorf("%+v accepted", c)
		} else if strings.Contains(err.Error(), hcUUID) || strings.Contains(err.Error(), peekaToken) {
			t.Errorf("error shows secret: %v", err)
		}
	}
}

func FuzzParseHeartbeatURL(f *testing.F) {
	f.Add("https://hc-ping.com/" + hcUUID + "/fail?rid=1")
	f.Add(" hc-ping.com/x ")
	f.Add("https://uptime.betterstack.com/api/v1/heartbeat/abc/")
	f.Fuzz(func(t *testing.T, raw string) {
		h, err := NewHealthchecks(raw, Options{}, false)
		if err != nil {
			return
		}
		h2, err := NewHealthchecks(h.with(""), Options{}, false)
		if err != nil || h2.with("") != h.with("") {
			t.Fatalf("round trip %q -> %q: %v", raw, h.with(""), err)
		}
		if strings.Contains(h.url.Path, hcUUID) && !strings.Contains(h.url.Host, hcUUID) && strings.Contains(h.Target(), hcUUID) {
			t.Fatalf("target shows UUID: %s", h.Target())
		}
	})
}

// TestKindOptionsAreSettings: every option a registered kind reads, and the
// option holding its secret, is a key of Settings (Register leaves this
// reflection out of every start).
func TestKindOptionsAreSettings(t *testing.T) {
	for _, k := range AllKinds() {
		for _, o := range append(slices.Clone(k.Options), k.SecretOption) {
			if _, ok := settingField(o); !ok {
				t.Errorf("kind %q names option %q, which is no key of Settings", k.Name, o)
			}
		}
	}
}
