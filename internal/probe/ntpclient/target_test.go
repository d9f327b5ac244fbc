package ntpclient

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		host    string
		port    int
		wantErr string
	}{
		{in: "pool.ntp.org", host: "pool.ntp.org", port: 123},
		{in: "time.example.", host: "time.example.", port: 123},
		{in: "ntp_1.internal:1123", host: "ntp_1.internal", port: 1123},
		{in: "192.0.2.1", host: "192.0.2.1", port: 123},
		{in: "192.0.2.1:10123", host: "192.0.2.1", port: 10123},
		{in: "2001:db8::1", host: "2001:db8::1", port: 123},
		{in: "[2001:db8::1]", host: "2001:db8::1", port: 123},
		{in: "[2001:db8::1]:124", host: "2001:db8::1", port: 124},
		{in: "[::1]:123", host: "::1", port: 123},
		{in: "", wantErr: "empty"},
		{in: "http://pool.ntp.org", wantErr: "URL"},
		{in: "udp://192.0.2.1:123", wantErr: "URL"},
		{in: "pool.ntp.org/path", wantErr: "character"},
		{in: "user@pool.ntp.org", wantErr: "character"},
		{in: "pool.ntp.org?x=1", wantErr: "character"},
		{in: "pool ntp.org", wantErr: "character"},
		{in: "pool.ntp.org:0", wantErr: "port"},
		{in: "pool.ntp.org:65536", wantErr: "port"},
		{in: "pool.ntp.org:ntp", wantErr: "port"},
		{in: "pool.ntp.org:", wantErr: "port"},
		{in: ":123", wantErr: "no host"},
		{in: "[192.0.2.1]:123", wantErr: "brackets"},
		{in: "[2001:db8::1", wantErr: "brackets"},
		{in: "2001:db8::zz", wantErr: "IPv6"},
		{in: "-bad.example", wantErr: "'-'"},
		{in: "a..b", wantErr: "label"},
		{in: "bad!.example", wantErr: "contains"},
		{in: "[fe80::1%eth0]:123", wantErr: "zoned"},
		{in: strings.Repeat("a", 300), wantErr: "too long"},
	}
	for _, tt := range tests {
		host, port, err := ParseTarget(tt.in, 0)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTarget(%q) error %v, want it to mention %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || host != tt.host || port != tt.port {
			t.Errorf("ParseTarget(%q) = %q %d %v, want %q %d", tt.in, host, port, err, tt.host, tt.port)
		}
	}
}

func TestParseTargetDefaultPort(t *testing.T) {
	if _, port, _ := ParseTarget("192.0.2.1", 10123); port != 10123 {
		t.Errorf("port %d, want the given default 10123", port)
	}
	if _, port, _ := ParseTarget("192.0.2.1:5", 10123); port != 5 {
		t.Errorf("port %d, want the target's own 5", port)
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"pool.ntp.org", "[::1]:123", "192.0.2.1:123", "http://x", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, err := ParseTarget(s, 0)
		if err != nil {
			return
		}
		if port < 1 || port > 65535 || host == "" || strings.ContainsAny(host, "/?#@ ") {
			t.Fatalf("ParseTarget(%q) accepted host %q port %d", s, host, port)
		}
	})
}
