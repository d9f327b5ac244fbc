package probe

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ntphealth/ntphealth/internal/config"
)

// TestProbesChosen: which probes run for which config (auto mode, a named
// daemon, extra sources, a fleet).
func TestProbesChosen(t *testing.T) {
	sysfs := t.TempDir()
	os.MkdirAll(filepath.Join(sysfs, "class/pps/pps0"), 0o755)
	os.WriteFile(filepath.Join(sysfs, "class/pps/pps0/assert"), []byte("1.0#1\n"), 0o644)
	type want struct{ chrony, ntpd, kernel, gps, gpsIfPresent, pps bool }
	for _, tc := range []struct {
		name string
		edit func(c *config.Config)
		want want
	}{
		{"auto", func(c *config.Config) {}, want{chrony: true, ntpd: true, kernel: true, gps: true, gpsIfPresent: true, pps: true}},
		{"chrony named", func(c *config.Config) { c.Chrony.Address = "unix:///run/chrony/chronyd.sock" }, want{chrony: true, kernel: true}},
		{"ntpd named", func(c *config.Config) { c.NTPD.Address = "127.0.0.1:123" }, want{ntpd: true, kernel: true}},
		{"gpsd named: the daemon is still found", func(c *config.Config) { c.GPS.Address = "127.0.0.1:2947" }, want{chrony: true, ntpd: true, kernel: true, gps: true}},
		{"fleet only", func(c *config.Config) { c.NTP = []string{"192.0.2.1"} }, want{}},
		{"fleet and the local daemon", func(c *config.Config) { c.NTP = []string{"192.0.2.1"}; c.Chrony.Address = "[::1]:323" }, want{chrony: true, kernel: true}},
		// "off" turns one source off; the others are chosen as if it were unset.
		{"chrony off: ntpd is looked for instead", func(c *config.Config) { c.Chrony.Address = "off" }, want{ntpd: true, kernel: true, gps: true, gpsIfPresent: true, pps: true}},
		{"chrony and ntpd off, kernel forced", func(c *config.Config) { c.Chrony.Address, c.NTPD.Address, c.Kernel.Enabled = "off", "off", "true" }, want{kernel: true, gps: true, gpsIfPresent: true, pps: true}},
		{"ntpd off: chronyd alone", func(c *config.Config) { c.NTPD.Address = "off" }, want{chrony: true, kernel: true, gps: true, gpsIfPresent: true, pps: true}},
		{"gpsd off", func(c *config.Config) { c.GPS.Address = "off" }, want{chrony: true, ntpd: true, kernel: true, pps: true}},
		{"pps off", func(c *config.Config) { c.PPS.Device = "off" }, want{chrony: true, ntpd: true, kernel: true, gps: true, gpsIfPresent: true}},
		{"kernel off", func(c *config.Config) { c.Kernel.Enabled = "false" }, want{chrony: true, ntpd: true, gps: true, gpsIfPresent: true, pps: true}},
		{"OFF in capitals", func(c *config.Config) { c.GPS.Address, c.PPS.Device = "OFF", "Off" }, want{chrony: true, ntpd: true, kernel: true}},
		{"gpsd named, pps off", func(c *config.Config) { c.GPS.Address, c.PPS.Device = "127.0.0.1:2947", "off" }, want{chrony: true, ntpd: true, kernel: true, gps: true}},
		{"every source off", func(c *config.Config) {
			c.Chrony.Address, c.NTPD.Address, c.GPS.Address, c.PPS.Device, c.Kernel.Enabled = "off", "off", "off", "off", "false"
		}, want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.PPS.SysfsRoot = sysfs
			tc.edit(&c)
			s := Select(c)
			got := want{s.Chrony != nil, s.NTPD != nil, s.Kernel != nil, s.GPS != nil, s.GPSIfPresent, s.PPS != nil}
			if got != tc.want {
				t.Errorf("probes %+v, want %+v", got, tc.want)
			}
		})
	}
}
