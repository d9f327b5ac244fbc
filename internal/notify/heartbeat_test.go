package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
)

// TestHealthchecksAnswers judges each answer a real Healthchecks sends (a
// Django "OK" is text/html) and the real mistakes: a page of its web site,
// another service's answer.
func TestHealthchecksAnswers(t *testing.T) {
	tests := []struct {
		name     string
		answer   http.Handler
		ok       bool
		attempts int
		err      string
	}{
		{"ping accepted", notifytest.HealthchecksOK(), true, 1, ""},
		{"unknown check", notifytest.HealthchecksNotFound(), false, 1, "unknown check (Healthchecks says: not found)"},
		{"ambiguous slug", notifytest.HealthchecksAmbiguous(), false, 1, "ambiguous slug (Healthchecks says: ambiguous slug)"},
		{"a page of the web site", notifytest.HealthchecksPage(), false, 1, "the URL answered with a web page, not the Healthchecks ping API: check the URL"},
		{"a Kuma push URL", notifytest.KumaOK(), false, 1, `answered HTTP 200 without Healthchecks' "OK"`},
		{"proxy: upstream down", notifytest.NginxError(http.StatusBadGateway), false, 3, `HTTP 502 (web page "502 Bad Gateway")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.answer)
			defer srv.Close()
			buf := &logBuf{}
			h, err := NewHealthchecks(srv.URL+"/ping/"+hcUUID, testOptions(buf), true)
			if err != nil {
				t.Fatal(err)
			}
			res := h.Notify(context.Background(), report(health.Critical, 1e-6))
			if res.OK != tt.ok || res.Attempts != tt.attempts || !strings.Contains(res.Error, tt.err) {
				t.Errorf("result %+v, want ok=%v attempts=%d error containing %q", res, tt.ok, tt.attempts, tt.err)
			}
			assertHidden(t, hcUUID, res, h.Target(), buf)
		})
	}
}

// TestBetterStackAnswers: Better Stack is judged by status alone (what it
// answers is not published), and a web page is still a wrong URL.
func TestBetterStackAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer http.Handler
		ok     bool
		err    string
	}{
		{"2xx, empty", notifytest.Answer{Status: http.StatusOK}, true, ""},
		{"2xx, a Django-typed OK", notifytest.HealthchecksOK(), true, ""},
		{"a web page", notifytest.KumaPage(), false, "web page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.answer)
			defer srv.Close()
			b, err := NewBetterStack(srv.URL+"/api/v1/heartbeat/"+bsToken, testOptions(&logBuf{}))
			if err != nil {
				t.Fatal(err)
			}
			res := b.Notify(context.Background(), report(health.OK, 1e-6))
			if res.OK != tt.ok || !strings.Contains(res.Error, tt.err) {
				t.Errorf("result %+v, want ok=%v error containing %q", res, tt.ok, tt.err)
			}
		})
	}
}
