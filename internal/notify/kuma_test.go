package notify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
)

const kumaToken = "Xk3pQ9vTz7LmN2aB"

// kumaReceiver answers as Uptime Kuma 2.0.0-dev.0 does (notifytest, each
// answer citing server/routers/api-router.js or server/server.js): GET or
// HEAD /api/push/<token>: {"ok":true} for a known token, 404 {"ok":false,
// "msg":"Monitor not found or not active."} for an unknown one; any other
// GET, a trailing slash included, its web page (200); any other method on
// the push route, express's 404 "Cannot POST" page.
type kumaReceiver struct {
	got   atomic.Pointer[http.Request]
	calls atomic.Int32
}

func (k *kumaReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.calls.Add(1)
	k.got.Store(r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		notifytest.KumaCannot(r.Method, r.URL.Path).Write(w)
		return
	}
	tok, ok := strings.CutPrefix(r.URL.Path, "/api/push/")
	switch {
	case !ok || tok == "" || strings.Contains(tok, "/"):
		notifytest.KumaPage().Write(w)
	case tok != kumaToken:
		notifytest.KumaNotFound().Write(w)
	default:
		notifytest.KumaOK().Write(w)
	}
}

func TestParseKumaURL(t *testing.T) {
	tests := []struct {
		in, base, token, err string
	}{
		{in: "https://kuma.example/api/push/" + kumaToken, base: "https://kuma.example", token: kumaToken},
		{in: "  https://kuma.example/api/push/" + kumaToken + "?status=up&msg=OK&ping=  ", base: "https://kuma.example", token: kumaToken},
		{in: "https://kuma.example/api/push/" + kumaToken + "/", base: "https://kuma.example", token: kumaToken},
		{in: "HTTP://kuma.example:3001/status/api/push/" + kumaToken + "#x", base: "http://kuma.example:3001/status", token: kumaToken},
		{in: "kuma.example/api/push/" + kumaToken, err: "no scheme"},
		{in: "ftp://kuma.example/api/push/" + kumaToken, err: "not supported"},
		{in: "https://kuma.example/push/" + kumaToken, err: "not a Uptime Kuma push URL"},
		{in: "https://kuma.example/api/push/", err: "no token"},
		{in: "https://kuma.example/api/push/" + kumaToken + "/extra", err: "more path"},
		{in: "https://kuma.example/api/push/" + kumaToken + "%20x", err: "spaces"},
		{in: "https://kuma .example/api/push/" + kumaToken, err: "malformed"},
		{in: "", err: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParseKumaURL(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				if strings.Contains(err.Error(), kumaToken) {
					t.Errorf("error shows the token: %v", err)
				}
				if !strings.Contains(err.Error(), "/api/push/<token>") {
					t.Errorf("error does not say what a push URL looks like: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Base != tt.base || p.Token != tt.token {
				t.Errorf("got base %q token %q, want %q %q", p.Base, p.Token, tt.base, tt.token)
			}
			if strings.Contains(p.Redacted(), kumaToken) || !strings.HasSuffix(p.Redacted(), "/api/push/****") {
				t.Errorf("Redacted() = %q", p.Redacted())
			}
		})
	}
}

func TestKumaStatusMsgPing(t *testing.T) {
	tests := []struct {
		name     string
		status   health.Status
		warning  string
		noDaemon bool
		ping     PingOptions
		want     string // status sent
		wantPing string // "" = absent
	}{
		{"ok up", health.OK, "", false, PingOptions{}, "up", "1"},
		{"warning default up", health.Warning, "", false, PingOptions{}, "up", "1"},
		{"warning down", health.Warning, "down", false, PingOptions{}, "down", "1"},
		{"critical down", health.Critical, "", false, PingOptions{}, "down", "1"},
		{"unknown down", health.Unknown, "up", false, PingOptions{}, "down", "1"},
		{"no daemon no ping", health.Critical, "", true, PingOptions{}, "down", ""},
		{"max error us", health.OK, "", false, PingOptions{Field: "max_error"}, "up", "3"},
		{"ping none", health.OK, "", false, PingOptions{Field: "none"}, "up", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kr kumaReceiver
			srv := httptest.NewServer(&kr)
			defer srv.Close()
			buf := &logBuf{}
			o := testOptions(buf)
			o.Warning = tt.warning
			k, err := NewKuma(srv.URL+"/api/push/"+kumaToken+"?status=up&msg=OK&ping=", o, tt.ping)
			if err != nil {
				t.Fatal(err)
			}
			r := report(tt.status, 0.8e-6)
			if tt.noDaemon {
				r.Daemon = nil
			}
			res := k.Notify(context.Background(), r)
			if !res.OK || res.Attempts != 1 || res.Sent != tt.want {
				t.Fatalf("result %+v, want ok, 1 attempt, sent %q", res, tt.want)
			}
			got := kr.got.Load()
			if got.Method != http.MethodGet {
				t.Errorf("method %s, want GET", got.Method)
			}
			q := got.URL.Query()
			if q.Get("status") != tt.want || q.Get("msg") != r.Summary {
				t.Errorf("status %q msg %q", q.Get("status"), q.Get("msg"))
			}
			if p, has := q["ping"]; (tt.wantPing == "") == has || (has && p[0] != tt.wantPing) {
				t.Errorf("ping %v, want %q", p, tt.wantPing)
			}
			assertHidden(t, kumaToken, res, k.Target(), buf)
		})
	}
}

