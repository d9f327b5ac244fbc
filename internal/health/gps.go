package health

import (
	"fmt"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// GPSPolicy holds the limits for the GPS checks.
type GPSPolicy struct {
	// MinMode is the least TPV fix mode that is OK: 2 (2D) or 3 (3D).
	MinMode int `yaml:"min_mode"`
	// MinSatellites is the least number of satellites used, else WARNING.
	MinSatellites int `yaml:"min_satellites"`
	// MaxAge is the oldest the last TPV may be before CRITICAL.
	MaxAge time.Duration `yaml:"max_age"`
}

// DefaultGPSPolicy returns the documented defaults.
func DefaultGPSPolicy() GPSPolicy {
	return GPSPolicy{MinMode: 3, MinSatellites: 4, MaxAge: 5 * time.Second}
}

// GPSChecks judges gpsd's view of the receiver: "gps_fix" (fix mode at least
// MinMode), "gps_satellites" (at least MinSatellites used) and "gps_stale"
// (the receiver still reports; gpsd repeats the last TPV of a silent
// receiver without saying so, so its age decides). gpsd unreachable is a
// CRITICAL "gps_fix".
func GPSChecks(g *observe.GPS, p GPSPolicy) []Check {
	if g == nil {
		return nil
	}
	if g.Error != "" {
		return []Check{{Name: "gps_fix", Status: Critical,
			Message: fmt.Sprintf("gpsd not reachable at %s: %s", g.Address, g.Error)}}
	}
	return []Check{gpsFix(g, p), gpsSatellites(g, p), gpsStale(g, p)}
}

func gpsFix(g *observe.GPS, p GPSPolicy) Check {
	c := Check{Name: "gps_fix", Status: OK, Value: ptr(float64(g.Mode)), Unit: "mode"}
	if len(g.Devices) == 0 && g.Mode == 0 {
		c.Status = Critical
		c.Message = fmt.Sprintf("gpsd at %s has no receiver: start gpsd with the device, or check it with gpsctl", g.Address)
		return c
	}
	if g.Mode < p.MinMode {
		c.Status = Critical
		c.Message = fmt.Sprintf("no %s fix (%s)", observe.ModeName(p.MinMode), observe.ModeName(g.Mode))
		return c
	}
	c.Message = fmt.Sprintf("%s fix", observe.ModeName(g.Mode))
	return c
}

func gpsSatellites(g *observe.GPS, p GPSPolicy) Check {
	c := Check{Name: "gps_satellites", Status: OK, Unit: "satellites"}
	if g.SatellitesUsed == nil || g.SatellitesSeen == nil {
		c.Status = Warning
		c.Message = "no satellite report (SKY) from gpsd"
		return c
	}
	used := *g.SatellitesUsed
	c.Value = ptr(float64(used))
	c.Message = fmt.Sprintf("%d satellites used, %d seen", used, *g.SatellitesSeen)
	if used < p.MinSatellites {
		c.Status = Warning
		c.Message += fmt.Sprintf(", fewer than the %d required", p.MinSatellites)
	}
	return c
}

func gpsStale(g *observe.GPS, p GPSPolicy) Check {
	maxAge := p.MaxAge.Seconds()
	if g.TPVAgeSeconds == nil {
		c := Check{Name: "gps_stale", Status: OK, Message: "receiver reporting (no time of fix yet)"}
		if !g.Fresh {
			c.Status = Critical
			c.Message = fmt.Sprintf("no report from the receiver in %s: it is silent or disconnected", formatAge(g.WatchSeconds))
		}
		return c
	}
	age := *g.TPVAgeSeconds
	c := measure("gps_stale", age, 0, maxAge, "s")
	c.Warn = nil
	c.Message = fmt.Sprintf("last position report %s old", formatAge(age))
	if c.Status == Critical {
		c.Message = fmt.Sprintf("GPS data stale: last position report %s old, more than %s: the receiver is silent or disconnected (gpsd repeats its last report)",
			formatAge(age), formatAge(maxAge))
	}
	return c
}
