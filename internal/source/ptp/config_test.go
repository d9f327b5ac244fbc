package ptp

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/source"
)

// TestRegistered: the package registers "ptp" with its defaults.
func TestRegistered(t *testing.T) {
	s, ok := source.Lookup(Name)
	if !ok {
		t.Fatal("ptp is not registered")
	}
	c, ok := s.NewConfig().(*Config)
	if !ok || *c != (Config{Role: RoleSlave, OffsetWarn: time.Microsecond, OffsetCrit: 10 * time.Microsecond, PathDelayJump: time.Microsecond}) {
		t.Errorf("defaults %+v", c)
	}
	if !strings.Contains(s.FlagUsage, "`PATH`") || !strings.Contains(s.FlagUsage, "ptp.socket") {
		t.Errorf("flag usage %q", s.FlagUsage)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want []string // "key: part of the message"
	}{
		{"defaults", func(*Config) {}, nil},
		{"named socket, role in capitals", func(c *Config) { c.Socket, c.Role = "/run/ptp4l-eth0", "Master" }, nil},
		{"off", func(c *Config) { c.Socket = "OFF" }, nil},
		{"long socket path", func(c *Config) { c.Socket = "/" + strings.Repeat("x", 120) }, []string{"socket: 121 bytes is longer than a unix socket path can be"}},
		{"bad role", func(c *Config) { c.Role = "client" }, []string{`role: "client" is not a role: use "slave"`}},
		{"domain", func(c *Config) { c.Domain = 128 }, []string{"domain: 128 is not a PTP domain"}},
		{"warn above crit", func(c *Config) { c.OffsetWarn = 20 * time.Microsecond }, []string{"offset_warn: 20µs is above offset_crit 10µs"}},
		{"crit off", func(c *Config) { c.OffsetWarn, c.OffsetCrit = time.Second, 0 }, nil},
		{"negative", func(c *Config) { c.PathDelayJump, c.OffsetCrit = -time.Microsecond, -time.Second },
			[]string{"offset_crit: negative duration -1s", "path_delay_jump: negative duration -1µs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConfig()
			tc.edit(c)
			before := *c
			probs := c.Validate()
			var got []string
			for _, p := range probs {
				got = append(got, p.Key+": "+p.Message)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %q", got, tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %q, want %q", got[i], w)
				}
			}
			if *c != before || !reflect.DeepEqual(c.Validate(), probs) {
				t.Error("Validate changed the config or answered differently the second time")
			}
		})
	}
}

func TestConfigProbe(t *testing.T) {
	c := NewConfig()
	c.Socket, c.Role, c.Domain = " /run/ptp4l-eth0 ", "Any", 24
	p, ok := c.Probe(false, 3*time.Second).(*Probe)
	if !ok || p.Socket != "/run/ptp4l-eth0" || p.Timeout != 3*time.Second || p.Domain != 24 ||
		p.Limits != (Limits{Role: RoleAny, OffsetWarn: 1e-6, OffsetCrit: 1e-5, PathDelayJump: 1e-6}) {
		t.Errorf("named socket: %+v", p)
	}
	for _, off := range []string{"off", "Off"} {
		c.Socket = off
		if p := c.Probe(true, time.Second); p != nil {
			t.Errorf("%q: probe %+v", off, p)
		}
	}
	c.Socket = ""
	if p := c.Probe(false, time.Second); p != nil {
		t.Errorf("empty socket without auto: %+v", p)
	}
	// With auto, the default socket is read only where it exists.
	_, err := os.Stat(DefaultSocket)
	p2 := c.Probe(true, time.Second)
	if exists := err == nil; exists != (p2 != nil) {
		t.Errorf("auto: %s exists %v, probe %v", DefaultSocket, exists, p2)
	}
	if p2 != nil && p2.(*Probe).Socket != DefaultSocket {
		t.Errorf("auto probe reads %s", p2.(*Probe).Socket)
	}
}
