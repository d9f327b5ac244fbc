package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
)

// TestSettingsStart: start, set in the config, makes a Healthchecks
// target signal <url>/start before each ping, and the double of
// Healthchecks (notifytest) accepts both.
func TestSettingsStart(t *testing.T) {
	for _, start := range []bool{true, false} {
		var s seen
		srv := httptest.NewServer(healthchecksReceiver(&s))
		defer srv.Close()
		set := DefaultSettings()
		set.Kind, set.URL, set.Start = "healthchecks", srv.URL+"/"+hcUUID, start
		if ps := set.Problems(); len(ps) > 0 {
			t.Fatalf("start: %v: %v", start, ps)
		}
		n, err := set.Notifier(nil)
		if err != nil {
			t.Fatal(err)
		}
		res := n.Notify(context.Background(), report(health.Critical, 1e-6))
		if !res.OK || res.Attempts != 1 {
			t.Fatalf("start: %v: %+v", start, res)
		}
		var got []string
		for _, r := range s.reqs {
			got = append(got, r.Method+" "+r.URL.Path)
		}
		want := []string{"POST /" + hcUUID + "/fail"}
		if start {
			want = append([]string{"GET /" + hcUUID + "/start"}, want...)
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("start: %v: requests %v, want %v", start, got, want)
		}
	}
}

// TestSettingsRetriesZero: retries: 0 means no retry (Options reads 0 as
// its default of 2).
func TestSettingsRetriesZero(t *testing.T) {
	srv := httptest.NewServer(notifytest.NginxError(http.StatusServiceUnavailable))
	defer srv.Close()
	set := DefaultSettings()
	set.URL, set.Retries, set.Timeout = srv.URL+"/api/push/"+kumaToken, 0, time.Second
	n, err := set.Notifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := n.Notify(context.Background(), report(health.OK, 1e-6)); res.OK || res.Attempts != 1 {
		t.Errorf("retries 0: %+v, want one failed attempt", res)
	}
}

// TestSpellings: every spelling a setting is accepted in is accepted by
// the config's check, by Normalize and by the notifier alike (one table).
func TestSpellings(t *testing.T) {
	for _, tc := range []struct {
		set  func(*Settings, string)
		get  func(Settings) string
		in   []string
		want string
	}{
		{func(s *Settings, v string) { s.Warning = v }, func(s Settings) string { return s.Warning }, []string{"", "up", " UP "}, WarningUp},
		{func(s *Settings, v string) { s.Warning = v }, func(s Settings) string { return s.Warning }, []string{"down", "Down"}, WarningDown},
		{func(s *Settings, v string) { s.Ping = v }, func(s Settings) string { return s.Ping }, []string{"", "offset", "OFFSET"}, PingOffset},
		{func(s *Settings, v string) { s.Ping = v }, func(s Settings) string { return s.Ping }, []string{"max_error", "maxerror", "max-error", "Max_Error"}, PingMaxError},
		{func(s *Settings, v string) { s.Ping = v }, func(s Settings) string { return s.Ping }, []string{"none", "off"}, PingNone},
		{func(s *Settings, v string) { s.PingUnit = v }, func(s Settings) string { return s.PingUnit }, []string{"", "us", "µs", "μs", "usec", "US"}, PingMicroseconds},
		{func(s *Settings, v string) { s.PingUnit = v }, func(s Settings) string { return s.PingUnit }, []string{"ms", "msec", "MS"}, PingMilliseconds},
	} {
		for _, in := range tc.in {
			s := DefaultSettings()
			s.URL = "https://kuma.example/api/push/" + kumaToken
			tc.set(&s, in)
			if ps := s.Problems(); len(ps) > 0 {
				t.Errorf("%q refused: %v", in, ps)
			}
			if _, err := NewKuma(s.URL, Options{Warning: s.Warning}, PingOptions{Field: s.Ping, Unit: s.PingUnit}); err != nil {
				t.Errorf("%q refused by the notifier: %v", in, err)
			}
			s.Normalize()
			if got := tc.get(s); got != tc.want {
				t.Errorf("Normalize: %q -> %q, want %q", in, got, tc.want)
			}
		}
	}
	s := DefaultSettings()
	s.Kind, s.URL, s.Token, s.Method = " Gatus ", " https://g.example/api/v1/endpoints/a_b/external ", " t0k ", " put "
	s.Normalize()
	if s.Kind != "gatus" || s.URL != "https://g.example/api/v1/endpoints/a_b/external" || s.Token != "t0k" || s.Method != "PUT" {
		t.Errorf("Normalize: %+v", s)
	}
	again := s
	again.Normalize()
	if again.Kind != s.Kind || again.URL != s.URL || again.Method != s.Method || again.Warning != s.Warning {
		t.Errorf("Normalize is not idempotent: %+v -> %+v", s, again)
	}
}

