package observe

import "time"

// GPS is what gpsd reported about its receivers (gpsd_json(5): VERSION,
// DEVICES, TPV, SKY, PPS).
type GPS struct {
	// Address is the gpsd host:port asked.
	Address string `json:"address"`
	// Error is why gpsd could not be read; empty when it answered.
	Error string `json:"error,omitempty"`
	// DurationSeconds is how long the probe took.
	DurationSeconds float64 `json:"duration_seconds"`
	// Release is gpsd's version ("3.22").
	Release string `json:"release,omitempty"`
	// Devices are the receivers gpsd reads (paths or URLs).
	Devices []string `json:"devices"`
	// Mode is the TPV fix mode: 0 unknown, 1 no fix, 2 2D, 3 3D.
	Mode int `json:"mode"`
	// Time is the last TPV's time of fix (UTC); zero when it had none.
	Time time.Time `json:"time"`
	// TPVAgeSeconds is how old the last TPV's time was when observed,
	// seconds; nil (JSON null) when no TPV with a time was seen.
	TPVAgeSeconds *float64 `json:"tpv_age_seconds"`
	// Fresh is true when the receiver delivered a TPV while the probe
	// watched; false means gpsd only repeated its last one (or had none).
	Fresh bool `json:"fresh"`
	// WatchSeconds is how long the probe watched for reports, seconds.
	WatchSeconds float64 `json:"watch_seconds"`
	// SatellitesUsed are the satellites in the fix (SKY uSat);
	// SatellitesSeen those visible (SKY nSat). Both nil (JSON null) when
	// no SKY was seen.
	SatellitesUsed *int `json:"satellites_used"`
	SatellitesSeen *int `json:"satellites_seen"`
	// PPS is true when gpsd sent a PPS report while the probe watched.
	PPS bool `json:"pps"`
}

// ModeName names a TPV fix mode: "no fix", "2D", "3D" or "unknown".
func ModeName(mode int) string {
	switch mode {
	case 1:
		return "no fix"
	case 2:
		return "2D"
	case 3:
		return "3D"
	}
	return "unknown"
}
