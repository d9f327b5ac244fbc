package config

import (
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/notify"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://kuma.example/api/push/" + token, "https://kuma.example/api/push/****"},
		{"https://kuma.example/api/push/" + token + "?status=up&msg=OK&ping=", "https://kuma.example/api/push/****?****"},
		{"https://kuma.example:3001/kuma/api/push/" + token, "https://kuma.example:3001/kuma/api/push/****"},
		{"http://user:" + token + "@hook.example/x", "http://****@hook.example/****"},
		{"https://hc-ping.com/" + token, "https://hc-ping.com/****"},
		{"https://hc.example/ping/" + token + "/fail", "https://hc.example/ping/****"},
		{"https://uptime.betterstack.com/api/v1/heartbeat/" + token, "https://uptime.betterstack.com/api/v1/heartbeat/****"},
		{"https://peekaping.example/api/v1/push/" + token, "https://peekaping.example/api/v1/push/****"},
		{"https://kuma.example", "https://kuma.example"},
		{"https://kuma.example/", "https://kuma.example"},
		{"https://hook.example/x#" + token, "https://hook.example/****#****"},
		{"kuma.example/api/push/" + token, "kuma.example/api/push/****"},
		{"  https://kuma.example/api/push/" + token + "  ", "https://kuma.example/api/push/****"},
		{token, "****"},
		{"%zz" + token, "****"},
		{"", "****"},
	} {
		got := notify.RedactInput(tc.in)
		if got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, token) {
			t.Errorf("RedactURL(%q) keeps the token", tc.in)
		}
	}
}

func TestScrub(t *testing.T) {
	c := Default()
	c.Push = []Push{{Settings: notify.Settings{URL: "https://kuma.example/api/push/" + token + "/"}}, {Settings: notify.Settings{Token: "tok"}}}
	msg := scrub("a "+token+" b https://kuma.example/api/push/"+token+"/ c tok", c.secrets())
	if strings.Contains(msg, token) {
		t.Errorf("scrub left the token: %s", msg)
	}
	if !strings.HasSuffix(msg, " c tok") {
		t.Errorf("scrub replaced a piece shorter than %d bytes: %s", minSecret, msg)
	}
}

// TestHintExampleReadable: the example in a URL hint is ntphealth's own
// text; a pasted host or token that happens to be part of it must not mask
// it, while the pasted token itself stays masked.
func TestHintExampleReadable(t *testing.T) {
	const example = "e.g. https://kuma.example/api/push/TOKEN"
	for _, u := range []string{"kuma.example", "kuma.example/api/push/TOKEN", "https", "kuma.example/api/push/" + token, "example/x"} {
		_, err := Parse([]byte("push:\n  url: "+u+"\n"), "ntphealth.yaml")
		if err == nil || !strings.Contains(err.Error(), "no scheme or host") {
			t.Errorf("url %q: %v, want a no-scheme error", u, err)
			continue
		}
		if !strings.HasSuffix(err.Error(), example) {
			t.Errorf("url %q: the hint's example is masked: %v", u, err)
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("url %q: the token shows: %v", u, err)
		}
	}
}

// TestScrubExampleEdge: a secret that runs across the edge of the example
// is masked whole, the example with it.
func TestScrubExampleEdge(t *testing.T) {
	msg := "write it in full, e.g. https://kuma.example/api/push/TOKENx1y2"
	for _, secret := range []string{"e.g. https", "TOKENx1y2", "kuma.example/api/push/TOKENx"} {
		got := scrub(msg, []string{secret})
		if strings.Contains(got, secret) {
			t.Errorf("scrub(%q) with secret %q = %q: the secret shows", msg, secret, got)
		}
	}
	if got := scrub("e.g. https://kuma.example/api/push/TOKEN", []string{"kuma.example"}); got != "e.g. https://kuma.example/api/push/TOKEN" {
		t.Errorf("a secret inside the example masked it: %q", got)
	}
}