// TestSettingsProblems: each problem names its key, and one kind's
// settings are refused on another.
func TestSettingsProblems(t *testing.T) {
	kuma := func(f func(*Settings)) Settings {
		s := DefaultSettings()
		s.URL = "https://kuma.example/api/push/" + kumaToken
		f(&s)
		return s
	}
	for _, tc := range []struct {
		name string
		s    Settings
		key  string
		want string
	}{
		{"start on kuma", kuma(func(s *Settings) { s.Start = true }), "start", "used only by kind healthchecks, not kuma: remove it"},
		{"token on kuma", kuma(func(s *Settings) { s.Token = "abcd" }), "token", "used only by kind gatus, not kuma: remove it (the kuma token is part of the URL)"},
		{"headers on tianji", kuma(func(s *Settings) {
			s.Kind, s.URL, s.Headers = "tianji", "https://t.example/api/push/"+tianjiToken, map[string]string{"X": "y"}
		}), "headers", "used only by kind webhook, not tianji"},
		{"unknown kind", kuma(func(s *Settings) { s.Kind = "pagerduty" }), "kind", `unknown push kind "pagerduty" (use one of: kuma, healthchecks, gatus, betterstack, peekaping, tianji, webhook)`},
		{"kuma trailing slash", kuma(func(s *Settings) { s.URL += "/" }), "url", "ends in a slash"},
		{"healthchecks without a check", kuma(func(s *Settings) { s.Kind, s.URL = "healthchecks", "https://hc-ping.com/" }), "", "healthchecks: URL has no check identifier in its path"},
		{"peekaping path", kuma(func(s *Settings) { s.Kind = "peekaping" }), "", "not a Peekaping push URL"},
		{"gatus without token", kuma(func(s *Settings) { s.Kind, s.URL = "gatus", "https://g.example/api/v1/endpoints/a_b/external" }), "token", "missing: kind gatus needs token"},
		{"webhook template", kuma(func(s *Settings) { s.Kind, s.URL = "webhook", "https://h.example/{{.Nope}}" }), "", "Nope"},
		{"retries", kuma(func(s *Settings) { s.Retries = MaxRetries + 1 }), "retries", "above the maximum of 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := tc.s.Problems()
			if len(ps) != 1 || ps[0].Key != tc.key || !strings.Contains(ps[0].Message, tc.want) {
				t.Fatalf("problems %q, want one under %q containing %q", ps, tc.key, tc.want)
			}
			for _, secret := range []string{kumaToken, tianjiToken} {
				if strings.Contains(ps[0].Message, secret) {
					t.Errorf("the problem shows a secret: %s", ps[0].Message)
				}
			}
		})
	}
}

// TestRedactInput: text given as a URL keeps the scheme, the host and the
// path up to a kind's secret path, whether it parses or not.
func TestRedactInput(t *testing.T) {
	for in, want := range map[string]string{
		"//api/push/" + kumaToken:                            "//api/push/****",
		"kuma.example/api/push/" + kumaToken:                 "kuma.example/api/push/****",
		"https://g.example/api/v1/endpoints/core/external":   "https://g.example/api/v1/endpoints/****",
		"https://x.example/api/v1/heartbeat/ping/" + bsToken: "https://x.example/api/v1/heartbeat/****",
		"unix:///run/x.sock":                                 "****",
	} {
		if got := RedactInput(in); got != want {
			t.Errorf("RedactInput(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Scrub("e.g. "+ExampleURL+" not "+kumaToken, SecretsIn("https://kuma.example/api/push/"+kumaToken)); got != "e.g. "+ExampleURL+" not ****" {
		t.Errorf("Scrub = %q", got)
	}
}
