package config

import (
	"strings"
	"testing"
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
		got := RedactURL(tc.in)
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
	c.Push = []Push{{URL: "https://kuma.example/api/push/" + token + "/"}, {Token: "tok"}}
	msg := scrub("a "+token+" b https://kuma.example/api/push/"+token+"/ c tok", c.secrets())
	if strings.Contains(msg, token) {
		t.Errorf("scrub left the token: %s", msg)
	}
	if !strings.HasSuffix(msg, " c tok") {
		t.Errorf("scrub replaced a piece shorter than %d bytes: %s", minSecret, msg)
	}
}
