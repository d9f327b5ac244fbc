package config

import (
	"reflect"
	"strings"

	"github.com/ntphealth/ntphealth/internal/source"
)

// Off is the value that turns a source off, the same for every source:
// chrony.address, ntpd.address, gps.address and pps.device (and the flags
// --chrony, --ntpd, --gpsd, --pps), and the address of every pluggable
// source (--ptp). Any case is accepted.
const Off = source.Off

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
	case source.IsOff(v):
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

// section returns the pluggable source section named key, for the decoder
// to overlay (decoder.structure asks a struct that has one).
func (c *Config) section(key string) (reflect.Value, bool) {
	sec, ok := c.Sources[key]
	if !ok {
		return reflect.Value{}, false
	}
	return reflect.ValueOf(sec).Elem(), true
}

// sectionNames are the keys of the pluggable source sections.
func (c *Config) sectionNames() []string {
	var names []string
	for _, s := range source.All() {
		if _, ok := c.Sources[s.Name]; ok {
			names = append(names, s.Name)
		}
	}
	return names
}

// checkSources validates every pluggable source section: negative numbers
// as everywhere, then the source's own rules, each under "<source>.<key>".
func (c *Config) checkSources(l *errorList) {
	for _, name := range c.sectionNames() {
		sec := c.Sources[name]
		c.checkNumbers(l, reflect.ValueOf(sec).Elem(), name)
		for _, p := range sec.Validate() {
			c.bad(l, join(name, p.Key), "%s", p.Message)
		}
	}
}

// SourceNamed reports whether a pluggable source is named (neither empty
// nor off): like naming gpsd, it ends auto mode.
func (c *Config) SourceNamed() bool {
	for _, sec := range c.Sources {
		if source.Named(*sec.Address()) {
			return true
		}
	}
	return false
}
