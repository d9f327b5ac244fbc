package config

import "strings"

// Off is the value that turns a source off, the same for every source:
// chrony.address, ntpd.address, gps.address and pps.device (and the flags
// --chrony, --ntpd, --gpsd, --pps). Any case is accepted.
const Off = "off"

// Setting is how one source of truth is configured.
type Setting int

const (
	// Auto: left empty; auto-detection decides whether the source is read.
	Auto Setting = iota
	// Disabled: "off"; the source is never read.
	Disabled
	// Named: an address or device; the source is always read.
	Named
)

// SettingOf tells how an address or device value configures its source.
func SettingOf(value string) Setting {
	switch v := strings.TrimSpace(value); {
	case v == "":
		return Auto
	case strings.EqualFold(v, Off):
		return Disabled
	default:
		return Named
	}
}

// Setting of chronyd (its default address counts as named; the probe
// selection treats the default as auto-detection).
func (c ChronyConfig) Setting() Setting { return SettingOf(c.Address) }

// Setting of ntpd.
func (c NTPDConfig) Setting() Setting { return SettingOf(c.Address) }

// Setting of gpsd.
func (c GPSConfig) Setting() Setting { return SettingOf(c.Address) }

// Setting of the PPS device.
func (c PPSConfig) Setting() Setting { return SettingOf(c.Device) }
