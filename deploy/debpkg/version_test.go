package main

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

func TestDebianVersion(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"v1.2", "1.2"},
		{"v1.2.3-rc1", "1.2.3~rc1"},
		{"v1.2.3-rc.1", "1.2.3~rc.1"},
		{"v1.2.3-4-gabc1234", "1.2.3+4.gabc1234"},
		{"v1.2.3-rc1-4-gabc1234", "1.2.3~rc1+4.gabc1234"},
		{"v1.2.3-dirty", "1.2.3+0.dirty"},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3+4.gabc1234.dirty"},
		{"3140e44", "0.0.0+g3140e44"},
		{"1234567", "0.0.0+g1234567"}, // an all-digit abbreviated hash is still a hash
		{"3140e44-dirty", "0.0.0+g3140e44.dirty"},
		{" v1.0.0\n", "1.0.0"},
	}
	for _, tt := range tests {
		got, err := debianVersion(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("debianVersion(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDebianVersionRefused(t *testing.T) {
	for _, in := range []string{"", "dev", "v1.2.3:4", "1.2.3-rc_1", "latest", "v1.2.3-4-gXYZ"} {
		if got, err := debianVersion(in); err == nil {
			t.Errorf("debianVersion(%q) = %q, want an error", in, got)
		}
	}
}

// TestDebianVersionOrder checks the point of the mapping with dpkg itself:
// the Debian versions sort in the order of the releases they come from.
func TestDebianVersionOrder(t *testing.T) {
	dpkg := testenv.Tool(t, "dpkg", "dpkg")
	ordered := []string{"v1.2.3-rc1", "v1.2.3-rc2", "v1.2.3", "v1.2.3-dirty", "v1.2.3-2-gaaaaaaa", "v1.2.3-10-gbbbbbbb", "v1.2.4-rc1", "v1.10.0"}
	for i := 1; i < len(ordered); i++ {
		a, err := debianVersion(ordered[i-1])
		if err != nil {
			t.Fatal(err)
		}
		b, err := debianVersion(ordered[i])
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		err = exec.CommandContext(ctx, dpkg, "--compare-versions", a, "lt", b).Run()
		cancel()
		if err != nil {
			t.Errorf("dpkg --compare-versions %s lt %s: %v; want %s before %s", a, b, err, ordered[i-1], ordered[i])
		}
	}
}