func TestKumaPing(t *testing.T) {
	tests := []struct {
		offset float64
		p      PingOptions
		want   string
	}{
		{0.8e-6, PingOptions{}, "1"},
		{-2.2e-6, PingOptions{}, "3"},
		{1.2e-8, PingOptions{Unit: "us"}, "1"}, // 0.012 µs: Kuma would store nothing, so 1
		{0, PingOptions{}, "1"},                // exactly in step: Kuma stores 0 as no ping
		{0.8e-6, PingOptions{Unit: "ms"}, "1"},
		{0.0123, PingOptions{Unit: "ms"}, "13"},
		{1e9, PingOptions{}, "2147483647"},
	}
	for _, tt := range tests {
		r := report(health.OK, tt.offset)
		r.Daemon.Tracking.RootDelay, r.Daemon.Tracking.RootDispersion = 0, 0
		got, ok := KumaPing(r, tt.p)
		if !ok || got != tt.want {
			t.Errorf("KumaPing(%g, %+v) = %q %v, want %q", tt.offset, tt.p, got, ok, tt.want)
		}
	}
	r := report(health.Critical, 0)
	r.Daemon.Error = "chronyd not reachable"
	if v, ok := KumaPing(r, PingOptions{}); ok {
		t.Errorf("ping %q for a daemon not observed", v)
	}
}

func TestKumaErrorAnswers(t *testing.T) {
	var fails atomic.Int32
	mux := http.NewServeMux()
	// Kuma behind an nginx whose upstream is down once, or always.
	mux.HandleFunc("/flaky/api/push/", func(w http.ResponseWriter, r *http.Request) {
		if fails.Add(1) == 1 {
			notifytest.NginxError(http.StatusBadGateway).Write(w)
			return
		}
		notifytest.KumaOK().Write(w)
	})
	mux.Handle("/broken/api/push/", notifytest.NginxError(http.StatusInternalServerError))
	var kr kumaReceiver
	mux.Handle("/", &kr)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name, url, err string
		attempts       int
		ok             bool
	}{
		{"unknown token", srv.URL + "/api/push/WrongToken123", "unknown push token (Kuma says: Monitor not found or not active.)", 1, false},
		{"web page", srv.URL + "/x/api/push/" + kumaToken, "the URL answered with a web page, not Kuma's push API: check the URL", 1, false},
		{"500 retried then fails", srv.URL + "/broken/api/push/" + kumaToken, `kuma answered HTTP 500 (web page "500 Internal Server Error"): server error: check that the service, and any proxy in front of it, is up`, 3, false},
		{"502 then ok", srv.URL + "/flaky/api/push/" + kumaToken, "", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := &logBuf{}
			k, err := NewKuma(tt.url, testOptions(buf), PingOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res := k.Notify(context.Background(), report(health.OK, 1e-6))
			if res.OK != tt.ok || res.Attempts != tt.attempts || !strings.Contains(res.Error, tt.err) {
				t.Errorf("result %+v, want ok=%v attempts=%d error containing %q", res, tt.ok, tt.attempts, tt.err)
			}
			assertHidden(t, kumaToken, res, k.Target(), buf)
			assertHidden(t, "WrongToken123", res, k.Target(), buf)
		})
	}
}

// hangingServer answers nothing until the request is abandoned.
func hangingServer(t *testing.T) *httptest.Server {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv
}

