package probe

import (
	"os"
	"path/filepath"

	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
	"github.com/ntphealth/ntphealth/internal/probe/gpsd"
	"github.com/ntphealth/ntphealth/internal/probe/kernel"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient"
	"github.com/ntphealth/ntphealth/internal/probe/ntpd"
	"github.com/ntphealth/ntphealth/internal/probe/pps"
	"github.com/ntphealth/ntphealth/internal/source"
)

// Select builds the probe set a config names; these are the rules of which
// source is read, and the only place they live:
//
//   - The local daemon is chronyd at chrony.address. Left at its default,
//     ntpd on 127.0.0.1:123 is asked when chronyd does not answer; naming
//     ntpd alone makes it an ntpd host.
//   - The kernel clock is read whenever the local machine is checked
//     (kernel.enabled: auto).
//   - With no local source named (auto mode), gpsd is read when something
//     listens on its default port, pps0 when the device exists, and each
//     pluggable source as its own Probe(auto) decides.
//   - Naming remote servers alone (--ntp) checks only them: a fleet prober
//     need not run a daemon.
//   - A source set to "off" is never read, and the others are chosen as if
//     it were unset.
func Select(cfg config.Config) Set {
	sel := selection{cfg: cfg}
	sel.chronyAt, sel.chronyDefault = chronyAddress(cfg.Chrony)
	local := (sel.chronyAt != "" && !sel.chronyDefault) || cfg.NTPD.Setting() == config.Named ||
		cfg.GPS.Setting() == config.Named || cfg.PPS.Setting() == config.Named || cfg.SourceNamed()
	sel.auto = !local && len(cfg.NTP) == 0
	sel.fleetOnly = !local && len(cfg.NTP) > 0

	var s Set
	s.Chrony, s.NTPD = sel.daemon()
	s.Kernel = sel.kernel()
	s.GPS, s.GPSIfPresent = sel.gps()
	s.PPS = sel.pps()
	s.Sources = sel.sources()
	if len(cfg.NTP) > 0 {
		s.Remote = cfg.NTP
		s.RemoteProbe = ntpclient.Probe{Timeout: cfg.Timeout}
	}
	return s
}

// selection is what Select decides from, worked out once.
type selection struct {
	cfg config.Config
	// chronyAt is chronyd's address, "" when chrony is off;
	// chronyDefault is true when it is left at the default (auto).
	chronyAt      string
	chronyDefault bool
	// auto: no source is named at all; fleetOnly: only --ntp targets are.
	auto, fleetOnly bool
}

// chronyAddress is where chronyd is asked ("" when off) and whether that is
// the default, which lets auto mode fall back to ntpd.
func chronyAddress(c config.ChronyConfig) (addr string, isDefault bool) {
	def := config.Default().Chrony.Address
	switch {
	case c.Setting() == config.Auto || c.Address == def:
		return def, true
	case c.Setting() == config.Disabled:
		return "", false
	}
	return c.Address, false
}

func (s selection) daemon() (*chrony.Probe, *ntpd.Probe) {
	var c *chrony.Probe
	if s.chronyAt != "" && !s.fleetOnly {
		c = &chrony.Probe{Address: s.chronyAt, Timeout: s.cfg.Timeout}
	}
	switch s.cfg.NTPD.Setting() {
	case config.Named:
		n := &ntpd.Probe{Address: s.cfg.NTPD.Address, Timeout: s.cfg.Timeout}
		if s.chronyDefault {
			c = nil // ntpd named, chronyd not: this is an ntpd host
		}
		return c, n
	case config.Auto:
		if (s.chronyDefault || s.chronyAt == "") && !s.fleetOnly {
			return c, &ntpd.Probe{Address: ntpd.DefaultAddress, Timeout: s.cfg.Timeout}
		}
	}
	return c, nil
}

func (s selection) kernel() *kernel.Probe {
	if e := s.cfg.Kernel.Enabled; e == config.KernelTrue || (e == config.KernelAuto && !s.fleetOnly) {
		return &kernel.Probe{}
	}
	return nil
}

// gps returns gpsd's probe and whether it is read only if gpsd listens.
func (s selection) gps() (*gpsd.Probe, bool) {
	switch {
	case s.cfg.GPS.Setting() == config.Named:
		return &gpsd.Probe{Address: s.cfg.GPS.Address, Timeout: s.cfg.Timeout}, false
	case s.cfg.GPS.Setting() == config.Auto && s.auto:
		return &gpsd.Probe{Address: gpsd.DefaultAddress, Timeout: s.cfg.Timeout}, true
	}
	return nil, false
}

func (s selection) pps() *pps.Probe {
	p := s.cfg.PPS
	switch {
	case p.Setting() == config.Named:
		return &pps.Probe{Device: p.Device, SysfsRoot: p.SysfsRoot}
	case p.Setting() == config.Auto && s.auto:
		if _, err := os.Stat(filepath.Join(p.SysfsRoot, "class/pps/pps0/assert")); err == nil {
			return &pps.Probe{Device: "pps0", SysfsRoot: p.SysfsRoot}
		}
	}
	return nil
}

// sources are the pluggable sources' probes, each as its config decides.
func (s selection) sources() []Named {
	if s.fleetOnly {
		return nil
	}
	var out []Named
	for _, src := range source.All() {
		if sec, ok := s.cfg.Sources[src.Name]; ok {
			if p := sec.Probe(s.auto, s.cfg.Timeout); p != nil {
				out = append(out, Named{Name: src.Name, Probe: p})
			}
		}
	}
	return out
}