func TestKumaHangingRefusedCancelled(t *testing.T) {
	hang := hangingServer(t)
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()

	t.Run("hanging", func(t *testing.T) {
		buf := &logBuf{}
		o := testOptions(buf)
		o.Timeout, o.Retries = 100*time.Millisecond, 1
		k, _ := NewKuma(hang.URL+"/api/push/"+kumaToken, o, PingOptions{})
		start := time.Now()
		res := k.Notify(context.Background(), report(health.OK, 1e-6))
		if res.OK || res.Attempts != 2 || !strings.Contains(res.Error, "no answer within 100ms") {
			t.Errorf("result %+v", res)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %s: the deadline did not hold", d)
		}
		assertHidden(t, kumaToken, res, k.Target(), buf)
	})
	t.Run("refused", func(t *testing.T) {
		buf := &logBuf{}
		k, _ := NewKuma(refusedURL+"/api/push/"+kumaToken, testOptions(buf), PingOptions{})
		res := k.Notify(context.Background(), report(health.OK, 1e-6))
		if res.OK || res.Attempts != 3 || !strings.Contains(res.Error, "refused") {
			t.Errorf("result %+v", res)
		}
		assertHidden(t, kumaToken, res, k.Target(), buf)
	})
	t.Run("cancelled", func(t *testing.T) {
		buf := &logBuf{}
		k, _ := NewKuma(hang.URL+"/api/push/"+kumaToken, testOptions(buf), PingOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res := k.Notify(ctx, report(health.OK, 1e-6))
		if res.OK || !strings.Contains(res.Error, "cancel") || res.Attempts > 1 {
			t.Errorf("result %+v", res)
		}
		assertHidden(t, kumaToken, res, k.Target(), buf)
	})
	t.Run("cancelled during back-off", func(t *testing.T) {
		buf := &logBuf{}
		o := testOptions(buf)
		o.Timeout, o.Backoff = 50*time.Millisecond, time.Hour
		k, _ := NewKuma(hang.URL+"/api/push/"+kumaToken, o, PingOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		res := k.Notify(ctx, report(health.OK, 1e-6))
		if res.OK || res.Attempts != 1 || !strings.Contains(res.Error, "cancelled before attempt 2") {
			t.Errorf("result %+v", res)
		}
		if time.Since(start) > 5*time.Second {
			t.Error("back-off ignored the context")
		}
	})
}

func TestKumaRejectsBadOptions(t *testing.T) {
	u := "https://kuma.example/api/push/" + kumaToken
	for _, c := range []struct {
		o Options
		p PingOptions
	}{{Options{Warning: "sideways"}, PingOptions{}}, {Options{}, PingOptions{Field: "jitter"}}, {Options{}, PingOptions{Unit: "ns"}}} {
		if _, err := NewKuma(u, c.o, c.p); err == nil {
			t.Errorf("%+v %+v accepted", c.o, c.p)
		} else if strings.Contains(err.Error(), kumaToken) {
			t.Errorf("error shows token: %v", err)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"https://kuma.example/api/push/" + kumaToken + "?status=up&msg=OK":      "https://kuma.example/api/push/****?msg=****&status=****",
		"https://hc-ping.com/5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278/fail":         "https://hc-ping.com/****/fail",
		"https://uptime.betterstack.com/api/v1/heartbeat/abcDEF123":             "https://uptime.betterstack.com/api/v1/heartbeat/****",
		"https://user:pw@ntfy.sh/secret-topic":                                  "https://****@ntfy.sh/****",
		"https://gatus.example/api/v1/endpoints/core_ntp/external?success=true": "https://gatus.example/api/v1/endpoints/****/external?success=****",
		"not a url " + kumaToken:                                                "****",
	}
	for in, want := range tests {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseKumaURL(f *testing.F) {
	f.Add("https://kuma.example", kumaToken, "?status=up&msg=OK&ping=")
	f.Add("  http://127.0.0.1:3001", "abc123", "/")
	f.Add("kuma.example", "tok3n", "")
	f.Add("https://kuma.example/sub", "a%2Fb1", "/x")
	f.Add("https://[::1]:80", "t0k en", "#frag")
	f.Fuzz(func(t *testing.T, pre, token, post string) {
		raw := pre + "/api/push/" + token + post
		p, err := ParseKumaURL(raw)
		checkable := len(token) >= 6 && strings.ContainsAny(token, "0123456789") && !strings.Contains(pre, token)
		if err != nil {
			if checkable && strings.Contains(err.Error(), token) {
				t.Fatalf("error shows the token %q: %v", token, err)
			}
			return
		}
		if p.Token == "" || strings.Contains(p.Token, "/") {
			t.Fatalf("bad token %q from %q", p.Token, raw)
		}
		q, err := ParseKumaURL(p.String())
		if err != nil || q != p {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v, %v", raw, p, p.String(), q, err)
		}
		if len(p.Token) >= 4 && strings.Contains(p.Redacted(), p.Token) && !strings.Contains(p.Base, p.Token) && !strings.Contains("/api/push/****", p.Token) {
			t.Fatalf("Redacted %q shows token %q", p.Redacted(), p.Token)
		}
		_ = fmt.Sprint(Redact(raw))
	})
}
